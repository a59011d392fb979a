/* loop: one fit-sample-refit trajectory in every mode, and the population map. The weights at
 * generation g come from the model that produced the data: the pretrained model at g = 0. */
#include "loop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fit.h"
#include "popmap.h"
#include "rng.h"
#include "xalloc.h"

const char *const loop_mode_names[] = {"replace",  "accumulate", "accumulate_subsample",
                                       "preserve", "preserve_pool", NULL};
const char *const loop_schedule_names[] = {"constant", "linear", "geometric", NULL};
const char *const loop_statistic_names[] = {"mean", "share", "quantile", NULL};

long loop_n(const SimSpec *s, int g)
{
    switch (s->schedule) {
    case LOOP_SCHED_LINEAR: return s->n + lround(s->growth * g);
    case LOOP_SCHED_GEOMETRIC: return lround((double)s->n * pow(s->growth, g));
    default: return s->n;
    }
}

static int loop_accumulates(const SimSpec *s)
{
    return s->mode == LOOP_ACCUMULATE || s->mode == LOOP_ACCUMULATE_SUBSAMPLE;
}

/* Real samples drawn at generation g (fresh or from the pool). */
static long loop_nreal(const SimSpec *s, int g, long ng)
{
    if (g == 0) return ng;
    if (s->mode == LOOP_PRESERVE || s->mode == LOOP_PRESERVE_POOL) return lround(s->rho * ng);
    return 0;
}

void loop_work_init(LoopWork *w, const SimSpec *s)
{
    memset(w, 0, sizeof *w);
    size_t dim = (size_t)s->fit.dim, nmax = 1, nacc = 0;
    for (int g = 0; g < s->generations && s->n > 0; g++) {
        size_t ng = (size_t)loop_n(s, g);
        if (ng > nmax) nmax = ng;
        nacc += ng;
    }
    if ((size_t)s->pre_n > nmax) nmax = (size_t)s->pre_n;
    size_t ntrain = loop_accumulates(s) && nacc > nmax ? nacc : nmax;
    w->x = xcalloc(nmax * dim, sizeof *w->x);
    w->tmp = xcalloc(nmax * dim, sizeof *w->tmp);
    w->logw = xcalloc(ntrain, sizeof *w->logw);
    w->blk = xcalloc(ntrain, sizeof *w->blk);
    if (loop_accumulates(s)) {
        w->acc = xcalloc(nacc * dim, sizeof *w->acc);
        w->accblk = xcalloc(nacc, sizeof *w->accblk);
        w->idx = xcalloc(nacc, sizeof *w->idx);
    }
    if (s->weight->curate) w->cand = xcalloc((size_t)s->best_of * nmax * dim, sizeof *w->cand);
    if (s->mode == LOOP_PRESERVE_POOL) {
        w->pool = xcalloc((size_t)s->pool_n * dim, sizeof *w->pool);
        w->pidx = xcalloc((size_t)s->pool_n, sizeof *w->pidx);
    }
    w->bmax = xcalloc((size_t)s->generations + 2, sizeof *w->bmax);
    w->bsum = xcalloc((size_t)s->generations + 2, sizeof *w->bsum);
    w->bcnt = xcalloc((size_t)s->generations + 2, sizeof *w->bcnt);
}

double loop_work_bytes(const SimSpec *s)
{
    double dim = s->fit.dim, nmax = 1, nacc = 0;
    for (int g = 0; g < s->generations && s->n > 0; g++) {
        double ng = (double)loop_n(s, g);
        if (ng > nmax) nmax = ng;
        nacc += ng;
    }
    if ((double)s->pre_n > nmax) nmax = (double)s->pre_n;
    double ntrain = loop_accumulates(s) && nacc > nmax ? nacc : nmax;
    double b = 2 * nmax * dim * sizeof(double) + ntrain * (sizeof(double) + sizeof(int));
    if (loop_accumulates(s)) b += nacc * (dim * sizeof(double) + 2 * sizeof(long));
    if (s->weight->curate) b += (double)s->best_of * nmax * dim * sizeof(double);
    if (s->mode == LOOP_PRESERVE_POOL) b += (double)s->pool_n * (dim * sizeof(double) + sizeof(long));
    return b + 3.0 * (s->generations + 2) * sizeof(double);
}

