/* stats: Pearson, OLS with Newey–West HAC errors, 2×2 tests, p-value adjustment, Jaccard.
 * Sums are taken about the means (two passes) so that series with a large offset and a small
 * spread — per-neuron weights — keep their digits. */
#include "stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

const char *const stats_adjust_names[] = {"none", "bonferroni", "bh", NULL};

static int stats_check_finite(const double *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return err_set(ERR_INVAL, "stats: %s[%zu] is not finite", name, i);
    return ERR_OK;
}

/* Means and centred sums of squares and products. */
static void stats_moments(const double *x, const double *y, size_t n, double *mx, double *my,
                          double *sxx, double *syy, double *sxy)
{
    double ax = 0, ay = 0;
    for (size_t i = 0; i < n; i++) {
        ax += x[i];
        ay += y[i];
    }
    ax /= (double)n;
    ay /= (double)n;
    double xx = 0, yy = 0, xy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - ax, dy = y[i] - ay;
        xx += dx * dx;
        yy += dy * dy;
        xy += dx * dy;
    }
    *mx = ax;
    *my = ay;
    *sxx = xx;
    *syy = yy;
    *sxy = xy;
}

double stats_pearson_p(double r, size_t n)
{
    if (isnan(r) || n < 3) return NAN;
    double ar = fabs(r);
    if (ar >= 1) return 0;
    double df = (double)(n - 2), t = ar * sqrt(df / ((1 - ar) * (1 + ar)));
    return fmin(1.0, 2 * gsl_cdf_tdist_Q(t, df));
}

int stats_pearson(const double *x, const double *y, size_t n, double *r, double *p)
{
    *r = *p = NAN;
    if (n < 3) return err_set(ERR_INVAL, "stats: Pearson r needs n >= 3 (got %zu)", n);
    int st = stats_check_finite(x, n, "x");
    if (!st) st = stats_check_finite(y, n, "y");
    if (st) return st;
    double mx, my, sxx, syy, sxy;
    stats_moments(x, y, n, &mx, &my, &sxx, &syy, &sxy);
    if (sxx <= 0 || syy <= 0) return ERR_OK;
    *r = fmax(-1.0, fmin(1.0, sxy / sqrt(sxx * syy)));
    *p = stats_pearson_p(*r, n);
    return ERR_OK;
}

/* Two-sided p-values of a statistic against N(0,1) and t(df). */
static void stats_two_sided(double z, double df, double *p_z, double *p_t)
{
    if (isnan(z)) {
        *p_z = *p_t = NAN;
        return;
    }
    double a = fabs(z);
    *p_z = isinf(a) ? 0 : fmin(1.0, 2 * gsl_cdf_ugaussian_Q(a));
    *p_t = isinf(a) ? 0 : fmin(1.0, 2 * gsl_cdf_tdist_Q(a, df));
}

int stats_ols_hac(const double *x, const double *y, size_t n, int lag, StatsOls *o)
{
    memset(o, 0, sizeof *o);
    o->n = n;
    o->lag = lag;
    o->alpha = o->beta = o->se_ols = o->se_hac = o->z = o->p_z = o->p_t = NAN;
    if (n < 3) return err_set(ERR_INVAL, "stats: OLS needs n >= 3 (got %zu)", n);
    if (lag < 0 || (size_t)lag >= n)
        return err_set(ERR_INVAL, "stats: Newey-West lag %d outside [0, %zu]", lag, n - 1);
    int st = stats_check_finite(x, n, "x");
    if (!st) st = stats_check_finite(y, n, "y");
    if (st) return st;
    double mx, my, sxx, syy, sxy;
    stats_moments(x, y, n, &mx, &my, &sxx, &syy, &sxy);
    if (sxx <= 0) return ERR_OK;
    double b = sxy / sxx;
    o->beta = b;
    o->alpha = my - b * mx;

    /* u_t = (x_t - mean x) e_t is the slope's score; V(beta) = S / Sxx^2 with the Bartlett-
     * weighted long-run sum S = sum u_t^2 + 2 sum_{l=1}^{lag} (1 - l/(lag+1)) sum_t u_t u_{t-l}.
     * This is the slope element of (X'X)^-1 [sum_t sum_s k(t-s) x_t e_t e_s x_s'] (X'X)^-1 for
     * X = [1 x], because the slope row of (X'X)^-1 X' is (x_t - mean x) / Sxx. */
    double rss = 0, S = 0;
    double *u = xmalloc(n * sizeof *u);
    for (size_t t = 0; t < n; t++) {
        double e = (y[t] - my) - b * (x[t] - mx);
        rss += e * e;
        u[t] = (x[t] - mx) * e;
        S += u[t] * u[t];
    }
    for (int l = 1; l <= lag; l++) {
        double w = 1.0 - (double)l / (double)(lag + 1), g = 0;
        for (size_t t = (size_t)l; t < n; t++) g += u[t] * u[t - (size_t)l];
        S += 2 * w * g;
    }
    free(u);
    double df = (double)(n - 2);
    o->se_ols = sqrt(rss / df / sxx);
    o->se_hac = sqrt(fmax(S, 0.0)) / sxx;
    o->z = b / o->se_hac; /* ±inf for a perfect fit, NAN for 0/0 */
    stats_two_sided(o->z, df, &o->p_z, &o->p_t);
    return ERR_OK;
}

