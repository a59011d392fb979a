/* check_sim_modes: every family x weight x loop mode runs, and its Monte Carlo means agree with
 * its own n = inf population map (4.5 SE plus the O(1/n) finite-sample bias); byte-identical
 * output for any thread count on the most intricate specs; bad configs fail with FILE:LINE and
 * ERR_INVAL (exit code 2), also through the CLI. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "check_sim_util.h"
#include "err.h"
#include "mc.h"

typedef struct ModeCase {
    const char *name, *text;
} ModeCase;

/* Common [sim] keys are prepended: n = 4000, generations = 4, replicates = 48. */
static const ModeCase mode_cases[] = {
    {"gaussian_nd prev_density",
     "family = gaussian_nd\nk = 2\nweight = prev_density\ngamma = 0.5\n[data]\nfamily = "
     "gaussian_nd\nparams = 0 0 1 0.3 2\n[pretrained]\nparams = 1 -1 2 0 1\nn = inf"},
    {"gaussian_nd best_of_k coord 2",
     "family = gaussian_nd\nk = 2\nweight = best_of_k\nbest_of = 3\nlambda = 0.8\ncoord = 2\n"
     "[data]\nfamily = gaussian_nd\nparams = 0 0 1 0.5 1\n[pretrained]\nn = inf"},
    {"linreg tilt on y",
     "family = linreg\nk = 3\nweight = tilt\nlambda = 0.3\n[data]\nfamily = linreg\n"
     "params = 0.5 1 -1 0.7\n[pretrained]\nn = inf"},
    {"linreg prev_density",
     "family = linreg\nk = 2\nweight = prev_density\n[data]\nfamily = linreg\nparams = 0 1 1\n"
     "[pretrained]\nparams = 0.5 0.5 1.5\nn = inf"},
    {"categorical best_of_k",
     "family = categorical\nk = 3\nweight = best_of_k\nbest_of = 4\nlambda = 1\nclass = 3\n"
     "[data]\nfamily = categorical\nparams = 0.5 0.3 0.2\n[pretrained]\nn = inf"},
    {"categorical category synthetic accumulate tempered",
     "family = categorical\nk = 3\nweight = category\nboost = 0.5\nclass = 2\nscope = synthetic\n"
     "mode = accumulate\ntemperature = 0.9\n[data]\nfamily = categorical\nparams = 0.5 0.3 0.2\n"
     "[pretrained]\nn = inf"},
    {"poisson tilt accumulate synthetic",
     "family = poisson\nweight = tilt\nlambda = 0.05\nscope = synthetic\nmode = accumulate\n"
     "[data]\nfamily = poisson\nparams = 4\n[pretrained]\nn = inf"},
    {"gaussian fit to mixture data, prev_density",
     "family = gaussian\nweight = prev_density\n[data]\nfamily = mixture\nk = 2\n"
     "params = 0.4 0.6 -1 1.5 0.5 0.8\n[pretrained]\nparams = 0 1.5\nn = inf"},
    {"mixture preserve prev_density",
     "family = mixture\nk = 2\nweight = prev_density\ngamma = 0.5\nmode = preserve\nrho = 0.5\n"
     "[data]\nfamily = mixture\nparams = 0.4 0.6 -1.5 1.5 0.6 0.8\n[pretrained]\nn = inf"},
    {"beta pre_density accumulate_subsample",
     "family = beta\nweight = pre_density\ngamma = 0.3\nmode = accumulate_subsample\n[data]\n"
     "family = beta\nparams = 2 2\n[pretrained]\nparams = 3 2\nn = inf"},
    {"gaussian best_of_k preserve_pool synthetic, linear schedule",
     "family = gaussian\nweight = best_of_k\nbest_of = 2\nlambda = 0.5\nscope = synthetic\n"
     "mode = preserve_pool\nrho = 0.25\npool_n = 5000\nschedule = linear\ngrowth = 200\n"
     "[data]\nfamily = gaussian\nparams = 0 1\n[pretrained]\nn = inf"},
    {"gaussian tilt quantile statistic, geometric schedule",
     "family = gaussian\nweight = tilt\nlambda = 0.2\nstatistic = quantile\nquantile = 0.9\n"
     "schedule = geometric\ngrowth = 1.5\n[data]\nfamily = gaussian\nparams = 0 1\n"
     "[pretrained]\nn = inf"},
};
#define NMODE (sizeof mode_cases / sizeof mode_cases[0])

static SimSpec mode_spec(const ModeCase *c, const char *n, long reps)
{
    char text[2048];
    snprintf(text, sizeof text, "[sim]\nn = %s\ngenerations = 4\nreplicates = %ld\nseed = 31\n"
             "snapshots = 0\n%s\n", n, reps, c->text);
    return simtest_spec(text);
}

