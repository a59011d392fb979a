/* loop: one fit-sample-refit trajectory (replace mode) and the population map. The weights at
 * generation g come from the model that produced the data: the pretrained model at g = 0. */
#include "loop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fit.h"
#include "rng.h"
#include "xalloc.h"

static const char *const loop_fixed_names[LOOP_M_FIXED] = {"mean",       "sd",    "bias",
                                                           "dispersion", "n_eff", "converged"};

int loop_nmetric(const SimSpec *s) { return LOOP_M_FIXED + s->fit_family->nparam; }

const char *loop_metric_name(const SimSpec *s, int m)
{
    return m < LOOP_M_FIXED ? loop_fixed_names[m] : s->fit_family->param_names[m - LOOP_M_FIXED];
}

void loop_work_init(LoopWork *w, const SimSpec *s)
{
    long cap = s->n > s->pre_n ? s->n : s->pre_n;
    if (cap < 1) cap = 1;
    w->cap = cap;
    w->x = xcalloc((size_t)cap * (size_t)s->fit_family->dim, sizeof *w->x);
    w->logw = xcalloc((size_t)cap, sizeof *w->logw);
}

void loop_work_release(LoopWork *w)
{
    free(w->x);
    free(w->logw);
    w->x = w->logw = NULL;
}

/* Fills one table row from a fit. */
static void loop_row(const SimSpec *s, const double *theta, const FitInfo *fi, double n_eff,
                     double *row)
{
    int np = s->fit_family->nparam;
    double mean = NAN, var = NAN, tmean, tvar;
    if (fi->converged) s->fit_family->moments(theta, &mean, &var);
    s->data_family->moments(s->theta_data, &tmean, &tvar);
    row[LOOP_M_MEAN] = mean;
    row[LOOP_M_SD] = sqrt(var);
    row[LOOP_M_BIAS] = mean - tmean;
    row[LOOP_M_DISPERSION] = sqrt(var);
    row[LOOP_M_NEFF] = n_eff;
    row[LOOP_M_CONVERGED] = fi->converged;
    for (int j = 0; j < np; j++) row[LOOP_M_FIXED + j] = theta[j];
}

int loop_run(const SimSpec *s, long rep, LoopWork *w, double *out, double *theta_pre_used)
{
    const DistType *fam = s->fit_family;
    int nm = loop_nmetric(s), np = fam->nparam;
    gsl_rng *r = rng_stream_alloc(rng_pcg64, s->seed, RNG_PURPOSE_REPLICATE, (uint64_t)rep);
    double pre[DIST_PARAM_MAX], prev[DIST_PARAM_MAX], theta[DIST_PARAM_MAX];
    memcpy(pre, s->theta_pre, sizeof pre);
    FitInfo fi;
    if (s->pre_n > 0) { /* the pretrained model is itself an MLE on pre_n draws */
        fam->sample(s->theta_pre, r, (size_t)s->pre_n, w->x);
        fit_wmle(fam, w->x, NULL, (size_t)s->pre_n, pre, &fi, NULL);
    }
    if (theta_pre_used) memcpy(theta_pre_used, pre, (size_t)np * sizeof *pre);
    memcpy(prev, pre, sizeof prev);
    WeightCtx ctx = {fam, prev, pre, s->gamma, s->lambda};
    for (int g = 0; g < s->generations; g++) {
        double *row = out + (long)g * nm;
        int ok = 1;
        for (int j = 0; j < np; j++) ok &= isfinite(prev[j]);
        if (!ok) { /* the chain broke earlier: nothing left to sample from */
            fi = (FitInfo){0, 0};
            for (int j = 0; j < np; j++) theta[j] = NAN;
            loop_row(s, theta, &fi, NAN, row);
            continue;
        }
        if (g == 0)
            s->data_family->sample(s->theta_data, r, (size_t)s->n, w->x);
        else
            fam->sample(prev, r, (size_t)s->n, w->x);
        const double *logw = NULL;
        if (s->weight->logw) {
            s->weight->logw(&ctx, w->x, (size_t)s->n, w->logw);
            logw = w->logw;
        }
        double n_eff;
        memcpy(theta, prev, sizeof theta);
        fit_wmle(fam, w->x, logw, (size_t)s->n, theta, &fi, &n_eff);
        loop_row(s, theta, &fi, n_eff, row);
        memcpy(prev, theta, sizeof prev);
    }
    gsl_rng_free(r);
    return ERR_OK;
}

int loop_population(const SimSpec *s, double *out)
{
    const DistType *fam = s->fit_family;
    int nm = loop_nmetric(s), np = fam->nparam;
    double pre[DIST_PARAM_MAX], prev[DIST_PARAM_MAX], theta[DIST_PARAM_MAX];
    memcpy(pre, s->theta_pre, sizeof pre); /* n = inf: the pretrained model is exact */
    memcpy(prev, pre, sizeof prev);
    WeightCtx ctx = {fam, prev, pre, s->gamma, s->lambda};
    int broken = 0;
    for (int g = 0; g < s->generations; g++) {
        FitInfo fi = {0, 0};
        for (int j = 0; j < np; j++) theta[j] = NAN;
        if (!broken) {
            memcpy(theta, prev, sizeof theta);
            int st = g == 0 ? fit_population(fam, s->data_family, s->theta_data, s->weight, &ctx,
                                             theta, &fi)
                            : fit_population(fam, fam, prev, s->weight, &ctx, theta, &fi);
            if (st) return err_prefix(st, "generation %d", g);
        }
        /* a fit without a finite optimum (e.g. a fully collapsed law) is data: nan from here on */
        broken = !fi.converged;
        loop_row(s, theta, &fi, INFINITY, out + (long)g * nm);
        memcpy(prev, theta, sizeof prev);
    }
    return ERR_OK;
}