/* log P(X = k) for X ~ hypergeometric: k of type 1 in t draws from n1 of type 1 and n2 of type 2.
 * k must lie in the support [max(0, t - n2), min(t, n1)]. */
static double stats_hyper_logpmf(unsigned k, unsigned n1, unsigned n2, unsigned t)
{
    return gsl_sf_lnchoose(n1, k) + gsl_sf_lnchoose(n2, t - k) - gsl_sf_lnchoose(n1 + n2, t);
}

int stats_fisher2x2(unsigned long a, unsigned long b, unsigned long c, unsigned long d,
                    StatsFisher *f)
{
    f->odds_ratio = NAN;
    f->p_less = f->p_greater = f->p_two_sided = 1;
    if (a > UINT_MAX || b > UINT_MAX - a || c > UINT_MAX - a - b || d > UINT_MAX - a - b - c)
        return err_set(ERR_INVAL, "stats: 2x2 table total beyond %u", UINT_MAX);
    if (a + b == 0 || c + d == 0 || a + c == 0 || b + d == 0) return ERR_OK;
    double ad = (double)a * (double)d, bc = (double)b * (double)c;
    f->odds_ratio = bc > 0 ? ad / bc : INFINITY;

    unsigned n1 = (unsigned)(a + b), n2 = (unsigned)(c + d), t = (unsigned)(a + c);
    unsigned x = (unsigned)a;
    unsigned lo = t > n2 ? t - n2 : 0, hi = t < n1 ? t : n1;
    f->p_less = gsl_cdf_hypergeometric_P(x, n1, n2, t);
    f->p_greater = x == 0 ? 1.0 : gsl_cdf_hypergeometric_Q(x - 1, n1, n2, t);

    /* Two-sided: the pmf is unimodal (increasing up to the mode m, decreasing after), so the
     * tables at most as likely as the observed one form a lower tail [lo, k1] and an upper tail
     * [k2, hi]; find both cut points by bisection on the log pmf, then use GSL's tail sums. */
    double thr = stats_hyper_logpmf(x, n1, n2, t) + log1p(1e-7);
    unsigned m = (unsigned)(((double)t + 1) * ((double)n1 + 1) / ((double)n1 + n2 + 2));
    if (m < lo) m = lo;
    if (m > hi) m = hi;
    if (stats_hyper_logpmf(m, n1, n2, t) <= thr) {
        f->p_two_sided = 1; /* the observed table is (tied with) the most likely one */
        return ERR_OK;
    }
    double p = 0;
    if (stats_hyper_logpmf(lo, n1, n2, t) <= thr) { /* last k in [lo, m) with pmf <= thr */
        unsigned i = lo, j = m;                     /* invariant: ok(i), !ok(j) */
        while (j - i > 1) {
            unsigned mid = i + (j - i) / 2;
            if (stats_hyper_logpmf(mid, n1, n2, t) <= thr)
                i = mid;
            else
                j = mid;
        }
        p += gsl_cdf_hypergeometric_P(i, n1, n2, t);
    }
    if (stats_hyper_logpmf(hi, n1, n2, t) <= thr) { /* first k in (m, hi] with pmf <= thr */
        unsigned i = m, j = hi;                     /* invariant: !ok(i), ok(j) */
        while (j - i > 1) {
            unsigned mid = i + (j - i) / 2;
            if (stats_hyper_logpmf(mid, n1, n2, t) <= thr)
                j = mid;
            else
                i = mid;
        }
        p += gsl_cdf_hypergeometric_Q(j - 1, n1, n2, t);
    }
    f->p_two_sided = fmin(1.0, p);
    return ERR_OK;
}

