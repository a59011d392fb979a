/* check_sim: the foundation simulator — Beta/Gaussian weighted MLE, the population map against
 * the conjugate closed forms (the paper's Beta(1+3*2^g, 1+2*2^g)), Monte Carlo agreement, no drift
 * without weights, and byte-identical replicates for any thread count. */
#include <check.h>
#include <gsl/gsl_sf_psi.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "fit.h"
#include "mc.h"
#include "mcstate.h"
#include "popmap.h"
#include "rng.h"
#include "check_sim_util.h"
#include "theory.h"

/* The paper's Beta protocol; n = 0 or pre_n = 0 stands for inf. */
static SimSpec paper_spec(const char *weight, long n, long pre_n, long reps)
{
    char text[1024], nb[32], pb[32];
    snprintf(nb, sizeof nb, n ? "%ld" : "inf", n);
    snprintf(pb, sizeof pb, pre_n ? "%ld" : "inf", pre_n);
    snprintf(text, sizeof text,
             "[sim]\nfamily = beta\nn = %s\ngenerations = 11\nreplicates = %ld\nseed = 12345\n"
             "weight = %s\ngamma = 1\n[data]\nfamily = beta\nparams = 2 2\n"
             "[pretrained]\nparams = 3 2\nn = %s\n",
             nb, reps, weight, pb);
    return simtest_spec(text);
}

static double rel(double a, double b) { return fabs(a - b) / fabs(b); }

/* Beta MLE from exact expected statistics recovers (a, b): psi(a) - psi(a+b) = E log x. */
START_TEST(test_beta_fit_stat_exact)
{
    Dist beta = dist_fixed(&dist_beta);
    const double ab[][2] = {{0.3, 0.7}, {2, 2},       {3, 2},    {1, 1},
                            {50, 0.9},  {3073, 2049}, {1e5, 3e5}};
    for (size_t i = 0; i < sizeof ab / sizeof ab[0]; i++) {
        double a = ab[i][0], b = ab[i][1], psab = gsl_sf_psi(a + b);
        double sbar[2] = {gsl_sf_psi(a) - psab, gsl_sf_psi(b) - psab}, th[2] = {NAN, NAN};
        FitInfo fi;
        ck_assert_int_eq(dist_beta.fit_stat(&beta, sbar, th, &fi), ERR_OK);
        ck_assert_msg(fi.converged, "Beta(%g,%g) did not converge", a, b);
        ck_assert_msg(rel(th[0], a) < 1e-9 && rel(th[1], b) < 1e-9, "Beta(%g,%g) -> (%.12g, %.12g)",
                      a, b, th[0], th[1]);
    }
    /* no finite MLE: converged = 0 and nan, not an error */
    double bad[2] = {0.1, -0.5}, th[2];
    FitInfo fi;
    ck_assert_int_eq(dist_beta.fit_stat(&beta, bad, th, &fi), ERR_OK);
    ck_assert_int_eq(fi.converged, 0);
    ck_assert(isnan(th[0]));
}
END_TEST

/* Integer weights equal duplicated samples: an independent check of the weighting. */
START_TEST(test_weights_equal_duplicates)
{
    gsl_rng *r = rng_stream_alloc(rng_pcg64, 7, RNG_PURPOSE_TRUTH, 0);
    enum { N = 300 };
    double x[N], logw[N], dup[3 * N];
    size_t m = 0;
    double th_b[2] = {2, 5};
    Dist beta = dist_fixed(&dist_beta), gauss = dist_fixed(&dist_gaussian);
    dist_beta.sample(&beta, th_b, r, N, x);
    for (size_t i = 0; i < N; i++) {
        int k = 1 + (int)(i % 3);
        logw[i] = log((double)k) + 17.0; /* an arbitrary common factor must not matter */
        for (int j = 0; j < k; j++) dup[m++] = x[i];
    }
    const Dist *fams[] = {&beta, &gauss};
    for (int f = 0; f < 2; f++) {
        double t1[2] = {NAN, NAN}, t2[2] = {NAN, NAN}, neff;
        FitInfo fi;
        fit_wmle(fams[f], x, logw, N, t1, &fi, &neff);
        ck_assert(fi.converged);
        fit_wmle(fams[f], dup, NULL, m, t2, &fi, NULL);
        ck_assert(fi.converged);
        ck_assert_msg(rel(t1[0], t2[0]) < 1e-9 && rel(t1[1], t2[1]) < 1e-9, "%s",
                      fams[f]->type->name);
        /* Kish: (sum w)^2 / sum w^2 with w = 1,2,3 repeating: (6*100)^2 / (14*100) */
        ck_assert(fabs(neff - 360000.0 / 1400.0) < 1e-9);
    }
    /* Gaussian MLE is the sample mean and the ddof-0 sd */
    double t[2] = {NAN, NAN};
    FitInfo fi;
    fit_wmle(&gauss, x, NULL, N, t, &fi, NULL);
    double mean = gsl_stats_mean(x, 1, N);
    ck_assert(rel(t[0], mean) < 1e-12);
    ck_assert(rel(t[1], sqrt(gsl_stats_variance_m(x, 1, N, mean) * (N - 1) / N)) < 1e-12);
    gsl_rng_free(r);
}
END_TEST

