/* family_beta: Beta(a, b) on (0, 1). Sufficient statistics (log x, log(1-x)); the weighted MLE
 * solves psi(a) - psi(a+b) = E_w[log x], psi(b) - psi(a+b) = E_w[log(1-x)] with GSL's BFGS on
 * (log a, log b) using digamma gradients, then Newton steps with the exact trigamma Hessian. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "err.h"
#include "family.h"

static const char *const beta_params[] = {"a", "b"};

static int beta_check(const Dist *d, const double *theta)
{
    for (int i = 0; i < 2; i++)
        if (!(theta[i] > 0) || !isfinite(theta[i]))
            return err_set(ERR_INVAL, "Beta parameter %s must be positive and finite (got %g)",
                           beta_params[i], theta[i]);
    return ERR_OK;
}

static void beta_logpdf(const Dist *d, const double *theta, const double *x, size_t n,
                        double *out)
{
    double a = theta[0], b = theta[1], lnb = gsl_sf_lnbeta(a, b);
    for (size_t i = 0; i < n; i++) {
        double xi = x[i];
        out[i] = (xi > 0 && xi < 1) ? (a - 1) * log(xi) + (b - 1) * log1p(-xi) - lnb : -INFINITY;
    }
}

static void beta_sample(const Dist *d, const double *theta, gsl_rng *r, size_t n, double *x)
{
    for (size_t i = 0; i < n; i++) {
        double v = gsl_ran_beta(r, theta[0], theta[1]);
        /* keep draws strictly inside (0,1): log-statistics must stay finite */
        if (v <= 0) v = DBL_MIN;
        if (v >= 1) v = 1 - DBL_EPSILON / 2;
        x[i] = v;
    }
}

static void beta_stat(const Dist *d, const double *x, double *s)
{
    s[0] = log(x[0]);
    s[1] = log1p(-x[0]);
}

/* Negative mean log-likelihood per unit weight over u = (log a, log b):
 * f = lnB(a,b) - (a-1) s1 - (b-1) s2;  df/du_a = a [psi(a) - psi(a+b) - s1]. */
static double beta_f(const gsl_vector *u, void *params)
{
    const double *s = params;
    double a = exp(gsl_vector_get(u, 0)), b = exp(gsl_vector_get(u, 1));
    return gsl_sf_lnbeta(a, b) - (a - 1) * s[0] - (b - 1) * s[1];
}

static void beta_df(const gsl_vector *u, void *params, gsl_vector *g)
{
    const double *s = params;
    double a = exp(gsl_vector_get(u, 0)), b = exp(gsl_vector_get(u, 1));
    double pab = gsl_sf_psi(a + b);
    gsl_vector_set(g, 0, a * (gsl_sf_psi(a) - pab - s[0]));
    gsl_vector_set(g, 1, b * (gsl_sf_psi(b) - pab - s[1]));
}

static void beta_fdf(const gsl_vector *u, void *params, double *f, gsl_vector *g)
{
    *f = beta_f(u, params);
    beta_df(u, params, g);
}

/* Minka's closed-form start: psi(a) ~ log(a - 1/2) gives a ~ 1/2 + G1 / (2 (1 - G1 - G2)). */
static void beta_start(const double *s, double *theta)
{
    double g1 = exp(s[0]), g2 = exp(s[1]), d = 1 - g1 - g2;
    if (d <= 1e-300) d = 1e-300;
    theta[0] = 0.5 + g1 / (2 * d);
    theta[1] = 0.5 + g2 / (2 * d);
}

/* Newton on (a, b): the log-likelihood is concave (exponential family), the Hessian is
 * -[[psi1(a) - psi1(a+b), -psi1(a+b)], [-psi1(a+b), psi1(b) - psi1(a+b)]]. */
static int beta_newton(const double *s, double *theta, int steps)
{
    double a = theta[0], b = theta[1];
    for (int k = 0; k < steps; k++) {
        double pab = gsl_sf_psi(a + b), tab = gsl_sf_psi_1(a + b);
        double ga = gsl_sf_psi(a) - pab - s[0], gb = gsl_sf_psi(b) - pab - s[1];
        double haa = gsl_sf_psi_1(a) - tab, hbb = gsl_sf_psi_1(b) - tab, hab = -tab;
        double det = haa * hbb - hab * hab;
        if (!(det > 0)) return 0;
        double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
        double t = 1; /* stay inside the positive quadrant */
        while (a - t * da <= 0 || b - t * db <= 0) t *= 0.5;
        a -= t * da;
        b -= t * db;
        if (fabs(da) <= 1e-15 * a && fabs(db) <= 1e-15 * b) break;
    }
    theta[0] = a;
    theta[1] = b;
    /* converged when the score vanishes relative to the curvature scale */
    double pab = gsl_sf_psi(a + b);
    double ga = gsl_sf_psi(a) - pab - s[0], gb = gsl_sf_psi(b) - pab - s[1];
    return fabs(ga) * a < 1e-9 && fabs(gb) * b < 1e-9;
}

