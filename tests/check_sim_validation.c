/* check_sim_validation: the numbers of issue 3's Validation section (sigma0^2 = 1, mu0 = 0,
 * t = number of fits, fit 1 on n real samples = generation 0), Monte Carlo within 4.5 standard
 * errors with fixed seeds, and the n = inf population maps against their closed forms. */
#include <check.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_sim_util.h"
#include "err.h"
#include "mc.h"
#include "theory.h"

#define TOL_SE 4.5

/* Mean and its standard error of f(row) over the replicates at generation g. */
typedef double (*RowFn)(const SimSpec *s, const double *row);

static void mc_moment(const SimSpec *s, const McResult *mc, int g, RowFn f, double *mean,
                      double *se, double *var, double *var_se)
{
    long R = mc->replicates;
    int G = mc->generations, M = mc->nmetric;
    double m1 = 0, k = 0, row[LOOP_METRIC_MAX];
    (void)G;
    (void)M;
    for (long r = 0; r < R; r++) {
        mc_row(mc, r, g, row);
        double v = f(s, row);
        if (!isfinite(v)) continue;
        m1 += v;
        k++;
    }
    m1 /= k;
    double c2 = 0, c4 = 0;
    for (long r = 0; r < R; r++) {
        mc_row(mc, r, g, row);
        double v = f(s, row);
        if (!isfinite(v)) continue;
        double d = v - m1;
        c2 += d * d;
        c4 += d * d * d * d;
    }
    c2 /= k - 1;
    c4 /= k;
    *mean = m1;
    *se = sqrt(c2 / k);
    if (var) *var = c2;
    if (var_se) *var_se = sqrt(fmax(c4 - c2 * c2, 0) / k);
}

static void check_close(const char *what, double got, double se, double want)
{
    ck_assert_msg(fabs(got - want) <= TOL_SE * se, "%s: %.6f +- %.6f (SE), expected %.6f", what,
                  got, se, want);
}

static double f_var(const SimSpec *s, const double *row)
{
    double sd = row[loop_col(s, LOOP_M_SD)];
    return sd * sd;
}
static double f_sd(const SimSpec *s, const double *row) { return row[loop_col(s, LOOP_M_SD)]; }
static double f_logvar(const SimSpec *s, const double *row) { return log(f_var(s, row)); }
static double f_msq(const SimSpec *s, const double *row)
{
    double m = row[loop_col(s, LOOP_M_MEAN)];
    return m * m;
}
static double f_invariant(const SimSpec *s, const double *row)
{
    return f_var(s, row) + f_msq(s, row);
}
static double f_det(const SimSpec *s, const double *row)
{
    return row[loop_col(s, LOOP_M_COV_DET)];
}
static double f_trace(const SimSpec *s, const double *row)
{
    return row[loop_col(s, LOOP_M_COV_TRACE)];
}
static double f_gini(const SimSpec *s, const double *row) { return row[loop_col(s, LOOP_M_GINI)]; }
static double f_lost(const SimSpec *s, const double *row) { return row[loop_col(s, LOOP_M_LOST)]; }
static double f_lostmass(const SimSpec *s, const double *row)
{
    return row[loop_col(s, LOOP_M_LOST_MASS)];
}

static SimSpec gauss_spec(const char *extra, long n, int gens, long reps)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[sim]\nfamily = gaussian\nn = %ld\ngenerations = %d\nreplicates = %ld\nseed = 777\n"
             "weight = none\nsnapshots = 0\n%s\n[data]\nfamily = gaussian\nparams = 0 1\n"
             "[pretrained]\nn = inf\n",
             n, gens, reps, extra);
    return simtest_spec(text);
}

/* E[s_t^2] = ((n-1)/n)^t, E[(mu_t - mu0)^2] = 1 - ((n-1)/n)^t, E[s_t] = c_n^t,
 * E[ln s_t^2] = t [psi((n-1)/2) + ln(2/n)]; n = 10, t = 10. */