/* The paper's Fig. 10 at n = inf: Beta(1 + 3*2^g, 1 + 2*2^g), through quadrature. */
START_TEST(test_fig10_population_map)
{
    SimSpec s = paper_spec("prev_density", 0, 0, 1);
    int M = loop_nmetric(&s);
    double *out = calloc((size_t)s.generations * M, sizeof *out);
    ck_assert_msg(loop_population(&s, out) == ERR_OK, "%s", err_msg());
    for (int g = 0; g < s.generations; g++) {
        const double *th = loop_theta(&s, out, g);
        double a = 1 + 3 * ldexp(1, g), b = 1 + 2 * ldexp(1, g);
        ck_assert_msg(rel(th[0], a) < 1e-6 && rel(th[1], b) < 1e-6, "g=%d: (%.10g, %.10g)", g,
                      th[0], th[1]);
        double cf[2];
        ck_assert(theory_closed_form(&s, g, cf));
        ck_assert(rel(cf[0], a) < 1e-15 && rel(cf[1], b) < 1e-15);
    }
    free(out);
}
END_TEST

/* Quadrature population map against every conjugate closed form. */
START_TEST(test_population_vs_closed_forms)
{
    static const char *const cases[] = {
        "family = beta\nweight = none\n[data]\nfamily = beta\nparams = 2 2\n[pretrained]\n"
        "params = 3 2",
        "family = beta\nweight = prev_density\ngamma = 0.5\n[data]\nfamily = beta\nparams = "
        "0.8 1.5\n[pretrained]\nparams = 3 2",
        "family = beta\nweight = pre_density\ngamma = 0.7\n[data]\nfamily = beta\nparams = 2 "
        "2\n[pretrained]\nparams = 3 2",
        "family = gaussian\nweight = none\n[data]\nfamily = gaussian\nparams = 1 2\n"
        "[pretrained]\nparams = 0 1",
        "family = gaussian\nweight = prev_density\n[data]\nfamily = gaussian\nparams = 0 1\n"
        "[pretrained]\nparams = 0.5 1.5",
        "family = gaussian\nweight = pre_density\ngamma = 2\n[data]\nfamily = gaussian\n"
        "params = 0 1\n[pretrained]\nparams = 0.5 1.5",
        "family = gaussian\nweight = tilt\nlambda = 0.3\n[data]\nfamily = gaussian\nparams = "
        "0 1.5\n[pretrained]\nparams = 0 1",
        "family = poisson\nweight = tilt\nlambda = 0.1\n[data]\nfamily = poisson\nparams = 3",
        "family = categorical\nk = 4\nweight = category\nboost = 0.5\nclass = 2\n[data]\n"
        "family = categorical\nparams = 0.1 0.2 0.3 0.4",
        "family = categorical\nk = 3\nweight = tilt\nlambda = -0.4\nclass = 3\ntemperature = "
        "0.7\n[data]\nfamily = categorical\nparams = 0.5 0.3 0.2",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, "[sim]\nn = inf\ngenerations = 8\nsnapshots = 0\n%s\n",
                 cases[i]);
        SimSpec s = simtest_spec(text);
        int M = loop_nmetric(&s);
        double *out = calloc((size_t)8 * M, sizeof *out);
        ck_assert_msg(loop_population(&s, out) == ERR_OK, "case %zu: %s", i, err_msg());
        for (int g = 0; g < s.generations; g++) {
            double cf[DIST_PARAM_MAX];
            ck_assert_msg(theory_closed_form(&s, g, cf), "case %zu has no closed form", i);
            const double *th = loop_theta(&s, out, g);
            for (int j = 0; j < s.fit.nparam; j++)
                ck_assert_msg(fabs(th[j] - cf[j]) <= 1e-7 * fmax(1, fabs(cf[j])),
                              "case %zu g=%d param %d: %.12g vs %.12g", i, g, j, th[j], cf[j]);
        }
        free(out);
    }
}
END_TEST

