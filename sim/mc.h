/* mc: the Monte Carlo engine. R replicates in parallel (OpenMP threads, and MPI ranks when several
 * run: each rank a contiguous share, collected in replicate order), each on its own PCG stream
 * from (seed, replicate), aggregated per generation in replicate order: output is byte-identical
 * for any thread or rank count. */
#ifndef BIASAMP_MC_H
#define BIASAMP_MC_H

#include "loop.h"

/* Per (generation, metric) summary statistics, in this order. */
enum { MC_MEAN = 0, MC_SE, MC_Q05, MC_Q50, MC_Q95, MC_NSTAT };
extern const char *const mc_stat_suffix[MC_NSTAT]; /* "", "_se", "_q05", "_q50", "_q95" */

typedef struct McResult {
    int generations, nmetric;
    long replicates;
    double *traj;      /* [generations][nmetric][replicates]: one contiguous series per
                        * (generation, metric), the order aggregation reads */
    double *stat;      /* [generations][nmetric][MC_NSTAT] over replicates with finite values */
    double *theta_pre; /* [replicates][nparam]: the pretrained model each replicate used */
} McResult;

/* Runs s->replicates replicates (s->n > 0) and aggregates them. Shows progress when `label` is
 * not NULL. Collective on several ranks (every rank calls it with the same spec and gets the
 * whole result). Release with mc_result_release. */
int mc_run(const SimSpec *s, McResult *res, const char *label);

/* Checkpoint hooks for a resumable run (sim/mcstate). Replicates run in chunks of MC_CHUNK; for
 * chunk c (replicates r0 .. r0+nrep-1) `load` fills rows ([nrep][generations*nmetric], replicate
 * by replicate) and theta ([nrep][nparam]) and returns 1 if the chunk was saved before (0 to
 * compute it); `save` records a computed chunk. Both may be called from several threads at once
 * for different chunks; a nonzero status from save stops the run with that status. */
#define MC_CHUNK 64
typedef struct McHooks {
    void *ctx;
    int (*load)(void *ctx, long c, long r0, long nrep, double *rows, double *theta);
    int (*save)(void *ctx, long c, long r0, long nrep, const double *rows, const double *theta);
} McHooks;

/* mc_run with checkpoint hooks (hooks may be NULL). */
int mc_run_hooked(const SimSpec *s, McResult *res, const char *label, const McHooks *hooks);

/* Aggregates res->traj into res->stat (allocated here). Used by mc_run; exposed for the
 * population map, whose single "replicate" has se = nan. */
void mc_aggregate(McResult *res);

void mc_result_release(McResult *res);

/* Bytes mc_run needs for s on `threads` threads: the trajectories (replicates x generations x
 * metrics), the pretrained fits, the summaries, and per thread a chunk buffer, the loop's work
 * buffers (loop_work_bytes) and the aggregation scratch. */
double mc_memory_bytes(const SimSpec *s, int threads);

/* Metric m of replicate r at generation g. */
static inline double mc_value(const McResult *res, long r, int g, int m)
{
    return res->traj[((size_t)g * (size_t)res->nmetric + (size_t)m) * (size_t)res->replicates +
                     (size_t)r];
}

/* The whole row (nmetric values) of replicate r at generation g, into row. */
static inline void mc_row(const McResult *res, long r, int g, double *row)
{
    for (int m = 0; m < res->nmetric; m++) row[m] = mc_value(res, r, g, m);
}

#endif