START_TEST(test_gaussian_replace_mle)
{
    SimSpec s = gauss_spec("", 10, 10, 40000);
    McResult mc;
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    double n = 10, t = 10, m, se;
    double cn = sqrt(2 / n) * exp(gsl_sf_lngamma(n / 2) - gsl_sf_lngamma((n - 1) / 2));
    ck_assert(fabs(cn - 0.922746) < 1e-6);
    ck_assert(fabs(pow((n - 1) / n, t) - 0.348678) < 1e-6);
    ck_assert(fabs(pow(cn, t) - 0.447528) < 1e-6);
    /* the exact value is -2.2056699 (the issue rounds it to -2.205667) */
    ck_assert(fabs(t * (gsl_sf_psi((n - 1) / 2) + log(2 / n)) - -2.2056699) < 1e-7);
    mc_moment(&s, &mc, 9, f_var, &m, &se, NULL, NULL);
    check_close("E s^2", m, se, 0.348678);
    mc_moment(&s, &mc, 9, f_msq, &m, &se, NULL, NULL);
    check_close("E (mu - mu0)^2", m, se, 0.651322);
    mc_moment(&s, &mc, 9, f_sd, &m, &se, NULL, NULL);
    check_close("E s", m, se, 0.447528);
    mc_moment(&s, &mc, 9, f_logvar, &m, &se, NULL, NULL);
    check_close("E ln s^2", m, se, -2.205667);
    /* every generation on the way, too */
    for (int g = 0; g < 10; g++) {
        mc_moment(&s, &mc, g, f_var, &m, &se, NULL, NULL);
        check_close("E s^2 (per generation)", m, se, pow(0.9, g + 1));
    }
    mc_result_release(&mc);
}
END_TEST

/* ddof 1: E[s_t^2] = 1 and Var(s_t^2) = (1 + 2/(n-1))^t - 1 (n = 10, t = 10: 6.438781). The
 * variance is heavy tailed (fourth moment ~ 5e4), hence many replicates. */
START_TEST(test_gaussian_unbiased)
{
    SimSpec s = gauss_spec("ddof = 1", 10, 10, 200000);
    McResult mc;
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    double m, se, v, vse;
    ck_assert(fabs(pow(1 + 2.0 / 9, 10) - 1 - 6.438781) < 1e-6);
    mc_moment(&s, &mc, 9, f_var, &m, &se, &v, &vse);
    check_close("E s^2 (ddof 1)", m, se, 1);
    check_close("Var s^2 (ddof 1)", v, vse, 6.438781);
    mc_moment(&s, &mc, 2, f_var, &m, &se, &v, &vse); /* t = 3: a sharper check */
    check_close("Var s^2 (ddof 1, t = 3)", v, vse, pow(1 + 2.0 / 9, 3) - 1);
    mc_result_release(&mc);
}
END_TEST

/* E[s_t^2 + (mu_t - mu0)^2] = 1 for every Gaussian MLE loop fed by the same truth. */
START_TEST(test_gaussian_invariant_all_modes)
{
    static const char *const modes[] = {"mode = replace", "mode = accumulate",
                                        "mode = accumulate_subsample", "mode = preserve\nrho = 0.3",
                                        "mode = preserve_pool\nrho = 0.5\npool_n = 40",
                                        "schedule = geometric\ngrowth = 1.3"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        SimSpec s = gauss_spec(modes[i], 10, 8, 20000);
        McResult mc;
        ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
        for (int g = 0; g < 8; g++) {
            double m, se;
            mc_moment(&s, &mc, g, f_invariant, &m, &se, NULL, NULL);
            ck_assert_msg(fabs(m - 1) <= TOL_SE * se, "%s g=%d: %.5f +- %.5f", modes[i], g, m, se);
        }
        mc_result_release(&mc);
    }
}
END_TEST

/* d = 3, n = 10, t = 5: E det S_t / det S_0 = (9*8*7/1000)^5 = 0.032524,
 * E tr S_t / tr S_0 = 0.9^5 = 0.590490, with a full covariance S_0. */
