/* check_theory: the closed-form library — every form against an independent value: the issue's
 * numbers, the population map (quadrature), direct recursions, an exact Wright-Fisher chain, an
 * independent linear-regression simulation, and Monte Carlo through theory_compare (which also
 * checks each form's spec matching and observable). */
#include <check.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_sim_util.h"
#include "err.h"
#include "mc.h"
#include "rng.h"
#include "theory.h"

#define TOL_SE 4.5

static double ev(const char *name, const double *a, int na, double t)
{
    double v;
    ck_assert_msg(theory_eval(name, a, na, t, &v) == ERR_OK, "%s: %s", name, err_msg());
    return v;
}

static void close_to(const char *what, double got, double want, double tol)
{
    ck_assert_msg(fabs(got - want) <= tol, "%s: %.10g, expected %.10g (tol %.2g)", what, got,
                  want, tol);
}

static double *population(const SimSpec *s)
{
    double *out = calloc((size_t)s->generations * s->nmetric, sizeof *out);
    ck_assert_msg(loop_population(s, out) == ERR_OK, "%s", err_msg());
    return out;
}

/* The forms that apply to s, compared with its population map (and Monte Carlo when mc). Every
 * one of `expect` must apply and agree; returns how many applied. */
static int check_forms(const SimSpec *s, const McResult *mc, const char *const *expect, int ne)
{
    TheoryApplied ap[32];
    int n = theory_applicable(s, ap, 32);
    double *pop = population(s);
    for (int e = 0; e < ne; e++) {
        int found = 0;
        for (int i = 0; i < n; i++) {
            if (strcmp(ap[i].form->name, expect[e])) continue;
            found = 1;
            TheoryCompare c;
            theory_compare(s, &ap[i], pop, mc, TOL_SE, &c);
            int g = c.g_check;
            ck_assert_msg(g >= 0, "%s: nothing to compare", expect[e]);
            ck_assert_msg(c.agrees == 1,
                          "%s at generation %d: theory %.8g, Monte Carlo %.8g +- %.3g, "
                          "population %.10g",
                          expect[e], g, c.pred[g], c.mc[g], c.mc_se[g], c.pop[g]);
            /* population forms agree at every generation, not only the last */
            if (ap[i].form->kind == THEORY_POP)
                for (int k = 0; k < s->generations; k++)
                    ck_assert_msg(fabs(c.pop[k] - c.pred[k]) <=
                                      (ap[i].form->exact ? 1e-6 : 0.05) *
                                          fmax(fabs(c.pred[k]), s->truth_sd),
                                  "%s g=%d: %.12g vs %.12g", expect[e], k, c.pop[k], c.pred[k]);
            theory_compare_release(&c);
        }
        ck_assert_msg(found, "form %s does not apply", expect[e]);
    }
    free(pop);
    return n;
}

/* ---- the table and the by-name interface ---------------------------------------------------- */

START_TEST(test_table)
{
    int n = 0;
    for (const TheoryForm *f = theory_forms; f->name; f++, n++) {
        ck_assert_ptr_nonnull(f->eval);
        ck_assert_msg(f->nargs_min >= 0 && f->nargs_min <= f->nargs_max &&
                          f->nargs_max <= THEORY_ARG_MAX,
                      "%s: argument counts", f->name);
        ck_assert_msg(!f->applies || f->observe, "%s: applies without an observable", f->name);
        ck_assert_ptr_nonnull(f->source);
        ck_assert_ptr_eq(theory_find(f->name), f);
        for (const TheoryForm *g = f + 1; g->name; g++) ck_assert_str_ne(f->name, g->name);
    }
    ck_assert_int_ge(n, 30);
    double v, a[2] = {10, 1};
    ck_assert_int_eq(theory_eval("no_such_form", a, 2, 1, &v), ERR_INVAL);
    ck_assert_int_eq(theory_eval("gauss_mle_var", a, 1, 1, &v), ERR_INVAL);
    ck_assert_msg(strstr(err_msg(), "n var0") != NULL, "message: %s", err_msg());
    ck_assert_ptr_null(theory_find("nope"));
}
END_TEST

