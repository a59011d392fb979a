/* theory_forms: the library of named closed forms and bounds. Each entry gives a formula in t (the
 * number of fits, t = generation + 1), the specs it applies to and the simulator observable it
 * predicts. Derivations: paper/theory.md; the published ones cite their source here. Every form
 * is checked against an independent value in tests/check_theory.c. */
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>
#include <string.h>

#include "linalg.h"
#include "theory.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static int same_family(const SimSpec *s)
{
    return s->fit.type == s->data.type && s->fit.k == s->data.k;
}

/* An unweighted loop with the plain sampler and refit. */
static int plain_mle(const SimSpec *s)
{
    return same_family(s) && s->weight == &weight_none && s->temperature == 1 && s->ddof == 0;
}

static int is_gauss1(const SimSpec *s) { return s->fit.type == &dist_gaussian && same_family(s); }

/* Finite n, constant schedule, replace: the textbook resampling chain. */
static int replace_chain(const SimSpec *s)
{
    return s->n > 0 && s->mode == LOOP_REPLACE && s->schedule == LOOP_SCHED_CONSTANT;
}

/* 1 when the first fit (generation 0, on real data) is weighted. */
static double first_weighted(const SimSpec *s) { return s->scope == WEIGHT_SCOPE_ALL; }

static double col(const SimSpec *s, const double *row, LoopMetric m)
{
    int c = loop_col(s, m);
    return c >= 0 ? row[c] : NAN;
}

static double q_of(double n) { return (n - 1) / n; }

/* Truth's mean of coordinate coord and its variance (Gaussian families). */
static void gauss_truth(const SimSpec *s, double *mu, double *var)
{
    double mean[DIST_DIM_MAX], cov[DIST_DIM_MAX * DIST_DIM_MAX];
    s->data.type->moments(&s->data, s->theta_data, mean, cov);
    *mu = mean[s->coord];
    *var = cov[s->coord * s->data.dim + s->coord];
}

double theory_harmonic(double k)
{
    double h = 0;
    for (long i = (long)floor(k); i >= 1; i--) h += 1.0 / (double)i; /* small terms first */
    return h;
}

double theory_harmonic2(double k)
{
    double h = 0;
    for (long i = (long)floor(k); i >= 1; i--) h += 1.0 / ((double)i * (double)i);
    return h;
}

/* Observables. */
static double ob_var(const SimSpec *s, const double *a, int na, const double *row)
{
    double sd = col(s, row, LOOP_M_SD);
    return sd * sd;
}
static double ob_sd(const SimSpec *s, const double *a, int na, const double *row)
{
    return col(s, row, LOOP_M_SD);
}
static double ob_logvar(const SimSpec *s, const double *a, int na, const double *row)
{
    return log(ob_var(s, a, na, row));
}
static double ob_mean(const SimSpec *s, const double *a, int na, const double *row)
{
    return col(s, row, LOOP_M_MEAN);
}
/* (mean - mu0)^2 with mu0 = a[2] (gauss_mle_mean_msd) or the truth's mean. */
static double ob_msd(const SimSpec *s, const double *a, int na, const double *row)
{
    double d = col(s, row, LOOP_M_MEAN) - s->truth_mean;
    return d * d;
}
static double ob_invariant(const SimSpec *s, const double *a, int na, const double *row)
{
    return ob_var(s, a, na, row) + ob_msd(s, a, na, row);
}
/* (sd^2 - var0)^2: Var(sigma_t^2) when E sigma_t^2 = var0 = a[1]. */
static double ob_var_dev2(const SimSpec *s, const double *a, int na, const double *row)
{
    double d = ob_var(s, a, na, row) - a[1];
    return d * d;
}
static double ob_bias(const SimSpec *s, const double *a, int na, const double *row)
{
    return col(s, row, LOOP_M_BIAS);
}
/* The mean's drift from the truth's mean (the bias of a mean statistic, whatever the
 * configured statistic is). */
static double ob_mean_bias(const SimSpec *s, const double *a, int na, const double *row)
{
    return col(s, row, LOOP_M_MEAN) - s->truth_mean;
}
static double ob_gini(const SimSpec *s, const double *a, int na, const double *row)
{
    return col(s, row, LOOP_M_GINI);
}
static double ob_lost(const SimSpec *s, const double *a, int na, const double *row)
{
    return col(s, row, LOOP_M_LOST);
}
static double ob_lost_mass(const SimSpec *s, const double *a, int na, const double *row)
{
    return col(s, row, LOOP_M_LOST_MASS);
}
static double ob_share(const SimSpec *s, const double *a, int na, const double *row)
{
    return row[loop_col(s, LOOP_M_SHARE0) + s->cls];
}
static double ob_fixed(const SimSpec *s, const double *a, int na, const double *row)
{
    double p = ob_share(s, a, na, row);
    return isfinite(p) ? (p >= 1 - 1e-12) : NAN;
}

/* det and trace of the truth's covariance (gaussian_nd) */
static void nd_truth(const SimSpec *s, double *det, double *tr)
{
    int d = s->data.k;
    double A[DIST_DIM_MAX * DIST_DIM_MAX];
    la_unpack(d, s->theta_data + d, A);
    *tr = 0;
    for (int i = 0; i < d; i++) *tr += A[i * d + i];
    *det = la_chol(d, A) ? exp(la_chol_logdet(d, A)) : 0;
}
static double ob_det_ratio(const SimSpec *s, const double *a, int na, const double *row)
{
    double det, tr;
    nd_truth(s, &det, &tr);
    return col(s, row, LOOP_M_COV_DET) / det;
}
static double ob_trace_ratio(const SimSpec *s, const double *a, int na, const double *row)
{
    double det, tr;
    nd_truth(s, &det, &tr);
    return col(s, row, LOOP_M_COV_TRACE) / tr;
}

