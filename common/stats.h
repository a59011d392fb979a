/* stats: domain-free statistics on plain arrays — Pearson r, OLS with Newey–West HAC errors,
 * Fisher's exact and chi-square tests of a 2×2 table, multiple-testing corrections, Jaccard.
 * p-values come from GSL's cdfs. Degenerate data (a constant series, an empty margin) give NAN
 * results with ERR_OK — numerical outcomes are data; bad arguments give ERR_INVAL. */
#ifndef BIASAMP_STATS_H
#define BIASAMP_STATS_H

#include <stddef.h>

/* Pearson's r of x[0..n) and y[0..n) (n >= 3) and the exact two-sided p-value of H0: rho = 0,
 * t = r sqrt((n-2)/(1-r^2)) ~ t(n-2) (the same number as scipy.stats.pearsonr's beta form).
 * Constant x or y: *r = *p = NAN. Non-finite input or n < 3: ERR_INVAL. */
int stats_pearson(const double *x, const double *y, size_t n, double *r, double *p);

/* The two-sided p-value above for a given r and n (n >= 3); |r| = 1 gives 0, NAN gives NAN. */
double stats_pearson_p(double r, size_t n);

/* OLS of y = alpha + beta x + e with Newey–West (1987) HAC standard errors for the slope:
 *   V(beta) = sum_{t,s} c_t c_s k(t-s) e_t e_s,  c_t = (x_t - mean x) / Sxx,
 *   k(l) = 1 - |l|/(lag+1) for |l| <= lag (Bartlett), 0 beyond;
 * the observations are a time series in the given order. No small-sample factor: this is
 * statsmodels' OLS(...).fit(cov_type='HAC', cov_kwds={'maxlags': lag}) default
 * (use_correction=False); multiply se_hac by sqrt(n/(n-2)) for its use_correction=True. lag = 0 is
 * White's HC0. Two references for the test of beta = 0 are given: p_z (normal — statsmodels'
 * default for robust covariances, use_t=False) and p_t (t with n-2 degrees of freedom). */
typedef struct StatsOls {
    size_t n;
    int lag;
    double alpha, beta; /* intercept and slope */
    double se_ols;      /* classical slope SE, s^2 = RSS/(n-2) */
    double se_hac;      /* Newey–West slope SE */
    double z;           /* beta / se_hac */
    double p_z, p_t;    /* two-sided p-values of z against N(0,1) and t(n-2) */
} StatsOls;

/* Fills *o. Constant x: every estimate NAN. A perfect fit gives se_hac = 0 and z = ±inf (p = 0);
 * 0/0 gives NAN. n < 3, lag < 0, lag >= n or non-finite input: ERR_INVAL. */
int stats_ols_hac(const double *x, const double *y, size_t n, int lag, StatsOls *o);

/* The 2×2 table    a  b     rows: in A / not in A
 *                  c  d     cols: in B / not in B
 * Under independence with fixed margins, a is hypergeometric. */
typedef struct StatsFisher {
    double odds_ratio;  /* sample odds ratio ad/(bc): inf if bc = 0 < ad, NAN if 0/0 */
    double p_less;      /* P(X <= a): fewer joint cases than independence predicts */
    double p_greater;   /* P(X >= a): more joint cases */
    double p_two_sided; /* sum of P(X = k) over tables with P(X = k) <= P(X = a) (1 + 1e-7) */
} StatsFisher;

/* Fisher's exact test, conventions of scipy.stats.fisher_exact (alternative 'less', 'greater',
 * 'two-sided'), with R's relative tolerance 1e-7 for ties in the two-sided sum. A zero margin:
 * all p = 1, odds_ratio = NAN (as scipy). A total beyond UINT_MAX: ERR_INVAL. */
int stats_fisher2x2(unsigned long a, unsigned long b, unsigned long c, unsigned long d,
                    StatsFisher *f);

/* Pearson's chi-square test of independence of the table above, 1 degree of freedom.
 * yates != 0: each |O - E| shrunk by min(0.5, |O - E|) (scipy.stats.chi2_contingency's
 * correction=True). A zero margin: stat = p = NAN. expected[] = {E_a, E_b, E_c, E_d}. */
typedef struct StatsChisq {
    double stat, p;
    double expected[4];
} StatsChisq;
int stats_chisq2x2(unsigned long a, unsigned long b, unsigned long c, unsigned long d, int yates,
                   StatsChisq *s);

/* Multiple-testing adjustment of p[0..m) into adj[0..m) (may alias p). NAN p-values stay NAN and
 * do not count towards m. BONFERRONI: min(1, m p). BH (Benjamini–Hochberg step-up):
 * adj_(i) = min_{j >= i} min(1, m p_(j) / j) over the sorted p-values — statsmodels'
 * multipletests(method='fdr_bh') pvals_corrected. A p outside [0, 1]: ERR_INVAL. */
enum { STATS_ADJUST_NONE, STATS_ADJUST_BONFERRONI, STATS_ADJUST_BH, STATS_NADJUST };
extern const char *const stats_adjust_names[]; /* "none", "bonferroni", "bh", NULL */
int stats_adjust(const double *p, size_t m, int method, double *adj);
/* The method named `name` (one of stats_adjust_names), or -1. */
int stats_adjust_find(const char *name);

/* |A ∩ B| / |A ∪ B| from the counts |A ∩ B|, |A|, |B|; NAN if both sets are empty. */
double stats_jaccard(size_t both, size_t na, size_t nb);

#endif