/* n = 10,000 (pretrained MLE on 10,000 draws): every generation's mean parameters within 5 Monte
 * Carlo standard errors of the closed form; the bias (model mean - 0.5) grows toward 0.1. */
START_TEST(test_fig10_monte_carlo)
{
    SimSpec s = paper_spec("prev_density", 10000, 10000, 64);
    McResult mc;
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    int M = mc.nmetric;
    for (int g = 0; g < s.generations; g++) {
        double cf[2];
        theory_closed_form(&s, g, cf);
        for (int j = 0; j < 2; j++) {
            const double *st =
                mc.stat + ((size_t)g * M + loop_col(&s, LOOP_M_PARAM0) + j) * MC_NSTAT;
            ck_assert_msg(fabs(st[MC_MEAN] - cf[j]) < 5 * st[MC_SE], "g=%d j=%d: %g +- %g vs %g",
                          g, j, st[MC_MEAN], st[MC_SE], cf[j]);
        }
        const double *conv = mc.stat + ((size_t)g * M + loop_col(&s, LOOP_M_CONVERGED)) * MC_NSTAT;
        ck_assert(conv[MC_MEAN] == 1.0);
    }
    const double *b0 = mc.stat + (size_t)loop_col(&s, LOOP_M_BIAS) * MC_NSTAT;
    const double *b10 = mc.stat + ((size_t)10 * M + loop_col(&s, LOOP_M_BIAS)) * MC_NSTAT;
    ck_assert(b10[MC_MEAN] > b0[MC_MEAN] + 10 * (b10[MC_SE] + b0[MC_SE]));
    ck_assert(fabs(b10[MC_MEAN] - 0.1) < 5 * b10[MC_SE] + 1e-3);
    mc_result_release(&mc);
}
END_TEST

/* Fig. 11 (plain MLE): no systematic drift — each generation's mean bias within 5 SE of 0. */
START_TEST(test_fig11_no_drift)
{
    SimSpec s = paper_spec("none", 10000, 10000, 64);
    McResult mc;
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    for (int g = 0; g < s.generations; g++) {
        const double *b = mc.stat + ((size_t)g * mc.nmetric + loop_col(&s, LOOP_M_BIAS)) * MC_NSTAT;
        ck_assert_msg(fabs(b[MC_MEAN]) < 5 * b[MC_SE], "g=%d bias %g +- %g", g, b[MC_MEAN],
                      b[MC_SE]);
        ck_assert(b[MC_SE] < 2e-3); /* and the test has power: SE is small */
    }
    mc_result_release(&mc);
}
END_TEST

START_TEST(test_threads_identical)
{
#ifdef _OPENMP
    SimSpec s = paper_spec("prev_density", 500, 500, 16);
    McResult a, b;
    omp_set_num_threads(1);
    mc_run(&s, &a, NULL);
    omp_set_num_threads(2);
    mc_run(&s, &b, NULL);
    size_t n = (size_t)s.replicates * s.generations * a.nmetric;
    ck_assert(memcmp(a.traj, b.traj, n * sizeof *a.traj) == 0);
    ck_assert(
        memcmp(a.stat, b.stat, (size_t)s.generations * a.nmetric * MC_NSTAT * sizeof *a.stat) == 0);
    /* and replicates differ from each other */
    int P0 = loop_col(&s, LOOP_M_PARAM0);
    ck_assert(mc_value(&a, 0, 3, P0) != mc_value(&a, 1, 3, P0));
    mc_result_release(&a);
    mc_result_release(&b);
#endif
}
END_TEST

