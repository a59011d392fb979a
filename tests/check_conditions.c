/* check_conditions: the verdicts of `biasamp theory` on the shipped configs (the paper's Fig. 10
 * and Fig. 11, the Gaussian tilt, own-density weights, a category weight, preservation and
 * accumulation against a push, a condition that breaks, a pull that wins), the covariance form
 * of the push against the population map's increments, and the Monte Carlo agreement logic. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_sim_util.h"
#include "conditions.h"
#include "err.h"
#include "mc.h"

/* A shipped config (paths relative to the repository root, where the tests run) with overrides
 * "section.key=value". */
static SimSpec load_config(const char *path, const char *const *ov, int nov)
{
    SimConfig sc;
    Cfg cfg;
    SimSpec s;
    cfg_init(&cfg, simcfg_keys, &sc);
    int st = cfg_load(&cfg, path);
    for (int i = 0; i < nov && !st; i++) st = cfg_set(&cfg, ov[i]);
    if (!st) st = simcfg_spec(&cfg, &sc, &s);
    ck_assert_msg(st == ERR_OK, "%s: %s", path, err_msg());
    cfg_release(&cfg);
    return s;
}

/* conditions_check + the replicates + conditions_compare at z = 3. */
static void run(const SimSpec *s, ConditionReport *r)
{
    ck_assert_msg(conditions_check(s, r) == ERR_OK, "%s", err_msg());
    if (s->n > 0) {
        McResult mc;
        ck_assert_int_eq(mc_run(s, &mc, NULL), ERR_OK);
        conditions_compare(s, &mc, 3, r);
        mc_result_release(&mc);
    }
}

/* Delta_t equals the covariance form (push + pull) wherever the form is exact. */
static void check_cov_form(const SimSpec *s, const ConditionReport *r, double tol)
{
    ck_assert_msg(r->cov_form, "covariance form should apply: %s", r->cov_note);
    for (int t = 0; t < r->generations; t++)
        ck_assert_msg(fabs(r->gen[t].delta_cov - r->gen[t].delta) <= tol,
                      "t=%d: Delta %.12g, Cov/E[w] + pull %.12g", t, r->gen[t].delta,
                      r->gen[t].delta_cov);
}

START_TEST(test_fig10)
{
    static const char *const ov[] = {"sim.replicates=60"};
    SimSpec s = load_config("configs/paper-fig10-wmle.ini", ov, 1);
    ConditionReport r;
    run(&s, &r);
    ck_assert_int_eq(r.necessary, COND_HOLDS);
    ck_assert_str_eq(r.source, "weight");
    ck_assert_int_eq(r.sufficient, COND_HOLDS);
    ck_assert_int_eq(r.first_break, -1);
    /* the mean rises from 4/7 toward the pretrained model's 3/5 */
    ck_assert_int_eq(r.pop, COND_POP_BOUNDED);
    ck_assert_msg(fabs(r.b_limit - 0.1) < 1e-4, "b_limit %.8g", r.b_limit);
    ck_assert(fabs(r.gen[0].bias - (4.0 / 7 - 0.5)) < 1e-9);
    for (int g = 0; g < r.generations; g++)
        ck_assert(fabs(r.gen[g].bias_closed - r.gen[g].bias) < 1e-9);
    ck_assert_int_eq(r.collapse, 1);
    check_cov_form(&s, &r, 1e-9);
    ck_assert_int_eq(r.mc, COND_MC_AMPLIFIED);
    ck_assert_int_eq(r.agrees, 1);
    conditions_release(&r);
}
END_TEST

START_TEST(test_fig11)
{
    static const char *const ov[] = {"sim.replicates=100"};
    SimSpec s = load_config("configs/paper-fig11-mle.ini", ov, 1);
    ConditionReport r;
    run(&s, &r);
    ck_assert_int_eq(r.necessary, COND_FAILS);
    ck_assert_int_eq(r.sufficient, COND_FAILS);
    ck_assert_int_eq(r.first_break, 0);
    ck_assert_int_eq(r.pop, COND_POP_NONE);
    ck_assert_int_eq(r.collapse, 0);
    ck_assert_int_eq(r.mc, COND_MC_NONE);
    ck_assert_int_eq(r.agrees, 1);
    conditions_release(&r);
}
END_TEST

