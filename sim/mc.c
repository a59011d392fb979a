/* mc: parallel replicates with per-replicate PCG streams; serial, ordered aggregation. */
#include "mc.h"

#include <gsl/gsl_statistics.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "progress.h"
#include "xalloc.h"

const char *const mc_stat_suffix[MC_NSTAT] = {"", "_se", "_q05", "_q50", "_q95"};

/* Quantile of level p (GSL's definition: linear interpolation at (k-1) p) of v[0..k), by
 * selection instead of a full sort; v is permuted. */
static double mc_quantile(double *v, size_t k, double p)
{
    double idx = (double)(k - 1) * p;
    size_t lo = (size_t)floor(idx);
    double delta = idx - (double)lo, a = gsl_stats_select(v, 1, k, lo);
    if (delta == 0 || lo + 1 >= k) return a;
    /* the order statistic lo + 1: a again if at least lo + 2 values are <= a, else the smallest
     * value above a (no assumption on how the selection permuted v) */
    size_t le = 0;
    double b = INFINITY;
    for (size_t i = 0; i < k; i++) {
        if (v[i] <= a)
            le++;
        else if (v[i] < b)
            b = v[i];
    }
    if (le >= lo + 2) b = a;
    return (1 - delta) * a + delta * b;
}

/* One generation's summaries: values gathered per metric from every replicate (row blocks are
 * contiguous, so the gather reads R cache lines), then mean, se and quantiles by selection. */
static void mc_aggregate_generation(McResult *res, int g, double *buf, double *v)
{
    long R = res->replicates;
    int G = res->generations, M = res->nmetric;
    for (long r = 0; r < R; r++) {
        const double *row = res->traj + ((size_t)r * (size_t)G + (size_t)g) * (size_t)M;
        for (int m = 0; m < M; m++) buf[(size_t)m * (size_t)R + (size_t)r] = row[m];
    }
    for (int m = 0; m < M; m++) {
        const double *col = buf + (size_t)m * (size_t)R;
        size_t k = 0;
        for (long r = 0; r < R; r++)
            if (isfinite(col[r])) v[k++] = col[r];
        double *st = res->stat + ((size_t)g * (size_t)M + (size_t)m) * MC_NSTAT;
        if (k == 0) {
            for (int j = 0; j < MC_NSTAT; j++) st[j] = NAN;
            continue;
        }
        double mean = gsl_stats_mean(v, 1, k);
        st[MC_MEAN] = mean;
        st[MC_SE] = k > 1 ? gsl_stats_sd_m(v, 1, k, mean) / sqrt((double)k) : NAN;
        st[MC_Q05] = mc_quantile(v, k, 0.05);
        st[MC_Q50] = mc_quantile(v, k, 0.50);
        st[MC_Q95] = mc_quantile(v, k, 0.95);
    }
}

void mc_aggregate(McResult *res)
{
    long R = res->replicates;
    int G = res->generations, M = res->nmetric;
    free(res->stat);
    res->stat = xcalloc((size_t)G * (size_t)M * MC_NSTAT, sizeof *res->stat);
    /* generations are independent: aggregate them in parallel (output does not depend on the
     * thread count: each generation is summarised by one thread in a fixed order) */
#pragma omp parallel
    {
        double *buf = xcalloc((size_t)R * (size_t)M, sizeof *buf);
        double *v = xcalloc((size_t)R, sizeof *v);
#pragma omp for schedule(static)
        for (int g = 0; g < G; g++) mc_aggregate_generation(res, g, buf, v);
        free(buf);
        free(v);
    }
}

int mc_run(const SimSpec *s, McResult *res, const char *label)
{
    memset(res, 0, sizeof *res);
    long R = s->replicates;
    int G = s->generations, M = loop_nmetric(s), np = s->fit.nparam;
    res->generations = G;
    res->nmetric = M;
    res->replicates = R;
    res->traj = xcalloc((size_t)R * (size_t)G * (size_t)M, sizeof *res->traj);
    res->theta_pre = xcalloc((size_t)R * (size_t)np, sizeof *res->theta_pre);
    Progress prog;
    progress_start(&prog, label ? label : "", R);
    if (!label) prog.enabled = 0;
    long done = 0;
#pragma omp parallel
    {
        LoopWork w;
        loop_work_init(&w, s);
#pragma omp for schedule(dynamic, 1)
        for (long r = 0; r < R; r++) {
            loop_run(s, r, &w, res->traj + (size_t)r * (size_t)G * (size_t)M,
                     res->theta_pre + (size_t)r * (size_t)np);
#ifdef _OPENMP
            if (omp_get_thread_num() == 0)
#endif
            {
                long d;
#pragma omp atomic read
                d = done;
                progress_update(&prog, d);
            }
#pragma omp atomic update
            done++;
        }
        loop_work_release(&w);
    }
    progress_end(&prog);
    mc_aggregate(res);
    return ERR_OK;
}

void mc_result_release(McResult *res)
{
    if (!res) return;
    free(res->traj);
    free(res->stat);
    free(res->theta_pre);
    memset(res, 0, sizeof *res);
}
