/* mc: parallel replicates with per-replicate PCG streams; serial, ordered aggregation. */
#include "mc.h"

#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "par.h"
#include "progress.h"
#include "xalloc.h"

/* OpenMP pragmas that vanish (without -Wunknown-pragmas noise) in OMP=0 builds */
#ifdef _OPENMP
#define MC_OMP(x) _Pragma(#x)
#else
#define MC_OMP(x)
#endif

const char *const mc_stat_suffix[MC_NSTAT] = {"", "_se", "_q05", "_q50", "_q95"};

/* Moves the k-th smallest of v[lo..hi] to v[k] with v[lo..k) <= v[k] <= v(k..hi]
 * (Hoare partitioning around a median-of-three pivot; deterministic). */
static void mc_select(double *v, size_t lo, size_t hi, size_t k)
{
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        /* order v[lo], v[mid], v[hi]; the median becomes the pivot */
        if (v[mid] < v[lo]) { double t = v[mid]; v[mid] = v[lo]; v[lo] = t; }
        if (v[hi] < v[lo]) { double t = v[hi]; v[hi] = v[lo]; v[lo] = t; }
        if (v[hi] < v[mid]) { double t = v[hi]; v[hi] = v[mid]; v[mid] = t; }
        double pivot = v[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        /* now v[lo..j] <= pivot <= v[i..hi], and j < i */
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return; /* v(j..i) all equal the pivot */
    }
}

/* Quantile of level p (GSL's definition: linear interpolation at (k-1) p) of v[lo..hi], found by
 * selection inside that range (the caller has already partitioned v around other quantiles). */
static double mc_quantile_range(double *v, size_t lo, size_t hi, size_t n, double p, size_t *at)
{
    double idx = (double)(n - 1) * p;
    size_t k = (size_t)floor(idx);
    double delta = idx - (double)k;
    mc_select(v, lo, hi, k);
    *at = k;
    if (delta == 0 || k + 1 >= n) return v[k];
    double b = v[k + 1]; /* the next order statistic: the minimum above position k */
    for (size_t i = k + 2; i <= hi; i++)
        if (v[i] < b) b = v[i];
    return (1 - delta) * v[k] + delta * b;
}

/* One (generation, metric) summary over its contiguous series of R values: mean and se in
 * replicate order, quantiles by selection. v is scratch for R values. */
static void mc_aggregate_series(const double *col, long R, double *v, double *st)
{
    size_t k = 0;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (long r = 0; r < R; r++)
        if (isfinite(col[r])) {
            sum += v[k++] = col[r];
            lo = fmin(lo, col[r]);
            hi = fmax(hi, col[r]);
        }
    if (k == 0) {
        for (int j = 0; j < MC_NSTAT; j++) st[j] = NAN;
        return;
    }
    if (lo == hi) { /* a constant series (counts, flags): no selection needed */
        st[MC_MEAN] = st[MC_Q05] = st[MC_Q50] = st[MC_Q95] = lo;
        st[MC_SE] = k > 1 ? 0 : NAN;
        return;
    }
    double mean = sum / (double)k, ss = 0;
    for (size_t i = 0; i < k; i++) ss += (v[i] - mean) * (v[i] - mean);
    st[MC_MEAN] = mean;
    st[MC_SE] = k > 1 ? sqrt(ss / (double)(k - 1) / (double)k) : NAN;
    /* the median first; then the 5 % quantile left of it and the 95 % right of it */
    size_t k50, k05, k95;
    st[MC_Q50] = mc_quantile_range(v, 0, k - 1, k, 0.50, &k50);
    st[MC_Q05] = mc_quantile_range(v, 0, k50, k, 0.05, &k05);
    st[MC_Q95] = mc_quantile_range(v, k50, k - 1, k, 0.95, &k95);
}