/* ---- Gaussian resampling (issue 3's validation list; Shumailov et al. 2024, Nature 631:755,
 * analyse the same chain). sigma_t^2 = sigma_{t-1}^2 chi2_{n-1} / n given the past. -------- */

static int ap_gauss_mle(const SimSpec *s, double *a, int *na)
{
    if (!(is_gauss1(s) && plain_mle(s) && replace_chain(s))) return 0;
    double mu, var;
    gauss_truth(s, &mu, &var);
    a[0] = (double)s->n;
    a[1] = var;
    a[2] = mu;
    *na = 3;
    return 1;
}
/* E[sigma_t^2] = var0 ((n-1)/n)^t */
static double ev_gauss_mle_var(const double *a, int na, double t)
{
    return a[1] * pow(q_of(a[0]), t);
}
/* E[(mu_t - mu0)^2] = var0 (1 - ((n-1)/n)^t): the invariant minus E sigma_t^2 */
static double ev_gauss_mle_msd(const double *a, int na, double t)
{
    return a[1] * (1 - pow(q_of(a[0]), t));
}
/* E[sigma_t] = sigma0 c_n^t, c_n = E[sqrt(chi2_{n-1} / n)] = sqrt(2/n) Gamma(n/2) /
 * Gamma((n-1)/2) */
static double ev_gauss_mle_sd(const double *a, int na, double t)
{
    double n = a[0];
    double cn = sqrt(2 / n) * exp(gsl_sf_lngamma(n / 2) - gsl_sf_lngamma((n - 1) / 2));
    return sqrt(a[1]) * pow(cn, t);
}
/* E[ln sigma_t^2] = ln var0 + t (psi((n-1)/2) + ln(2/n)): E ln chi2_k = psi(k/2) + ln 2 */
static double ev_gauss_mle_logvar(const double *a, int na, double t)
{
    double n = a[0];
    return log(a[1]) + t * (gsl_sf_psi((n - 1) / 2) + log(2 / n));
}

static int ap_gauss_unbiased(const SimSpec *s, double *a, int *na)
{
    if (!(is_gauss1(s) && s->weight == &weight_none && s->temperature == 1 && s->ddof == 1 &&
          replace_chain(s)))
        return 0;
    double mu;
    a[0] = (double)s->n;
    gauss_truth(s, &mu, &a[1]);
    *na = 2;
    return 1;
}
/* ddof 1: E[sigma_t^2] = var0 (a martingale) */
static double ev_gauss_unbiased_var(const double *a, int na, double t) { return a[1]; }
/* Var(sigma_t^2) = var0^2 ((1 + 2/(n-1))^t - 1): E[(chi2_{n-1}/(n-1))^2] = 1 + 2/(n-1) */
static double ev_gauss_unbiased_var_var(const double *a, int na, double t)
{
    return a[1] * a[1] * (pow(1 + 2 / (a[0] - 1), t) - 1);
}

/* E[sigma_t^2 + (mu_t - mu0)^2] = var0 in every mode and schedule: the ddof-0 MLE satisfies
 * sigma^2 + (mu - c)^2 = mean of (x_i - c)^2, whose conditional expectation is a convex
 * combination of the blocks' sigma^2 + (mu - mu0)^2 (paper/theory.md, section 5). */
static int ap_gauss_invariant(const SimSpec *s, double *a, int *na)
{
    if (!(is_gauss1(s) && plain_mle(s) && s->n > 0)) return 0;
    gauss_truth(s, &a[1], &a[0]);
    *na = 2;
    return 1;
}
static double ev_first(const double *a, int na, double t) { return a[0]; }

/* Accumulation bounds a zero-mean error: e_t = e_{t-1} + z_t / t with Var z_t <= var0 / n, so
 * E[(mu_t - mu0)^2] <= (var0/n) sum_{k<=t} 1/k^2 < var0 pi^2 / (6 n). The Gaussian-mean (d = 1,
 * intercept-only) case of Gerstgrasser et al. (2024) below, derived in paper/theory.md. */
static int ap_gauss_accum(const SimSpec *s, double *a, int *na)
{
    if (!(is_gauss1(s) && plain_mle(s) && s->n > 0 && s->mode == LOOP_ACCUMULATE &&
          s->schedule == LOOP_SCHED_CONSTANT))
        return 0;
    a[0] = (double)s->n;
    gauss_truth(s, &a[2], &a[1]);
    *na = 3;
    return 1;
}
static double ev_gauss_accum(const double *a, int na, double t)
{
    return a[1] / a[0] * theory_harmonic2(t);
}

/* d-D Gaussian: n Sigma_t ~ Wishart_d(n-1, Sigma_{t-1}), E det W_d(k, S) = det S prod_{i<d}(k-i)
 * (Muirhead 1982, Thm 3.2.15 via the Bartlett decomposition), E tr = (n-1)/n tr. */
