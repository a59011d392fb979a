/* family_linreg: linear regression y = x^T beta + eps, eps ~ N(0, sigma^2), on a Gaussian design
 * x = (1, z_1..z_{p-1}) with z ~ N(0, I) (fixed and shared by every model). A sample is
 * (z_1..z_{p-1}, y) (dim = p); densities are conditional on the design. theta = (beta_0 ..
 * beta_{p-1}, sigma). Statistics (x x^T, x y, y^2): the weighted MLE is weighted least squares,
 * sigma^2 the weighted mean squared residual. */
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

static void lr_init(Dist *d)
{
    int p = d->k;
    d->dim = p;
    d->nparam = p + 1;
    d->nstat = p * (p + 1) / 2 + p + 1;
    for (int j = 0; j < p; j++) snprintf(d->pname[j], DIST_PNAME_MAX, "beta_%d", j);
    snprintf(d->pname[p], DIST_PNAME_MAX, "sigma");
}

static int lr_check(const Dist *d, const double *theta)
{
    for (int j = 0; j < d->k; j++)
        if (!isfinite(theta[j])) return err_set(ERR_INVAL, "linreg beta_%d must be finite", j);
    if (!(theta[d->k] > 0) || !isfinite(theta[d->k]))
        return err_set(ERR_INVAL, "linreg sigma must be positive and finite (got %g)",
                       theta[d->k]);
    return ERR_OK;
}

static double lr_xb(int p, const double *theta, const double *z)
{
    double m = theta[0];
    for (int j = 1; j < p; j++) m += theta[j] * z[j - 1];
    return m;
}

static void lr_logpdf(const Dist *d, const double *theta, const double *x, size_t n, double *out)
{
    int p = d->k;
    double s = theta[p], c = -log(s) - 0.5 * log(2 * M_PI);
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + i * (size_t)p;
        double r = (xi[p - 1] - lr_xb(p, theta, xi)) / s;
        out[i] = c - 0.5 * r * r;
    }
}

static void lr_sample(const Dist *d, const double *theta, gsl_rng *r, size_t n, double *x)
{
    int p = d->k;
    for (size_t i = 0; i < n; i++) {
        double *xi = x + i * (size_t)p;
        for (int j = 0; j < p - 1; j++) xi[j] = fastnorm_draw(r);
        xi[p - 1] = lr_xb(p, theta, xi) + theta[p] * fastnorm_draw(r);
    }
}

static void lr_temper(const Dist *d, const double *theta, double tau, double *out)
{
    memcpy(out, theta, (size_t)d->nparam * sizeof *out);
    out[d->k] *= sqrt(tau);
}

/* S = (x x^T packed, x y, y^2) with x = (1, z). */
static void lr_stat(const Dist *d, const double *xs, double *s)
{
    int p = d->k, np = p * (p + 1) / 2;
    double x[D], y = xs[p - 1];
    x[0] = 1;
    for (int j = 1; j < p; j++) x[j] = xs[j - 1];
    for (int i = 0; i < p; i++) {
        for (int j = 0; j <= i; j++) s[la_pk(i, j)] = x[i] * x[j];
        s[np + i] = x[i] * y;
    }
    s[np + p] = y * y;
}

static int lr_fit_stat(const Dist *d, const double *sbar, double *theta, FitInfo *fi)
{
    int p = d->k, np = p * (p + 1) / 2;
    double A[D * D], b[D];
    la_unpack(p, sbar, A);
    fi->iterations = 0;
    fi->converged = 0;
    if (la_chol(p, A)) {
        memcpy(b, sbar + np, (size_t)p * sizeof *b);
        la_chol_solve(p, A, b);
        double s2 = sbar[np + p];
        for (int j = 0; j < p; j++) s2 -= b[j] * sbar[np + j]; /* E y^2 - beta^T E x y */
        if (s2 > 0 && isfinite(s2)) {
            memcpy(theta, b, (size_t)p * sizeof *b);
            theta[p] = sqrt(s2);
            fi->converged = 1;
        }
    }
    if (!fi->converged)
        for (int j = 0; j <= p; j++) theta[j] = NAN;
    return ERR_OK;
}

static void lr_unbias(const Dist *d, double *theta, double n)
{
    theta[d->k] *= n > d->k ? sqrt(n / (n - d->k)) : NAN;
}

static void lr_moments(const Dist *d, const double *theta, double *mean, double *cov)
{
    int p = d->k;
    double vy = theta[p] * theta[p];
    memset(mean, 0, (size_t)p * sizeof *mean);
    memset(cov, 0, (size_t)(p * p) * sizeof *cov);
    mean[p - 1] = theta[0];
    for (int j = 0; j < p - 1; j++) {
        cov[j * p + j] = 1;
        cov[j * p + p - 1] = cov[(p - 1) * p + j] = theta[j + 1];
        vy += theta[j + 1] * theta[j + 1];
    }
    cov[p * p - 1] = vy;
}

static void lr_marginal(const Dist *d, const double *theta, int j, double *m, double *s)
{
    int p = d->k;
    if (j < p - 1) {
        *m = 0;
        *s = 1;
        return;
    }
    double v = theta[p] * theta[p];
    for (int i = 1; i < p; i++) v += theta[i] * theta[i];
    *m = theta[0];
    *s = sqrt(v);
}