START_TEST(test_gaussian_tilt)
{
    SimSpec s = load_config("configs/theory-gaussian-tilt.ini", NULL, 0);
    ConditionReport r;
    run(&s, &r);
    ck_assert_int_eq(r.necessary, COND_HOLDS);
    ck_assert_int_eq(r.sufficient, COND_HOLDS);
    ck_assert_int_eq(r.pop, COND_POP_AMPLIFIED);
    for (int t = 0; t < r.generations; t++) {
        ck_assert(fabs(r.gen[t].bias - 0.05 * (t + 1)) < 1e-9);
        ck_assert(fabs(r.gen[t].push - 0.05) < 1e-9); /* lambda sigma^2 */
        ck_assert(fabs(r.gen[t].pull) < 1e-9);
    }
    check_cov_form(&s, &r, 1e-9);
    ck_assert(fabs(r.disp_ratio - 1) < 1e-9); /* bias without collapse */
    ck_assert_int_eq(r.collapse, 0);
    ck_assert_int_eq(r.mc, COND_MC_AMPLIFIED);
    ck_assert_int_eq(r.agrees, 1);
    conditions_release(&r);
}
END_TEST

START_TEST(test_self_density)
{
    SimSpec s = load_config("configs/theory-self-density.ini", NULL, 0);
    ConditionReport r;
    run(&s, &r);
    ck_assert_int_eq(r.necessary, COND_FAILS);
    ck_assert_str_eq(r.source, "none");
    ck_assert_int_eq(r.sufficient, COND_FAILS);
    ck_assert_int_eq(r.first_break, 0);
    ck_assert_int_eq(r.pop, COND_POP_NONE);
    /* collapse without bias: sd_g = 2^{-(g+1)/2} */
    ck_assert_int_eq(r.collapse, 1);
    ck_assert(fabs(r.disp_ratio - pow(2, -r.generations / 2.0)) < 1e-9);
    ck_assert_int_eq(r.mc, COND_MC_NONE);
    ck_assert_int_eq(r.agrees, 1);
    ck_assert(r.mcs.disp_ratio < 0.05);
    conditions_release(&r);
}
END_TEST

START_TEST(test_categorical_weight)
{
    SimSpec s = load_config("configs/theory-categorical-weight.ini", NULL, 0);
    ConditionReport r;
    run(&s, &r);
    ck_assert_int_eq(r.necessary, COND_HOLDS);
    ck_assert_int_eq(r.sufficient, COND_HOLDS); /* b_0 = 0 with Delta_0 > 0 counts */
    ck_assert(fabs(r.gen[0].bias) < 1e-12);
    ck_assert(r.pop == COND_POP_AMPLIFIED || r.pop == COND_POP_BOUNDED);
    for (int t = 0; t < r.generations; t++) { /* Delta = s p (1-p) / (1 + s p) */
        double p = r.gen[t].stat;
        ck_assert(fabs(r.gen[t].delta - 0.2 * p * (1 - p) / (1 + 0.2 * p)) < 1e-12);
    }
    check_cov_form(&s, &r, 1e-12);
    ck_assert_int_eq(r.mc, COND_MC_AMPLIFIED);
    ck_assert_int_eq(r.agrees, 1);
    conditions_release(&r);

    /* the same weight on the class as a penalty: the share falls, and that is amplification
     * too (b_t < 0 keeps its sign and grows in size) */
    static const char *const ov[] = {"sim.boost=-0.3"};
    s = load_config("configs/theory-categorical-weight.ini", ov, 1);
    run(&s, &r);
    ck_assert_int_eq(r.sufficient, COND_HOLDS);
    ck_assert(r.gen[r.generations - 1].bias < 0);
    ck_assert_int_eq(r.mc, COND_MC_AMPLIFIED);
    ck_assert_int_eq(r.agrees, 1);
    conditions_release(&r);
}
END_TEST