START_TEST(test_harmonic)
{
    close_to("H_4", theory_harmonic(4), 25.0 / 12, 1e-15);
    close_to("H_0", theory_harmonic(0), 0, 0);
    close_to("H2_3", theory_harmonic2(3), 1 + 0.25 + 1.0 / 9, 1e-15);
    close_to("H2_inf", theory_harmonic2(1e6), M_PI * M_PI / 6, 1.1e-6);
}
END_TEST

/* ---- issue 3's numbers ---------------------------------------------------------------------- */

START_TEST(test_validation_numbers)
{
    const double g[] = {10, 1, 0};
    close_to("E s^2", ev("gauss_mle_var", g, 3, 10), 0.348678, 5e-7);
    close_to("E (mu-mu0)^2", ev("gauss_mle_mean_msd", g, 3, 10), 0.651322, 5e-7);
    close_to("E s", ev("gauss_mle_sd", g, 3, 10), 0.447528, 5e-7);
    close_to("E ln s^2", ev("gauss_mle_logvar", g, 3, 10), -2.2056699, 5e-8);
    const double u[] = {10, 1};
    close_to("E s^2 ddof 1", ev("gauss_unbiased_var", u, 2, 10), 1, 0);
    close_to("Var s^2 ddof 1", ev("gauss_unbiased_var_var", u, 2, 10), 6.438781, 5e-7);
    const double inv[] = {1, 0};
    close_to("invariant", ev("gauss_invariant", inv, 2, 7), 1, 0);
    const double nd[] = {10, 3};
    close_to("E det", ev("gauss_nd_det", nd, 2, 5), pow(9 * 8 * 7 / 1000.0, 5), 1e-15);
    close_to("E det (issue)", ev("gauss_nd_det", nd, 2, 5), 0.032524, 5e-6);
    close_to("E tr", ev("gauss_nd_trace", nd, 2, 5), 0.590490, 5e-7);
    const double c5[] = {20, 5};
    close_to("E GS", ev("cat_gini", c5, 2, 10), 0.478990, 5e-7);
    const double c10[] = {10, 10};
    close_to("E #empty", ev("cat_empty", c10, 2, 1), 3.486784, 5e-7);
    close_to("E lost mass", ev("cat_lost_mass", c10, 2, 1), 0.348678, 5e-7);
    ck_assert(isnan(ev("cat_empty", c10, 2, 2)));
    /* the paper's Beta: Beta(1 + 3 2^g, 1 + 2 2^g) at t = g + 1 */
    const double b[] = {2, 2, 3, 2, 1};
    for (int gg = 0; gg < 11; gg++)
        close_to("Beta mean", ev("beta_density_weight", b, 5, gg + 1),
                 (1 + 3 * pow(2, gg)) / (2 + 5 * pow(2, gg)), 1e-14);
    /* tau = 0.8 on p0 = (0.5, 0.3, 0.2): ln(p1/p2) = 0.6385, 0.7982, 0.9977 after 1-3 gens */
    const double want[] = {0.6385, 0.7982, 0.9977};
    for (int k = 1; k <= 3; k++) {
        double a0[] = {0.8, 0, 0.5, 0.3, 0.2}, a1[] = {0.8, 1, 0.5, 0.3, 0.2};
        close_to("ln p1/p2", log(ev("cat_temperature", a0, 5, k + 1) /
                                 ev("cat_temperature", a1, 5, k + 1)),
                 want[k - 1], 5e-5);
    }
    /* a constant push: t delta (replace), delta H_t (accumulate) */
    const double d[] = {0.1, 1};
    close_to("replace", ev("push_replace", d, 2, 7), 0.7, 1e-15);
    close_to("accumulate", ev("push_accumulate", d, 2, 4), 0.1 * 25 / 12, 1e-15);
}
END_TEST