START_TEST(test_gaussian_nd)
{
    SimSpec s = simtest_spec("[sim]\nfamily = gaussian_nd\nk = 3\nn = 10\ngenerations = 5\n"
                             "replicates = 40000\nseed = 5\nweight = none\nsnapshots = 0\n"
                             "[data]\nfamily = gaussian_nd\n"
                             "params = 1 -1 0.5 2 0.5 1 0.3 0.2 1.5\n[pretrained]\nn = inf\n");
    McResult mc;
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    /* det and trace of S_0 (packed 2, .5, 1, .3, .2, 1.5) */
    double S0[9] = {2, 0.5, 0.3, 0.5, 1, 0.2, 0.3, 0.2, 1.5};
    double det0 = S0[0] * (S0[4] * S0[8] - S0[5] * S0[7]) -
                  S0[1] * (S0[3] * S0[8] - S0[5] * S0[6]) + S0[2] * (S0[3] * S0[7] - S0[4] * S0[6]);
    double tr0 = 4.5, m, se;
    /* the exact value is 0.504^5 = 0.0325202 (the issue prints 0.032524; both are checked, the
     * difference is far inside the Monte Carlo error) */
    mc_moment(&s, &mc, 4, f_det, &m, &se, NULL, NULL);
    check_close("E det / det0", m / det0, se / det0, pow(0.504, 5));
    check_close("E det / det0 (issue's figure)", m / det0, se / det0, 0.032524);
    mc_moment(&s, &mc, 4, f_trace, &m, &se, NULL, NULL);
    check_close("E tr / tr0", m / tr0, se / tr0, 0.590490);
    mc_result_release(&mc);
}
END_TEST

/* Categorical, unweighted: K = 5 uniform, n = 20, t = 10: E[Gini-Simpson] = 0.8 * 0.95^10 =
 * 0.478990; K = 10 uniform, n = 10, one fit: E[#empty] = 10 * 0.9^10 = 3.486784, E[lost mass] =
 * 0.348678. */
START_TEST(test_categorical)
{
    SimSpec s = simtest_spec("[sim]\nfamily = categorical\nk = 5\nn = 20\ngenerations = 10\n"
                             "replicates = 20000\nseed = 9\nweight = none\nsnapshots = 0\n"
                             "[data]\nfamily = categorical\nparams =\n[pretrained]\nn = inf\n");
    McResult mc;
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    double m, se;
    mc_moment(&s, &mc, 9, f_gini, &m, &se, NULL, NULL);
    check_close("E Gini-Simpson", m, se, 0.478990);
    mc_result_release(&mc);

    s = simtest_spec("[sim]\nfamily = categorical\nk = 10\nn = 10\ngenerations = 1\n"
                     "replicates = 20000\nseed = 10\nweight = none\nsnapshots = 0\n"
                     "[data]\nfamily = categorical\nparams =\n[pretrained]\nn = inf\n");
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    mc_moment(&s, &mc, 0, f_lost, &m, &se, NULL, NULL);
    check_close("E #empty", m, se, 3.486784);
    mc_moment(&s, &mc, 0, f_lostmass, &m, &se, NULL, NULL);
    check_close("E lost mass", m, se, 0.348678);
    mc_result_release(&mc);
}
END_TEST

static double *population(const SimSpec *s)
{
    double *out = calloc((size_t)s->generations * s->nmetric, sizeof *out);
    ck_assert_msg(loop_population(s, out) == ERR_OK, "%s", err_msg());
    return out;
}

/* n = inf: tilt e^{lambda x} on N(mu, s^2) gives N(mu + lambda s^2, s^2) each fit (bias, no
 * collapse); self-density weighting gives N(mu, s^2/2) (collapse from weighting). */
