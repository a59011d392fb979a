/* family_gaussian: the 1-D Gaussian N(mu, sigma^2). Sufficient statistics (x, x^2); the weighted
 * MLE is closed form: mu = E_w[x], sigma^2 = E_w[x^2] - mu^2 (the biased, ddof 0, estimate).
 * Generator knob: variance scaling N(mu, tau sigma^2) (the analogue of low-temperature decoding).
 */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>

#include "err.h"
#include "family.h"
#include "fastnorm.h"

static const char *const gaussian_params[] = {"mu", "sigma"};

static int gaussian_check(const Dist *d, const double *theta)
{
    if (!isfinite(theta[0])) return err_set(ERR_INVAL, "Gaussian mu must be finite");
    if (!(theta[1] > 0) || !isfinite(theta[1]))
        return err_set(ERR_INVAL, "Gaussian sigma must be positive and finite (got %g)", theta[1]);
    return ERR_OK;
}

static void gaussian_logpdf(const Dist *d, const double *theta, const double *x, size_t n,
                            double *out)
{
    double mu = theta[0], sigma = theta[1], c = -log(sigma) - 0.5 * log(2 * M_PI);
    for (size_t i = 0; i < n; i++) {
        double z = (x[i] - mu) / sigma;
        out[i] = c - 0.5 * z * z;
    }
}

static void gaussian_sample(const Dist *d, const double *theta, gsl_rng *r, size_t n, double *x)
{
    fastnorm_fill(r, theta[0], theta[1], n, x);
}

static void gaussian_temper(const Dist *d, const double *theta, double tau, double *out)
{
    out[0] = theta[0];
    out[1] = theta[1] * sqrt(tau);
}

static void gaussian_stat(const Dist *d, const double *x, double *s)
{
    s[0] = x[0];
    s[1] = x[0] * x[0];
}

static void gaussian_stat_sum(const Dist *d, const double *x, size_t n, double *sum)
{
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s1 += x[i];
        s2 += x[i] * x[i];
    }
    sum[0] = s1;
    sum[1] = s2;
}

static int gaussian_fit_stat(const Dist *d, const double *sbar, double *theta, FitInfo *fi)
{
    double var = sbar[1] - sbar[0] * sbar[0];
    fi->iterations = 0;
    fi->converged = var > 0 && isfinite(var);
    theta[0] = fi->converged ? sbar[0] : NAN;
    theta[1] = fi->converged ? sqrt(var) : NAN;
    return ERR_OK;
}

static void gaussian_unbias(const Dist *d, double *theta, double n)
{
    theta[1] *= n > 1 ? sqrt(n / (n - 1)) : NAN;
}

static void gaussian_moments(const Dist *d, const double *theta, double *mean, double *var)
{
    *mean = theta[0];
    *var = theta[1] * theta[1];
}

static double gaussian_cdf(const Dist *d, const double *theta, int j, double x)
{
    return gsl_cdf_gaussian_P(x - theta[0], theta[1]);
}

static double gaussian_quantile(const Dist *d, const double *theta, int j, double q)
{
    return theta[0] + gsl_cdf_gaussian_Pinv(q, theta[1]);
}

/* KL(N(m1,s1^2) || N(m2,s2^2)) = ln(s2/s1) + (s1^2 + (m1-m2)^2) / (2 s2^2) - 1/2. */
static double gaussian_kl(const Dist *d, const double *ta, const double *tb)
{
    double dm = ta[0] - tb[0], r = ta[1] / tb[1];
    return -log(r) + 0.5 * (r * r + dm * dm / (tb[1] * tb[1])) - 0.5;
}

static void gaussian_init(Dist *d)
{
    d->nparam = 2;
    d->nstat = 2;
    d->dim = 1;
    for (int j = 0; j < 2; j++) snprintf(d->pname[j], DIST_PNAME_MAX, "%s", gaussian_params[j]);
}

const DistType dist_gaussian = {
    .name = "gaussian",
    .help = "mu sigma",
    .init = gaussian_init,
    .check = gaussian_check,
    .logpdf = gaussian_logpdf,
    .sample = gaussian_sample,
    .temper = gaussian_temper,
    .stat = gaussian_stat,
    .stat_sum = gaussian_stat_sum,
    .fit_stat = gaussian_fit_stat,
    .unbias = gaussian_unbias,
    .moments = gaussian_moments,
    .cdf = gaussian_cdf,
    .quantile = gaussian_quantile,
    .kl = gaussian_kl,
};