int stats_chisq2x2(unsigned long a, unsigned long b, unsigned long c, unsigned long d, int yates,
                   StatsChisq *s)
{
    s->stat = s->p = NAN;
    double O[4] = {(double)a, (double)b, (double)c, (double)d};
    double r1 = O[0] + O[1], r2 = O[2] + O[3], c1 = O[0] + O[2], c2 = O[1] + O[3];
    double N = r1 + r2;
    double R[4] = {r1, r1, r2, r2}, C[4] = {c1, c2, c1, c2};
    for (int i = 0; i < 4; i++) s->expected[i] = N > 0 ? R[i] * C[i] / N : NAN;
    if (r1 == 0 || r2 == 0 || c1 == 0 || c2 == 0) return ERR_OK;
    double x2 = 0;
    for (int i = 0; i < 4; i++) {
        double dev = fabs(O[i] - s->expected[i]);
        if (yates) dev -= fmin(0.5, dev);
        x2 += dev * dev / s->expected[i];
    }
    s->stat = x2;
    s->p = gsl_cdf_chisq_Q(x2, 1.0);
    return ERR_OK;
}

int stats_adjust_find(const char *name)
{
    for (int i = 0; stats_adjust_names[i]; i++)
        if (strcmp(stats_adjust_names[i], name) == 0) return i;
    return -1;
}

/* A p-value with its position; sorted by value, ties by position (deterministic). */
typedef struct StatsRank {
    double p;
    size_t i;
} StatsRank;

static int stats_cmp_rank(const void *pa, const void *pb)
{
    const StatsRank *x = pa, *y = pb;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

int stats_adjust(const double *p, size_t m, int method, double *adj)
{
    if (method < 0 || method >= STATS_NADJUST)
        return err_set(ERR_INVAL, "stats: unknown adjustment method %d", method);
    size_t k = 0; /* the number of tests: non-NAN p-values */
    for (size_t i = 0; i < m; i++) {
        if (isnan(p[i])) continue;
        if (p[i] < 0 || p[i] > 1)
            return err_set(ERR_INVAL, "stats: p[%zu] = %g outside [0, 1]", i, p[i]);
        k++;
    }
    if (method == STATS_ADJUST_NONE || method == STATS_ADJUST_BONFERRONI) {
        int bonf = method == STATS_ADJUST_BONFERRONI;
        for (size_t i = 0; i < m; i++)
            adj[i] = bonf && !isnan(p[i]) ? fmin(1.0, (double)k * p[i]) : p[i]; /* fmin drops NAN */
        return ERR_OK;
    }
    /* BH: sort ascending, scale p_(j) by k/j, then a running minimum from the largest down. */
    StatsRank *rk = xmalloc((k ? k : 1) * sizeof *rk);
    size_t j = 0;
    for (size_t i = 0; i < m; i++)
        if (!isnan(p[i])) rk[j++] = (StatsRank){p[i], i};
    qsort(rk, k, sizeof *rk, stats_cmp_rank);
    double run = 1.0;
    for (size_t r = k; r-- > 0;) {
        run = fmin(run, rk[r].p * (double)k / (double)(r + 1));
        rk[r].p = run;
    }
    for (size_t i = 0; i < m; i++)
        if (isnan(p[i])) adj[i] = NAN;
    for (size_t r = 0; r < k; r++) adj[rk[r].i] = rk[r].p;
    free(rk);
    return ERR_OK;
}

double stats_jaccard(size_t both, size_t na, size_t nb)
{
    size_t uni = na + nb - both;
    return uni ? (double)both / (double)uni : NAN;
}
