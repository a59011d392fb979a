/* loop: the fit-sample-refit loop of one replicate, in every mode, and its n = inf twin (the
 * population map). Generation 0 is the first fit on real data; generation g >= 1 is fitted to a
 * pool that holds samples of generation g-1 (DESIGN.md). The pretrained model (generation -1)
 * sets the first weights.
 *
 * Blocks and weights: a training pool is made of blocks (the real data; each generation's
 * samples). The fit-time weight applies to synthetic blocks, and to the real block too when
 * scope = all; inside each block weights are normalised to mean 1, so a block's share of the fit
 * is its share of the samples and the weight only reshapes the law inside it. */
#ifndef BIASAMP_LOOP_H
#define BIASAMP_LOOP_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "family.h"
#include "weights.h"

/* The setup code written in CSVs (numeric; names in `# setup_codes=`). */
typedef enum {
    LOOP_REPLACE = 0,            /* train on the last generation's samples only */
    LOOP_ACCUMULATE = 1,         /* all data so far (real + every generation) */
    LOOP_ACCUMULATE_SUBSAMPLE = 2, /* all data so far, subsampled to n_t without replacement */
    LOOP_PRESERVE = 3,           /* a fraction rho of fresh real samples each generation */
    LOOP_PRESERVE_POOL = 4,      /* a fraction rho drawn from a fixed real pool */
    LOOP_NMODES
} LoopMode;
extern const char *const loop_mode_names[]; /* NULL-terminated, in code order */

typedef enum { LOOP_SCHED_CONSTANT = 0, LOOP_SCHED_LINEAR, LOOP_SCHED_GEOMETRIC } LoopSchedule;
extern const char *const loop_schedule_names[];

typedef enum { LOOP_STAT_MEAN = 0, LOOP_STAT_SHARE, LOOP_STAT_QUANTILE } LoopStatistic;
extern const char *const loop_statistic_names[];

#define LOOP_METRIC_MAX (24 + 2 * DIST_PARAM_MAX)

typedef struct SimSpec {
    Dist data;                        /* the truth p* */
    double theta_data[DIST_PARAM_MAX];
    Dist fit;                         /* the model family (also the pretrained model's) */
    double theta_pre[DIST_PARAM_MAX]; /* the pretrained model, or the law it is estimated from */
    long pre_n;                       /* 0: use theta_pre exactly; else MLE on pre_n draws of it */
    long n;                           /* n_0, samples at generation 0; 0 means n = inf */
    LoopSchedule schedule;            /* n_t: constant, n + t growth, n growth^t */
    double growth;
    int generations;                  /* fits 0 .. generations-1 */
    const WeightType *weight;
    WeightScope scope;
    double gamma, lambda, boost;
    int best_of;
    int coord, cls;                   /* the statistic: coordinate / class (0-based) */
    LoopStatistic statistic;
    double q;                         /* quantile level of statistic = quantile */
    LoopMode mode;
    double rho;                       /* real fraction (preserve modes) */
    long pool_n;                      /* size of the fixed real pool (preserve_pool) */
    double temperature;               /* generator knob (temper hook); 1 = off */
    int ddof;                         /* 1: unbiased variance refit (unbias hook) */
    uint64_t seed;
    long replicates;
    char class_names[DIST_PARAM_MAX][DIST_PNAME_MAX]; /* categorical share columns; "" = 1..K */
    int nsnap, snap[16];              /* generations drawn in the density snapshots */

    /* derived by loop_prepare */
    int prepared;
    int nmetric;
    char mname[LOOP_METRIC_MAX][32];  /* column names */
    int col[32];                      /* column of each LoopMetric, -1 if not written */
    double truth_stat, truth_mean, truth_sd;
    double tlo, thi;                  /* the truth's bulk (1-D quadrature window) */
} SimSpec;

/* Named metrics; loop_col(s, LOOP_M_X) is its column (or -1). Shares and parameters follow. */
typedef enum {
    LOOP_M_STAT = 0, LOOP_M_BIAS, LOOP_M_MEAN, LOOP_M_SD, LOOP_M_DISPERSION, LOOP_M_COV_TRACE,
    LOOP_M_COV_DET, LOOP_M_TAIL2, LOOP_M_TAIL3, LOOP_M_KL, LOOP_M_TV, LOOP_M_W2, LOOP_M_ENTROPY,
    LOOP_M_GINI, LOOP_M_LOST, LOOP_M_LOST_MASS, LOOP_M_ZHAO, LOOP_M_NEFF, LOOP_M_NTRAIN,
    LOOP_M_CONVERGED, LOOP_M_SHARE0, LOOP_M_PARAM0, LOOP_M_COUNT
} LoopMetric;

/* Computes the derived fields (metric layout, truth statistics). Call once after filling the
 * spec (simcfg_spec does). */
void loop_prepare(SimSpec *s);

static inline int loop_nmetric(const SimSpec *s) { return s->nmetric; }
static inline const char *loop_metric_name(const SimSpec *s, int m) { return s->mname[m]; }
static inline int loop_col(const SimSpec *s, LoopMetric m) { return s->col[m]; }
/* Column of metric `name`, or -1. */
int loop_find_col(const SimSpec *s, const char *name);

/* Sample size of generation g under the schedule (finite n only). */
long loop_n(const SimSpec *s, int g);

/* Bytes loop_work_init allocates for s (doubles: an absurd spec cannot overflow). */
double loop_work_bytes(const SimSpec *s);

/* Scratch buffers for one thread: allocated once, reused for every replicate (no allocation
 * inside a replicate); accumulate modes hold room for every generation's samples. */
typedef struct LoopWork {
    double *x, *logw, *acc, *cand, *pool, *tmp;
    int *blk, *accblk;
    long *idx, *pidx;
    double *bmax, *bsum;
    long *bcnt;
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

/* The metric row of a fitted model (theta may be nan when the fit failed). */
void loop_metrics(const SimSpec *s, const double *theta, const FitInfo *fi, double n_eff,
                  double n_train, double *row);

/* The fitted parameters of generation g in a table row (pointer into out). */
static inline const double *loop_theta(const SimSpec *s, const double *out, int g)
{
    return out + (long)g * s->nmetric + s->col[LOOP_M_PARAM0];
}

#endif