void mc_aggregate(McResult *res)
{
    long R = res->replicates;
    int G = res->generations, M = res->nmetric;
    long S = (long)G * M;
    free(res->stat);
    res->stat = xcalloc((size_t)S * MC_NSTAT, sizeof *res->stat);
    /* series are independent: summarise them in parallel (each by one thread, in a fixed order,
     * so the output does not depend on the thread count) */
    int nth = 1; /* small tables are summarised on one thread (no spinning team) */
#ifdef _OPENMP
    if ((double)S * (double)R > 1e5) nth = omp_get_max_threads();
#endif
    (void)nth;
MC_OMP(omp parallel num_threads(nth))
    {
        double *v = xcalloc((size_t)R, sizeof *v);
MC_OMP(omp for schedule(dynamic, 1))
        for (int g = 0; g < G; g++)
            for (int m = 0; m < M; m++) {
                /* a series identical to an earlier metric's of the same generation (mean = stat,
                 * dispersion = sd, ...) shares its summaries */
                size_t i = (size_t)g * (size_t)M + (size_t)m;
                const double *col = res->traj + i * (size_t)R;
                double *st = res->stat + i * MC_NSTAT;
                int same = -1;
                for (int k = 0; k < m && same < 0; k++)
                    if (memcmp(col - (size_t)(m - k) * (size_t)R, col, (size_t)R * sizeof *col) ==
                        0)
                        same = k;
                if (same >= 0)
                    memcpy(st, st - (size_t)(m - same) * MC_NSTAT, MC_NSTAT * sizeof *st);
                else
                    mc_aggregate_series(col, R, v, st);
            }
        free(v);
    }
}

/* Rank k's share of the replicates: whole chunks [*c0, *c1) (par_share of the chunks, so a
 * chunk's number means the same replicates on any rank count), replicates [*lo, *hi). */
static void mc_share(long R, int k, long *c0, long *c1, long *lo, long *hi)
{
    par_share((R + MC_CHUNK - 1) / MC_CHUNK, k, par_size(), c0, c1);
    *lo = *c0 * MC_CHUNK < R ? *c0 * MC_CHUNK : R;
    *hi = *c1 * MC_CHUNK < R ? *c1 * MC_CHUNK : R;
}

/* Several ranks: every rank's series ([G M][its replicates]) and pretrained fits go to rank 0,
 * which interleaves them into res (replicate order), and the whole result is broadcast so that
 * every rank holds what one process would. Frees traj and theta. */
static void mc_collect(McResult *res, double *traj, double *theta, long lo, long hi, int np)
{
    long R = res->replicates, Rl = hi - lo;
    size_t GM = (size_t)res->generations * (size_t)res->nmetric, n;
    void *all;
    par_gather(traj, GM * (size_t)Rl * sizeof *traj, &all, &n);
    if (par_is_root()) {
        const double *src = all;
        for (int k = 0; k < par_size(); k++) { /* rank k's block: [GM][its share] */
            long ca, cb, a, b;
            mc_share(R, k, &ca, &cb, &a, &b);
            long m = b - a;
            for (size_t i = 0; i < GM; i++, src += m)
                memcpy(res->traj + i * (size_t)R + (size_t)a, src, (size_t)m * sizeof *src);
        }
    }
    free(all);
    par_gather(theta, (size_t)Rl * (size_t)np * sizeof *theta, &all, &n);
    if (par_is_root()) memcpy(res->theta_pre, all, n);
    free(all);
    par_bcast(res->traj, GM * (size_t)R * sizeof *res->traj);
    par_bcast(res->theta_pre, (size_t)R * (size_t)np * sizeof *res->theta_pre);
    free(traj);
    free(theta);
}

int mc_run(const SimSpec *s, McResult *res, const char *label)
{
    return mc_run_hooked(s, res, label, NULL);
}

