/* weights: fit-time weight functions (log scale, up to a constant) and best-of-K curation. */
#include "weights.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

const char *const weight_scope_names[] = {"all", "synthetic", NULL};

double weight_stat(const WeightCtx *c, const double *x)
{
    if (c->fam->type == &dist_categorical) return (int)x[0] == c->cls;
    return x[c->coord];
}

static void weight_prev_logw(const WeightCtx *c, const double *x, size_t n, double *out)
{
    c->fam->type->logpdf(c->fam, c->theta_prev, x, n, out);
    for (size_t i = 0; i < n; i++) out[i] *= c->gamma;
}

static void weight_pre_logw(const WeightCtx *c, const double *x, size_t n, double *out)
{
    c->fam->type->logpdf(c->fam, c->theta_pre, x, n, out);
    for (size_t i = 0; i < n; i++) out[i] *= c->gamma;
}

static void weight_tilt_logw(const WeightCtx *c, const double *x, size_t n, double *out)
{
    int dim = c->fam->dim;
    for (size_t i = 0; i < n; i++) out[i] = c->lambda * weight_stat(c, x + i * (size_t)dim);
}

static void weight_category_logw(const WeightCtx *c, const double *x, size_t n, double *out)
{
    double lb = log1p(c->boost);
    for (size_t i = 0; i < n; i++) out[i] = (int)x[i] == c->cls ? lb : 0;
}

const WeightType weight_none = {"none", "w = 1 (plain maximum likelihood)", NULL, 0, 0};
const WeightType weight_prev_density = {
    "prev_density", "w = p_prev(x)^gamma, the previous model's density (the paper's scheme)",
    weight_prev_logw, 0, 1};
const WeightType weight_pre_density = {
    "pre_density", "w = p_pre(x)^gamma, the fixed pretrained model's density", weight_pre_logw,
    0, 2};
const WeightType weight_tilt = {
    "tilt", "w = exp(lambda s(x)), an exponential tilt on the statistic", weight_tilt_logw, 0, 0};
const WeightType weight_category = {"category", "w = 1 + boost on one class (categorical)",
                                    weight_category_logw, 0, 0};
const WeightType weight_best_of_k = {
    "best_of_k", "best-of-K curation: keep 1 of K draws with probability ~ exp(lambda s(x))", NULL,
    1, 0};

static const WeightType *const weight_registry[] = {&weight_none,     &weight_prev_density,
                                                    &weight_pre_density, &weight_tilt,
                                                    &weight_category, &weight_best_of_k};
const char *const weight_names[] = {"none",     "prev_density", "pre_density", "tilt",
                                    "category", "best_of_k",    NULL};

const WeightType *weight_find(const char *name)
{
    for (size_t i = 0; i < sizeof weight_registry / sizeof weight_registry[0]; i++)
        if (strcmp(weight_registry[i]->name, name) == 0) return weight_registry[i];
    return NULL;
}

void weight_curate(const WeightCtx *c, gsl_rng *r, const double *cand, size_t n, double *out)
{
    int K = c->best_of, dim = c->fam->dim;
    double p[256];
    for (size_t i = 0; i < n; i++) {
        const double *g = cand + i * (size_t)K * (size_t)dim;
        double m = -INFINITY, s = 0;
        for (int j = 0; j < K; j++) {
            p[j] = c->lambda * weight_stat(c, g + (size_t)j * (size_t)dim);
            m = fmax(m, p[j]);
        }
        for (int j = 0; j < K; j++) s += p[j] = exp(p[j] - m);
        double u = gsl_rng_uniform(r) * s;
        int j = 0;
        while (j < K - 1 && (u -= p[j]) >= 0) j++;
        memcpy(out + i * (size_t)dim, g + (size_t)j * (size_t)dim, (size_t)dim * sizeof *out);
    }
}

