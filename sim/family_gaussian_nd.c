/* family_gaussian_nd: the d-D Gaussian N(mu, Sigma) with full covariance, d = 1..8. theta is mu
 * (d) then Sigma packed (lower triangle by rows, d(d+1)/2). Statistics (x, x x^T); the weighted
 * MLE is the weighted mean and the ddof-0 weighted covariance. The population map is closed form:
 * products of Gaussian densities are Gaussian (canonical form), and a weight of one coordinate
 * acts through the Gaussian conditional law of the others (see gnd_pop_stat). */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "family.h"
#include "fastnorm.h"
#include "linalg.h"
#include "popmap.h"

#define D DIST_DIM_MAX

static int gnd_ncov(int d) { return d * (d + 1) / 2; }

static void gnd_init(Dist *d)
{
    int k = d->k;
    d->dim = k;
    d->nparam = d->nstat = k + gnd_ncov(k);
    for (int i = 0; i < k; i++) snprintf(d->pname[i], DIST_PNAME_MAX, "mu_%d", i + 1);
    for (int i = 0; i < k; i++)
        for (int j = 0; j <= i; j++)
            snprintf(d->pname[k + la_pk(i, j)], DIST_PNAME_MAX, "cov_%d_%d", i + 1, j + 1);
}

/* mean (d values, or none: 0), then the covariance as 1 value (s I), d (diagonal) or d(d+1)/2
 * (packed lower triangle by rows), or none (I). */
static int gnd_parse(const Dist *dd, const double *v, int n, double *theta)
{
    int d = dd->k, nc = gnd_ncov(d);
    memset(theta, 0, (size_t)dd->nparam * sizeof *theta);
    for (int i = 0; i < d; i++) theta[d + la_pk(i, i)] = 1;
    if (n == 0) return ERR_OK;
    if (n < d) goto bad;
    memcpy(theta, v, (size_t)d * sizeof *theta);
    int m = n - d;
    if (m == 0) return ERR_OK;
    if (m == 1) {
        for (int i = 0; i < d; i++) theta[d + la_pk(i, i)] = v[d];
    } else if (m == d && d > 1) {
        for (int i = 0; i < d; i++) theta[d + la_pk(i, i)] = v[d + i];
    } else if (m == nc) {
        memcpy(theta + d, v + d, (size_t)nc * sizeof *theta);
    } else {
        goto bad;
    }
    return ERR_OK;
bad:
    return err_set(ERR_INVAL,
                   "gaussian_nd (d = %d) takes the mean (%d values) then the covariance as 1 value "
                   "(s I), %d (diagonal) or %d (lower triangle by rows); got %d values",
                   d, d, d, nc, n);
}

static int gnd_check(const Dist *dd, const double *theta)
{
    int d = dd->k;
    double a[D * D];
    for (int i = 0; i < dd->nparam; i++)
        if (!isfinite(theta[i]))
            return err_set(ERR_INVAL, "gaussian_nd parameter %s must be finite", dd->pname[i]);
    la_unpack(d, theta + d, a);
    if (!la_chol(d, a))
        return err_set(ERR_INVAL, "gaussian_nd covariance is singular or not positive definite");
    return ERR_OK;
}

static void gnd_logpdf(const Dist *dd, const double *theta, const double *x, size_t n, double *out)
{
    int d = dd->k;
    double L[D * D], z[D];
    la_unpack(d, theta + d, L);
    if (!la_chol(d, L)) {
        for (size_t i = 0; i < n; i++) out[i] = NAN;
        return;
    }
    double c = -0.5 * la_chol_logdet(d, L) - 0.5 * d * log(2 * M_PI);
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + i * (size_t)d;
        double q = 0;
        for (int a = 0; a < d; a++) { /* forward substitution L z = x - mu */
            double t = xi[a] - theta[a];
            for (int b = 0; b < a; b++) t -= L[a * d + b] * z[b];
            z[a] = t / L[a * d + a];
            q += z[a] * z[a];
        }
        out[i] = c - 0.5 * q;
    }
}