int mc_run_hooked(const SimSpec *s, McResult *res, const char *label, const McHooks *hooks)
{
    memset(res, 0, sizeof *res);
    long R = s->replicates;
    int G = s->generations, M = loop_nmetric(s), np = s->fit.nparam;
    res->generations = G;
    res->nmetric = M;
    res->replicates = R;
    res->traj = xcalloc((size_t)R * (size_t)G * (size_t)M, sizeof *res->traj);
    res->theta_pre = xcalloc((size_t)R * (size_t)np, sizeof *res->theta_pre);
    /* this rank's chunks [c0, c1) = replicates [lo, hi) (all of them in one process) into its own
     * series; chunk numbers and replicate numbers stay global (streams, checkpoint hooks) */
    long c0, c1, lo, hi;
    mc_share(R, par_rank(), &c0, &c1, &lo, &hi);
    long Rl = hi - lo;
    size_t GM = (size_t)G * (size_t)M;
    int alone = par_size() == 1;
    double *traj = alone ? res->traj : xcalloc(GM * (size_t)(Rl ? Rl : 1), sizeof *traj);
    double *thp = alone ? res->theta_pre : xcalloc((size_t)(Rl ? Rl : 1) * (size_t)np,
                                                   sizeof *thp);
    Progress prog;
    progress_start(&prog, label ? label : "", Rl);
    if (!label) prog.enabled = 0;
    long done = 0;
    int status = ERR_OK; /* the first failed checkpoint save; later chunks are skipped */
    /* replicates go to threads in chunks of MC_CHUNK; a chunk's rows are transposed into the
     * [generation][metric][replicate] series at once, so each series gets MC_CHUNK contiguous
     * values per visit (few TLB and cache misses) */
    long nchunk = c1 - c0;
    int nth = 1; /* no more threads than chunks: idle OpenMP threads spin and cost CPU */
#ifdef _OPENMP
    nth = omp_get_max_threads() < nchunk ? omp_get_max_threads() : (int)nchunk;
    if (nth < 1) nth = 1;
#endif
    (void)nth;
MC_OMP(omp parallel num_threads(nth))
    {
        LoopWork w;
        loop_work_init(&w, s);
        double *buf = xcalloc(GM * MC_CHUNK, sizeof *buf);
MC_OMP(omp for schedule(dynamic, 1))
        for (long c = 0; c < nchunk; c++) {
            long r0 = c * MC_CHUNK, r1 = r0 + MC_CHUNK < Rl ? r0 + MC_CHUNK : Rl; /* local */
            int failed;
MC_OMP(omp atomic read)
            failed = status;
            if (failed) continue;
            double *theta = thp + (size_t)r0 * (size_t)np;
            if (!hooks || !hooks->load(hooks->ctx, c0 + c, lo + r0, r1 - r0, buf, theta)) {
                for (long r = r0; r < r1; r++) /* replicate lo + r keeps its own stream */
                    loop_run(s, lo + r, &w, buf + (size_t)(r - r0) * GM,
                             thp + (size_t)r * (size_t)np);
                int sst = hooks ? hooks->save(hooks->ctx, c0 + c, lo + r0, r1 - r0, buf, theta)
                                : ERR_OK;
                if (sst) {
MC_OMP(omp critical(mc_status))
                    if (!status) status = sst;
                    continue;
                }
            }
            for (size_t i = 0; i < GM; i++)
                for (long r = r0; r < r1; r++)
                    traj[i * (size_t)Rl + (size_t)r] = buf[(size_t)(r - r0) * GM + i];
#ifdef _OPENMP
            if (omp_get_thread_num() == 0)
#endif
            {
                long d;
MC_OMP(omp atomic read)
                d = done;
                progress_update(&prog, d);
            }
MC_OMP(omp atomic update)
            done += r1 - r0;
        }
        free(buf);
        loop_work_release(&w);
    }
    progress_end(&prog);
    if (status) { /* on several ranks the caller ends the job */
        if (!alone) free(traj), free(thp);
        return status;
    }
    if (!alone) mc_collect(res, traj, thp, lo, hi, np);
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

double mc_memory_bytes(const SimSpec *s, int threads)
{
    double R = (double)s->replicates, GM = (double)s->generations * loop_nmetric(s);
    return sizeof(double) * (R * GM + R * s->fit.nparam + GM * MC_NSTAT) +
           threads * (sizeof(double) * (GM * MC_CHUNK + R) + loop_work_bytes(s));
}
