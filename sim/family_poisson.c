/* family_poisson: Poisson(lambda) on 0, 1, 2, ... Statistic x; the weighted MLE is the weighted
 * mean. A sample of zeros has no MLE in (0, inf): converged = 0. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdio.h>

#include "err.h"
#include "family.h"

static void poisson_init(Dist *d)
{
    d->dim = d->nparam = d->nstat = 1;
    d->lo = 0;
    snprintf(d->pname[0], DIST_PNAME_MAX, "lambda");
}

static int poisson_check(const Dist *d, const double *theta)
{
    if (!(theta[0] > 0) || !(theta[0] < 1e9))
        return err_set(ERR_INVAL, "Poisson lambda must be in (0, 1e9) (got %g)", theta[0]);
    return ERR_OK;
}

static void poisson_logpdf(const Dist *d, const double *theta, const double *x, size_t n,
                           double *out)
{
    double l = theta[0], ll = log(l);
    for (size_t i = 0; i < n; i++)
        out[i] = x[i] >= 0 && x[i] == floor(x[i]) ? x[i] * ll - l - gsl_sf_lnfact((unsigned)x[i])
                                                  : -INFINITY;
}

static void poisson_sample(const Dist *d, const double *theta, gsl_rng *r, size_t n, double *x)
{
    for (size_t i = 0; i < n; i++) x[i] = gsl_ran_poisson(r, theta[0]);
}

static void poisson_stat(const Dist *d, const double *x, double *s) { s[0] = x[0]; }

static int poisson_fit_stat(const Dist *d, const double *sbar, double *theta, FitInfo *fi)
{
    fi->iterations = 0;
    fi->converged = sbar[0] > 0 && isfinite(sbar[0]);
    theta[0] = fi->converged ? sbar[0] : NAN;
    return ERR_OK;
}

static void poisson_moments(const Dist *d, const double *theta, double *mean, double *var)
{
    *mean = *var = theta[0];
}

static double poisson_cdf(const Dist *d, const double *theta, int j, double x)
{
    return x < 0 ? 0 : gsl_cdf_poisson_P((unsigned)floor(fmin(x, 4e9)), theta[0]);
}

/* smallest x with P(X <= x) >= q, by walking the pmf from the mode region down or up */
static double poisson_quantile(const Dist *d, const double *theta, int j, double q)
{
    double l = theta[0];
    unsigned x = (unsigned)fmax(0, floor(l + gsl_cdf_gaussian_Pinv(q, sqrt(l)) - 2));
    while (x > 0 && gsl_cdf_poisson_P(x - 1, l) >= q) x--;
    while (gsl_cdf_poisson_P(x, l) < q) x++;
    return x;
}

static double poisson_kl(const Dist *d, const double *ta, const double *tb)
{
    return ta[0] * log(ta[0] / tb[0]) - ta[0] + tb[0];
}

const DistType dist_poisson = {
    .name = "poisson",
    .help = "lambda",
    .discrete = 1,
    .init = poisson_init,
    .check = poisson_check,
    .logpdf = poisson_logpdf,
    .sample = poisson_sample,
    .stat = poisson_stat,
    .fit_stat = poisson_fit_stat,
    .moments = poisson_moments,
    .cdf = poisson_cdf,
    .quantile = poisson_quantile,
    .kl = poisson_kl,
};