static int ap_gauss_nd(const SimSpec *s, double *a, int *na)
{
    if (!(s->fit.type == &dist_gaussian_nd && s->fit.k >= 2 && plain_mle(s) && replace_chain(s)))
        return 0;
    a[0] = (double)s->n;
    a[1] = s->fit.k;
    *na = 2;
    return 1;
}
static double ev_gauss_nd_det(const double *a, int na, double t)
{
    double f = 1;
    for (int i = 1; i <= (int)a[1]; i++) f *= (a[0] - i) / a[0];
    return pow(f, t);
}
static double ev_gauss_nd_trace(const double *a, int na, double t) { return pow(q_of(a[0]), t); }

/* ---- categorical resampling (neutral Wright-Fisher drift; Wright 1931, Genetics 16:97) ------ */

static int ap_cat_mle(const SimSpec *s, double *a, int *na)
{
    if (!(s->fit.type == &dist_categorical && plain_mle(s) && replace_chain(s))) return 0;
    int K = s->fit.k;
    a[0] = (double)s->n;
    a[1] = K;
    for (int c = 0; c < K; c++) a[2 + c] = s->theta_data[c];
    *na = 2 + K;
    return 1;
}
/* p_k of the argument list (uniform when only n and K are given) */
static double cat_p(const double *a, int na, int c)
{
    return na > 2 ? a[2 + c] : 1.0 / a[1];
}
/* E[Gini-Simpson_t] = GS* (1 - 1/n)^t: E[sum_k phat_k^2] = sum p_k^2 + (1 - sum p_k^2)/n */
static double ev_cat_gini(const double *a, int na, double t)
{
    double gs = 1;
    for (int c = 0; c < (int)a[1]; c++) gs -= cat_p(a, na, c) * cat_p(a, na, c);
    return gs * pow(1 - 1 / a[0], t);
}
/* one generation: E[#classes lost] = sum_k (1 - p_k)^n over the classes the truth has */
static double ev_cat_empty(const double *a, int na, double t)
{
    if (t != 1) return NAN;
    double e = 0;
    for (int c = 0; c < (int)a[1]; c++)
        if (cat_p(a, na, c) > 0) e += pow(1 - cat_p(a, na, c), a[0]);
    return e;
}
/* one generation: E[lost mass] = sum_k p_k (1 - p_k)^n */
static double ev_cat_lost_mass(const double *a, int na, double t)
{
    if (t != 1) return NAN;
    double e = 0;
    for (int c = 0; c < (int)a[1]; c++) e += cat_p(a, na, c) * pow(1 - cat_p(a, na, c), a[0]);
    return e;
}

/* ---- no drift without a push ---------------------------------------------------------------- */

/* Unweighted refits of a statistic that is a mean parameter are martingales: E[b_t] = 0 at any n
 * (Gaussian, d-D Gaussian, Poisson and linreg means, categorical shares and class means), and
 * the population map is the identity (the MLE is Fisher-consistent). */
static int stat_is_mean_param(const SimSpec *s)
{
    const DistType *t = s->fit.type;
    if (s->statistic == LOOP_STAT_SHARE) return t == &dist_categorical;
    if (s->statistic != LOOP_STAT_MEAN) return 0;
    if (t == &dist_linreg) return s->coord == s->fit.dim - 1;
    return t == &dist_gaussian || t == &dist_gaussian_nd || t == &dist_poisson ||
           t == &dist_categorical;
}
static int ap_no_drift(const SimSpec *s, double *a, int *na)
{
    *na = 0;
    return s->n > 0 && same_family(s) && s->weight == &weight_none && s->temperature == 1 &&
           stat_is_mean_param(s);
}
static int ap_fixed_point(const SimSpec *s, double *a, int *na)
{
    *na = 0;
    return same_family(s) && s->weight == &weight_none && s->temperature == 1;
}
static double ev_zero(const double *a, int na, double t) { return 0; }

/* ---- conjugate population maps ------------------------------------------------------------- */

/* Beta(a,b) Beta(c,d)^gamma is Beta(a + gamma(c-1), b + gamma(d-1)); the MLE of a Beta law is
 * itself. Previous-density weights: theta_t - 1 = (1+gamma)^{t-1} (theta* - 1 + gamma(theta_pre
 * - 1)) (Wang, Wu et al. 2024, Fig. 10: Beta(1 + 3 2^g, 1 + 2 2^g)). Returns the Beta mean. */
static int ap_beta_prev(const SimSpec *s, double *a, int *na)
{
    if (!(s->fit.type == &dist_beta && same_family(s) && s->weight == &weight_prev_density &&
          s->mode == LOOP_REPLACE))
        return 0;
    a[0] = s->theta_data[0];
    a[1] = s->theta_data[1];
    a[2] = s->theta_pre[0];
    a[3] = s->theta_pre[1];
    a[4] = s->gamma;
    a[5] = first_weighted(s);
    *na = 6;
    return 1;
}
static double ev_beta_prev(const double *a, int na, double t)
{
    double f = pow(1 + a[4], t - 1), w = na > 5 ? a[5] : 1; /* w = 0: theta_0 = theta* */
    double A = 1 + f * (a[0] - 1 + w * a[4] * (a[2] - 1));
    double B = 1 + f * (a[1] - 1 + w * a[4] * (a[3] - 1));
    return A / (A + B);
}
/* Fixed pretrained weights: theta_t = theta* + t gamma (theta_pre - 1). */
static int ap_beta_pre(const SimSpec *s, double *a, int *na)
{
    if (!(s->fit.type == &dist_beta && same_family(s) && s->weight == &weight_pre_density &&
          s->mode == LOOP_REPLACE && s->scope == WEIGHT_SCOPE_ALL))
        return 0;
    a[0] = s->theta_data[0];
    a[1] = s->theta_data[1];
    a[2] = s->theta_pre[0];
    a[3] = s->theta_pre[1];
    a[4] = s->gamma;
    *na = 5;
    return 1;
}
static double ev_beta_pre(const double *a, int na, double t)
{
    double A = a[0] + t * a[4] * (a[2] - 1), B = a[1] + t * a[4] * (a[3] - 1);
    return A / (A + B);
}