static void gnd_sample(const Dist *dd, const double *theta, gsl_rng *r, size_t n, double *x)
{
    int d = dd->k;
    double L[D * D], z[D];
    la_unpack(d, theta + d, L);
    if (!la_chol(d, L)) {
        for (size_t i = 0; i < n * (size_t)d; i++) x[i] = NAN;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        for (int a = 0; a < d; a++) z[a] = fastnorm_draw(r);
        for (int a = 0; a < d; a++) {
            double t = theta[a];
            for (int b = 0; b <= a; b++) t += L[a * d + b] * z[b];
            x[i * (size_t)d + (size_t)a] = t;
        }
    }
}

static void gnd_temper(const Dist *dd, const double *theta, double tau, double *out)
{
    int d = dd->k;
    memcpy(out, theta, (size_t)dd->nparam * sizeof *out);
    for (int i = 0; i < gnd_ncov(d); i++) out[d + i] *= tau;
}

static void gnd_stat(const Dist *dd, const double *x, double *s)
{
    int d = dd->k;
    for (int i = 0; i < d; i++) {
        s[i] = x[i];
        for (int j = 0; j <= i; j++) s[d + la_pk(i, j)] = x[i] * x[j];
    }
}

static int gnd_fit_stat(const Dist *dd, const double *sbar, double *theta, FitInfo *fi)
{
    int d = dd->k;
    double a[D * D];
    for (int i = 0; i < d; i++) theta[i] = sbar[i];
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++)
            theta[d + la_pk(i, j)] = sbar[d + la_pk(i, j)] - sbar[i] * sbar[j];
    la_unpack(d, theta + d, a);
    fi->iterations = 0;
    fi->converged = dist_finite(dd, theta) && la_chol(d, a);
    if (!fi->converged)
        for (int i = 0; i < dd->nparam; i++) theta[i] = NAN;
    return ERR_OK;
}

static void gnd_unbias(const Dist *dd, double *theta, double n)
{
    for (int i = 0; i < gnd_ncov(dd->k); i++) theta[dd->k + i] *= n > 1 ? n / (n - 1) : NAN;
}

static void gnd_moments(const Dist *dd, const double *theta, double *mean, double *cov)
{
    memcpy(mean, theta, (size_t)dd->k * sizeof *mean);
    la_unpack(dd->k, theta + dd->k, cov);
}

static double gnd_cdf(const Dist *dd, const double *theta, int j, double x)
{
    return gsl_cdf_gaussian_P(x - theta[j], sqrt(theta[dd->k + la_pk(j, j)]));
}

static double gnd_quantile(const Dist *dd, const double *theta, int j, double q)
{
    return theta[j] + gsl_cdf_gaussian_Pinv(q, sqrt(theta[dd->k + la_pk(j, j)]));
}

/* KL(N0 || N1) = 1/2 [tr(S1^-1 S0) + (m1-m0)^T S1^-1 (m1-m0) - d + ln det S1 - ln det S0]. */
static double gnd_kl(const Dist *dd, const double *ta, const double *tb)
{
    int d = dd->k;
    double L0[D * D], L1[D * D], inv[D * D], s0[D * D], dm[D];
    la_unpack(d, ta + d, L0);
    la_unpack(d, ta + d, s0);
    la_unpack(d, tb + d, L1);
    if (!la_chol(d, L0) || !la_chol(d, L1)) return NAN;
    la_chol_inverse(d, L1, inv);
    double tr = 0;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) tr += inv[i * d + j] * s0[j * d + i];
    for (int i = 0; i < d; i++) dm[i] = tb[i] - ta[i];
    la_chol_solve(d, L1, dm);
    double q = 0;
    for (int i = 0; i < d; i++) q += (tb[i] - ta[i]) * dm[i];
    return 0.5 * (tr + q - d + la_chol_logdet(d, L1) - la_chol_logdet(d, L0));
}