START_TEST(test_preserve_push)
{
    SimSpec s = load_config("configs/theory-preserve-push.ini", NULL, 0);
    ConditionReport r;
    run(&s, &r);
    ck_assert_int_eq(r.necessary, COND_HOLDS);
    ck_assert_int_eq(r.sufficient, COND_HOLDS);
    /* bounded at delta (1-rho)/rho = 0.2, up to the O(delta^2) pooled-variance correction */
    ck_assert_int_eq(r.pop, COND_POP_BOUNDED);
    ck_assert_msg(fabs(r.b_limit - 0.2) < 0.06 * 0.2, "b_limit %.6g", r.b_limit);
    check_cov_form(&s, &r, 1e-9);
    ck_assert_int_eq(r.mc, COND_MC_AMPLIFIED);
    ck_assert_int_eq(r.agrees, 1);
    conditions_release(&r);
    /* weight on the whole pool, a small push: delta / rho */
    static const char *const ov[] = {"sim.scope=all", "sim.lambda=0.01", "sim.n=inf"};
    s = load_config("configs/theory-preserve-push.ini", ov, 3);
    ck_assert_int_eq(conditions_check(&s, &r), ERR_OK);
    ck_assert_int_eq(r.pop, COND_POP_BOUNDED);
    ck_assert_msg(fabs(r.b_limit - 0.05) < 2e-3 * 0.05, "b_limit %.8g", r.b_limit);
    ck_assert_int_eq(r.mc, COND_MC_NOT_RUN);
    ck_assert_int_eq(r.agrees, -1);
    conditions_release(&r);
}
END_TEST

START_TEST(test_accumulate_push)
{
    SimSpec s = load_config("configs/theory-accumulate-push.ini", NULL, 0);
    ConditionReport r;
    run(&s, &r);
    ck_assert_int_eq(r.necessary, COND_HOLDS);
    ck_assert_str_eq(r.source, "weight+mixing");
    ck_assert_int_eq(r.sufficient, COND_HOLDS);
    ck_assert_int_eq(r.pop, COND_POP_AMPLIFIED); /* unbounded: delta H_{t+1} */
    double H = 0;
    for (int t = 0; t < r.generations; t++) {
        H += 1.0 / (t + 1);
        ck_assert_msg(fabs(r.gen[t].bias - 0.05 * H) < 0.02 * 0.05 * H, "t=%d: %.6g vs %.6g", t,
                      r.gen[t].bias, 0.05 * H);
        ck_assert(fabs(r.gen[t].bias_closed - 0.05 * H) < 1e-12);
    }
    check_cov_form(&s, &r, 1e-9);
    ck_assert_int_eq(r.mc, COND_MC_AMPLIFIED);
    ck_assert_int_eq(r.agrees, 1);
    conditions_release(&r);
}
END_TEST

/* Temperature 0.8 on the middle class: holds at t = 0, 1, 2, breaks at 3. */
START_TEST(test_break)
{
    SimSpec s = load_config("configs/theory-break.ini", NULL, 0);
    ConditionReport r;
    run(&s, &r);
    ck_assert_int_eq(r.necessary, COND_HOLDS);
    ck_assert_str_eq(r.source, "sampler/mixing");
    ck_assert_int_eq(r.sufficient, COND_FAILS);
    ck_assert_int_eq(r.first_break, 3);
    for (int t = 0; t < 3; t++) ck_assert(r.gen[t].sign_ok);
    ck_assert(!r.gen[3].sign_ok && r.gen[3].delta < 0 && r.gen[3].bias > 0);
    ck_assert_int_eq(r.pop, COND_POP_MIXED);
    check_cov_form(&s, &r, 1e-12);
    ck_assert_int_eq(r.agrees, 1); /* the net drift has the population's sign */
    conditions_release(&r);
}
END_TEST