void loop_work_release(LoopWork *w)
{
    free(w->x);
    free(w->tmp);
    free(w->logw);
    free(w->blk);
    free(w->acc);
    free(w->accblk);
    free(w->idx);
    free(w->cand);
    free(w->pool);
    free(w->pidx);
    free(w->bmax);
    free(w->bsum);
    free(w->bcnt);
    memset(w, 0, sizeof *w);
}

/* m draws of law (d, theta) into out; best-of-K curation when `curate`. */
static void loop_draw(const SimSpec *s, const WeightCtx *ctx, LoopWork *w, gsl_rng *r,
                      const Dist *d, const double *theta, long m, int curate, double *out)
{
    if (m <= 0) return;
    if (curate) {
        d->type->sample(d, theta, r, (size_t)(m * s->best_of), w->cand);
        weight_curate(ctx, r, w->cand, (size_t)m, out);
    } else {
        d->type->sample(d, theta, r, (size_t)m, out);
    }
}

/* m of the first `total` indices without replacement (partial Fisher-Yates) into idx[0..m). */
static void loop_choose(gsl_rng *r, long *idx, long total, long m)
{
    for (long i = 0; i < total; i++) idx[i] = i;
    for (long i = 0; i < m; i++) {
        long j = i + (long)gsl_rng_uniform_int(r, (unsigned long)(total - i));
        long t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* Log-weights of the training set: the weight on weighted blocks, 0 elsewhere, then each block
 * normalised to mean weight 1. Returns NULL when no weight applies (plain MLE). */
static const double *loop_weights(const SimSpec *s, const WeightCtx *ctx, LoopWork *w,
                                  const double *x, const int *blk, long N)
{
    if (!s->weight->logw) return NULL;
    int synth_only = s->scope == WEIGHT_SCOPE_SYNTHETIC, nb = s->generations + 2, any = 0;
    for (long i = 0; i < N; i++) any |= !(synth_only && blk[i] == 0);
    if (!any) return NULL;
    s->weight->logw(ctx, x, (size_t)N, w->logw);
    for (int b = 0; b < nb; b++) {
        w->bmax[b] = -INFINITY;
        w->bsum[b] = 0;
        w->bcnt[b] = 0;
    }
    int first = blk[0], single = 1;
    for (long i = 0; i < N; i++) {
        if (synth_only && blk[i] == 0) w->logw[i] = 0;
        if (w->logw[i] > w->bmax[blk[i]]) w->bmax[blk[i]] = w->logw[i];
        w->bcnt[blk[i]]++;
        single &= blk[i] == first;
    }
    if (single) return w->logw; /* one block: the scale does not matter */
    for (long i = 0; i < N; i++)
        if (isfinite(w->bmax[blk[i]])) w->bsum[blk[i]] += exp(w->logw[i] - w->bmax[blk[i]]);
    for (int b = 0; b < nb; b++)
        if (w->bcnt[b] && isfinite(w->bmax[b]))
            w->bmax[b] += log(w->bsum[b] / (double)w->bcnt[b]); /* log mean weight */
    for (long i = 0; i < N; i++)
        if (isfinite(w->bmax[blk[i]])) w->logw[i] -= w->bmax[blk[i]];
    return w->logw;
}

int loop_run(const SimSpec *s, long rep, LoopWork *w, double *out, double *theta_pre_used)
{
    const Dist *fam = &s->fit;
    int nm = s->nmetric, np = fam->nparam, dim = fam->dim;
    gsl_rng *r = rng_stream_alloc(rng_pcg64, s->seed, RNG_PURPOSE_REPLICATE, (uint64_t)rep);
    double pre[DIST_PARAM_MAX], prev[DIST_PARAM_MAX], gen[DIST_PARAM_MAX], theta[DIST_PARAM_MAX];
    memcpy(pre, s->theta_pre, sizeof pre);
    FitInfo fi;
    if (s->pre_n > 0) { /* the pretrained model is itself an MLE on pre_n draws */
        fam->type->sample(fam, s->theta_pre, r, (size_t)s->pre_n, w->x);
        fit_wmle(fam, w->x, NULL, (size_t)s->pre_n, pre, &fi, NULL);
    }
    if (theta_pre_used) memcpy(theta_pre_used, pre, (size_t)np * sizeof *pre);
    memcpy(prev, pre, sizeof prev);
    WeightCtx ctx = {fam,      prev,      pre,      s->gamma,  s->lambda,
                     s->coord, s->cls,    s->boost, s->best_of};
    int curate = s->weight->curate, curate_real = curate && s->scope == WEIGHT_SCOPE_ALL;
    long P = 0; /* accumulated pool size */
    if (s->mode == LOOP_PRESERVE_POOL)
        s->data.type->sample(&s->data, s->theta_data, r, (size_t)s->pool_n, w->pool);
    for (int g = 0; g < s->generations; g++) {
        double *row = out + (long)g * nm;
        if (g > 0 && !dist_finite(fam, prev)) { /* the chain broke: nothing left to sample */
            fi = (FitInfo){0, 0};
            for (int j = 0; j < np; j++) theta[j] = NAN;
            loop_metrics(s, theta, &fi, NAN, NAN, row);
            continue;
        }
        long ng = loop_n(s, g), nr = loop_nreal(s, g, ng), ns = ng - nr;
        if (g > 0) {
            if (fam->type->temper && s->temperature != 1)
                fam->type->temper(fam, prev, s->temperature, gen);
            else
                memcpy(gen, prev, (size_t)np * sizeof *gen);
        }
        /* the training set x (N samples) and its blocks: 0 real, 1 + t generation t's output */
        const double *x = w->x;
        const int *blk = w->blk;
        long N = ng;
        if (loop_accumulates(s)) {
            double *dst = w->acc + (size_t)P * (size_t)dim;
            if (g == 0)
                loop_draw(s, &ctx, w, r, &s->data, s->theta_data, ng, curate_real, dst);
            else
                loop_draw(s, &ctx, w, r, fam, gen, ng, curate, dst);
            for (long i = 0; i < ng; i++) w->accblk[P + i] = g;
            P += ng;
            if (s->mode == LOOP_ACCUMULATE) {
                x = w->acc;
                blk = w->accblk;
                N = P;
            } else {
                loop_choose(r, w->idx, P, ng);
                for (long i = 0; i < ng; i++) {
                    memcpy(w->x + (size_t)i * (size_t)dim, w->acc + (size_t)w->idx[i] * (size_t)dim,
                           (size_t)dim * sizeof *w->x);
                    w->blk[i] = w->accblk[w->idx[i]];
                }
            }
        } else {
            if (s->mode == LOOP_PRESERVE_POOL) {
                loop_choose(r, w->pidx, s->pool_n, nr);
                for (long i = 0; i < nr; i++)
                    memcpy(w->x + (size_t)i * (size_t)dim,
                           w->pool + (size_t)w->pidx[i] * (size_t)dim, (size_t)dim * sizeof *w->x);
            } else {
                loop_draw(s, &ctx, w, r, &s->data, s->theta_data, nr, curate_real, w->x);
            }
            loop_draw(s, &ctx, w, r, fam, gen, ns, curate, w->x + (size_t)nr * (size_t)dim);
            for (long i = 0; i < ng; i++) w->blk[i] = i < nr ? 0 : 1;
        }
        const double *logw = loop_weights(s, &ctx, w, x, blk, N);
        double n_eff;
        memcpy(theta, prev, (size_t)np * sizeof *theta);
        fit_wmle(fam, x, logw, (size_t)N, theta, &fi, &n_eff);
        if (s->ddof && fam->type->unbias && fi.converged) fam->type->unbias(fam, theta, n_eff);
        loop_metrics(s, theta, &fi, n_eff, (double)N, row);
        memcpy(prev, theta, (size_t)np * sizeof *prev);
    }
    gsl_rng_free(r);
    return ERR_OK;
}

int loop_population(const SimSpec *s, double *out)
{
    const Dist *fam = &s->fit;
    int G = s->generations, np = fam->nparam, nm = s->nmetric;
    double pre[DIST_PARAM_MAX], prev[DIST_PARAM_MAX], theta[DIST_PARAM_MAX];
    double *gens = xcalloc((size_t)G * DIST_PARAM_MAX, sizeof *gens); /* tempered generators */
    PopPart *parts = xcalloc((size_t)G + 2, sizeof *parts);
    memcpy(pre, s->theta_pre, sizeof pre); /* n = inf: the pretrained model is exact */
    memcpy(prev, pre, sizeof prev);
    WeightCtx ctx = {fam,      prev,      pre,      s->gamma,  s->lambda,
                     s->coord, s->cls,    s->boost, s->best_of};
    int broken = 0, st = ERR_OK;
    for (int g = 0; g < G; g++) {
        FitInfo fi = {0, 0};
        for (int j = 0; j < np; j++) theta[j] = NAN;
        if (!broken) {
            double *gen = gens + (size_t)(g > 0 ? g - 1 : 0) * DIST_PARAM_MAX;
            if (g > 0) {
                if (fam->type->temper && s->temperature != 1)
                    fam->type->temper(fam, prev, s->temperature, gen);
                else
                    memcpy(gen, prev, (size_t)np * sizeof *gen);
            }
            /* block shares: sizes follow the schedule when n is finite, else equal */
            double nreal = s->n > 0 ? (double)loop_n(s, 0) : 1;
            int nparts = 0;
            if (g == 0) {
                parts[nparts++] =
                    (PopPart){&s->data, s->theta_data, 1, s->scope == WEIGHT_SCOPE_ALL};
            } else if (loop_accumulates(s)) {
                double tot = nreal;
                for (int t = 1; t <= g; t++) tot += s->n > 0 ? (double)loop_n(s, t) : 1;
                parts[nparts++] =
                    (PopPart){&s->data, s->theta_data, nreal / tot, s->scope == WEIGHT_SCOPE_ALL};
                for (int t = 1; t <= g; t++)
                    parts[nparts++] = (PopPart){fam, gens + (size_t)(t - 1) * DIST_PARAM_MAX,
                                                (s->n > 0 ? (double)loop_n(s, t) : 1) / tot, 1};
            } else if (s->mode == LOOP_PRESERVE || s->mode == LOOP_PRESERVE_POOL) {
                parts[nparts++] =
                    (PopPart){&s->data, s->theta_data, s->rho, s->scope == WEIGHT_SCOPE_ALL};
                parts[nparts++] = (PopPart){fam, gen, 1 - s->rho, 1};
            } else {
                parts[nparts++] = (PopPart){fam, gen, 1, 1};
            }
            memcpy(theta, prev, sizeof theta);
            st = pop_fit(fam, parts, nparts, s->weight, &ctx, theta, &fi);
            if (st) {
                st = err_prefix(st, "generation %d", g);
                goto done;
            }
        }
        /* a fit without a finite optimum (e.g. a fully collapsed law) is data: nan from here on */
        broken = !fi.converged;
        loop_metrics(s, theta, &fi, INFINITY, INFINITY, out + (long)g * nm);
        memcpy(prev, theta, sizeof prev);
    }
done:
    free(gens);
    free(parts);
    return st;
}
