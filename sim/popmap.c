/* popmap: population maps through node rules (exact supports of discrete laws, graded
 * Gauss-Legendre panels for 1-D continuous laws) and the families' closed forms. */
#include "popmap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

static const double gl16_x[8] = {
    0.095012509837637441, 0.28160355077925892, 0.45801677765722737, 0.61787624440264377,
    0.755404408355003,    0.86563120238783176, 0.9445750230732326,  0.98940093499164994};
static const double gl16_w[8] = {
    0.18945061045506847, 0.18260341504492361, 0.16915651939500256, 0.14959598881657682,
    0.12462897125553395, 0.095158511682492897, 0.062253523938647776, 0.027152459411754058};

void pop_gl16(double a, double b, double *x, double *w)
{
    double c = 0.5 * (a + b), h = 0.5 * (b - a);
    for (int i = 0; i < 8; i++) {
        x[2 * i] = c - h * gl16_x[i];
        x[2 * i + 1] = c + h * gl16_x[i];
        w[2 * i] = w[2 * i + 1] = h * gl16_w[i];
    }
}

/* log Q(x_i) + log w(x_i) for n points (pointwise weight wt, or none), batched so that
 * normalising constants are computed once. */
static void pop_logqw(const Dist *q, const double *theta, const WeightType *wt,
                      const WeightCtx *ctx, const double *x, size_t n, double *l, double *tmp)
{
    q->type->logpdf(q, theta, x, n, l);
    if (wt && wt->logw) {
        wt->logw(ctx, x, n, tmp);
        for (size_t i = 0; i < n; i++) l[i] += tmp[i];
    }
}

/* The window [xl, xr] outside which Q w < e^-70 of its maximum, found on a grid over Q's bulk
 * (mean +- 50 sd, clipped to the support) and widened by one grid step. */
#define POP_GRID 4096
static void pop_window(const Dist *q, const double *theta, const WeightType *wt,
                       const WeightCtx *ctx, double *xl, double *xr, double *lshift)
{
    double mean, var;
    q->type->moments(q, theta, &mean, &var);
    double sd = sqrt(var), lo = fmax(q->lo, mean - 50 * sd), hi = fmin(q->hi, mean + 50 * sd);
    double h = (hi - lo) / POP_GRID, lmax = -INFINITY;
    double *x = xcalloc(3 * (POP_GRID + 1), sizeof *x), *l = x + POP_GRID + 1,
           *tmp = l + POP_GRID + 1;
    for (int i = 0; i <= POP_GRID; i++) x[i] = lo + h * i;
    x[0] = lo + 1e-3 * h; /* open support: nudge the endpoints inside */
    x[POP_GRID] = hi - 1e-3 * h;
    pop_logqw(q, theta, wt, ctx, x, POP_GRID + 1, l, tmp);
    for (int i = 0; i <= POP_GRID; i++)
        if (l[i] > lmax) lmax = l[i];
    int a = 0, b = POP_GRID;
    while (a < POP_GRID && !(l[a] >= lmax - 70)) a++;
    while (b > 0 && !(l[b] >= lmax - 70)) b--;
    *xl = a > 0 ? lo + h * (a - 1) : lo;
    *xr = b < POP_GRID ? lo + h * (b + 1) : hi;
    *lshift = lmax;
    free(x);
}

/* Gauss-Legendre panels over [xl, xr]: POP_PANELS uniform ones, the first and last split
 * geometrically (ratio 1/4, POP_GRADE levels) when they touch a finite end of the support, where
 * densities may have algebraic singularities (Beta with a or b < 2). */
#define POP_PANELS 64
#define POP_GRADE 24
static size_t pop_panels(double xl, double xr, int grade_lo, int grade_hi, double *a, double *b)
{
    size_t n = 0;
    double h = (xr - xl) / POP_PANELS;
    for (int p = 0; p < POP_PANELS; p++) {
        double pa = xl + h * p, pb = xl + h * (p + 1);
        if (p == 0 && grade_lo) {
            double w = h;
            for (int k = 0; k < POP_GRADE; k++, w /= 4) a[n] = xl + w / 4, b[n++] = xl + w;
            a[n] = xl, b[n++] = xl + w;
        } else if (p == POP_PANELS - 1 && grade_hi) {
            double w = h;
            for (int k = 0; k < POP_GRADE; k++, w /= 4) a[n] = xr - w, b[n++] = xr - w / 4;
            a[n] = xr - w, b[n++] = xr;
        } else {
            a[n] = pa, b[n++] = pb;
        }
    }
    return n;
}

