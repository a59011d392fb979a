/* family_categorical: K classes (the analogue of Left/Center/Right shares). Samples are class
 * indices 0..K-1 stored as doubles; theta = (p_1..p_K). Statistics are one-hot vectors, so the
 * weighted MLE is the weighted class frequencies. A class that gets no sample has p = 0 for good
 * (lost). Generator knob: temperature, p^(1/tau) renormalised. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "family.h"

static void cat_init(Dist *d)
{
    d->dim = 1;
    d->nparam = d->nstat = d->k;
    d->lo = 0;
    d->hi = d->k - 1;
    for (int c = 0; c < d->k; c++) snprintf(d->pname[c], DIST_PNAME_MAX, "p_%d", c + 1);
}

/* empty list: uniform; else K probabilities summing to 1 */
static int cat_parse(const Dist *d, const double *v, int n, double *theta)
{
    int K = d->k;
    if (n == 0) {
        for (int c = 0; c < K; c++) theta[c] = 1.0 / K;
        return ERR_OK;
    }
    if (n != K)
        return err_set(ERR_INVAL, "categorical (K = %d) takes K = %d probabilities, got %d "
                       "(none: uniform)", K, K, n);
    memcpy(theta, v, (size_t)K * sizeof *theta);
    return ERR_OK;
}

static int cat_check(const Dist *d, const double *theta)
{
    double s = 0;
    for (int c = 0; c < d->k; c++) {
        if (!(theta[c] >= 0) || !isfinite(theta[c]))
            return err_set(ERR_INVAL, "categorical p_%d must be in [0, 1] (got %g)", c + 1,
                           theta[c]);
        s += theta[c];
    }
    if (fabs(s - 1) > 1e-9)
        return err_set(ERR_INVAL, "categorical probabilities must sum to 1 (sum %.12g)", s);
    return ERR_OK;
}

static void cat_logpdf(const Dist *d, const double *theta, const double *x, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++) {
        int c = (int)x[i];
        out[i] = c >= 0 && c < d->k ? log(theta[c]) : -INFINITY;
    }
}

/* inverse CDF on the cumulative table (K <= 64: a short scan) */
static void cat_sample(const Dist *d, const double *theta, gsl_rng *r, size_t n, double *x)
{
    int K = d->k;
    double cum[DIST_PARAM_MAX], s = 0;
    for (int c = 0; c < K; c++) cum[c] = s += theta[c];
    for (size_t i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r) * s;
        int c = 0;
        while (c < K - 1 && !(u < cum[c])) c++;
        while (c > 0 && theta[c] == 0) c--; /* never emit a class of mass 0 */
        x[i] = c;
    }
}

static void cat_temper(const Dist *d, const double *theta, double tau, double *out)
{
    double s = 0, lmax = -INFINITY;
    for (int c = 0; c < d->k; c++)
        if (theta[c] > 0) lmax = fmax(lmax, log(theta[c]) / tau);
    for (int c = 0; c < d->k; c++) s += out[c] = theta[c] > 0 ? exp(log(theta[c]) / tau - lmax) : 0;
    for (int c = 0; c < d->k; c++) out[c] /= s;
}

static void cat_stat(const Dist *d, const double *x, double *s)
{
    memset(s, 0, (size_t)d->k * sizeof *s);
    int c = (int)x[0];
    if (c >= 0 && c < d->k) s[c] = 1;
}

static int cat_fit_stat(const Dist *d, const double *sbar, double *theta, FitInfo *fi)
{
    double s = 0;
    for (int c = 0; c < d->k; c++) s += sbar[c];
    fi->iterations = 0;
    fi->converged = s > 0 && isfinite(s);
    for (int c = 0; c < d->k; c++) theta[c] = fi->converged ? sbar[c] / s : NAN;
    return ERR_OK;
}

static void cat_moments(const Dist *d, const double *theta, double *mean, double *var)
{
    double m = 0, m2 = 0;
    for (int c = 0; c < d->k; c++) {
        m += c * theta[c];
        m2 += (double)c * c * theta[c];
    }
    *mean = m;
    *var = m2 - m * m;
}

static double cat_cdf(const Dist *d, const double *theta, int j, double x)
{
    double s = 0;
    for (int c = 0; c < d->k && c <= x; c++) s += theta[c];
    return fmin(s, 1);
}

static double cat_quantile(const Dist *d, const double *theta, int j, double q)
{
    double s = 0;
    for (int c = 0; c < d->k; c++)
        if ((s += theta[c]) >= q) return c;
    return d->k - 1;
}

static double cat_kl(const Dist *d, const double *ta, const double *tb)
{
    double s = 0;
    for (int c = 0; c < d->k; c++)
        if (ta[c] > 0) s += tb[c] > 0 ? ta[c] * log(ta[c] / tb[c]) : INFINITY;
    return s;
}

const DistType dist_categorical = {
    .name = "categorical",
    .help = "p_1 .. p_K summing to 1 (none: uniform)",
    .kname = "K",
    .kmin = 2,
    .kmax = DIST_PARAM_MAX,
    .kdef = 3,
    .discrete = 1,
    .init = cat_init,
    .parse = cat_parse,
    .check = cat_check,
    .logpdf = cat_logpdf,
    .sample = cat_sample,
    .temper = cat_temper,
    .stat = cat_stat,
    .fit_stat = cat_fit_stat,
    .moments = cat_moments,
    .cdf = cat_cdf,
    .quantile = cat_quantile,
    .kl = cat_kl,
};
