/* bench_kernels: matmul forward/backward GFLOP/s of every kernel variant beside OpenBLAS sgemm on
 * GPT-2 124M shapes, all measured in the same run (median of interleaved repetitions).
 * Usage: bench_kernels [M ...] (default 256 512); BIASAMP_BENCH_SCALAR=0 skips the slow scalar. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"
#include "xalloc.h"

enum { NVAR = 4, MAXREP = 7 };
static const char *var_names[NVAR] = {"scalar", "avx2", "avx512", "openblas"};

typedef struct Bufs {
    float *inp, *weight, *bias, *out, *dout, *dinp, *dweight, *dbias, *ones; /* shapes below */
} Bufs;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fill(float *x, size_t n, unsigned *state)
{
    for (size_t i = 0; i < n; i++) {
        *state = *state * 1664525u + 1013904223u;
        x[i] = (float)((*state >> 8) * (1.0 / 16777216.0) - 0.5);
    }
}

/* OpenBLAS runs its own pthreads: no OpenMP region here, or idle-spinning OpenMP workers would
 * compete with them. out (M, N) = inp (M, K) · weight (N, K)ᵀ + bias: bias rows, then beta = 1. */
static void blas_forward(const Bufs *b, int M, int K, int N)
{
    for (int m = 0; m < M; m++) memcpy(b->out + (size_t)m * N, b->bias, (size_t)N * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, b->inp, K, b->weight, K,
                1.0f, b->out, N);
}