/* ---- Monte Carlo: the resampling chains ----------------------------------------------------- */

static SimSpec gauss_spec(const char *extra, long n, int gens, long reps)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[sim]\nfamily = gaussian\nn = %ld\ngenerations = %d\nreplicates = %ld\nseed = 4242\n"
             "weight = none\nsnapshots = 0\n%s\n[data]\nfamily = gaussian\nparams = 0.5 1.5\n"
             "[pretrained]\nn = inf\n",
             n, gens, reps, extra);
    return simtest_spec(text);
}

START_TEST(test_mc_gaussian_replace)
{
    SimSpec s = gauss_spec("", 10, 10, 20000);
    McResult mc;
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    static const char *const forms[] = {"gauss_mle_var",   "gauss_mle_mean_msd", "gauss_mle_sd",
                                        "gauss_mle_logvar", "gauss_invariant",   "mle_no_drift",
                                        "mle_fixed_point"};
    int n = check_forms(&s, &mc, forms, 7);
    ck_assert_int_eq(n, 7);
    mc_result_release(&mc);
}
END_TEST

START_TEST(test_mc_gaussian_unbiased_and_accumulate)
{
    SimSpec s = gauss_spec("ddof = 1", 10, 4, 100000);
    McResult mc;
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    static const char *const f1[] = {"gauss_unbiased_var", "gauss_unbiased_var_var"};
    check_forms(&s, &mc, f1, 2);
    mc_result_release(&mc);

    /* accumulation bounds the zero-mean error by (var0/n) sum 1/k^2 (< var0 pi^2 / 6n), while
     * replace grows like t var0 / n */
    s = gauss_spec("mode = accumulate", 10, 10, 20000);
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    static const char *const f2[] = {"gauss_accum_mean_bound", "gauss_invariant", "mle_no_drift"};
    check_forms(&s, &mc, f2, 3);
    TheoryApplied ap = {theory_find("gauss_accum_mean_bound"), 3, {10, 2.25, 0.5}};
    TheoryCompare c;
    theory_compare(&s, &ap, NULL, &mc, TOL_SE, &c);
    /* the bound is nearly attained: E sigma_k^2 = var0 (1 - O(1/n)) */
    ck_assert_msg(c.mc[9] > 0.7 * c.pred[9], "accumulate error %.4g far below %.4g", c.mc[9],
                  c.pred[9]);
    ck_assert(c.pred[9] < 2.25 * M_PI * M_PI / 60);
    const double rep[] = {10, 2.25, 0.5};
    ck_assert(ev("gauss_mle_mean_msd", rep, 3, 10) > 3 * c.pred[9]);
    theory_compare_release(&c);
    mc_result_release(&mc);
}
END_TEST

START_TEST(test_mc_gaussian_nd)
{
    SimSpec s = simtest_spec("[sim]\nfamily = gaussian_nd\nk = 3\nn = 10\ngenerations = 5\n"
                             "replicates = 20000\nseed = 8\nweight = none\nsnapshots = 0\n"
                             "[data]\nfamily = gaussian_nd\n"
                             "params = 1 -1 0.5 2 0.5 1 0.3 0.2 1.5\n[pretrained]\nn = inf\n");
    McResult mc;
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    static const char *const forms[] = {"gauss_nd_det", "gauss_nd_trace", "mle_no_drift"};
    check_forms(&s, &mc, forms, 3);
    mc_result_release(&mc);
}
END_TEST

START_TEST(test_mc_categorical)
{
    SimSpec s = simtest_spec("[sim]\nfamily = categorical\nk = 4\nn = 12\ngenerations = 6\n"
                             "replicates = 20000\nseed = 9\nweight = none\nsnapshots = 0\n"
                             "[data]\nfamily = categorical\nparams = 0.5 0.25 0.15 0.1\n"
                             "[pretrained]\nn = inf\n");
    McResult mc;
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    static const char *const forms[] = {"cat_gini", "cat_empty", "cat_lost_mass", "mle_no_drift"};
    check_forms(&s, &mc, forms, 4);
    mc_result_release(&mc);
}
END_TEST

