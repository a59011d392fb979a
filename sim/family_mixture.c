/* family_mixture: a 1-D Gaussian mixture sum_j w_j N(mu_j, sigma_j^2), k = 1..10 components.
 * theta = (w_1..w_k, mu_1..mu_k, sigma_1..sigma_k), components sorted by mean (labels are
 * identifiable, so Monte Carlo averages of parameters mean something). Not an exponential
 * family: the weighted MLE is weighted EM (Dempster, Laird & Rubin 1977) from the previous model,
 * one pass per iteration that accumulates responsibilities on the fly (no scratch). A component
 * that loses all its weight or variance is a degenerate fit: converged = 0. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "family.h"
#include "fastnorm.h"

#define MIX_MAX 10
#define MIX_ITER 5000
#define MIX_TOL 1e-9

static void mix_init(Dist *d)
{
    int k = d->k;
    d->dim = 1;
    d->nparam = 3 * k;
    d->nstat = 0;
    for (int j = 0; j < k; j++) {
        snprintf(d->pname[j], DIST_PNAME_MAX, "w_%d", j + 1);
        snprintf(d->pname[k + j], DIST_PNAME_MAX, "mu_%d", j + 1);
        snprintf(d->pname[2 * k + j], DIST_PNAME_MAX, "sigma_%d", j + 1);
    }
}

static int mix_check(const Dist *d, const double *theta)
{
    int k = d->k;
    double s = 0;
    for (int j = 0; j < k; j++) {
        if (!(theta[j] > 0) || !isfinite(theta[j]))
            return err_set(ERR_INVAL, "mixture weight w_%d must be positive (got %g)", j + 1,
                           theta[j]);
        if (!isfinite(theta[k + j]))
            return err_set(ERR_INVAL, "mixture mu_%d must be finite", j + 1);
        if (!(theta[2 * k + j] > 0) || !isfinite(theta[2 * k + j]))
            return err_set(ERR_INVAL, "mixture sigma_%d must be positive (got %g)", j + 1,
                           theta[2 * k + j]);
        s += theta[j];
    }
    if (fabs(s - 1) > 1e-9)
        return err_set(ERR_INVAL, "mixture weights must sum to 1 (sum %.12g)", s);
    return ERR_OK;
}

/* per-component log(w_j) - log(sigma_j) - log(2 pi)/2 */
static void mix_consts(int k, const double *theta, double *c)
{
    for (int j = 0; j < k; j++) c[j] = log(theta[j]) - log(theta[2 * k + j]) - 0.5 * log(2 * M_PI);
}

static double mix_logpdf1(int k, const double *theta, const double *c, double x, double *l)
{
    double m = -INFINITY;
    for (int j = 0; j < k; j++) {
        double z = (x - theta[k + j]) / theta[2 * k + j];
        l[j] = c[j] - 0.5 * z * z;
        if (l[j] > m) m = l[j];
    }
    double s = 0;
    for (int j = 0; j < k; j++) s += exp(l[j] - m);
    return m + log(s);
}

static void mix_logpdf(const Dist *d, const double *theta, const double *x, size_t n, double *out)
{
    int k = d->k;
    double c[MIX_MAX], l[MIX_MAX];
    mix_consts(k, theta, c);
    for (size_t i = 0; i < n; i++) out[i] = mix_logpdf1(k, theta, c, x[i], l);
}

static void mix_sample(const Dist *d, const double *theta, gsl_rng *r, size_t n, double *x)
{
    int k = d->k;
    for (size_t i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r);
        int j = 0;
        while (j < k - 1 && (u -= theta[j]) >= 0) j++;
        x[i] = theta[k + j] + theta[2 * k + j] * fastnorm_draw(r);
    }
}

static void mix_temper(const Dist *d, const double *theta, double tau, double *out)
{
    memcpy(out, theta, (size_t)d->nparam * sizeof *out);
    for (int j = 0; j < d->k; j++) out[2 * d->k + j] *= sqrt(tau);
}

/* sorts components by mean (insertion sort, k <= 10) */
static void mix_sort(int k, double *theta)
{
    for (int a = 1; a < k; a++)
        for (int b = a; b > 0 && theta[k + b] < theta[k + b - 1]; b--)
            for (int f = 0; f < 3; f++) {
                double t = theta[f * k + b];
                theta[f * k + b] = theta[f * k + b - 1];
                theta[f * k + b - 1] = t;
            }
}