static void blas_backward(const Bufs *b, int M, int K, int N)
{
    /* dinp (M, K) += dout (M, N) · weight (N, K); dweight (N, K) += doutᵀ · inp (M, K) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, N, 1.0f, b->dout, N, b->weight, K,
                1.0f, b->dinp, K);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, 1.0f, b->dout, N, b->inp, K,
                1.0f, b->dweight, K);
    cblas_sgemv(CblasRowMajor, CblasTrans, M, N, 1.0f, b->dout, N, b->ones, 1, 1.0f, b->dbias, 1);
}

static void pause_ms(int ms)
{
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}, NULL);
}

/* Seconds of one call (dir 0 forward, 1 backward) of variant v. */
static double time_once(int v, int dir, const Bufs *b, int M, int K, int N)
{
    const KernelSet *ks = v < 3 ? kernels_find(var_names[v]) : NULL;
    double t0 = now();
    if (v == 3) {
        if (dir == 0) blas_forward(b, M, K, N);
        else blas_backward(b, M, K, N);
    } else if (dir == 0) {
        ks->matmul_forward(b->out, b->inp, b->weight, b->bias, M, K, N);
    } else {
        ks->matmul_backward(b->dinp, b->dweight, b->dbias, b->dout, b->inp, b->weight, M, K, N);
    }
    return now() - t0;
}

/* Median seconds per variant. The SIMD variants and OpenBLAS run in interleaved rounds, so that
 * a machine whose load changes treats them alike; a short pause at each switch lets the idle
 * threads of the previous one stop spinning (OpenBLAS is re-executed with a short spin time, see
 * main). The slow scalar variant runs apart, timed once or a few times within a budget. */
static void time_shape(int dir, const Bufs *b, int M, int K, int N, const int *have, double *sec)
{
    double t[NVAR][MAXREP];
    for (int v = 1; v < NVAR; v++)
        if (have[v]) time_once(v, dir, b, M, K, N); /* warm-up: page faults, packing scratch */
    for (int r = 0; r < MAXREP; r++)
        for (int v = 1; v < NVAR; v++) {
            if (!have[v]) continue;
            pause_ms(5);
            t[v][r] = time_once(v, dir, b, M, K, N);
        }
    for (int v = 1; v < NVAR; v++) {
        if (!have[v]) continue;
        qsort(t[v], MAXREP, sizeof(double), cmp_double);
        sec[v] = t[v][MAXREP / 2];
    }
    if (have[0]) {
        int reps = 0;
        double start = now();
        while (reps < 3 && (reps == 0 || now() - start < 2.0))
            t[0][reps++] = time_once(0, dir, b, M, K, N);
        qsort(t[0], reps, sizeof(double), cmp_double);
        sec[0] = t[0][reps / 2];
    }
}

int main(int argc, char **argv)
{
    /* OpenBLAS workers spin ~2^28 cycles after each call unless told otherwise at start-up; with
     * only two cores that would steal the next variant's. Re-execute once with a short spin. */
    if (!getenv("OPENBLAS_THREAD_TIMEOUT")) {
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1);
        execv("/proc/self/exe", argv);
    }
    int Ms[8] = {256, 512}, nM = 2;
    if (argc > 1) {
        nM = 0;
        for (int i = 1; i < argc && nM < 8; i++) Ms[nM++] = atoi(argv[i]);
    }
    const char *env = getenv("BIASAMP_BENCH_SCALAR");
    int do_scalar = !(env && strcmp(env, "0") == 0);
    static const int KN[][2] = {{768, 2304}, {768, 3072}, {768, 768}, {3072, 768}, {768, 50257}};
    int nthreads = 1;
#ifdef _OPENMP
    nthreads = omp_get_max_threads();
#endif
    int have[NVAR] = {do_scalar, kernels_supported(&kernels_avx2),
                      kernels_supported(&kernels_avx512), 1};
    double load[1] = {0};
    getloadavg(load, 1);
    printf("# matmul GFLOP/s (fwd: 2MNK flops, bwd: 4MNK), median of %d interleaved runs;"
           " threads=%d; auto kernels=%s; load average %.2f; out = inp (M,K) . W (N,K)^T + b\n",
           MAXREP, nthreads, kernels_name(), load[0]);
    printf("%5s %5s %6s %3s %8s %8s %8s %8s %8s %8s %8s\n", "M", "K", "N", "dir", "scalar", "avx2",
           "avx512", "openblas", "512/scal", "512/blas", "avx2/blas");
    unsigned seed = 12345u;
    for (int im = 0; im < nM; im++) {
        for (size_t s = 0; s < sizeof KN / sizeof KN[0]; s++) {
            int M = Ms[im], K = KN[s][0], N = KN[s][1];
            Bufs b = {
                .inp = xcalloc_aligned((size_t)M * K, sizeof(float)),    /* (M, K) */
                .weight = xcalloc_aligned((size_t)N * K, sizeof(float)), /* (N, K) */
                .bias = xcalloc_aligned(N, sizeof(float)),               /* (N) */
                .out = xcalloc_aligned((size_t)M * N, sizeof(float)),    /* (M, N) */
                .dout = xcalloc_aligned((size_t)M * N, sizeof(float)),   /* (M, N) */
                .dinp = xcalloc_aligned((size_t)M * K, sizeof(float)),   /* (M, K) */
                .dweight = xcalloc_aligned((size_t)N * K, sizeof(float)), /* (N, K) */
                .dbias = xcalloc_aligned(N, sizeof(float)),              /* (N) */
                .ones = xcalloc_aligned(M, sizeof(float)),               /* (M) */
            };
            fill(b.inp, (size_t)M * K, &seed);
            fill(b.weight, (size_t)N * K, &seed);
            fill(b.bias, N, &seed);
            fill(b.dout, (size_t)M * N, &seed);
            for (int m = 0; m < M; m++) b.ones[m] = 1.0f;
            for (int dir = 0; dir < 2; dir++) {
                double gf[NVAR] = {0}, sec[NVAR] = {0};
                double flops = (dir ? 4.0 : 2.0) * M * (double)N * K;
                time_shape(dir, &b, M, K, N, have, sec);
                for (int v = 0; v < NVAR; v++)
                    if (have[v]) gf[v] = flops / sec[v] / 1e9;
                printf("%5d %5d %6d %3s", M, K, N, dir ? "bwd" : "fwd");
                for (int v = 0; v < NVAR; v++)
                    if (have[v]) printf(" %8.1f", gf[v]);
                    else printf(" %8s", "-");
                printf(" %8.1f %7.0f%% %8.0f%%\n", gf[0] > 0 ? gf[2] / gf[0] : 0.0,
                       100.0 * gf[2] / gf[3], 100.0 * gf[1] / gf[3]);
                fflush(stdout);
            }
            xfree_aligned(b.inp);
            xfree_aligned(b.weight);
            xfree_aligned(b.bias);
            xfree_aligned(b.out);
            xfree_aligned(b.dout);
            xfree_aligned(b.dinp);
            xfree_aligned(b.dweight);
            xfree_aligned(b.dbias);
            xfree_aligned(b.ones);
        }
    }
    return 0;
}