/* w_i = K int a_i t e^{-t a_i} phi(t)^{K-1} d(log t), a_i = e^{r_i - rmax}, on a uniform grid in
 * u = log t (the integrand is smooth and decays double-exponentially at both ends, so the
 * trapezoid rule converges geometrically: h = 1/8 is exact to ~1e-12). Population use only:
 * allocates. */
void weight_best_of_k_rewards(int K, const double *r, const double *lmass, size_t n, double *out)
{
    double rmax = -INFINITY, rmin = INFINITY, lmax = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!(lmass[i] > -INFINITY)) continue;
        rmax = fmax(rmax, r[i]);
        rmin = fmin(rmin, r[i]);
        lmax = fmax(lmax, lmass[i]);
    }
    if (!isfinite(rmax) || K == 1) {
        for (size_t i = 0; i < n; i++) out[i] = 0;
        return;
    }
    double span = fmin(rmax - rmin, 700), h = 0.125, Z = 0;
    for (size_t i = 0; i < n; i++) Z += exp(lmass[i] - lmax);
    double u0 = -40, u1 = span + 8;
    int m = (int)ceil((u1 - u0) / h);
    double *lphi = xcalloc(2 * ((size_t)m + 1), sizeof *lphi); /* (K-1) log phi(t_k), then t_k */
    double *t = lphi + m + 1;
    for (int k = 0; k <= m; k++) {
        double phi = 0;
        t[k] = exp(u0 + k * h);
        for (size_t j = 0; j < n; j++)
            if (lmass[j] > -INFINITY)
                phi += exp(lmass[j] - lmax - t[k] * exp(fmax(r[j] - rmax, -700)));
        lphi[k] = (K - 1) * log(phi / Z) + (k == 0 || k == m ? log(0.5) : 0);
    }
    /* out may alias r: each r_i is read before out_i is written */
    for (size_t i = 0; i < n; i++) {
        double a = exp(fmax(r[i] - rmax, -700)), s = 0;
        for (int k = 0; k <= m; k++) s += t[k] * exp(lphi[k] - t[k] * a);
        out[i] = log(K * h * a * s);
    }
    free(lphi);
}

void weight_nodes(const WeightType *wt, const WeightCtx *c, const double *x, const double *lmass,
                  size_t n, double *out)
{
    if (wt->curate) {
        int dim = c->fam->dim;
        for (size_t i = 0; i < n; i++) out[i] = c->lambda * weight_stat(c, x + i * (size_t)dim);
        weight_best_of_k_rewards(c->best_of, out, lmass, n, out);
    } else if (wt->logw) {
        wt->logw(c, x, n, out);
    } else {
        for (size_t i = 0; i < n; i++) out[i] = 0;
    }
}

static void weight_tilt_s(const void *ctx, const double *s, const double *lmass, size_t n,
                          double *out)
{
    const WeightCtx *c = ctx;
    for (size_t i = 0; i < n; i++) out[i] = c->lambda * s[i];
}

static void weight_best_s(const void *ctx, const double *s, const double *lmass, size_t n,
                          double *out)
{
    const WeightCtx *c = ctx;
    for (size_t i = 0; i < n; i++) out[i] = c->lambda * s[i];
    weight_best_of_k_rewards(c->best_of, out, lmass, n, out);
}

int weight_popweight(const WeightType *wt, const WeightCtx *c, PopWeight *pw)
{
    memset(pw, 0, sizeof *pw);
    pw->coord = -1;
    if (wt == &weight_none) return ERR_OK;
    if (wt->density) {
        pw->ndens = 1;
        pw->dens_theta[0] = wt->density == 1 ? c->theta_prev : c->theta_pre;
        pw->dens_gamma[0] = c->gamma;
        return ERR_OK;
    }
    if (wt == &weight_tilt || wt == &weight_best_of_k) {
        pw->coord = c->coord;
        pw->logw_s = wt == &weight_tilt ? weight_tilt_s : weight_best_s;
        pw->ctx = c;
        return ERR_OK;
    }
    return err_set(ERR_UNSUPPORTED, "weight '%s' has no closed-form population map for %s",
                   wt->name, c->fam->type->name);
}