static int mix_fit(const Dist *d, const double *x, const double *logw, size_t n, double *theta,
                   FitInfo *fi)
{
    int k = d->k;
    double lmax = 0;
    if (logw) {
        lmax = -INFINITY;
        for (size_t i = 0; i < n; i++) lmax = fmax(lmax, logw[i]);
    }
    /* weighted mean and variance: the start when theta is not usable, and the degeneracy scale */
    double sw = 0, sx = 0, sxx = 0;
    for (size_t i = 0; i < n; i++) {
        double w = logw ? exp(logw[i] - lmax) : 1;
        sw += w;
        sx += w * x[i];
        sxx += w * x[i] * x[i];
    }
    fi->converged = 0;
    fi->iterations = 0;
    double mean = sx / sw, var = sxx / sw - mean * mean;
    if (!(sw > 0) || !(var > 0) || !isfinite(var)) goto fail;
    int ok = dist_finite(d, theta);
    for (int j = 0; j < k && ok; j++) ok = theta[j] > 0 && theta[2 * k + j] > 0;
    if (!ok)
        for (int j = 0; j < k; j++) {
            theta[j] = 1.0 / k;
            theta[k + j] = mean + sqrt(var) * (k > 1 ? -1 + 2.0 * j / (k - 1) : 0);
            theta[2 * k + j] = sqrt(var);
        }
    double ll_old = -INFINITY, c[MIX_MAX], l[MIX_MAX];
    for (int it = 1; it <= MIX_ITER; it++) {
        double W[MIX_MAX] = {0}, M[MIX_MAX] = {0}, S[MIX_MAX] = {0}, ll = 0;
        mix_consts(k, theta, c);
        for (size_t i = 0; i < n; i++) {
            double w = logw ? exp(logw[i] - lmax) : 1;
            if (w == 0) continue;
            double lp = mix_logpdf1(k, theta, c, x[i], l);
            ll += w * lp;
            for (int j = 0; j < k; j++) {
                double rw = w * exp(l[j] - lp);
                W[j] += rw;
                M[j] += rw * x[i];
                S[j] += rw * x[i] * x[i];
            }
        }
        for (int j = 0; j < k; j++) {
            if (!(W[j] > 1e-12 * sw)) goto fail;
            double m = M[j] / W[j], v = S[j] / W[j] - m * m;
            if (!(v > 1e-12 * var)) goto fail;
            theta[j] = W[j] / sw;
            theta[k + j] = m;
            theta[2 * k + j] = sqrt(v);
        }
        fi->iterations = it;
        ll /= sw;
        if (fabs(ll - ll_old) <= MIX_TOL * fmax(1, fabs(ll))) {
            fi->converged = 1;
            break;
        }
        ll_old = ll;
    }
    if (!fi->converged) goto fail;
    mix_sort(k, theta);
    return ERR_OK;
fail:
    fi->converged = 0;
    for (int j = 0; j < d->nparam; j++) theta[j] = NAN;
    return ERR_OK;
}

static void mix_moments(const Dist *d, const double *theta, double *mean, double *var)
{
    int k = d->k;
    double m = 0, m2 = 0;
    for (int j = 0; j < k; j++) {
        double mu = theta[k + j], s = theta[2 * k + j];
        m += theta[j] * mu;
        m2 += theta[j] * (s * s + mu * mu);
    }
    *mean = m;
    *var = m2 - m * m;
}

static double mix_cdf(const Dist *d, const double *theta, int jj, double x)
{
    int k = d->k;
    double s = 0;
    for (int j = 0; j < k; j++)
        s += theta[j] * gsl_cdf_gaussian_P(x - theta[k + j], theta[2 * k + j]);
    return s;
}

/* bisection on the CDF over the components' +-40 sd range */
static double mix_quantile(const Dist *d, const double *theta, int jj, double q)
{
    int k = d->k;
    double lo = INFINITY, hi = -INFINITY;
    for (int j = 0; j < k; j++) {
        lo = fmin(lo, theta[k + j] - 40 * theta[2 * k + j]);
        hi = fmax(hi, theta[k + j] + 40 * theta[2 * k + j]);
    }
    for (int it = 0; it < 200 && hi - lo > 1e-14 * fmax(1, fabs(lo)); it++) {
        double mid = 0.5 * (lo + hi);
        if (mix_cdf(d, theta, 0, mid) < q)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* weights and standard deviations get normalised/checked; the list is w, mu, sigma blocks */
const DistType dist_mixture = {
    .name = "mixture",
    .help = "w_1..w_k mu_1..mu_k sigma_1..sigma_k",
    .kname = "components",
    .kmin = 1,
    .kmax = MIX_MAX,
    .kdef = 2,
    .init = mix_init,
    .check = mix_check,
    .logpdf = mix_logpdf,
    .sample = mix_sample,
    .temper = mix_temper,
    .fit = mix_fit,
    .moments = mix_moments,
    .cdf = mix_cdf,
    .quantile = mix_quantile,
};