int pop_nodes(const Dist *q, const double *theta, const WeightType *wt, const WeightCtx *ctx,
              double **xo, double **lmo, size_t *no)
{
    const WeightType *pw = wt && wt->logw ? wt : NULL;
    double *x, *lm;
    size_t n = 0;
    if (q->type == &dist_categorical) {
        x = xcalloc((size_t)q->k, sizeof *x);
        lm = xcalloc((size_t)q->k, sizeof *lm);
        for (int c = 0; c < q->k; c++) {
            x[n] = c;
            lm[n++] = log(theta[c]);
        }
    } else if (q->type->discrete) {
        /* walk 0, 1, 2, ... until past the mode and e^-45 below the maximum (log-concave laws) */
        size_t cap = 1024;
        x = xmalloc(cap * sizeof *x);
        lm = xmalloc(cap * sizeof *lm);
        double lmax = -INFINITY, lprev = -INFINITY;
        for (long v = 0;; v++) {
            double xv0 = (double)v, l, tmp;
            pop_logqw(q, theta, pw, ctx, &xv0, 1, &l, &tmp);
            if (l > lmax) lmax = l;
            if (v > 0 && l < lprev && l < lmax - 45) break;
            if (v > 20000000) {
                free(x);
                free(lm);
                return err_set(ERR_NUMERIC, "population map: count law has no negligible tail");
            }
            if (n == cap) {
                cap *= 2;
                x = xrealloc(x, cap * sizeof *x);
                lm = xrealloc(lm, cap * sizeof *lm);
            }
            double lq;
            double xv = (double)v;
            q->type->logpdf(q, theta, &xv, 1, &lq);
            x[n] = xv;
            lm[n++] = lq;
            lprev = l;
        }
    } else {
        if (q->dim != 1)
            return err_set(ERR_UNSUPPORTED, "population nodes: %s is not 1-D", q->type->name);
        double xl, xr, lshift, pa[POP_PANELS + 2 * POP_GRADE + 2],
            pb[POP_PANELS + 2 * POP_GRADE + 2];
        pop_window(q, theta, pw, ctx, &xl, &xr, &lshift);
        if (!isfinite(lshift))
            return err_set(ERR_NUMERIC, "population map: the weighted law vanishes everywhere");
        size_t np = pop_panels(xl, xr, xl == q->lo, xr == q->hi, pa, pb);
        x = xcalloc(np * 16, sizeof *x);
        lm = xcalloc(np * 16, sizeof *lm);
        double *w = xcalloc(np * 16, sizeof *w);
        for (size_t p = 0; p < np; p++) pop_gl16(pa[p], pb[p], x + 16 * p, w + 16 * p);
        n = np * 16;
        q->type->logpdf(q, theta, x, n, lm);
        for (size_t i = 0; i < n; i++) lm[i] += log(w[i]);
        free(w);
    }
    *xo = x;
    *lmo = lm;
    *no = n;
    return ERR_OK;
}

/* Normalised log-weights of one block's nodes: lmass + log w - log Z. */
static int pop_block_logw(const PopPart *p, const WeightType *wt, const WeightCtx *ctx,
                          double **x, double **lw, size_t *n)
{
    const WeightType *w = p->weighted ? wt : &weight_none;
    int st = pop_nodes(p->q, p->theta, w, ctx, x, lw, n);
    if (st) return st;
    double *lwt = xcalloc(*n, sizeof *lwt);
    weight_nodes(w, ctx, *x, *lw, *n, lwt);
    double m = -INFINITY, Z = 0;
    for (size_t i = 0; i < *n; i++) {
        (*lw)[i] += lwt[i];
        if ((*lw)[i] > m) m = (*lw)[i];
    }
    for (size_t i = 0; i < *n; i++) Z += exp((*lw)[i] - m);
    free(lwt);
    if (!isfinite(m) || !(Z > 0))
        return err_set(ERR_NUMERIC, "population map: cannot normalise the weighted law");
    double lz = m + log(Z);
    for (size_t i = 0; i < *n; i++) (*lw)[i] -= lz;
    return ERR_OK;
}

/* sbar of one block by nodes: sum_i e^{lw_i} S(x_i). */
static int pop_sbar_nodes(const Dist *fit, const PopPart *p, const WeightType *wt,
                          const WeightCtx *ctx, double *sbar)
{
    double *x, *lw, s[DIST_STAT_MAX];
    size_t n;
    int st = pop_block_logw(p, wt, ctx, &x, &lw, &n);
    if (st) return st;
    memset(sbar, 0, (size_t)fit->nstat * sizeof *sbar);
    for (size_t i = 0; i < n; i++) {
        double w = exp(lw[i]);
        if (w == 0) continue;
        fit->type->stat(fit, x + i, s);
        for (int j = 0; j < fit->nstat; j++) sbar[j] += w * s[j];
    }
    free(x);
    free(lw);
    return ERR_OK;
}