START_TEST(test_mc_matches_population)
{
    const ModeCase *c = &mode_cases[_i];
    SimSpec s = mode_spec(c, "4000", 48);
    McResult mc;
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    int G = s.generations, M = s.nmetric;
    double *pop = calloc((size_t)G * M, sizeof *pop);
    ck_assert_msg(loop_population(&s, pop) == ERR_OK, "%s: %s", c->name, err_msg());
    int P0 = loop_col(&s, LOOP_M_PARAM0), cols[DIST_PARAM_MAX + 2], nc = 0;
    for (int j = 0; j < s.fit.nparam; j++) cols[nc++] = P0 + j;
    cols[nc++] = loop_col(&s, LOOP_M_STAT);
    cols[nc++] = loop_col(&s, LOOP_M_KL);
    for (int g = 0; g < G; g++) {
        const double *conv = mc.stat + ((size_t)g * M + loop_col(&s, LOOP_M_CONVERGED)) * MC_NSTAT;
        ck_assert_msg(conv[MC_MEAN] == 1, "%s g=%d: %g converged", c->name, g, conv[MC_MEAN]);
        for (int k = 0; k < nc; k++) {
            const double *st = mc.stat + ((size_t)g * M + cols[k]) * MC_NSTAT;
            double p = pop[(size_t)g * M + cols[k]];
            /* the finite-n bias of an MLE loop is O((g+1)/n) of the parameter scale; KL is
             * positive and biased up by O(nparam/n) */
            double allow = 4.5 * st[MC_SE] + 3.0 * (g + 1) / 4000 * fmax(1, fabs(p));
            if (cols[k] == loop_col(&s, LOOP_M_KL)) allow += 3.0 * s.fit.nparam * (g + 1) / 4000;
            ck_assert_msg(fabs(st[MC_MEAN] - p) <= allow, "%s g=%d %s: MC %.6g +- %.2g, n=inf %.6g",
                          c->name, g, loop_metric_name(&s, cols[k]), st[MC_MEAN], st[MC_SE], p);
        }
    }
    free(pop);
    mc_result_release(&mc);
}
END_TEST

/* Byte-identical trajectories and summaries for 1 and 2 threads, on every mode case. */
START_TEST(test_threads_identical)
{
#ifdef _OPENMP
    const ModeCase *c = &mode_cases[_i];
    SimSpec s = mode_spec(c, "300", 6);
    McResult a, b;
    omp_set_num_threads(1);
    mc_run(&s, &a, NULL);
    omp_set_num_threads(2);
    mc_run(&s, &b, NULL);
    size_t n = (size_t)s.replicates * s.generations * a.nmetric;
    ck_assert(memcmp(a.traj, b.traj, n * sizeof *a.traj) == 0);
    ck_assert(
        memcmp(a.stat, b.stat, (size_t)s.generations * a.nmetric * MC_NSTAT * sizeof *a.stat) == 0);
    int P0 = loop_col(&s, LOOP_M_PARAM0);
    ck_assert(mc_value(&a, 0, 3, P0) != mc_value(&a, 1, 3, P0));
    mc_result_release(&a);
    mc_result_release(&b);
#endif
}
END_TEST

/* A bad config fails with FILE:LINE of the offending key and ERR_INVAL. */
static void expect_bad(const char *text, int line, const char *needle)
{
    SimSpec s;
    int st = simtest_load(text, &s);
    ck_assert_msg(st == ERR_INVAL, "accepted (status %d): %s", st, text);
    char where[32];
    snprintf(where, sizeof where, ":%d: ", line);
    const char *msg = err_msg();
    ck_assert_msg(strstr(msg, "/tmp/biasamp_simtest_") && strstr(msg, where) && strstr(msg, needle),
                  "message '%s' lacks line %d or '%s'", msg, line, needle);
    ck_assert_int_eq(err_exit_code(st), 2);
}

START_TEST(test_bad_configs)
{
    expect_bad("[sim]\nfamily = student_t\n", 2, "not one of");
    expect_bad("[sim]\nfamily = gaussian\ngamma = -1\n", 3, "out of range");
    expect_bad("[sim]\nmode = preserve\nrho = 1.5\n", 3, "out of range");
    expect_bad("[sim]\nmode = preserve\nrho = -0.1\n", 3, "out of range");
    expect_bad("[sim]\nfamily = categorical\nk = 1\n[data]\nfamily = categorical\n", 3,
               "out of range");
    expect_bad("[sim]\nfamily = gaussian_nd\nk = 2\n[data]\nfamily = gaussian_nd\n"
               "params = 0 0 1 1 1\n", 6, "singular");
    expect_bad("[sim]\nn = 1\n", 2, "out of range");
    expect_bad("[sim]\nfamily = gaussian\n[data]\nfamily = gaussian\nparams = 0 -1\n", 5, "sigma");
    expect_bad("[sim]\nfamily = beta\ntemperature = 0.5\n", 3, "temperature");
    expect_bad("[sim]\nfamily = gaussian\nweight = category\n[data]\nfamily = gaussian\n"
               "params = 0 1\n", 3, "categorical");
    expect_bad("[sim]\nfamily = poisson\n[data]\nfamily = gaussian\nparams = 0 1\n", 4, "counts");
    expect_bad("[sim]\nfamily = categorical\nk = 3\nclass = 4\n[data]\nfamily = categorical\n"
               "params =\n", 4,
               "not a class");
    expect_bad("[sim]\nschedule = linear\ngrowth = -5000\ngenerations = 5\n", 3, "outside");
    expect_bad("[sim]\nmode = preserve_pool\nscope = all\nweight = best_of_k\n", 3, "pool");
    expect_bad("[sim]\nfamily = gaussian\n[data]\nfamily = beta\nparams = 2 2\n", 4,
               "pretrained.params");
}
END_TEST