/* ---- population maps ------------------------------------------------------------------------ */

START_TEST(test_pop_conjugate)
{
    /* Beta with the paper's weights, both scopes; fixed pretrained weights */
    static const char *const beta_prev[] = {"beta_density_weight"};
    static const char *const beta_pre[] = {"beta_pretrained_weight"};
    for (int scope = 0; scope < 2; scope++) {
        char text[512];
        snprintf(text, sizeof text,
                 "[sim]\nfamily = beta\nn = inf\ngenerations = 8\nweight = prev_density\n"
                 "gamma = 0.7\nscope = %s\nsnapshots = 0\n[data]\nfamily = beta\nparams = 2 3\n"
                 "[pretrained]\nparams = 4 2\nn = inf\n",
                 scope ? "synthetic" : "all");
        SimSpec s = simtest_spec(text);
        check_forms(&s, NULL, beta_prev, 1);
    }
    SimSpec s = simtest_spec("[sim]\nfamily = beta\nn = inf\ngenerations = 6\n"
                             "weight = pre_density\ngamma = 0.5\nsnapshots = 0\n[data]\n"
                             "family = beta\nparams = 2 2\n[pretrained]\nparams = 3 2\nn = inf\n");
    check_forms(&s, NULL, beta_pre, 1);
    /* Gaussian: own density (collapse without bias), fixed pretrained density, tilt */
    static const char *const self[] = {"gauss_self_density"};
    s = simtest_spec("[sim]\nfamily = gaussian\nn = inf\ngenerations = 6\nweight = prev_density\n"
                     "gamma = 1.5\nsnapshots = 0\n[data]\nfamily = gaussian\nparams = 1 2\n"
                     "[pretrained]\nparams = 0 3\nn = inf\n");
    check_forms(&s, NULL, self, 1);
    static const char *const pre[] = {"gauss_pretrained_weight"};
    s = simtest_spec("[sim]\nfamily = gaussian\nn = inf\ngenerations = 6\nweight = pre_density\n"
                     "gamma = 0.5\nsnapshots = 0\n[data]\nfamily = gaussian\nparams = 1 2\n"
                     "[pretrained]\nparams = 3 1\nn = inf\n");
    check_forms(&s, NULL, pre, 1);
    static const char *const tilt[] = {"gauss_tilt", "push_replace"};
    for (int scope = 0; scope < 2; scope++) {
        char text[512];
        snprintf(text, sizeof text,
                 "[sim]\nfamily = gaussian\nn = inf\ngenerations = 6\nweight = tilt\n"
                 "lambda = -0.3\nscope = %s\nsnapshots = 0\n[data]\nfamily = gaussian\n"
                 "params = 1 2\n",
                 scope ? "synthetic" : "all");
        s = simtest_spec(text);
        check_forms(&s, NULL, tilt, 2);
    }
    s = simtest_spec("[sim]\nfamily = gaussian_nd\nk = 2\nn = inf\ngenerations = 5\nweight = tilt\n"
                     "lambda = 0.2\ncoord = 2\nsnapshots = 0\n[data]\nfamily = gaussian_nd\n"
                     "params = 0 1 2 0.5 3\n");
    check_forms(&s, NULL, tilt, 2);
    static const char *const pois[] = {"poisson_tilt"};
    s = simtest_spec("[sim]\nfamily = poisson\nn = inf\ngenerations = 6\nweight = tilt\n"
                     "lambda = 0.15\nsnapshots = 0\n[data]\nfamily = poisson\nparams = 3\n");
    check_forms(&s, NULL, pois, 1);
}
END_TEST

