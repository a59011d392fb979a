/* check_sweep: grid parsing, a two-key phase diagram with its theory boundaries (the amplification
 * class at lambda = 0, the preservation fixed point, n s = 1), one-key sweeps, errors that name
 * the point, thread-count independence, and resuming: a sweep killed with SIGKILL mid-way and
 * resumed is byte-identical to an uninterrupted one (a torn row is cut). */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "plot.h"
#include "sweep.h"
#include "sweep_internal.h"

static void mktmp(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/biasamp_sweep_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rmtree(const char *dir)
{
    static const char *const files[] = {"sweep.csv", "sweep.csv.part", "boundary.csv",
                                        "sweep.png", NULL};
    char p[512];
    for (int i = 0; files[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

static long count_rows(const char *path)
{
    size_t n;
    char *b = slurp(path, &n);
    long rows = 0;
    for (size_t i = 0; i < n; i++)
        if (b[i] == '\n' && i + 1 < n && b[i + 1] != '#') rows++;
    free(b);
    return rows - 1; /* the header line */
}

static const RunInfo run = {.cmdline = "check_sweep", .seed = 1, .config_hash = 42, .threads = 2};

static SweepOpts opts(const char *config, const char *g1, const char *g2, const char *metric,
                      const char *dir)
{
    SweepOpts o = {.config = config, .grid = {g1, g2}, .metric = metric, .dir = dir, .run = &run,
                   .z = 3};
    return o;
}

START_TEST(test_axis_parse)
{
    SweepAxis a;
    ck_assert_int_eq(sweep_axis_parse(&a, "sim.rho=0:1:5", sweep_keys()), ERR_OK);
    ck_assert_int_eq(a.steps, 5);
    ck_assert(a.x[2] == 0.5 && a.x[4] == 1);
    ck_assert(fabs(a.lo[0] + 0.125) < 1e-15 && fabs(a.hi[0] - 0.125) < 1e-15);
    ck_assert_str_eq(a.col, "sim_rho");
    ck_assert_str_eq(a.text[1], "0.25");
    sweep_axis_release(&a);
    ck_assert_int_eq(sweep_axis_parse(&a, "sim.n=10:1000:3:log", sweep_keys()), ERR_OK);
    ck_assert(a.x[0] == 10 && a.x[1] == 100 && a.x[2] == 1000 && a.log);
    ck_assert(fabs(a.hi[0] - sqrt(1000)) < 1e-9 && fabs(a.lo[0] - 10 / sqrt(10)) < 1e-9);
    ck_assert_str_eq(a.text[1], "100");
    sweep_axis_release(&a);
    ck_assert_int_eq(sweep_axis_parse(&a, "sim.weight=none,tilt,prev_density", sweep_keys()),
                     ERR_OK);
    ck_assert(a.list && a.steps == 3 && a.x[2] == 2);
    ck_assert_str_eq(a.text[1], "tilt");
    sweep_axis_release(&a);
    static const char *const bad[] = {"sim.rho",        "nokey=1:2:3",      "sim.rho=1:2",
                                      "sim.rho=0:1:0",  "sim.n=0:100:4:log", "data.params=1:2:3",
                                      "sim.n=10:12:9",  "sim.weight=0:1:2", "sweep.metric=a,b",
                                      "sim.rho=0:1:5:cubic"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(sweep_axis_parse(&a, bad[i], sweep_keys()) == ERR_INVAL, "%s accepted",
                      bad[i]);
        sweep_axis_release(&a);
    }
}
END_TEST

/* n = inf points (parallel): bias over (rho, lambda) with lambda through 0. */
START_TEST(test_phase_diagram_two_keys)
{
    char dir[64];
    mktmp(dir, sizeof dir);
    SweepOpts o = opts("configs/sweep-preserve.ini", "sim.rho=0.1:0.9:5", "sim.lambda=-0.1:0.1:5",
                       "bias", dir);
    o.plot = plot_available();
    SweepResult r;
    ck_assert_msg(sweep_run(&o, &r) == ERR_OK, "%s", err_msg());
    ck_assert_int_eq(r.points, 25);
    ck_assert_int_eq(r.computed, 25);
    char path[256];
    snprintf(path, sizeof path, "%s/sweep.csv", dir);
    SweepTable t;
    ck_assert_int_eq(sweep_table_read(path, &t), ERR_OK);
    ck_assert_int_eq(t.nrow, 25);
    int cl = sweep_table_col(&t, "sim_lambda"), cb = sweep_table_col(&t, "bias"),
        cp = sweep_table_col(&t, "population"), cr = sweep_table_col(&t, "sim_rho"),
        ct = sweep_table_col(&t, "metric_theory");
    ck_assert(cl >= 0 && cb >= 0 && cp >= 0 && cr >= 0 && ct >= 0);
    for (long i = 0; i < t.nrow; i++) {
        const double *row = t.v + i * t.ncol;
        /* the drift follows the push's sign; none at lambda = 0 */
        if (row[cl] == 0)
            ck_assert(fabs(row[cb]) < 1e-12 && row[cp] == 0);
        else
            ck_assert(row[cb] * row[cl] > 0 && (row[cp] == 1 || row[cp] == 2));
        /* the constant-push closed form at the last generation, O(delta^2) away */
        double rho = row[cr], d = row[cl], pred = d * (1 - rho) / rho * (1 - pow(1 - rho, 29));
        ck_assert(fabs(row[ct] - pred) < 1e-12);
        /* the pooled variance only adds to the push: O(delta^2) above the constant push */
        ck_assert_msg(d == 0 || (row[cb] / pred >= 1 - 1e-9 &&
                                 (fabs(pred) > 0.5 || row[cb] / pred < 1 + fabs(pred))),
                      "rho %g lambda %g: %.6g vs %.6g", rho, d, row[cb], pred);
    }
    sweep_table_release(&t);
    /* the class changes on both sides of lambda = 0 (5 cells each); fixed-point levels */
    ck_assert_int_eq(r.nboundary[0], 10);
    ck_assert_int_eq(r.nboundary[1], 0);
    ck_assert_int_gt(r.nboundary[2], 0);
    if (o.plot) {
        snprintf(path, sizeof path, "%s/sweep.png", dir);
        struct stat sb;
        ck_assert(stat(path, &sb) == 0 && sb.st_size > 1000);
        ck_assert_int_eq(r.figures, 1);
    }
    rmtree(dir);
}
END_TEST

/* Monte Carlo points: the category weight against drift; n s = 1 is drawn, and the share of the
 * weighted class is near 1/2 far below the line and near 1 far above it. */
START_TEST(test_phase_diagram_selection_drift)
{
    char dir[64];
    mktmp(dir, sizeof dir);
    char *ov[] = {"sim.replicates=60", "sim.generations=120"};
    SweepOpts o = opts("configs/sweep-categorical.ini", "sim.n=5:50:3:log",
                       "sim.boost=0.005:0.5:3:log", "stat", dir);
    o.overrides = ov;
    o.noverrides = 2;
    SweepResult r;
    ck_assert_msg(sweep_run(&o, &r) == ERR_OK, "%s", err_msg());
    ck_assert_int_gt(r.nboundary[1], 0);
    char path[256];
    snprintf(path, sizeof path, "%s/sweep.csv", dir);
    SweepTable t;
    ck_assert_int_eq(sweep_table_read(path, &t), ERR_OK);
    int cs = sweep_table_col(&t, "stat"), cse = sweep_table_col(&t, "stat_se"),
        cn = sweep_table_col(&t, "sim_n"), cb = sweep_table_col(&t, "sim_boost"),
        ct = sweep_table_col(&t, "metric_theory"), crep = sweep_table_col(&t, "replicates");
    for (long i = 0; i < t.nrow; i++) {
        const double *row = t.v + i * t.ncol;
        double ns = row[cn] * row[cb];
        ck_assert(row[crep] == 60 && row[cse] >= 0);
        /* Kimura's u(1/2) = 1/(1 + e^{-ns}) */
        ck_assert(fabs(row[ct] - 1 / (1 + exp(-ns))) < 1e-12);
        if (ns < 0.1) ck_assert_msg(fabs(row[cs] - 0.5) < 0.2, "ns %.3g: %.3f", ns, row[cs]);
        if (ns > 10) ck_assert_msg(row[cs] > 0.95, "ns %.3g: %.3f", ns, row[cs]);
    }
    sweep_table_release(&t);
    rmtree(dir);
}
END_TEST

/* One key: a line and the fixed-point curve of preservation. */
START_TEST(test_one_key)
{
    char dir[64];
    mktmp(dir, sizeof dir);
    SweepOpts o = opts("configs/sweep-preserve.ini", "sim.rho=0.1:0.9:9", NULL, "bias", dir);
    o.plot = plot_available();
    SweepResult r;
    ck_assert_msg(sweep_run(&o, &r) == ERR_OK, "%s", err_msg());
    ck_assert_int_eq(r.points, 9);
    ck_assert_int_eq(r.nboundary[0], 0);
    ck_assert_int_gt(r.nboundary[2], 0);
    rmtree(dir);
}
END_TEST

START_TEST(test_errors)
{
    char dir[64];
    mktmp(dir, sizeof dir);
    SweepResult r;
    SweepOpts o = opts("configs/sweep-preserve.ini", "sim.rho=0.5:1.5:3", NULL, "bias", dir);
    ck_assert_int_eq(sweep_run(&o, &r), ERR_INVAL);
    ck_assert_msg(strstr(err_msg(), "sweep point sim.rho=1") && strstr(err_msg(), "sim.rho"),
                  "%s", err_msg());
    o = opts("configs/sweep-preserve.ini", "sim.rho=0.1:0.5:3", NULL, "no_such_metric", dir);
    ck_assert_int_eq(sweep_run(&o, &r), ERR_INVAL);
    ck_assert_msg(strstr(err_msg(), "metric 'no_such_metric'"), "%s", err_msg());
    o = opts("configs/sweep-preserve.ini", "sim.rho=0.1:0.5:3", "sim.rho=0.1:0.5:3", "bias", dir);
    ck_assert_int_eq(sweep_run(&o, &r), ERR_INVAL);
    char path[256];
    struct stat sb;
    snprintf(path, sizeof path, "%s/sweep.csv.part", dir);
    ck_assert_msg(stat(path, &sb) != 0, "an invalid sweep left %s", path);
    rmtree(dir);
}
END_TEST

/* The rows do not depend on the number of threads. */
START_TEST(test_threads)
{
#ifdef _OPENMP
    char d1[64], d2[64], p1[128], p2[128];
    mktmp(d1, sizeof d1);
    mktmp(d2, sizeof d2);
    int nth = omp_get_max_threads();
    SweepResult r;
    SweepOpts o = opts("configs/sweep-preserve.ini", "sim.rho=0.1:0.9:4", "sim.lambda=-0.1:0.1:3",
                       "bias", d1);
    omp_set_num_threads(1);
    ck_assert_int_eq(sweep_run(&o, &r), ERR_OK);
    omp_set_num_threads(2);
    o.dir = d2;
    ck_assert_int_eq(sweep_run(&o, &r), ERR_OK);
    omp_set_num_threads(nth);
    snprintf(p1, sizeof p1, "%s/sweep.csv", d1);
    snprintf(p2, sizeof p2, "%s/sweep.csv", d2);
    size_t n1, n2;
    char *a = slurp(p1, &n1), *b = slurp(p2, &n2);
    ck_assert(n1 == n2 && memcmp(a, b, n1) == 0);
    free(a);
    free(b);
    rmtree(d1);
    rmtree(d2);
#endif
}
END_TEST

/* Kill a Monte Carlo sweep mid-way with SIGKILL, tear its last row, resume, compare bytes with an
 * uninterrupted run; a resume with another grid is refused. */
START_TEST(test_resume)
{
    char d1[64], d2[64], p1[128], p2[128], part[160];
    mktmp(d1, sizeof d1);
    mktmp(d2, sizeof d2);
    char *ov[] = {"sim.replicates=40", "sim.generations=80"};
    SweepOpts o = opts("configs/sweep-categorical.ini", "sim.n=4:60:6:log",
                       "sim.boost=0.005:0.5:5:log", "stat", d1);
    o.overrides = ov;
    o.noverrides = 2;
    SweepResult r;
    ck_assert_msg(sweep_run(&o, &r) == ERR_OK, "%s", err_msg());
    ck_assert_int_eq(r.points, 30);
    o.dir = d2;
    snprintf(part, sizeof part, "%s/sweep.csv.part", d2);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) { /* the sweep to kill */
        SweepResult rc;
        _exit(sweep_run(&o, &rc) == ERR_OK ? 0 : 1);
    }
    long rows = -1;
    for (int k = 0; k < 20000; k++) { /* until some rows, not all, are there */
        struct stat sb;
        if (stat(part, &sb) == 0 && (rows = count_rows(part)) >= 8) break;
        usleep(1000);
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFSIGNALED(status), "the sweep finished before it was killed");
    rows = count_rows(part);
    ck_assert_msg(rows >= 8 && rows < 30, "%ld rows when killed", rows);
    FILE *f = fopen(part, "a"); /* a torn row, as a crash in the middle of a write would leave */
    fputs("29,3,2,1.5", f);
    fclose(f);
    SweepOpts bad = o;
    bad.grid[1] = "sim.boost=0.005:0.5:4:log";
    bad.resume = 1;
    ck_assert_int_eq(sweep_run(&bad, &r), ERR_INVAL);
    ck_assert_msg(strstr(err_msg(), "another sweep"), "%s", err_msg());
    o.resume = 1;
    ck_assert_msg(sweep_run(&o, &r) == ERR_OK, "%s", err_msg());
    ck_assert_int_eq(r.computed, 30 - rows);
    snprintf(p1, sizeof p1, "%s/sweep.csv", d1);
    snprintf(p2, sizeof p2, "%s/sweep.csv", d2);
    size_t n1, n2;
    char *a = slurp(p1, &n1), *b = slurp(p2, &n2);
    ck_assert_msg(n1 == n2 && memcmp(a, b, n1) == 0, "resumed sweep differs (%zu vs %zu bytes)",
                  n1, n2);
    free(a);
    free(b);
    snprintf(p1, sizeof p1, "%s/boundary.csv", d1);
    snprintf(p2, sizeof p2, "%s/boundary.csv", d2);
    a = slurp(p1, &n1);
    b = slurp(p2, &n2);
    ck_assert(n1 == n2 && memcmp(a, b, n1) == 0);
    free(a);
    free(b);
    /* resuming a finished sweep computes nothing; starting over without --resume is refused */
    ck_assert_int_eq(sweep_run(&o, &r), ERR_OK);
    ck_assert(r.already_done && r.computed == 0);
    o.resume = 0;
    ck_assert_int_eq(sweep_run(&o, &r), ERR_INVAL);
    rmtree(d1);
    rmtree(d2);
}
END_TEST

Suite *suite_sweep(void);
Suite *suite_sweep(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("grids");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_axis_parse);
    tcase_add_test(tc, test_phase_diagram_two_keys);
    tcase_add_test(tc, test_phase_diagram_selection_drift);
    tcase_add_test(tc, test_one_key);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_threads);
    tcase_add_test(tc, test_resume);
    suite_add_tcase(s, tc);
    return s;
}