/* Own-density weights on a preserved pool with a biased pretrained model: generation 0 inherits
 * the pretrained model's offset, then the weighted fresh data pull it back (the pull wins). */
START_TEST(test_shrinks)
{
    SimSpec s = simtest_spec("[sim]\nfamily = gaussian\nn = 400\ngenerations = 8\n"
                             "replicates = 300\nseed = 5\nweight = prev_density\nmode = preserve\n"
                             "rho = 0.3\nscope = all\nsnapshots = 0\n[data]\nfamily = gaussian\n"
                             "params = 0 1\n[pretrained]\nparams = 1.5 1\nn = inf\n");
    ConditionReport r;
    run(&s, &r);
    ck_assert(r.gen[0].bias > 0.5);
    ck_assert_int_eq(r.necessary, COND_HOLDS);
    ck_assert_int_eq(r.sufficient, COND_FAILS);
    ck_assert_int_eq(r.first_break, 0);
    ck_assert_int_eq(r.pop, COND_POP_SHRINKS);
    check_cov_form(&s, &r, 1e-9);
    ck_assert_int_eq(r.mc, COND_MC_SHRINKS);
    ck_assert_int_eq(r.agrees, 1);
    conditions_release(&r);
}
END_TEST

/* The covariance form on more weights and families: Poisson tilt, best-of-K curation, a
 * Gaussian-mixture model, accumulate with a tilt. A Beta tilt leaves the family: there the form
 * is only first order. */
START_TEST(test_covariance_form)
{
    static const char *const texts[] = {
        "[sim]\nfamily = poisson\nn = inf\ngenerations = 5\nweight = tilt\nlambda = 0.1\n"
        "snapshots = 0\n[data]\nfamily = poisson\nparams = 4\n",
        "[sim]\nfamily = categorical\nk = 3\nn = inf\ngenerations = 5\nweight = best_of_k\n"
        "best_of = 3\nlambda = 0.7\nclass = 1\nsnapshots = 0\n[data]\nfamily = categorical\n"
        "params = 0.2 0.5 0.3\n",
        "[sim]\nfamily = gaussian\nn = inf\ngenerations = 4\nweight = best_of_k\nbest_of = 4\n"
        "lambda = 0.5\nsnapshots = 0\n[data]\nfamily = gaussian\nparams = 0 1\n",
        "[sim]\nfamily = mixture\nk = 2\nn = inf\ngenerations = 4\nweight = tilt\nlambda = 0.2\n"
        "snapshots = 0\n[data]\nfamily = mixture\nk = 2\nparams = 0.6 0.4 -1 2 0.8 1\n",
        "[sim]\nfamily = gaussian\nn = inf\ngenerations = 6\nweight = prev_density\n"
        "gamma = 0.5\nmode = accumulate\nsnapshots = 0\n[data]\nfamily = gaussian\n"
        "params = 0 1\n[pretrained]\nparams = 1 2\nn = inf\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        SimSpec s = simtest_spec(texts[i]);
        ConditionReport r;
        ck_assert_msg(conditions_check(&s, &r) == ERR_OK, "%zu: %s", i, err_msg());
        ck_assert_int_eq(r.necessary, COND_HOLDS);
        check_cov_form(&s, &r, 1e-6 * s.truth_sd);
        conditions_release(&r);
    }
    SimSpec s = simtest_spec("[sim]\nfamily = beta\nn = inf\ngenerations = 4\nweight = tilt\n"
                             "lambda = 0.5\nsnapshots = 0\n[data]\nfamily = beta\n"
                             "params = 2 3\n");
    ConditionReport r;
    ck_assert_int_eq(conditions_check(&s, &r), ERR_OK);
    ck_assert_int_eq(r.cov_form, 0);
    ck_assert(isnan(r.gen[0].delta_cov));
    for (int t = 0; t < r.generations; t++) /* first order: within 10 % */
        ck_assert(fabs(r.gen[t].push + r.gen[t].pull - r.gen[t].delta) < 0.1 * r.gen[t].delta);
    conditions_release(&r);
}
END_TEST

