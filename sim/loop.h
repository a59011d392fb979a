/* loop: the fit-sample-refit loop of one replicate, and its n = inf twin (the population map).
 * Generation 0 is the first fit on real data; generation g >= 1 is fitted to samples of
 * generation g-1 (DESIGN.md). The pretrained model (generation -1) sets the first weights. */
#ifndef BIASAMP_LOOP_H
#define BIASAMP_LOOP_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "family.h"
#include "weights.h"

typedef enum { LOOP_REPLACE = 0 } LoopMode; /* the setup code written in CSVs */

typedef struct SimSpec {
    const DistType *data_family; /* the truth p* */
    double theta_data[DIST_PARAM_MAX];
    const DistType *fit_family;  /* the model family (also the pretrained model's) */
    double theta_pre[DIST_PARAM_MAX]; /* the pretrained model, or the law it is estimated from */
    long pre_n;                  /* 0: use theta_pre exactly; else MLE on pre_n draws of it */
    long n;                      /* samples per generation; 0 means n = inf (population map) */
    int generations;             /* fits 0 .. generations-1 */
    const WeightType *weight;
    double gamma, lambda;
    LoopMode mode;
    uint64_t seed;
    long replicates;
} SimSpec;

/* Per-generation metrics of one trajectory, in this column order. */
enum {
    LOOP_M_MEAN = 0, /* then sd, bias (mean - truth mean), dispersion (= sd), n_eff, converged */
    LOOP_M_SD,
    LOOP_M_BIAS,
    LOOP_M_DISPERSION,
    LOOP_M_NEFF,
    LOOP_M_CONVERGED,
    LOOP_M_FIXED /* then the fit family's parameters */
};

/* Number of metrics per generation: LOOP_M_FIXED + nparam of the fit family. */
int loop_nmetric(const SimSpec *s);
/* Column name of metric m ("mean", ..., then the parameter names). */
const char *loop_metric_name(const SimSpec *s, int m);

/* Scratch buffers for one thread: allocate once, reuse for every replicate (no allocation inside
 * a replicate). */
typedef struct LoopWork {
    double *x, *logw;
    long cap;
} LoopWork;
void loop_work_init(LoopWork *w, const SimSpec *s);
void loop_work_release(LoopWork *w);

/* Runs replicate `rep` with its own PCG stream from (seed, replicate); writes
 * generations x loop_nmetric values into out (row-major) and the pretrained model actually used
 * into theta_pre_used (may be NULL). Fits that fail are nan rows with converged = 0. */
int loop_run(const SimSpec *s, long rep, LoopWork *w, double *out, double *theta_pre_used);

/* The population map (n = inf): the same table without sampling error. ERR_NUMERIC if a
 * quadrature fails. */
int loop_population(const SimSpec *s, double *out);

/* The fitted parameters of generation g in a table row (pointer into out). */
static inline const double *loop_theta(const SimSpec *s, const double *out, int g)
{
    (void)s;
    return out + (long)g * loop_nmetric(s) + LOOP_M_FIXED;
}

#endif