START_TEST(test_population_gaussian_maps)
{
    SimSpec s = simtest_spec("[sim]\nfamily = gaussian\nn = inf\ngenerations = 4\nweight = tilt\n"
                             "lambda = 0.25\nsnapshots = 0\n[data]\nfamily = gaussian\n"
                             "params = 1 2\n");
    double *out = population(&s);
    for (int g = 0; g < 4; g++) {
        const double *th = loop_theta(&s, out, g);
        ck_assert_msg(fabs(th[0] - (1 + (g + 1) * 0.25 * 4)) < 1e-8, "tilt mu g=%d: %.12g", g,
                      th[0]);
        ck_assert(fabs(th[1] - 2) < 1e-8);
    }
    free(out);
    s = simtest_spec("[sim]\nfamily = gaussian\nn = inf\ngenerations = 3\nweight = prev_density\n"
                     "snapshots = 0\n[data]\nfamily = gaussian\nparams = 1 2\n[pretrained]\n"
                     "params = 1 2\nn = inf\n");
    out = population(&s);
    for (int g = 0; g < 3; g++) {
        const double *th = loop_theta(&s, out, g);
        ck_assert(fabs(th[0] - 1) < 1e-8);
        ck_assert_msg(fabs(th[1] * th[1] - 4 / pow(2, g + 1)) < 1e-8, "g=%d var %.12g", g,
                      th[1] * th[1]);
    }
    free(out);
}
END_TEST

/* Temperature tau = 0.8 on p0 = (0.5, 0.3, 0.2): ln(p1/p2) = 0.6385, 0.7982, 0.9977 after 1-3
 * generations (ln(5/3) 1.25^t). */
START_TEST(test_population_temperature)
{
    SimSpec s = simtest_spec("[sim]\nfamily = categorical\nk = 3\nn = inf\ngenerations = 4\n"
                             "weight = none\ntemperature = 0.8\nsnapshots = 0\n[data]\n"
                             "family = categorical\nparams = 0.5 0.3 0.2\n");
    double *out = population(&s);
    const double want[] = {log(5.0 / 3), 0.6385, 0.7982, 0.9977};
    for (int g = 0; g < 4; g++) {
        const double *p = loop_theta(&s, out, g);
        ck_assert_msg(fabs(log(p[0] / p[1]) - want[g]) < 5e-5, "g=%d: %.6f", g, log(p[0] / p[1]));
    }
    free(out);
}
END_TEST

/* A constant push delta (tilt lambda on N(0, 1): delta = lambda) drifts t delta under replace and
 * delta H_t under weight-at-fit accumulate (H_t harmonic). Under accumulate the pooled variance
 * grows by O(delta^2), so the push is constant to O(delta^3): lambda = 0.01 keeps that below
 * 1e-4 relative. */
START_TEST(test_population_push)
{
    SimSpec s = simtest_spec("[sim]\nfamily = gaussian\nn = inf\ngenerations = 8\nweight = tilt\n"
                             "lambda = 0.01\nsnapshots = 0\n[data]\nfamily = gaussian\n"
                             "params = 0 1\n");
    double *out = population(&s);
    for (int g = 0; g < 8; g++)
        ck_assert(fabs(loop_theta(&s, out, g)[0] - 0.01 * (g + 1)) < 1e-10);
    free(out);
    s = simtest_spec("[sim]\nfamily = gaussian\nn = inf\ngenerations = 8\nweight = tilt\n"
                     "lambda = 0.01\nmode = accumulate\nscope = all\nsnapshots = 0\n[data]\n"
                     "family = gaussian\nparams = 0 1\n");
    out = population(&s);
    double H = 0;
    for (int g = 0; g < 8; g++) {
        H += 1.0 / (g + 1);
        double mu = loop_theta(&s, out, g)[0];
        ck_assert_msg(fabs(mu - 0.01 * H) < 1e-4 * 0.01 * H, "g=%d: %.10g vs %.10g", g, mu,
                      0.01 * H);
    }
    free(out);
}
END_TEST

Suite *suite_sim_validation(void);
Suite *suite_sim_validation(void)
{
    Suite *s = suite_create("sim_validation");
    TCase *tc = tcase_create("issue3");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_gaussian_replace_mle);
    tcase_add_test(tc, test_gaussian_unbiased);
    tcase_add_test(tc, test_gaussian_invariant_all_modes);
    tcase_add_test(tc, test_gaussian_nd);
    tcase_add_test(tc, test_categorical);
    tcase_add_test(tc, test_population_gaussian_maps);
    tcase_add_test(tc, test_population_temperature);
    tcase_add_test(tc, test_population_push);
    suite_add_tcase(s, tc);
    return s;
}
