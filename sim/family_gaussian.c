/* family_gaussian: the 1-D Gaussian N(mu, sigma^2). Sufficient statistics (x, x^2); the weighted
 * MLE is closed form: mu = E_w[x], sigma^2 = E_w[x^2] - mu^2 (the biased, ddof 0, estimate). */
#include <gsl/gsl_randist.h>
#include <math.h>

#include "err.h"
#include "family.h"

static const char *const gaussian_params[] = {"mu", "sigma"};

static int gaussian_check(const double *theta)
{
    if (!isfinite(theta[0])) return err_set(ERR_INVAL, "Gaussian mu must be finite");
    if (!(theta[1] > 0) || !isfinite(theta[1]))
        return err_set(ERR_INVAL, "Gaussian sigma must be positive and finite (got %g)", theta[1]);
    return ERR_OK;
}

static void gaussian_logpdf(const double *theta, const double *x, size_t n, double *out)
{
    double mu = theta[0], sigma = theta[1], c = -log(sigma) - 0.5 * log(2 * M_PI);
    for (size_t i = 0; i < n; i++) {
        double z = (x[i] - mu) / sigma;
        out[i] = c - 0.5 * z * z;
    }
}

static void gaussian_sample(const double *theta, gsl_rng *r, size_t n, double *x)
{
    for (size_t i = 0; i < n; i++) x[i] = theta[0] + gsl_ran_gaussian_ziggurat(r, theta[1]);
}

static void gaussian_stat(const double *x, double *s)
{
    s[0] = x[0];
    s[1] = x[0] * x[0];
}

static int gaussian_fit_stat(const double *sbar, double *theta, FitInfo *fi)
{
    double var = sbar[1] - sbar[0] * sbar[0];
    fi->iterations = 0;
    fi->converged = var > 0 && isfinite(var);
    theta[0] = fi->converged ? sbar[0] : NAN;
    theta[1] = fi->converged ? sqrt(var) : NAN;
    return ERR_OK;
}

static void gaussian_moments(const double *theta, double *mean, double *var)
{
    *mean = theta[0];
    *var = theta[1] * theta[1];
}

const DistType dist_gaussian = {
    .name = "gaussian",
    .nparam = 2,
    .param_names = gaussian_params,
    .nstat = 2,
    .dim = 1,
    .discrete = 0,
    .lo = -INFINITY,
    .hi = INFINITY,
    .check = gaussian_check,
    .logpdf = gaussian_logpdf,
    .sample = gaussian_sample,
    .stat = gaussian_stat,
    .fit_stat = gaussian_fit_stat,
    .moments = gaussian_moments,
};
