/* mc: parallel replicates with per-replicate PCG streams; serial, ordered aggregation. */
#include "mc.h"

#include <gsl/gsl_sort.h>
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

void mc_aggregate(McResult *res)
{
    long R = res->replicates;
    int G = res->generations, M = res->nmetric;
    free(res->stat);
    res->stat = xcalloc((size_t)G * (size_t)M * MC_NSTAT, sizeof *res->stat);
    double *v = xcalloc((size_t)R, sizeof *v);
    for (int g = 0; g < G; g++)
        for (int m = 0; m < M; m++) {
            size_t k = 0;
            for (long r = 0; r < R; r++) {
                double x = res->traj[((size_t)r * (size_t)G + (size_t)g) * (size_t)M + (size_t)m];
                if (isfinite(x)) v[k++] = x;
            }
            double *st = res->stat + ((size_t)g * (size_t)M + (size_t)m) * MC_NSTAT;
            if (k == 0) {
                for (int j = 0; j < MC_NSTAT; j++) st[j] = NAN;
                continue;
            }
            double mean = gsl_stats_mean(v, 1, k);
            st[MC_MEAN] = mean;
            st[MC_SE] = k > 1 ? gsl_stats_sd_m(v, 1, k, mean) / sqrt((double)k) : NAN;
            gsl_sort(v, 1, k);
            st[MC_Q05] = gsl_stats_quantile_from_sorted_data(v, 1, k, 0.05);
            st[MC_Q50] = gsl_stats_quantile_from_sorted_data(v, 1, k, 0.50);
            st[MC_Q95] = gsl_stats_quantile_from_sorted_data(v, 1, k, 0.95);
        }
    free(v);
}

int mc_run(const SimSpec *s, McResult *res, const char *label)
{
    memset(res, 0, sizeof *res);
    long R = s->replicates;
    int G = s->generations, M = loop_nmetric(s), np = s->fit_family->nparam;
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