/* N(mu, s^2) N(m, v)^gamma has precision 1/s^2 + gamma/v. Weighting by the model's own density:
 * precision x (1+gamma) per fit, mean fixed (collapse without bias). */
static int ap_gauss_self(const SimSpec *s, double *a, int *na)
{
    if (!(is_gauss1(s) && s->weight == &weight_prev_density && s->mode == LOOP_REPLACE &&
          s->temperature == 1))
        return 0;
    a[0] = s->theta_data[1];
    a[1] = s->theta_pre[1];
    a[2] = s->gamma;
    a[3] = first_weighted(s);
    *na = 4;
    return 1;
}
static double ev_gauss_self(const double *a, int na, double t)
{
    double w = na > 3 ? a[3] : 1;
    double prec = 1 / (a[0] * a[0]) + w * a[2] / (a[1] * a[1]);
    return 1 / sqrt(prec * pow(1 + a[2], t - 1));
}
/* Fixed pretrained weights: precision tau* + t gamma / s_pre^2, precision-weighted mean. */
static int ap_gauss_pre(const SimSpec *s, double *a, int *na)
{
    if (!(is_gauss1(s) && s->weight == &weight_pre_density && s->mode == LOOP_REPLACE &&
          s->scope == WEIGHT_SCOPE_ALL && s->temperature == 1))
        return 0;
    a[0] = s->theta_data[0];
    a[1] = s->theta_data[1];
    a[2] = s->theta_pre[0];
    a[3] = s->theta_pre[1];
    a[4] = s->gamma;
    *na = 5;
    return 1;
}
static double ev_gauss_pre(const double *a, int na, double t)
{
    double ts = 1 / (a[1] * a[1]), tp = t * a[4] / (a[3] * a[3]);
    return (ts * a[0] + tp * a[2]) / (ts + tp);
}
/* Tilt e^{lambda x_c}: N(mu, Sigma) -> N(mu + lambda Sigma_{.c}, Sigma), so the mean of x_c moves
 * by lambda Sigma_cc per weighted fit and the covariance stays (bias without collapse). */
static int ap_gauss_tilt(const SimSpec *s, double *a, int *na)
{
    if (!((is_gauss1(s) || (s->fit.type == &dist_gaussian_nd && same_family(s))) &&
          s->weight == &weight_tilt && s->mode == LOOP_REPLACE && s->temperature == 1))
        return 0;
    double var;
    gauss_truth(s, &a[0], &var);
    a[1] = sqrt(var);
    a[2] = s->lambda;
    a[3] = first_weighted(s);
    *na = 4;
    return 1;
}
static double ev_gauss_tilt(const double *a, int na, double t)
{
    double w = na > 3 ? a[3] : 1;
    return a[0] + (t - 1 + w) * a[2] * a[1] * a[1];
}
/* Poisson(L) e^{lambda x} is Poisson(L e^lambda). */
static int ap_poisson_tilt(const SimSpec *s, double *a, int *na)
{
    if (!(s->fit.type == &dist_poisson && same_family(s) && s->weight == &weight_tilt &&
          s->mode == LOOP_REPLACE))
        return 0;
    a[0] = s->theta_data[0];
    a[1] = s->lambda;
    a[2] = first_weighted(s);
    *na = 3;
    return 1;
}
static double ev_poisson_tilt(const double *a, int na, double t)
{
    double w = na > 2 ? a[2] : 1;
    return a[0] * exp((t - 1 + w) * a[1]);
}
/* A weight B on class c multiplies its odds by B per weighted fit:
 * p_c,t = p_c B^m / (p_c B^m + 1 - p_c), m = weighted fits so far. */
static int ap_cat_weight(const SimSpec *s, double *a, int *na)
{
    if (!(s->fit.type == &dist_categorical && same_family(s) && s->mode == LOOP_REPLACE &&
          s->temperature == 1 &&
          (s->weight == &weight_tilt || s->weight == &weight_category)))
        return 0;
    a[0] = s->weight == &weight_tilt ? s->lambda : log1p(s->boost);
    a[1] = s->theta_data[s->cls];
    a[2] = first_weighted(s);
    *na = 3;
    return 1;
}
static double ev_cat_weight(const double *a, int na, double t)
{
    double w = na > 2 ? a[2] : 1, p = a[1];
    if (p <= 0 || p >= 1) return p;
    double lo = log(p / (1 - p)) + (t - 1 + w) * a[0];
    return 1 / (1 + exp(-lo));
}
/* Sampling at temperature tau (p^{1/tau}, renormalised) after each fit: every log-ratio is
 * multiplied by 1/tau per generation, log p_k,t = tau^{-(t-1)} log p*_k - log Z. */