/* The weighted law Q w in moment form (mu, Sigma full): Gaussian density factors p_i^gamma_i add
 * gamma_i Sigma_i^-1 to the precision and gamma_i Sigma_i^-1 mu_i to the shift; a weight w(s) of
 * coordinate c leaves the conditional law of the rest given s unchanged, so with s ~ N(m, v) moved
 * to mean E_w, variance V_w: mu += Sigma e_c (E_w - m)/v, Sigma += Sigma e_c e_c^T Sigma
 * (V_w - v)/v^2. */
static int gnd_pop_moments(int d, const double *theta_q, const PopWeight *pw, double *mu,
                           double *S)
{
    double L[D * D], P[D * D], Pi[D * D], eta[D], b[D];
    la_unpack(d, theta_q + d, L);
    if (!la_chol(d, L)) return err_set(ERR_NUMERIC, "population map: singular covariance");
    la_chol_inverse(d, L, P);
    for (int i = 0; i < d; i++) {
        eta[i] = 0;
        for (int j = 0; j < d; j++) eta[i] += P[i * d + j] * theta_q[j];
    }
    for (int f = 0; f < pw->ndens; f++) {
        const double *t = pw->dens_theta[f];
        double g = pw->dens_gamma[f];
        la_unpack(d, t + d, L);
        if (!la_chol(d, L)) return err_set(ERR_NUMERIC, "population map: singular covariance");
        la_chol_inverse(d, L, Pi);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) {
                P[i * d + j] += g * Pi[i * d + j];
                eta[i] += g * Pi[i * d + j] * t[j];
            }
    }
    memcpy(L, P, sizeof P);
    if (!la_chol(d, L))
        return err_set(ERR_NUMERIC, "population map: weighted law not normalisable");
    la_chol_inverse(d, L, S);
    memcpy(mu, eta, (size_t)d * sizeof *mu);
    la_chol_solve(d, L, mu);
    if (pw->coord >= 0) {
        int c = pw->coord;
        double m = mu[c], v = S[c * d + c], ew, vw;
        int st = pop_stat_weight_moments(pw, m, v, &ew, &vw);
        if (st) return st;
        for (int i = 0; i < d; i++) b[i] = S[i * d + c];
        for (int i = 0; i < d; i++) {
            mu[i] += b[i] * (ew - m) / v;
            for (int j = 0; j < d; j++) S[i * d + j] += b[i] * b[j] * (vw - v) / (v * v);
        }
    }
    return ERR_OK;
}

static int gnd_pop_stat(const Dist *dd, const double *theta_q, const PopWeight *pw, double *sbar)
{
    int d = dd->k;
    double mu[D], S[D * D];
    int st = gnd_pop_moments(d, theta_q, pw, mu, S);
    if (st) return st;
    for (int i = 0; i < d; i++) {
        sbar[i] = mu[i];
        for (int j = 0; j <= i; j++) sbar[d + la_pk(i, j)] = S[i * d + j] + mu[i] * mu[j];
    }
    return ERR_OK;
}

const DistType dist_gaussian_nd = {
    .name = "gaussian_nd",
    .help = "mean (d values) then covariance: 1 value (s I), d (diagonal) or d(d+1)/2 (lower "
            "triangle by rows)",
    .kname = "d",
    .kmin = 1,
    .kmax = DIST_DIM_MAX,
    .kdef = 2,
    .init = gnd_init,
    .parse = gnd_parse,
    .check = gnd_check,
    .logpdf = gnd_logpdf,
    .sample = gnd_sample,
    .temper = gnd_temper,
    .stat = gnd_stat,
    .fit_stat = gnd_fit_stat,
    .unbias = gnd_unbias,
    .moments = gnd_moments,
    .cdf = gnd_cdf,
    .quantile = gnd_quantile,
    .kl = gnd_kl,
    .pop_stat = gnd_pop_stat,
};