/* Through the binary: a bad config exits 2 with FILE:LINE; a good one writes its tables. */
START_TEST(test_cli)
{
    const char *bin = getenv("BIASAMP_BIN");
    if (!bin) return;
    char cmd[2048];
    FILE *f = fopen("/tmp/biasamp_simcli_bad.ini", "w");
    fputs("[sim]\nfamily = gaussian\nrho = 2\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "%s sim /tmp/biasamp_simcli_bad.ini --no-plot -o /tmp/biasamp_simcli_bad "
             "2>/tmp/biasamp_simcli.err >/dev/null",
             bin);
    int rc = system(cmd);
    ck_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
    f = fopen("/tmp/biasamp_simcli.err", "r");
    char line[512] = "";
    ck_assert(fgets(line, sizeof line, f) != NULL);
    fclose(f);
    ck_assert_msg(strstr(line, "biasamp_simcli_bad.ini:3:"), "%s", line);
    snprintf(cmd, sizeof cmd,
             "rm -rf /tmp/biasamp_simcli_ok && %s sim configs/categorical-temperature.ini "
             "--no-plot -q -s sim.replicates=4 -o /tmp/biasamp_simcli_ok",
             bin);
    rc = system(cmd);
    ck_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    f = fopen("/tmp/biasamp_simcli_ok/generations.csv", "r");
    ck_assert(f != NULL);
    int header = 0, rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') {
            if (strncmp(line, "# setup_codes=", 14) == 0) header++;
            continue;
        }
        rows++;
    }
    fclose(f);
    ck_assert_int_eq(header, 1);
    ck_assert_int_ge(rows, 2);
}
END_TEST

/* Every family x weight x mode x {n = 200, inf} runs (library path: Monte Carlo and population
 * map); the only refusals are category weights on non-categorical models (ERR_INVAL). */
START_TEST(test_all_combinations)
{
    static const char *const fam[][2] = {
        {"beta", "2 2"},        {"gaussian", "0 1"},      {"gaussian_nd", "0 0 1 0.3 1"},
        {"categorical", "0.5 0.3 0.2"}, {"poisson", "3"}, {"mixture", "0.4 0.6 -1 1 0.6 0.8"},
        {"linreg", "0.5 1 0.7"}};
    static const char *const weights[] = {"none", "prev_density", "pre_density",
                                          "tilt", "category",     "best_of_k"};
    int ran = 0;
    for (size_t f = 0; f < 7; f++)
        for (size_t w = 0; w < 6; w++)
            for (int m = 0; m < LOOP_NMODES; m++)
                for (int inf = 0; inf < 2; inf++) {
                    char text[1024];
                    snprintf(text, sizeof text,
                             "[sim]\nfamily = %s\nweight = %s\nmode = %s\nn = %s\n"
                             "generations = 4\nreplicates = 3\nsnapshots = 0\nlambda = 0.3\n"
                             "boost = 0.3\nbest_of = 3\nscope = %s\n[data]\nfamily = %s\n"
                             "params = %s\n[pretrained]\nn = inf\n",
                             fam[f][0], weights[w], loop_mode_names[m], inf ? "inf" : "200",
                             m == LOOP_PRESERVE_POOL ? "synthetic" : "all", fam[f][0], fam[f][1]);
                    SimSpec s;
                    int st = simtest_load(text, &s);
                    if (w == 4 && f != 3) {
                        ck_assert_int_eq(st, ERR_INVAL);
                        continue;
                    }
                    ck_assert_msg(st == ERR_OK, "%s/%s/%s: %s", fam[f][0], weights[w],
                                  loop_mode_names[m], err_msg());
                    double *pop = calloc((size_t)4 * s.nmetric, sizeof *pop);
                    ck_assert_msg(loop_population(&s, pop) == ERR_OK, "%s/%s/%s: %s", fam[f][0],
                                  weights[w], loop_mode_names[m], err_msg());
                    ck_assert(pop[loop_col(&s, LOOP_M_CONVERGED)] == 1); /* generation 0 */
                    free(pop);
                    if (!inf) {
                        McResult mc;
                        ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
                        mc_result_release(&mc);
                    }
                    ran++;
                }
    ck_assert_int_eq(ran, 7 * 6 * LOOP_NMODES * 2 - 6 * LOOP_NMODES * 2);
}
END_TEST

Suite *suite_sim_modes(void);
Suite *suite_sim_modes(void)
{
    Suite *s = suite_create("sim_modes");
    TCase *tc = tcase_create("modes");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_mc_matches_population, 0, NMODE);
    tcase_add_loop_test(tc, test_threads_identical, 0, NMODE);
    tcase_add_test(tc, test_bad_configs);
    tcase_add_test(tc, test_all_combinations);
    tcase_add_test(tc, test_cli);
    suite_add_tcase(s, tc);
    return s;
}