static int ap_cat_temp(const SimSpec *s, double *a, int *na)
{
    if (!(s->fit.type == &dist_categorical && same_family(s) && s->weight == &weight_none &&
          s->temperature != 1 && s->mode == LOOP_REPLACE))
        return 0;
    int K = s->fit.k;
    a[0] = s->temperature;
    a[1] = s->cls;
    for (int c = 0; c < K; c++) a[2 + c] = s->theta_data[c];
    *na = 2 + K;
    return 1;
}
static double ev_cat_temp(const double *a, int na, double t)
{
    int K = na - 2, c = (int)a[1];
    double e = pow(a[0], -(t - 1)), m = -INFINITY, z = 0;
    if (c < 0 || c >= K) return NAN;
    for (int k = 0; k < K; k++)
        if (a[2 + k] > 0) m = fmax(m, e * log(a[2 + k]));
    for (int k = 0; k < K; k++)
        if (a[2 + k] > 0) z += exp(e * log(a[2 + k]) - m);
    return a[2 + c] > 0 ? exp(e * log(a[2 + c]) - m) / z : 0;
}

/* ---- a constant push delta per weighted fit (paper/theory.md, section 6) -------------------- */

/* The Gaussian tilt is the constant push delta = lambda Sigma_cc (exactly under replace; under
 * preserve and accumulate the pooled variance grows by O(delta^2), so there it is approximate). */
static int ap_push(const SimSpec *s, double *a, int *na, LoopMode mode)
{
    int gauss = is_gauss1(s) || (s->fit.type == &dist_gaussian_nd && same_family(s));
    if (!(gauss && s->weight == &weight_tilt && s->temperature == 1)) return 0;
    int m = s->mode, ok;
    switch (mode) {
    case LOOP_PRESERVE: ok = m == LOOP_PRESERVE || m == LOOP_PRESERVE_POOL; break;
    case LOOP_ACCUMULATE: /* equal block shares */
        ok = (m == LOOP_ACCUMULATE || m == LOOP_ACCUMULATE_SUBSAMPLE) &&
             s->schedule == LOOP_SCHED_CONSTANT;
        break;
    default: ok = m == LOOP_REPLACE;
    }
    if (!ok) return 0;
    double mu, var;
    gauss_truth(s, &mu, &var);
    a[0] = s->lambda * var;
    *na = 1;
    if (mode == LOOP_PRESERVE) a[(*na)++] = s->rho;
    a[(*na)++] = first_weighted(s);
    return 1;
}
static int ap_push_replace(const SimSpec *s, double *a, int *na)
{
    return ap_push(s, a, na, LOOP_REPLACE);
}
static int ap_push_preserve(const SimSpec *s, double *a, int *na)
{
    return ap_push(s, a, na, LOOP_PRESERVE);
}
static int ap_push_accumulate(const SimSpec *s, double *a, int *na)
{
    return ap_push(s, a, na, LOOP_ACCUMULATE);
}
/* replace: b_t = (t - 1 + f) delta, f = 1 when the first fit is weighted */
static double ev_push_replace(const double *a, int na, double t)
{
    double f = na > 1 ? a[1] : 1;
    return (t - 1 + f) * a[0];
}
/* preserve: b_t = (1-rho)(b_{t-1} + delta) (weight on the synthetic part) -> delta (1-rho)/rho
 * (1 - (1-rho)^{t-1}); b_t = (1-rho) b_{t-1} + delta (whole pool) -> delta/rho (1 - (1-rho)^t) */
static double ev_push_preserve(const double *a, int na, double t)
{
    double d = a[0], rho = a[1], f = na > 2 ? a[2] : 1;
    if (rho < 1e-12) return (t - 1 + f) * d;
    return f ? d / rho * (1 - pow(1 - rho, t)) : d * (1 - rho) / rho * (1 - pow(1 - rho, t - 1));
}
static double ev_push_preserve_limit(const double *a, int na, double t)
{
    double d = a[0], rho = a[1], f = na > 2 ? a[2] : 1;
    if (rho <= 0) return copysign(INFINITY, d);
    return f ? d / rho : d * (1 - rho) / rho;
}
/* accumulate with the weight applied at fit time to every block: b_t - b_{t-1} = delta / t, so
 * b_t = delta H_t (whole pool) or delta (H_t - 1) (synthetic blocks only): unbounded, log t. */
static double ev_push_accumulate(const double *a, int na, double t)
{
    double f = na > 1 ? a[1] : 1;
    return a[0] * (theory_harmonic(t) - 1 + f);
}

/* Preserve + weighting by the model's own density on the synthetic part: the variance obeys
 * s_t^2 = (1-rho) s_{t-1}^2 / (1+gamma) + rho var0, fixed point s^2 = rho (1+gamma) var0 /
 * (gamma + rho): fresh real data stops the collapse at a positive variance. */
static int ap_preserve_density(const SimSpec *s, double *a, int *na)
{
    if (!(is_gauss1(s) && s->weight == &weight_prev_density && s->temperature == 1 &&
          s->scope == WEIGHT_SCOPE_SYNTHETIC &&
          (s->mode == LOOP_PRESERVE || s->mode == LOOP_PRESERVE_POOL)))
        return 0;
    double mu;
    gauss_truth(s, &mu, &a[0]);
    a[1] = s->rho;
    a[2] = s->gamma;
    *na = 3;
    return 1;
}
static double preserve_density_fixed(const double *a)
{
    return a[1] * (1 + a[2]) * a[0] / (a[2] + a[1]);
}
static double ev_preserve_density(const double *a, int na, double t)
{
    double r = (1 - a[1]) / (1 + a[2]), v = preserve_density_fixed(a);
    if (a[1] + a[2] == 0) return sqrt(a[0]);
    return sqrt(v + (a[0] - v) * pow(r, t - 1));
}
static double ev_preserve_density_limit(const double *a, int na, double t)
{
    return a[1] + a[2] == 0 ? sqrt(a[0]) : sqrt(preserve_density_fixed(a));
}

