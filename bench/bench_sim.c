/* bench_sim: simulator throughput, reported as ratios measured in the same run (not a test).
 * (1) The paper's Fig. 10 protocol (Beta WMLE, n = 10,000, 11 generations, one replicate, CSV
 *     written, no plot) as a whole process, `biasamp sim --no-plot`, against the straightforward
 *     numpy/scipy implementation bench/fig10_scipy.py (Debian's /usr/bin/python3 with
 *     python3-scipy; skipped with a message when absent). Target: >= 50x.
 * (2) Gaussian replace, 10,000 replicates x 100 generations x n = 100 through mc_run, on 1 and on
 *     2 threads. Target: <= 1 s on 2 cores.
 * Best of several runs (the machine may be shared); CPU time (user + sys) is printed beside the
 * wall time because it does not depend on other load. */
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cfg.h"
#include "err.h"
#include "mc.h"
#include "simcfg.h"

extern char **environ;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs argv as a child process; wall and CPU seconds; returns the exit status (-1: not run). */
static int run_timed(char *const argv[], double *wall, double *cpu)
{
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    double t0 = now();
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) return -1;
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) return -1;
    *wall = now() - t0;
    *cpu = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Best (minimum) wall and CPU time over `reps` runs; 0 on success. */
static int best_of(char *const argv[], int reps, double *wall, double *cpu)
{
    *wall = *cpu = INFINITY;
    for (int i = 0; i < reps; i++) {
        double w, c;
        if (run_timed(argv, &w, &c) != 0) return 1;
        if (w < *wall) *wall = w;
        if (c < *cpu) *cpu = c;
    }
    return 0;
}

static void bench_fig10(void)
{
    const char *bin = getenv("BIASAMP_BIN");
    if (!bin) bin = "build/biasamp";
    char b[1024];
    snprintf(b, sizeof b, "%s", bin);
    char *sim[] = {b, "sim", "--no-plot", "-q", "-s", "sim.replicates=1",
                   "configs/paper-fig10-wmle.ini", "-o", "/tmp/biasamp_bench_fig10", NULL};
    double sw, sc, pw, pc;
    printf("Fig. 10 protocol (Beta WMLE, n = 10000, 11 generations, 1 replicate, CSV, no plot)\n");
    if (best_of(sim, 7, &sw, &sc)) {
        printf("  biasamp sim failed (%s)\n", bin);
        return;
    }
    printf("  biasamp sim          wall %8.4f s   cpu %8.4f s   (best of 7)\n", sw, sc);
    char *probe[] = {"/usr/bin/python3", "-c", "import numpy, scipy", NULL};
    double w, c;
    if (access("/usr/bin/python3", X_OK) != 0 || run_timed(probe, &w, &c) != 0) {
        printf("  numpy/scipy reference skipped: /usr/bin/python3 with numpy and scipy not found\n"
               "  (apt-get install python3-numpy python3-scipy)\n");
        return;
    }
    char *ref[] = {"/usr/bin/python3", "bench/fig10_scipy.py", "/tmp/biasamp_bench_fig10_scipy.csv",
                   NULL};
    if (best_of(ref, 3, &pw, &pc)) {
        printf("  bench/fig10_scipy.py failed\n");
        return;
    }
    printf("  numpy/scipy          wall %8.4f s   cpu %8.4f s   (best of 3)\n", pw, pc);
    printf("  speed-up             wall %8.1fx    cpu %8.1fx    (target >= 50x)\n", pw / sw,
           pc / sc);
}

static double cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

/* One mc_run: wall seconds, and CPU seconds of all threads into *cpu. */
static double bench_gauss_once(const SimSpec *s, int threads, double *cpu)
{
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    McResult mc;
    double c0 = cpu_self(), t0 = now();
    mc_run(s, &mc, NULL);
    double t = now() - t0;
    *cpu = cpu_self() - c0;
    mc_result_release(&mc);
    return t;
}

static void bench_gauss(void)
{
    SimConfig sc;
    Cfg cfg;
    cfg_init(&cfg, simcfg_keys, &sc);
    static const char *const set[] = {"sim.family=gaussian", "data.family=gaussian",
                                      "data.params=0 1",     "sim.weight=none",
                                      "sim.n=100",           "sim.generations=100",
                                      "sim.replicates=10000", "sim.snapshots=0",
                                      "pretrained.n=inf"};
    SimSpec s;
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
        if (cfg_set(&cfg, set[i])) {
            printf("config: %s\n", err_msg());
            return;
        }
    if (simcfg_spec(&cfg, &sc, &s)) {
        printf("config: %s\n", err_msg());
        return;
    }
    cfg_release(&cfg);
    printf("Gaussian replace, 10000 replicates x 100 generations x n = 100 (%d metrics)\n",
           s.nmetric);
    int maxth = 1;
#ifdef _OPENMP
    maxth = omp_get_max_threads();
#endif
    double t1 = INFINITY, t2 = INFINITY, c1 = INFINITY, c2 = INFINITY, c;
    for (int i = 0; i < 3; i++) {
        t1 = fmin(t1, bench_gauss_once(&s, 1, &c));
        c1 = fmin(c1, c);
        if (maxth >= 2) {
            t2 = fmin(t2, bench_gauss_once(&s, 2, &c));
            c2 = fmin(c2, c);
        }
    }
    printf("  1 thread   wall %7.3f s   cpu %7.3f s   (best of 3)\n", t1, c1);
    if (maxth >= 2)
        printf("  2 threads  wall %7.3f s   cpu %7.3f s   (target <= 1 s; 1-vs-2 thread wall ratio "
               "%.2f)\n", t2, c2, t1 / t2);
    else
        printf("  2 threads  skipped (one thread available)\n");
    double load[1];
    if (getloadavg(load, 1) == 1)
        printf("  load average %.2f on %ld cores (other processes inflate wall times)\n", load[0],
               sysconf(_SC_NPROCESSORS_ONLN));
}

int main(void)
{
    err_gsl_install();
    bench_fig10();
    bench_gauss();
    return 0;
}