int pop_stat_weight_moments(const PopWeight *pw, double m, double v, double *ew, double *vw)
{
    enum { PAN = 48 };
    double sd = sqrt(v), x[PAN * 16], lm[PAN * 16], lw[PAN * 16];
    /* the law of s is N(m, v); a tilt moves it by lambda v, so look up to 60 sd either side
     * for the window where the weighted law lives, then integrate there */
    double lo = m - 60 * sd, hi = m + 60 * sd, lmax = -INFINITY;
    for (int p = 0; p < PAN; p++) {
        double w[16];
        pop_gl16(lo + (hi - lo) * p / PAN, lo + (hi - lo) * (p + 1) / PAN, x + p * 16, w);
        for (int i = 0; i < 16; i++) {
            double z = (x[p * 16 + i] - m) / sd;
            lm[p * 16 + i] = -0.5 * z * z + log(w[i]);
        }
    }
    pw->logw_s(pw->ctx, x, lm, PAN * 16, lw);
    for (int i = 0; i < PAN * 16; i++) lmax = fmax(lmax, lm[i] + lw[i]);
    int a = 0, b = PAN * 16 - 1;
    while (a < b && !(lm[a] + lw[a] >= lmax - 70)) a++;
    while (b > a && !(lm[b] + lw[b] >= lmax - 70)) b--;
    double step = (hi - lo) / PAN;
    lo = x[a] - 2 * step;
    hi = x[b] + 2 * step;
    for (int p = 0; p < PAN; p++) {
        double w[16];
        pop_gl16(lo + (hi - lo) * p / PAN, lo + (hi - lo) * (p + 1) / PAN, x + p * 16, w);
        for (int i = 0; i < 16; i++) {
            double z = (x[p * 16 + i] - m) / sd;
            lm[p * 16 + i] = -0.5 * z * z + log(w[i]);
        }
    }
    pw->logw_s(pw->ctx, x, lm, PAN * 16, lw);
    lmax = -INFINITY;
    for (int i = 0; i < PAN * 16; i++) lmax = fmax(lmax, lm[i] + lw[i]);
    if (!isfinite(lmax)) return err_set(ERR_NUMERIC, "population map: weighted law vanishes");
    double Z = 0, S1 = 0, S2 = 0;
    for (int i = 0; i < PAN * 16; i++) {
        double w = exp(lm[i] + lw[i] - lmax), d = x[i] - m;
        Z += w;
        S1 += w * d;
        S2 += w * d * d;
    }
    S1 /= Z;
    *ew = m + S1;
    *vw = S2 / Z - S1 * S1;
    return ERR_OK;
}

int pop_fit(const Dist *fit, const PopPart *parts, int nparts, const WeightType *wt,
            const WeightCtx *ctx, double *theta, FitInfo *fi)
{
    int st = ERR_OK;
    if (fit->type->fit) {
        /* EM families: one weighted node set for the whole pool */
        double *X = NULL, *LW = NULL;
        size_t N = 0;
        for (int c = 0; c < nparts && !st; c++) {
            double *x, *lw;
            size_t n;
            if (parts[c].pi <= 0) continue;
            if ((st = pop_block_logw(&parts[c], wt, ctx, &x, &lw, &n))) break;
            X = xrealloc(X, (N + n) * sizeof *X);
            LW = xrealloc(LW, (N + n) * sizeof *LW);
            for (size_t i = 0; i < n; i++) {
                X[N + i] = x[i];
                LW[N + i] = lw[i] + log(parts[c].pi);
            }
            N += n;
            free(x);
            free(lw);
        }
        if (!st) st = fit->type->fit(fit, X, LW, N, theta, fi);
        free(X);
        free(LW);
        return st;
    }
    double sbar[DIST_STAT_MAX] = {0}, sc[DIST_STAT_MAX];
    for (int c = 0; c < nparts; c++) {
        const PopPart *p = &parts[c];
        if (p->pi <= 0) continue;
        const WeightType *w = p->weighted ? wt : &weight_none;
        if (p->q->type->pop_stat) {
            PopWeight pw;
            if ((st = weight_popweight(w, ctx, &pw))) return st;
            st = p->q->type->pop_stat(p->q, p->theta, &pw, sc);
        } else {
            st = pop_sbar_nodes(fit, p, wt, ctx, sc);
        }
        if (st) return st;
        for (int j = 0; j < fit->nstat; j++) sbar[j] += p->pi * sc[j];
    }
    return fit->type->fit_stat(fit, sbar, theta, fi);
}
