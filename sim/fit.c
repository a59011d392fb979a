/* fit: weighted MLE through averaged sufficient statistics, on samples (sums) and on populations
 * (quadrature of Q(x) w(x) S(x) over the effective support, in log space to avoid overflow). */
#include "fit.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <math.h>
#include <string.h>

#include "err.h"

int fit_wmle(const DistType *fam, const double *x, const double *logw, size_t n, double *theta,
             FitInfo *fi, double *n_eff)
{
    double sbar[DIST_STAT_MAX] = {0}, s[DIST_STAT_MAX];
    int k = fam->nstat, dim = fam->dim;
    double lmax = 0;
    if (logw) {
        lmax = -INFINITY;
        for (size_t i = 0; i < n; i++)
            if (logw[i] > lmax) lmax = logw[i];
    }
    double sw = 0, sw2 = 0;
    if (logw && !isfinite(lmax)) { /* every weight is 0 (or a weight is inf/nan) */
        sw = 0;
    } else {
        for (size_t i = 0; i < n; i++) {
            double w = logw ? exp(logw[i] - lmax) : 1.0;
            fam->stat(x + i * (size_t)dim, s);
            for (int j = 0; j < k; j++) sbar[j] += w * s[j];
            sw += w;
            sw2 += w * w;
        }
    }
    if (n_eff) *n_eff = sw2 > 0 ? sw * sw / sw2 : 0;
    if (!(sw > 0) || !isfinite(sw)) {
        fi->converged = 0;
        fi->iterations = 0;
        for (int j = 0; j < fam->nparam; j++) theta[j] = NAN;
        return ERR_OK;
    }
    for (int j = 0; j < k; j++) sbar[j] /= sw;
    return fam->fit_stat(sbar, theta, fi);
}

/* ---- population map ------------------------------------------------------------------------ */

typedef struct PopIntegrand {
    const DistType *fam, *qfam;
    const double *theta_q;
    const WeightType *wt;
    const WeightCtx *ctx;
    double lshift; /* log Q w at its maximum: keeps exp() in range */
    int j;         /* statistic index, -1 for the normaliser */
} PopIntegrand;

static double pop_logqw(const PopIntegrand *p, double x)
{
    double lq, lw = 0;
    p->qfam->logpdf(p->theta_q, &x, 1, &lq);
    if (p->wt->logw) p->wt->logw(p->ctx, &x, 1, &lw);
    return lq + lw;
}

static double pop_integrand(double x, void *params)
{
    const PopIntegrand *p = params;
    double l = pop_logqw(p, x);
    if (!isfinite(l)) return 0;
    double v = exp(l - p->lshift);
    if (p->j < 0) return v;
    double s[DIST_STAT_MAX];
    p->fam->stat(&x, s);
    return v * s[p->j];
}

/* The window [xl, xr] outside which Q w < e^-70 of its maximum, found on a grid over Q's bulk
 * (mean +- 50 sd, clipped to the support) and widened by one grid step. */
#define POP_GRID 4096
static void pop_window(PopIntegrand *p, double *xl, double *xr)
{
    double mean, var;
    p->qfam->moments(p->theta_q, &mean, &var);
    double sd = sqrt(var), lo = fmax(p->qfam->lo, mean - 50 * sd),
           hi = fmin(p->qfam->hi, mean + 50 * sd);
    double h = (hi - lo) / POP_GRID, lmax = -INFINITY;
    double l[POP_GRID + 1];
    for (int i = 0; i <= POP_GRID; i++) {
        /* open support: nudge the endpoints inside */
        double x = lo + h * i;
        if (i == 0) x = lo + 1e-3 * h;
        if (i == POP_GRID) x = hi - 1e-3 * h;
        l[i] = pop_logqw(p, x);
        if (l[i] > lmax) lmax = l[i];
    }
    int a = 0, b = POP_GRID;
    while (a < POP_GRID && !(l[a] >= lmax - 70)) a++;
    while (b > 0 && !(l[b] >= lmax - 70)) b--;
    *xl = a > 0 ? lo + h * (a - 1) : lo;
    *xr = b < POP_GRID ? lo + h * (b + 1) : hi;
    p->lshift = lmax;
}

int fit_population(const DistType *fam, const DistType *qfam, const double *theta_q,
                   const WeightType *wt, const WeightCtx *ctx, double *theta, FitInfo *fi)
{
    PopIntegrand p = {fam, qfam, theta_q, wt, ctx, 0, -1};
    double xl, xr;
    pop_window(&p, &xl, &xr);
    if (!isfinite(p.lshift))
        return err_set(ERR_NUMERIC, "population map: the weighted law Q w vanishes everywhere");
    enum { PIECES = 16, LIMIT = 1000 };
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(LIMIT);
    gsl_function F = {pop_integrand, &p};
    double sum[DIST_STAT_MAX + 1] = {0};
    int st = ERR_OK;
    for (int j = -1; j < fam->nstat; j++) {
        p.j = j;
        double total = 0;
        for (int k = 0; k < PIECES; k++) {
            double a = xl + (xr - xl) * k / PIECES, b = xl + (xr - xl) * (k + 1) / PIECES;
            double r, e;
            int gs = gsl_integration_qags(&F, a, b, 0, 1e-13, LIMIT, ws, &r, &e);
            /* GSL_EROUND: the requested tolerance is below rounding; the result is still the best
             * available. Anything else means the integral is not trustworthy. */
            if (gs && gs != GSL_EROUND) {
                st = err_set(ERR_NUMERIC, "population map: quadrature failed (%s)",
                             gsl_strerror(gs));
                goto done;
            }
            total += r;
        }
        sum[j + 1] = total;
    }
    if (!(sum[0] > 0) || !isfinite(sum[0])) {
        st = err_set(ERR_NUMERIC, "population map: cannot normalise the weighted law");
        goto done;
    }
    double sbar[DIST_STAT_MAX];
    for (int j = 0; j < fam->nstat; j++) sbar[j] = sum[j + 1] / sum[0];
    st = fam->fit_stat(sbar, theta, fi);
done:
    gsl_integration_workspace_free(ws);
    return st;
}