/* ---- published results for other models (callable by name) --------------------------------- */

/* Taori & Hashimoto (2023), "Data Feedback Loops: Model-driven Amplification of Dataset Biases",
 * ICML, Theorem 1: a data set that starts with n0 human samples and grows by m human and k
 * model-labelled samples per round, retrained each round, with every model reproducing its
 * training set's bias statistic within delta ("consistent calibration"). The data set's bias
 * obeys B_i = (n_i - m)/n_i B_{i-1} + (k/n_i) eps_{i-1}, n_i = n0 + i(m+k), so after r rounds
 * |model bias| <= delta (1 + sum_{i=1}^r (k/n_i) prod_{j=i+1}^r (n_j - m)/n_j), which tends to
 * delta (1 + k/m) = delta / rho with rho = m/(m+k) (biasamp's preserve fixed point), and with
 * m = 0, n0 = k to delta H_{r+1} (biasamp's accumulate). Rounds r = t - 1. */
static double ev_taori(const double *a, int na, double t)
{
    double n0 = a[0], m = a[1], k = a[2], d = a[3], sum = 0, prod = 1;
    long r = (long)floor(t) - 1;
    for (long i = r; i >= 1; i--) { /* prod = prod_{j=i+1}^r (n_j - m)/n_j */
        double ni = n0 + (double)i * (m + k);
        sum += k / ni * prod;
        prod *= (ni - m) / ni;
    }
    return d * (1 + sum);
}
static double ev_taori_limit(const double *a, int na, double t)
{
    return a[1] > 0 ? a[3] * (1 + a[2] / a[1]) : INFINITY;
}
/* Linear regression y = x'w + e, x ~ N(0, I_d), e ~ N(0, sigma^2), T samples per fit, the design
 * shared by the fits, labels of fit t >= 2 generated by the previous fit with fresh noise.
 * Replace (Dohmatob, Feng & Kempe 2024, "Model Collapse Demystified: The Case of Regression",
 * arXiv:2402.07712): E||w_t - w||^2 = t sigma^2 d / (T - d - 1). Accumulate (Gerstgrasser et al.
 * 2024, "Is Model Collapse Inevitable?", arXiv:2404.01413): sigma^2 d / (T - d - 1) sum_{i<=t}
 * 1/i^2 < pi^2/6 sigma^2 d / (T - d - 1). Both use E tr (X'X)^-1 = d / (T - d - 1) (inverse
 * Wishart mean); derivation in paper/theory.md. */
static double regr_unit(const double *a) { return a[0] * a[1] / (a[2] - a[1] - 1); }
static double ev_dohmatob(const double *a, int na, double t) { return t * regr_unit(a); }
static double ev_gerstgrasser(const double *a, int na, double t)
{
    return regr_unit(a) * theory_harmonic2(t);
}
static double ev_gerstgrasser_limit(const double *a, int na, double t)
{
    return regr_unit(a) * M_PI * M_PI / 6;
}
/* Kimura (1962), "On the probability of fixation of mutant genes in a population", Genetics
 * 47:713, diffusion approximation for a haploid Wright-Fisher population of n with selection s
 * (drift s p(1-p), variance p(1-p)/n): u(p) = (1 - e^{-2nsp}) / (1 - e^{-2ns}); u = p at s = 0.
 * A category weight 1+s refitted on n samples is this chain for the class's share. */
static int ap_kimura(const SimSpec *s, double *a, int *na)
{
    if (!(s->fit.type == &dist_categorical && same_family(s) && s->temperature == 1 &&
          replace_chain(s) && (s->weight == &weight_category || s->weight == &weight_tilt)))
        return 0;
    double sel = s->weight == &weight_tilt ? expm1(s->lambda) : s->boost, p = s->theta_data[s->cls];
    if (s->scope == WEIGHT_SCOPE_ALL) p = p * (1 + sel) / (1 + sel * p);
    a[0] = (double)s->n;
    a[1] = sel;
    a[2] = p;
    *na = 3;
    return 1;
}
static double ev_kimura(const double *a, int na, double t)
{
    double n = a[0], sel = a[1], p = a[2];
    if (fabs(2 * n * sel) < 1e-12) return p;
    return -expm1(-2 * n * sel * p) / -expm1(-2 * n * sel);
}

/* ---- the table ------------------------------------------------------------------------------ */

#define MC THEORY_MC
#define POP THEORY_POP
#define BOUND THEORY_BOUND
#define LIMIT THEORY_LIMIT
#define SRC_I3 "issue 3 validation list; Shumailov et al. (2024) Nature 631:755"
#define SRC_PUSH "paper/theory.md section 6 (constant push)"