/* sim --resume at the library level: chunks saved by a first run, some lost (as a kill leaves
 * them), are read back by a second run whose results equal an uninterrupted run's bit for bit; a
 * corrupt chunk and a chunk of another configuration are refused naming the file. */
START_TEST(test_mcstate_resume)
{
    SimSpec s = paper_spec("prev_density", 200, 200, 3 * MC_CHUNK + 5); /* 4 chunks, one short */
    char dir[] = "/tmp/biasamp_mcstate_XXXXXX", path[4200];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    McResult ref, a, b;
    ck_assert_int_eq(mc_run(&s, &ref, NULL), ERR_OK);
    McState ms;
    ck_assert_int_eq(mcstate_open(&ms, dir, 42, &s), ERR_OK);
    ck_assert_int_eq(mc_run_hooked(&s, &a, NULL, &ms.hooks), ERR_OK);
    ck_assert_int_eq(ms.saved, 4);
    snprintf(path, sizeof path, "%s/%s/chunk_000001.bin", dir, MCSTATE_DIR);
    ck_assert_int_eq(unlink(path), 0); /* lost, as if killed before it finished */
    snprintf(path, sizeof path, "%s/%s/chunk_000003.bin", dir, MCSTATE_DIR);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(mcstate_open(&ms, dir, 42, &s), ERR_OK);
    ck_assert_int_eq(mc_run_hooked(&s, &b, NULL, &ms.hooks), ERR_OK);
    ck_assert_int_eq(ms.loaded, 2);
    ck_assert_int_eq(ms.saved, 2);
    size_t n = (size_t)s.replicates * s.generations * ref.nmetric;
    ck_assert(memcmp(ref.traj, b.traj, n * sizeof *b.traj) == 0);
    ck_assert(memcmp(ref.theta_pre, b.theta_pre,
                     (size_t)s.replicates * s.fit.nparam * sizeof *b.theta_pre) == 0);
    ck_assert(memcmp(ref.stat, b.stat,
                     (size_t)s.generations * ref.nmetric * MC_NSTAT * sizeof *b.stat) == 0);
    /* another configuration's chunks, then a corrupt chunk */
    ck_assert_int_eq(mcstate_open(&ms, dir, 43, &s), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "written by another configuration"));
    snprintf(path, sizeof path, "%s/%s/chunk_000002.bin", dir, MCSTATE_DIR);
    FILE *f = fopen(path, "r+b");
    fseek(f, 200, SEEK_SET);
    fputc(0x5A, f);
    fclose(f);
    ck_assert_int_eq(mcstate_open(&ms, dir, 42, &s), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "chunk_000002.bin: CRC-32 mismatch"));
    ck_assert_int_eq(mcstate_remove(dir), ERR_OK);
    ck_assert(!mcstate_exists(dir));
    rmdir(dir);
    mc_result_release(&ref);
    mc_result_release(&a);
    mc_result_release(&b);
}
END_TEST

/* Metric columns: the closed forms for Gaussians (KL, TV, W2, tails) against the quadrature path
 * (a one-component mixture model is the same law without closed forms), and categorical values
 * by hand. */