START_TEST(test_pop_categorical)
{
    static const char *const w[] = {"cat_weight"};
    const char *weights[] = {"weight = category\nboost = 0.4", "weight = tilt\nlambda = -0.5"};
    for (int i = 0; i < 2; i++)
        for (int scope = 0; scope < 2; scope++) {
            char text[512];
            snprintf(text, sizeof text,
                     "[sim]\nfamily = categorical\nk = 3\nn = inf\ngenerations = 8\n%s\n"
                     "class = 2\nscope = %s\nsnapshots = 0\n[data]\nfamily = categorical\n"
                     "params = 0.5 0.3 0.2\n",
                     weights[i], scope ? "synthetic" : "all");
            SimSpec s = simtest_spec(text);
            check_forms(&s, NULL, w, 1);
        }
    static const char *const temp[] = {"cat_temperature"};
    SimSpec s = simtest_spec("[sim]\nfamily = categorical\nk = 3\nn = inf\ngenerations = 6\n"
                             "weight = none\ntemperature = 0.8\nclass = 3\nsnapshots = 0\n"
                             "[data]\nfamily = categorical\nparams = 0.45 0.4 0.15\n");
    check_forms(&s, NULL, temp, 1);
}
END_TEST

/* The constant-push forms against the population map with a small push (the pooled variance
 * makes the Gaussian tilt's push grow by O(delta^2)) and against their recursions. */
START_TEST(test_pop_push_mitigations)
{
    double lam = 0.01, d = lam; /* N(0, 1): delta = lambda */
    for (int scope = 0; scope < 2; scope++) {
        char text[512];
        snprintf(text, sizeof text,
                 "[sim]\nfamily = gaussian\nn = inf\ngenerations = 15\nweight = tilt\n"
                 "lambda = %g\nmode = preserve\nrho = 0.3\nscope = %s\nsnapshots = 0\n[data]\n"
                 "family = gaussian\nparams = 0 1\n",
                 lam, scope ? "synthetic" : "all");
        SimSpec s = simtest_spec(text);
        TheoryApplied ap;
        ap.form = theory_find("push_preserve");
        ck_assert(ap.form->applies(&s, ap.a, &ap.na));
        double *pop = population(&s), b = scope ? 0 : d, f = scope ? 0 : 1;
        for (int g = 0; g < 15; g++) {
            if (g > 0) b = scope ? 0.7 * (b + d) : 0.7 * b + d; /* the recursions */
            double pred = ap.form->eval(ap.a, ap.na, g + 1);
            close_to("preserve recursion", pred, b, 1e-15);
            double mu = loop_theta(&s, pop, g)[0];
            /* the pooled variance adds O(delta^2) relative: 1e-3 at delta = 0.01 */
            close_to("preserve population", mu, pred, 1e-3 * fabs(pred) + 1e-15);
        }
        for (int k = 0; k < 3000; k++) b = scope ? 0.7 * (b + d) : 0.7 * b + d;
        double lim;
        const double la[] = {d, 0.3, f};
        ck_assert_int_eq(theory_eval("push_preserve_limit", la, 3, 1, &lim), ERR_OK);
        close_to("preserve limit", lim, b, 1e-15);
        free(pop);
    }
    for (int scope = 0; scope < 2; scope++) {
        char text[512];
        snprintf(text, sizeof text,
                 "[sim]\nfamily = gaussian\nn = inf\ngenerations = 12\nweight = tilt\n"
                 "lambda = %g\nmode = accumulate\nscope = %s\nsnapshots = 0\n[data]\n"
                 "family = gaussian\nparams = 0 1\n",
                 lam, scope ? "synthetic" : "all");
        SimSpec s = simtest_spec(text);
        double *pop = population(&s), H = 0;
        const double a[] = {d, scope ? 0 : 1};
        for (int g = 0; g < 12; g++) {
            H += 1.0 / (g + 1);
            double pred = ev("push_accumulate", a, 2, g + 1);
            close_to("accumulate harmonic", pred, d * (H - scope), 1e-15);
            close_to("accumulate population", loop_theta(&s, pop, g)[0], pred, 1e-4 * d * H);
        }
        free(pop);
    }
    /* preservation with own-density weights: the variance's fixed point */
    SimSpec s = simtest_spec("[sim]\nfamily = gaussian\nn = inf\ngenerations = 12\n"
                             "weight = prev_density\ngamma = 1\nmode = preserve\nrho = 0.2\n"
                             "scope = synthetic\nsnapshots = 0\n[data]\nfamily = gaussian\n"
                             "params = 0 1.5\n[pretrained]\nparams = 0 1.5\nn = inf\n");
    static const char *const pd[] = {"preserve_density_sd"};
    check_forms(&s, NULL, pd, 1);
    double v = 2.25;
    for (int k = 0; k < 2000; k++) v = 0.8 * v / 2 + 0.2 * 2.25;
    const double a[] = {2.25, 0.2, 1};
    close_to("preserve density limit", ev("preserve_density_limit", a, 3, 1), sqrt(v), 1e-14);
}
END_TEST