const TheoryForm theory_forms[] = {
    {"gauss_mle_var", MC, "E[sigma_t^2]", "var0 ((n-1)/n)^t", SRC_I3, "n var0 mu0", 2, 3,
     ev_gauss_mle_var, ap_gauss_mle, ob_var, NULL, 1},
    {"gauss_mle_mean_msd", MC, "E[(mu_t - mu0)^2]", "var0 (1 - ((n-1)/n)^t)", SRC_I3,
     "n var0 mu0", 2, 3, ev_gauss_mle_msd, ap_gauss_mle, ob_msd, NULL, 1},
    {"gauss_mle_sd", MC, "E[sigma_t]",
     "sqrt(var0) c_n^t, c_n = sqrt(2/n) Gamma(n/2)/Gamma((n-1)/2)", SRC_I3, "n var0 mu0", 2, 3,
     ev_gauss_mle_sd, ap_gauss_mle, ob_sd, "sd", 1},
    {"gauss_mle_logvar", MC, "E[ln sigma_t^2]", "ln var0 + t (psi((n-1)/2) + ln(2/n))", SRC_I3,
     "n var0 mu0", 2, 3, ev_gauss_mle_logvar, ap_gauss_mle, ob_logvar, NULL, 1},
    {"gauss_unbiased_var", MC, "E[sigma_t^2] (ddof 1)", "var0", "issue 3 validation list",
     "n var0", 2, 2, ev_gauss_unbiased_var, ap_gauss_unbiased, ob_var, NULL, 1},
    {"gauss_unbiased_var_var", MC, "Var(sigma_t^2) (ddof 1)", "var0^2 ((1 + 2/(n-1))^t - 1)",
     "issue 3 validation list", "n var0", 2, 2, ev_gauss_unbiased_var_var, ap_gauss_unbiased,
     ob_var_dev2, NULL, 1},
    {"gauss_invariant", MC, "E[sigma_t^2 + (mu_t - mu0)^2]", "var0 (every mode and schedule)",
     "issue 3 validation list; paper/theory.md section 5", "var0 mu0", 1, 2, ev_first,
     ap_gauss_invariant, ob_invariant, NULL, 1},
    {"gauss_accum_mean_bound", BOUND, "E[(mu_t - mu0)^2] (accumulate)",
     "<= (var0/n) sum_{k<=t} 1/k^2 < var0 pi^2/(6n)",
     "paper/theory.md section 6; the d = 1 case of Gerstgrasser et al. (2024)", "n var0 mu0", 2,
     3, ev_gauss_accum, ap_gauss_accum, ob_msd, NULL, 1},
    {"gauss_nd_det", MC, "E[det Sigma_t] / det Sigma0", "(prod_{i=1..d} (n-i)/n)^t",
     "issue 3 validation list; Wishart determinant (Muirhead 1982)", "n d", 2, 2,
     ev_gauss_nd_det, ap_gauss_nd, ob_det_ratio, NULL, 1},
    {"gauss_nd_trace", MC, "E[tr Sigma_t] / tr Sigma0", "((n-1)/n)^t", "issue 3 validation list",
     "n d", 1, 2, ev_gauss_nd_trace, ap_gauss_nd, ob_trace_ratio, NULL, 1},
    {"cat_gini", MC, "E[Gini-Simpson_t]", "GS* (1 - 1/n)^t",
     "issue 3 validation list; Wright (1931), heterozygosity under drift", "n K p_1..p_K", 2,
     2 + DIST_PARAM_MAX, ev_cat_gini, ap_cat_mle, ob_gini, "gini_simpson", 1},
    {"cat_empty", MC, "E[#classes lost] after one fit", "sum_k (1 - p_k)^n (t = 1 only)",
     "issue 3 validation list", "n K p_1..p_K", 2, 2 + DIST_PARAM_MAX, ev_cat_empty, ap_cat_mle,
     ob_lost, "lost_classes", 1},
    {"cat_lost_mass", MC, "E[lost mass] after one fit", "sum_k p_k (1 - p_k)^n (t = 1 only)",
     "issue 3 validation list", "n K p_1..p_K", 2, 2 + DIST_PARAM_MAX, ev_cat_lost_mass,
     ap_cat_mle, ob_lost_mass, "lost_mass", 1},
    {"mle_no_drift", MC, "E[b_t] (unweighted, mean-parameter statistic)", "0 (a martingale)",
     "paper/theory.md section 3 (necessary condition)", "", 0, 0, ev_zero, ap_no_drift, ob_bias,
     "bias", 1},
    {"mle_fixed_point", POP, "b_t at n = inf (unweighted)", "b_0 (the map is the identity)",
     "paper/theory.md section 3 (Fisher consistency)", "", 0, 0, ev_zero, ap_fixed_point,
     ob_bias, "bias", 1},
    {"beta_density_weight", POP, "Beta mean, previous-density weights",
     "theta_t = 1 + (1+gamma)^{t-1} (theta* - 1 + f gamma (theta_pre - 1))",
     "Wang, Wu et al. (2024) Fig. 10; paper/theory.md section 4", "a b a_pre b_pre gamma f", 5, 6,
     ev_beta_prev, ap_beta_prev, ob_mean, "mean", 1},
    {"beta_pretrained_weight", POP, "Beta mean, fixed pretrained-density weights",
     "theta_t = theta* + t gamma (theta_pre - 1)", "paper/theory.md section 4",
     "a b a_pre b_pre gamma", 5, 5, ev_beta_pre, ap_beta_pre, ob_mean, "mean", 1},
    {"gauss_self_density", POP, "sigma_t, previous-density weights",
     "precision (1/s*^2 + f gamma/s_pre^2) (1+gamma)^{t-1}",
     "issue 3 validation list; paper/theory.md section 5", "sd sd_pre gamma f", 3, 4,
     ev_gauss_self, ap_gauss_self, ob_sd, "sd", 1},
    {"gauss_pretrained_weight", POP, "mu_t, fixed pretrained-density weights",
     "(mu*/s*^2 + t gamma mu_pre/s_pre^2) / (1/s*^2 + t gamma/s_pre^2)",
     "paper/theory.md section 5", "mu sd mu_pre sd_pre gamma", 5, 5, ev_gauss_pre, ap_gauss_pre,
     ob_mean, "mean", 1},
    {"gauss_tilt", POP, "mu_t, tilt exp(lambda x)", "mu* + (t - 1 + f) lambda sigma*^2",
     "issue 3 validation list; paper/theory.md section 5", "mu sd lambda f", 3, 4, ev_gauss_tilt,
     ap_gauss_tilt, ob_mean, "mean", 1},
    {"poisson_tilt", POP, "lambda_t, tilt exp(lambda x)", "lambda* e^{(t - 1 + f) lambda}",
     "paper/theory.md section 5", "lambda0 lambda f", 2, 3, ev_poisson_tilt, ap_poisson_tilt,
     ob_mean, "mean", 1},
    {"cat_weight", POP, "share of the weighted class",
     "odds x B per weighted fit: logit p_t = logit p* + (t - 1 + f) ln B",
     "paper/theory.md section 7",
     "lnB p f", 2, 3, ev_cat_weight, ap_cat_weight, ob_share, NULL, 1},
    {"cat_temperature", POP, "share of class c at temperature tau",
     "log p_k,t = tau^{-(t-1)} log p*_k - log Z",
     "issue 3 validation list; paper/theory.md section 7",
     "tau c p_1..p_K", 4, 2 + DIST_PARAM_MAX, ev_cat_temp, ap_cat_temp, ob_share, NULL, 1},
    {"push_replace", POP, "b_t, constant push delta, replace", "(t - 1 + f) delta", SRC_PUSH,
     "delta f", 1, 2, ev_push_replace, ap_push_replace, ob_mean_bias, NULL, 1},
    {"push_preserve", POP, "b_t, constant push delta, preserve rho",
     "f = 1: delta/rho (1 - (1-rho)^t); f = 0: delta (1-rho)/rho (1 - (1-rho)^{t-1})", SRC_PUSH,
     "delta rho f", 2, 3, ev_push_preserve, ap_push_preserve, ob_mean_bias, NULL, 0},
    {"push_preserve_limit", LIMIT, "b_inf, constant push delta, preserve rho",
     "f = 1: delta/rho; f = 0: delta (1-rho)/rho", SRC_PUSH, "delta rho f", 2, 3,
     ev_push_preserve_limit, ap_push_preserve, ob_mean_bias, NULL, 0},
    {"push_accumulate", POP, "b_t, constant push delta, accumulate", "delta (H_t - 1 + f)",
     SRC_PUSH, "delta f", 1, 2, ev_push_accumulate, ap_push_accumulate, ob_mean_bias, NULL, 0},
    {"preserve_density_sd", POP, "sigma_t, own-density weights on the synthetic part, preserve",
     "s_t^2 = s^2 + (var0 - s^2) ((1-rho)/(1+gamma))^{t-1}, s^2 = rho (1+gamma) var0/(gamma+rho)",
     "paper/theory.md section 6", "var0 rho gamma", 3, 3, ev_preserve_density,
     ap_preserve_density, ob_sd, "sd", 1},
    {"preserve_density_limit", LIMIT, "sigma_inf, own-density weights, preserve",
     "sqrt(rho (1+gamma) var0 / (gamma + rho))", "paper/theory.md section 6", "var0 rho gamma", 3,
     3, ev_preserve_density_limit, ap_preserve_density, ob_sd, "sd", 1},
    {"taori_hashimoto", BOUND, "|model bias| after t-1 feedback rounds",
     "delta (1 + sum_{i<t} (k/n_i) prod_{i<j<t} (n_j - m)/n_j), n_i = n0 + i(m+k)",
     "Taori & Hashimoto (2023) ICML, Thm 1", "n0 m k delta", 4, 4, ev_taori, NULL, NULL, NULL, 1},
    {"taori_hashimoto_limit", LIMIT, "|model bias| as t -> inf", "delta (1 + k/m)",
     "Taori & Hashimoto (2023) ICML, Thm 1", "n0 m k delta", 4, 4, ev_taori_limit, NULL, NULL,
     NULL, 1},
    {"dohmatob_replace", MC, "E||w_t - w||^2, linear regression, replace", "t sigma2 d/(T-d-1)",
     "Dohmatob, Feng & Kempe (2024) arXiv:2402.07712", "sigma2 d T", 3, 3, ev_dohmatob, NULL,
     NULL, NULL, 1},
    {"gerstgrasser_accumulate", MC, "E||w_t - w||^2, linear regression, accumulate",
     "sigma2 d/(T-d-1) sum_{i<=t} 1/i^2", "Gerstgrasser et al. (2024) arXiv:2404.01413",
     "sigma2 d T", 3, 3, ev_gerstgrasser, NULL, NULL, NULL, 1},
    {"gerstgrasser_limit", LIMIT, "its t -> inf bound", "pi^2/6 sigma2 d/(T-d-1)",
     "Gerstgrasser et al. (2024) arXiv:2404.01413", "sigma2 d T", 3, 3, ev_gerstgrasser_limit,
     NULL, NULL, NULL, 1},
    {"kimura_fixation", LIMIT, "P(the weighted class takes over)",
     "(1 - e^{-2nsp}) / (1 - e^{-2ns}) (diffusion approximation)", "Kimura (1962) Genetics 47:713",
     "n s p", 3, 3, ev_kimura, ap_kimura, ob_fixed, NULL, 0},
    {NULL},
};