START_TEST(test_metrics_closed_vs_numeric)
{
    SimSpec a = simtest_spec("[sim]\nfamily = gaussian\nweight = none\nsnapshots = 0\n[data]\n"
                             "family = gaussian\nparams = 0.5 1.3\n");
    SimSpec b = simtest_spec("[sim]\nfamily = mixture\nk = 1\nweight = none\nsnapshots = 0\n"
                             "[data]\nfamily = gaussian\nparams = 0.5 1.3\n[pretrained]\n"
                             "params = 1 0 1\n");
    SimSpec c = simtest_spec("[sim]\nfamily = gaussian_nd\nk = 1\nweight = none\nsnapshots = 0\n"
                             "[data]\nfamily = gaussian_nd\nparams = 0.5 1.69\n");
    const double models[][2] = {{0.5, 1.3}, {1.2, 0.7}, {-2, 3}, {0.4, 1.31}};
    for (size_t i = 0; i < 4; i++) {
        double ra[LOOP_METRIC_MAX], rb[LOOP_METRIC_MAX], rc[LOOP_METRIC_MAX];
        double ta[2] = {models[i][0], models[i][1]}, tb[3] = {1, models[i][0], models[i][1]};
        double tc[2] = {models[i][0], models[i][1] * models[i][1]};
        FitInfo fi = {1, 0};
        loop_metrics(&a, ta, &fi, 10, 10, ra);
        loop_metrics(&b, tb, &fi, 10, 10, rb);
        loop_metrics(&c, tc, &fi, 10, 10, rc);
        const LoopMetric ms[] = {LOOP_M_KL, LOOP_M_TV, LOOP_M_TAIL2, LOOP_M_TAIL3, LOOP_M_MEAN,
                                 LOOP_M_SD};
        for (size_t k = 0; k < sizeof ms / sizeof ms[0]; k++) {
            double x = ra[loop_col(&a, ms[k])], y = rb[loop_col(&b, ms[k])];
            ck_assert_msg(fabs(x - y) < 1e-9 * fmax(1, fabs(x)), "model %zu %s: %.12g vs %.12g", i,
                          loop_metric_name(&a, loop_col(&a, ms[k])), x, y);
            double z = rc[loop_col(&c, ms[k])];
            ck_assert_msg(fabs(x - z) < 1e-12 * fmax(1, fabs(x)), "gaussian_nd d=1 %zu", i);
        }
        double w2 = sqrt((0.5 - ta[0]) * (0.5 - ta[0]) + (1.3 - ta[1]) * (1.3 - ta[1]));
        ck_assert(fabs(ra[loop_col(&a, LOOP_M_W2)] - w2) < 1e-12);
    }
    SimSpec k = simtest_spec("[sim]\nfamily = categorical\nk = 4\nweight = none\nsnapshots = 0\n"
                             "class_names = a b c d\n[data]\nfamily = categorical\n"
                             "params = 0.4 0.3 0.2 0.1\n");
    double p[4] = {0.6, 0.4, 0, 0}, row[LOOP_METRIC_MAX];
    FitInfo fi = {1, 0};
    loop_metrics(&k, p, &fi, 10, 10, row);
    ck_assert(fabs(row[loop_col(&k, LOOP_M_TV)] - 0.3) < 1e-15);
    ck_assert(row[loop_col(&k, LOOP_M_LOST)] == 2);
    ck_assert(fabs(row[loop_col(&k, LOOP_M_LOST_MASS)] - 0.3) < 1e-15);
    ck_assert(fabs(row[loop_col(&k, LOOP_M_GINI)] - (1 - 0.36 - 0.16)) < 1e-15);
    ck_assert(fabs(row[loop_col(&k, LOOP_M_ZHAO)] - (0.2 + 0.1)) < 1e-15); /* p* > 1/4: a, b */
    ck_assert(isinf(row[loop_col(&k, LOOP_M_KL)]));
    ck_assert(fabs(row[loop_col(&k, LOOP_M_STAT)] - 0.6) < 1e-15); /* share of class 1 */
    ck_assert(loop_find_col(&k, "share_c") == loop_col(&k, LOOP_M_SHARE0) + 2);
}
END_TEST

Suite *suite_sim(void);
Suite *suite_sim(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_beta_fit_stat_exact);
    tcase_add_test(tc, test_weights_equal_duplicates);
    tcase_add_test(tc, test_fig10_population_map);
    tcase_add_test(tc, test_population_vs_closed_forms);
    tcase_add_test(tc, test_fig10_monte_carlo);
    tcase_add_test(tc, test_fig11_no_drift);
    tcase_add_test(tc, test_threads_identical);
    tcase_add_test(tc, test_mcstate_resume);
    tcase_add_test(tc, test_metrics_closed_vs_numeric);
    suite_add_tcase(s, tc);
    return s;
}