static double lr_cdf(const Dist *d, const double *theta, int j, double x)
{
    double m, s;
    lr_marginal(d, theta, j, &m, &s);
    return gsl_cdf_gaussian_P(x - m, s);
}

static double lr_quantile(const Dist *d, const double *theta, int j, double q)
{
    double m, s;
    lr_marginal(d, theta, j, &m, &s);
    return m + gsl_cdf_gaussian_Pinv(q, s);
}

/* E_design KL(N(x b1, s1^2) || N(x b2, s2^2)) with E[x x^T] = I: ln(s2/s1) + (s1^2 + |b1-b2|^2)
 * / (2 s2^2) - 1/2. */
static double lr_kl(const Dist *d, const double *ta, const double *tb)
{
    int p = d->k;
    double q = 0;
    for (int j = 0; j < p; j++) q += (ta[j] - tb[j]) * (ta[j] - tb[j]);
    double s1 = ta[p], s2 = tb[p];
    return log(s2 / s1) + (s1 * s1 + q) / (2 * s2 * s2) - 0.5;
}

/* The weighted population in the joint Gaussian of u = (z, y): start from Q's joint law; a
 * conditional density factor N(y; x^T b, s^2)^g is exp(-g/(2 s^2) (a^T u - b_0)^2) with
 * a = (-b_1..-b_{p-1}, 1): precision += g/s^2 a a^T, shift += g/s^2 b_0 a. A weight of one
 * coordinate moves that coordinate's law (Gaussian conditioning, as in gaussian_nd). */
static int lr_pop_stat(const Dist *d, const double *tq, const PopWeight *pw, double *sbar)
{
    int p = d->k, np = p * (p + 1) / 2;
    double mean[D], S[D * D], L[D * D], P[D * D], eta[D], a[D], b[D];
    lr_moments(d, tq, mean, S);
    memcpy(L, S, sizeof L);
    if (!la_chol(p, L)) return err_set(ERR_NUMERIC, "population map: singular design law");
    la_chol_inverse(p, L, P);
    for (int i = 0; i < p; i++) {
        eta[i] = 0;
        for (int j = 0; j < p; j++) eta[i] += P[i * p + j] * mean[j];
    }
    for (int f = 0; f < pw->ndens; f++) {
        const double *t = pw->dens_theta[f];
        double g = pw->dens_gamma[f] / (t[p] * t[p]);
        for (int j = 0; j < p - 1; j++) a[j] = -t[j + 1];
        a[p - 1] = 1;
        for (int i = 0; i < p; i++) {
            eta[i] += g * t[0] * a[i];
            for (int j = 0; j < p; j++) P[i * p + j] += g * a[i] * a[j];
        }
    }
    memcpy(L, P, sizeof L);
    if (!la_chol(p, L))
        return err_set(ERR_NUMERIC, "population map: weighted law not normalisable");
    la_chol_inverse(p, L, S);
    memcpy(mean, eta, sizeof eta);
    la_chol_solve(p, L, mean);
    if (pw->coord >= 0) {
        int c = pw->coord;
        double m = mean[c], v = S[c * p + c], ew, vw;
        int st = pop_stat_weight_moments(pw, m, v, &ew, &vw);
        if (st) return st;
        for (int i = 0; i < p; i++) b[i] = S[i * p + c];
        for (int i = 0; i < p; i++) {
            mean[i] += b[i] * (ew - m) / v;
            for (int j = 0; j < p; j++) S[i * p + j] += b[i] * b[j] * (vw - v) / (v * v);
        }
    }
    /* moments of x = (1, z) and y from those of u = (z, y) */
    double Ex[D], Exx[D * D], Exy[D], Eyy;
    int y = p - 1;
    Ex[0] = 1;
    for (int j = 1; j < p; j++) Ex[j] = mean[j - 1];
    for (int i = 0; i < p; i++)
        for (int j = 0; j < p; j++)
            Exx[i * p + j] = (i && j ? S[(i - 1) * p + (j - 1)] : 0) + Ex[i] * Ex[j];
    Exy[0] = mean[y];
    for (int j = 1; j < p; j++) Exy[j] = S[(j - 1) * p + y] + Ex[j] * mean[y];
    Eyy = S[y * p + y] + mean[y] * mean[y];
    for (int i = 0; i < p; i++) {
        for (int j = 0; j <= i; j++) sbar[la_pk(i, j)] = Exx[i * p + j];
        sbar[np + i] = Exy[i];
    }
    sbar[np + p] = Eyy;
    return ERR_OK;
}

const DistType dist_linreg = {
    .name = "linreg",
    .help = "beta_0 .. beta_{p-1} sigma (beta_0 the intercept)",
    .kname = "p",
    .kmin = 1,
    .kmax = DIST_DIM_MAX,
    .kdef = 2,
    .init = lr_init,
    .check = lr_check,
    .logpdf = lr_logpdf,
    .sample = lr_sample,
    .temper = lr_temper,
    .stat = lr_stat,
    .fit_stat = lr_fit_stat,
    .unbias = lr_unbias,
    .moments = lr_moments,
    .cdf = lr_cdf,
    .quantile = lr_quantile,
    .kl = lr_kl,
    .pop_stat = lr_pop_stat,
};