static int beta_fit_stat(const Dist *d, const double *sbar, double *theta, FitInfo *fi)
{
    fi->converged = 0;
    fi->iterations = 0;
    /* E[log x] < 0, E[log(1-x)] < 0 and exp(s1) + exp(s2) < 1 (Jensen) for any non-degenerate
     * sample; otherwise no finite MLE exists. */
    if (!(sbar[0] < 0 && sbar[1] < 0 && exp(sbar[0]) + exp(sbar[1]) < 1)) {
        theta[0] = theta[1] = NAN;
        return ERR_OK;
    }
    double s[2] = {sbar[0], sbar[1]}, start[2];
    beta_start(s, start);
    if (theta[0] > 0 && theta[1] > 0 && isfinite(theta[0]) && isfinite(theta[1])) {
        /* prefer the caller's start (the previous generation) when it fits better */
        gsl_vector_view v = gsl_vector_view_array((double[]){log(theta[0]), log(theta[1])}, 2);
        gsl_vector_view w = gsl_vector_view_array((double[]){log(start[0]), log(start[1])}, 2);
        if (beta_f(&v.vector, s) < beta_f(&w.vector, s)) start[0] = theta[0], start[1] = theta[1];
    }
    gsl_multimin_function_fdf fn = {beta_f, beta_df, beta_fdf, 2, s};
    gsl_vector *u = gsl_vector_alloc(2);
    gsl_vector_set(u, 0, log(start[0]));
    gsl_vector_set(u, 1, log(start[1]));
    gsl_multimin_fdfminimizer *m = gsl_multimin_fdfminimizer_alloc(
        gsl_multimin_fdfminimizer_vector_bfgs2, 2);
    gsl_multimin_fdfminimizer_set(m, &fn, u, 0.1, 0.1);
    int status = GSL_CONTINUE, it = 0;
    while (status == GSL_CONTINUE && it < 200) {
        it++;
        if (gsl_multimin_fdfminimizer_iterate(m)) break; /* no progress: polish below */
        status = gsl_multimin_test_gradient(m->gradient, 1e-10);
    }
    double t[2] = {exp(gsl_vector_get(m->x, 0)), exp(gsl_vector_get(m->x, 1))};
    gsl_multimin_fdfminimizer_free(m);
    gsl_vector_free(u);
    /* BFGS stalls at f's rounding level (|f| grows with a + b); Newton finishes the job. */
    int ok = beta_newton(s, t, 8);
    fi->iterations = it;
    fi->converged = ok;
    theta[0] = ok ? t[0] : NAN;
    theta[1] = ok ? t[1] : NAN;
    return ERR_OK;
}

static void beta_moments(const Dist *d, const double *theta, double *mean, double *var)
{
    double a = theta[0], b = theta[1], s = a + b;
    *mean = a / s;
    *var = a * b / (s * s * (s + 1));
}

static double beta_cdf(const Dist *d, const double *theta, int j, double x)
{
    return x <= 0 ? 0 : x >= 1 ? 1 : gsl_cdf_beta_P(x, theta[0], theta[1]);
}

static double beta_quantile(const Dist *d, const double *theta, int j, double q)
{
    return gsl_cdf_beta_Pinv(q, theta[0], theta[1]);
}

/* KL(B(a1,b1) || B(a2,b2)) = lnB(a2,b2) - lnB(a1,b1) + (a1-a2) psi(a1) + (b1-b2) psi(b1)
 *                            + (a2-a1+b2-b1) psi(a1+b1). */
static double beta_kl(const Dist *d, const double *ta, const double *tb)
{
    double a1 = ta[0], b1 = ta[1], a2 = tb[0], b2 = tb[1];
    return gsl_sf_lnbeta(a2, b2) - gsl_sf_lnbeta(a1, b1) + (a1 - a2) * gsl_sf_psi(a1) +
           (b1 - b2) * gsl_sf_psi(b1) + (a2 - a1 + b2 - b1) * gsl_sf_psi(a1 + b1);
}

static void beta_init(Dist *d)
{
    d->nparam = 2;
    d->nstat = 2;
    d->dim = 1;
    d->lo = 0;
    d->hi = 1;
    for (int j = 0; j < 2; j++) snprintf(d->pname[j], DIST_PNAME_MAX, "%s", beta_params[j]);
}

const DistType dist_beta = {
    .name = "beta",
    .help = "a b",
    .init = beta_init,
    .check = beta_check,
    .logpdf = beta_logpdf,
    .sample = beta_sample,
    .stat = beta_stat,
    .fit_stat = beta_fit_stat,
    .moments = beta_moments,
    .cdf = beta_cdf,
    .quantile = beta_quantile,
    .kl = beta_kl,
};