/* A hand-made Monte Carlo result: summaries, and the agreement verdict flips with the data. */
START_TEST(test_compare_logic)
{
    SimSpec s = simtest_spec("[sim]\nfamily = gaussian\nn = 100\ngenerations = 2\nreplicates = 4\n"
                             "weight = tilt\nlambda = 0.1\nsnapshots = 0\n[data]\n"
                             "family = gaussian\nparams = 0 1\n");
    ConditionReport r;
    ck_assert_int_eq(conditions_check(&s, &r), ERR_OK);
    ck_assert_int_eq(r.pop, COND_POP_AMPLIFIED);
    int M = s.nmetric, cb = loop_col(&s, LOOP_M_BIAS), cd = loop_col(&s, LOOP_M_DISPERSION);
    McResult mc = {.generations = 2, .nmetric = M, .replicates = 4};
    mc.traj = calloc((size_t)2 * M * 4, sizeof *mc.traj);
    const double b0[] = {0.1, 0.12, 0.08, 0.1}, b1[] = {0.2, 0.25, 0.15, NAN};
    for (int k = 0; k < 4; k++) {
        mc.traj[((size_t)0 * M + cb) * 4 + k] = b0[k];
        mc.traj[((size_t)1 * M + cb) * 4 + k] = b1[k];
        mc.traj[((size_t)1 * M + cd) * 4 + k] = 0.5 + 0.1 * k;
    }
    CondMcSummary m;
    conditions_mc_summary(&s, &mc, &m);
    ck_assert_int_eq(m.replicates, 3); /* the nan replicate is left out */
    ck_assert(fabs(m.bias - 0.2) < 1e-15);
    ck_assert(fabs(m.bias_se - sqrt(0.0025 / 3)) < 1e-15);
    ck_assert(fabs(m.drift - 0.1) < 1e-15); /* (0.1 + 0.13 + 0.07) / 3 */
    ck_assert(fabs(m.disp_ratio - 0.65) < 1e-15);
    conditions_compare(&s, &mc, 3, &r);
    ck_assert_int_eq(r.mc, COND_MC_AMPLIFIED);
    ck_assert_int_eq(r.agrees, 1);
    /* drift against the population's sign: the simulation disagrees */
    for (int k = 0; k < 4; k++) mc.traj[((size_t)1 * M + cb) * 4 + k] = b0[k] - 0.05;
    conditions_compare(&s, &mc, 3, &r);
    ck_assert_int_eq(r.mc, COND_MC_SHRINKS);
    ck_assert_int_eq(r.agrees, 0);
    free(mc.traj);
    conditions_release(&r);
    conditions_release(NULL);
    ck_assert_str_eq(conditions_verdict_name(COND_NA), "n/a");
    ck_assert_str_eq(conditions_pop_name(COND_POP_BOUNDED), "bounded");
    ck_assert_str_eq(conditions_mc_name(COND_MC_NOT_RUN), "not run");
}
END_TEST

Suite *suite_conditions(void);
Suite *suite_conditions(void)
{
    Suite *s = suite_create("conditions");
    TCase *tc = tcase_create("verdicts");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_fig10);
    tcase_add_test(tc, test_fig11);
    tcase_add_test(tc, test_gaussian_tilt);
    tcase_add_test(tc, test_self_density);
    tcase_add_test(tc, test_categorical_weight);
    tcase_add_test(tc, test_preserve_push);
    tcase_add_test(tc, test_accumulate_push);
    tcase_add_test(tc, test_break);
    tcase_add_test(tc, test_shrinks);
    tcase_add_test(tc, test_covariance_form);
    tcase_add_test(tc, test_compare_logic);
    suite_add_tcase(s, tc);
    return s;
}
