/* check_decompose: the 2x2x2 cell pattern of configs/decompose-gaussian.ini (bias iff the weight
 * is on, at n = inf and finite n, well-specified and not; collapse without systematic bias in
 * the unweighted finite-n cells), the cells' specs, and the base config's errors. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decompose.h"
#include "err.h"

static char *tmpdir(void)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/biasamp_decompose_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    return dir;
}

static void rmdir_all(const char *dir)
{
    static const char *const files[] = {"decompose.csv", "decompose_generations.csv", NULL};
    char p[256];
    for (int i = 0; files[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

START_TEST(test_cell_pattern)
{
    char *ov[] = {"sim.replicates=1500"};
    char *dir = tmpdir();
    DecomposeOpts o = {.config = "configs/decompose-gaussian.ini",
                       .overrides = ov,
                       .noverrides = 1,
                       .dir = dir,
                       .plot = 0};
    DecomposeResult r;
    ck_assert_msg(decompose_run(&o, &r) == ERR_OK, "%s", err_msg());
    for (int w = 0; w < 2; w++)
        for (int f = 0; f < 2; f++)
            for (int m = 0; m < 2; m++) {
                const DecomposeCell *c = &r.cell[decompose_cell_index(w, f, m)];
                ck_assert_int_eq(c->weighted, w);
                ck_assert_int_eq(c->finite, f);
                ck_assert_int_eq(c->misspecified, m);
                const char *what = w ? (f ? "weighted, finite n" : "weighted, n = inf")
                                     : (f ? "unweighted, finite n" : "unweighted, n = inf");
                /* bias: positive and significant iff the weight is on */
                ck_assert_msg(c->bias_sig == (w ? 1 : 0), "%s (%s): bias %.4g +- %.3g, sig %d",
                              what, m ? "misspecified" : "well-specified", c->s.bias,
                              c->s.bias_se, c->bias_sig);
                /* collapse iff n is finite */
                ck_assert_msg(c->collapse == f, "%s: D/D* %.4g +- %.3g", what, c->s.disp_ratio,
                              c->s.disp_ratio_se);
                if (!f) {
                    ck_assert(c->s.bias_se == 0 && c->n == 0);
                    /* n = inf: no collapse at all, and exactly no bias without the weight */
                    ck_assert(fabs(c->s.disp_ratio - 1) < (w && m ? 0.01 : 1e-9));
                    if (!w) ck_assert(fabs(c->s.bias) < 1e-9);
                    ck_assert_int_eq(c->necessary, w ? COND_HOLDS : COND_FAILS);
                } else {
                    ck_assert(c->n == 20 && c->replicates == 1500 && c->s.bias_se > 0);
                    /* E sigma_G / sigma = c_20^10 in the unweighted well-specified cell */
                    if (!w && !m)
                        ck_assert_msg(fabs(c->s.disp_ratio - 0.678423) < 4.5 * c->s.disp_ratio_se,
                                      "%.5f", c->s.disp_ratio);
                }
            }
    /* the weighted n = inf well-specified cell is the closed form G lambda sigma^2 */
    ck_assert(fabs(r.cell[decompose_cell_index(1, 0, 0)].s.bias - 0.5) < 1e-9);
    decompose_release(&r);
    rmdir_all(dir);
}
END_TEST

START_TEST(test_specs)
{
    SimSpec specs[DECOMPOSE_CELLS];
    DecomposeConfig dc;
    ck_assert_int_eq(decompose_specs("configs/decompose-gaussian.ini", NULL, 0, specs, &dc),
                     ERR_OK);
    for (int i = 0; i < DECOMPOSE_CELLS; i++) {
        int w = i & 1, m = (i >> 1) & 1, f = (i >> 2) & 1;
        ck_assert_int_eq(specs[i].weight == &weight_tilt, w);
        ck_assert_int_eq(specs[i].n == 20, f);
        ck_assert_int_eq(specs[i].n == 0, !f);
        ck_assert_int_eq(specs[i].data.type == &dist_mixture, m);
        ck_assert(specs[i].fit.type == &dist_gaussian);
        ck_assert(fabs(specs[i].truth_mean) < 1e-12 && fabs(specs[i].truth_sd - 1) < 1e-12);
        ck_assert(specs[i].theta_pre[0] == 0 && specs[i].theta_pre[1] == 1);
    }
}
END_TEST

START_TEST(test_errors)
{
    SimSpec specs[DECOMPOSE_CELLS];
    DecomposeConfig dc;
    struct {
        char *ov[3];
        const char *msg;
    } bad[] = {
        {{"sim.weight=none"}, "sim.weight: decompose switches the weight off and on"},
        {{"sim.n=inf"}, "sim.n: decompose needs a finite sim.n"},
        {{"decompose.data_family="}, "decompose.data_family: set the misspecified truth"},
        {{"decompose.data_family=cauchy"}, "unknown family 'cauchy'"},
        {{"decompose.data_family=gaussian"}, "must not be a gaussian"},
        {{"data.family=mixture", "data.params=0.5 0.5 0 1 1 1", "pretrained.params=0 1"},
         "data.family: the base must be well-specified"},
        {{"decompose.data_params=1 2 3"}, "decompose.data_params"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int n = bad[i].ov[2] ? 3 : bad[i].ov[1] ? 2 : 1;
        int st = decompose_specs("configs/decompose-gaussian.ini", bad[i].ov, n, specs, &dc);
        ck_assert_msg(st == ERR_INVAL, "%s: status %d", bad[i].ov[0], st);
        ck_assert_msg(strstr(err_msg(), bad[i].msg) != NULL, "%s: '%s'", bad[i].ov[0],
                      err_msg());
    }
}
END_TEST

Suite *suite_decompose(void);
Suite *suite_decompose(void)
{
    Suite *s = suite_create("decompose");
    TCase *tc = tcase_create("cells");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_cell_pattern);
    tcase_add_test(tc, test_specs);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}