/* ---- published results ---------------------------------------------------------------------- */

START_TEST(test_taori_hashimoto)
{
    /* n0 = 100, m = 10, k = 40: one round 1 + 40/150; two rounds 1 + 40/200 + (40/150)(190/200) */
    const double a[] = {100, 10, 40, 0.02};
    close_to("no round", ev("taori_hashimoto", a, 4, 1), 0.02, 1e-17);
    close_to("one round", ev("taori_hashimoto", a, 4, 2), 0.02 * (1 + 40.0 / 150), 1e-15);
    close_to("two rounds", ev("taori_hashimoto", a, 4, 3),
             0.02 * (1 + 0.2 + 40.0 / 150 * 0.95), 1e-15);
    /* the worst case is attained by the recursion with eps = delta at every round */
    double B = 0;
    for (int i = 1; i <= 30; i++) {
        double ni = 100 + i * 50.0;
        B = (ni - 10) / ni * B + 40 / ni * 0.02;
    }
    close_to("recursion", ev("taori_hashimoto", a, 4, 31), B + 0.02, 1e-15);
    /* the limit delta (1 + k/m) is the preserve fixed point delta/rho, rho = m/(m+k) */
    const double fast[] = {10, 40, 10, 0.02};
    close_to("limit", ev("taori_hashimoto", fast, 4, 1e5), 0.02 * 1.25, 1e-6);
    close_to("limit form", ev("taori_hashimoto_limit", fast, 4, 1), 0.02 * 1.25, 1e-15);
    const double pl[] = {0.02, 0.8, 1};
    close_to("preserve fixed point", ev("push_preserve_limit", pl, 3, 1), 0.02 * 1.25, 1e-15);
    /* no fresh human data (m = 0, n0 = k): delta H_t, biasamp's accumulate with a push */
    const double acc[] = {50, 0, 50, 0.02}, pa[] = {0.02, 1};
    for (int t = 1; t < 20; t++)
        close_to("m = 0", ev("taori_hashimoto", acc, 4, t), ev("push_accumulate", pa, 2, t),
                 1e-15);
}
END_TEST

/* Linear regression y = x'w + e with a shared Gaussian design X (T x d), fresh noise each fit,
 * labels of fit t >= 2 from the previous fit: replace and accumulate simulated directly. */
START_TEST(test_regression_replace_accumulate)
{
    enum { T = 20, D = 3, FITS = 5 };
    const long R = 20000;
    gsl_rng *r = rng_stream_alloc(rng_pcg64, 31, RNG_PURPOSE_TRUTH, 0);
    gsl_matrix *X = gsl_matrix_alloc(T, D), *XtX = gsl_matrix_alloc(D, D);
    gsl_vector *y = gsl_vector_alloc(T), *ysum = gsl_vector_alloc(T), *b = gsl_vector_alloc(D);
    double wr[D], wa[D], sr[FITS] = {0}, sa[FITS] = {0}, sr2[FITS] = {0}, sa2[FITS] = {0};
    for (long rep = 0; rep < R; rep++) {
        for (int i = 0; i < T; i++)
            for (int j = 0; j < D; j++) gsl_matrix_set(X, i, j, gsl_ran_gaussian_ziggurat(r, 1));
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1, X, X, 0, XtX);
        gsl_linalg_cholesky_decomp1(XtX);
        memset(wr, 0, sizeof wr); /* w* = 0 */
        memset(wa, 0, sizeof wa);
        gsl_vector_set_zero(ysum);
        for (int t = 1; t <= FITS; t++) {
            /* replace: labels X w_{t-1} + e, OLS on them */
            for (int i = 0; i < T; i++) {
                double m = 0;
                for (int j = 0; j < D; j++) m += gsl_matrix_get(X, i, j) * wr[j];
                gsl_vector_set(y, i, m + gsl_ran_gaussian_ziggurat(r, 1));
            }
            gsl_blas_dgemv(CblasTrans, 1, X, y, 0, b);
            gsl_linalg_cholesky_svx(XtX, b);
            double e2 = 0;
            for (int j = 0; j < D; j++) {
                wr[j] = gsl_vector_get(b, j);
                e2 += wr[j] * wr[j];
            }
            sr[t - 1] += e2;
            sr2[t - 1] += e2 * e2;
            /* accumulate: OLS on every label set so far stacked on the same design,
             * (t X'X) w = X' sum_i y_i */
            for (int i = 0; i < T; i++) {
                double m = 0;
                for (int j = 0; j < D; j++) m += gsl_matrix_get(X, i, j) * wa[j];
                gsl_vector_set(ysum, i, gsl_vector_get(ysum, i) + m +
                                            gsl_ran_gaussian_ziggurat(r, 1));
            }
            gsl_blas_dgemv(CblasTrans, 1.0 / t, X, ysum, 0, b);
            gsl_linalg_cholesky_svx(XtX, b);
            e2 = 0;
            for (int j = 0; j < D; j++) {
                wa[j] = gsl_vector_get(b, j);
                e2 += wa[j] * wa[j];
            }
            sa[t - 1] += e2;
            sa2[t - 1] += e2 * e2;
        }
    }
    const double a[] = {1, D, T};
    for (int t = 1; t <= FITS; t++) {
        double mr = sr[t - 1] / R, ma = sa[t - 1] / R;
        double ser = sqrt((sr2[t - 1] / R - mr * mr) / R);
        double sea = sqrt((sa2[t - 1] / R - ma * ma) / R);
        double pr = ev("dohmatob_replace", a, 3, t), pa = ev("gerstgrasser_accumulate", a, 3, t);
        ck_assert_msg(fabs(mr - pr) <= TOL_SE * ser, "replace t=%d: %.5f +- %.5f vs %.5f", t, mr,
                      ser, pr);
        ck_assert_msg(fabs(ma - pa) <= TOL_SE * sea, "accumulate t=%d: %.5f +- %.5f vs %.5f", t,
                      ma, sea, pa);
    }
    close_to("pi^2/6 bound", ev("gerstgrasser_limit", a, 3, 1), 3.0 / 16 * M_PI * M_PI / 6, 1e-15);
    ck_assert(ev("gerstgrasser_accumulate", a, 3, 1e5) < ev("gerstgrasser_limit", a, 3, 1));
    gsl_matrix_free(X);
    gsl_matrix_free(XtX);
    gsl_vector_free(y);
    gsl_vector_free(ysum);
    gsl_vector_free(b);
    gsl_rng_free(r);
}
END_TEST

/* Fixation of a class under a category weight 1+s refitted on n samples (K = 2): the exact
 * Wright-Fisher chain (absorption probabilities by a linear solve), the simulator's Monte Carlo,
 * and Kimura's diffusion approximation. */
static double wf_fixation(int n, double s, double p0)
{
    int N = n + 1;
    gsl_matrix *A = gsl_matrix_calloc(N, N);
    gsl_vector *rhs = gsl_vector_calloc(N), *u = gsl_vector_alloc(N);
    gsl_permutation *perm = gsl_permutation_alloc(N);
    for (int i = 0; i < N; i++) {
        gsl_matrix_set(A, i, i, 1);
        if (i == 0 || i == n) { /* absorbing */
            gsl_vector_set(rhs, i, i == n);
            continue;
        }
        double p = (double)i / n, q = p * (1 + s) / (1 + s * p);
        for (int j = 0; j < N; j++)
            gsl_matrix_set(A, i, j, gsl_matrix_get(A, i, j) - gsl_ran_binomial_pdf(j, q, n));
    }
    int sg;
    gsl_linalg_LU_decomp(A, perm, &sg);
    gsl_linalg_LU_solve(A, perm, rhs, u);
    /* generation 0 is n draws of the truth (scope synthetic: unweighted) */
    double f = 0;
    for (int j = 0; j < N; j++) f += gsl_ran_binomial_pdf(j, p0, n) * gsl_vector_get(u, j);
    gsl_matrix_free(A);
    gsl_vector_free(rhs);
    gsl_vector_free(u);
    gsl_permutation_free(perm);
    return f;
}

START_TEST(test_kimura_fixation)
{
    const double neutral[] = {30, 0, 0.3};
    close_to("neutral", ev("kimura_fixation", neutral, 3, 1), 0.3, 1e-15);
    SimSpec s = simtest_spec("[sim]\nfamily = categorical\nk = 2\nn = 20\ngenerations = 300\n"
                             "replicates = 6000\nseed = 17\nweight = category\nboost = 0.05\n"
                             "class = 1\nscope = synthetic\nsnapshots = 0\n[data]\n"
                             "family = categorical\nparams = 0.3 0.7\n[pretrained]\nn = inf\n");
    McResult mc;
    ck_assert_int_eq(mc_run(&s, &mc, NULL), ERR_OK);
    TheoryApplied ap = {theory_find("kimura_fixation"), 0, {0}};
    ck_assert(ap.form->applies(&s, ap.a, &ap.na));
    TheoryCompare c;
    theory_compare(&s, &ap, NULL, &mc, TOL_SE, &c);
    double exact = wf_fixation(20, 0.05, 0.3), g = s.generations - 1;
    ck_assert_msg(fabs(c.mc[(int)g] - exact) <= TOL_SE * c.mc_se[(int)g],
                  "Monte Carlo %.4f +- %.4f vs exact chain %.4f", c.mc[(int)g], c.mc_se[(int)g],
                  exact);
    /* Kimura's diffusion value, from the truth's share, is within 0.03 of the exact chain */
    close_to("Kimura vs exact chain", c.pred[(int)g], exact, 0.03);
    theory_compare_release(&c);
    mc_result_release(&mc);
}
END_TEST

Suite *suite_theory(void);
Suite *suite_theory(void)
{
    Suite *s = suite_create("theory");
    TCase *tc = tcase_create("forms");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_harmonic);
    tcase_add_test(tc, test_validation_numbers);
    tcase_add_test(tc, test_mc_gaussian_replace);
    tcase_add_test(tc, test_mc_gaussian_unbiased_and_accumulate);
    tcase_add_test(tc, test_mc_gaussian_nd);
    tcase_add_test(tc, test_mc_categorical);
    tcase_add_test(tc, test_pop_conjugate);
    tcase_add_test(tc, test_pop_categorical);
    tcase_add_test(tc, test_pop_push_mitigations);
    tcase_add_test(tc, test_taori_hashimoto);
    tcase_add_test(tc, test_regression_replace_accumulate);
    tcase_add_test(tc, test_kimura_fixation);
    suite_add_tcase(s, tc);
    return s;
}
