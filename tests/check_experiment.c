/* check_experiment: the experiment's setup codes (shared with sim/loop where they overlap), its
 * config table (defaults = the paper's fine-tuning settings) and the cross-field checks with
 * file:line messages. The end-to-end run is tests/cli/experiment.sh. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "err.h"
#include "expcfg.h"
#include "experiment.h"

START_TEST(test_setup_codes)
{
    ck_assert_int_eq(experiment_setup_find("replace"), EXP_REPLACE);
    ck_assert_int_eq(experiment_setup_find("synthetic"), EXP_REPLACE);
    ck_assert_int_eq(experiment_setup_find("accumulate"), 1); /* sim/loop's LOOP_ACCUMULATE */
    ck_assert_int_eq(experiment_setup_find("preserve"), 3);   /* sim/loop's LOOP_PRESERVE */
    ck_assert_int_eq(experiment_setup_find("overfit"), EXP_OVERFIT);
    ck_assert_int_eq(experiment_setup_find("center"), EXP_CENTER);
    ck_assert_int_eq(experiment_setup_find("center_preserve"), EXP_CENTER_PRESERVE);
    ck_assert_int_eq(experiment_setup_find("frobnicate"), -1);
    ck_assert_ptr_null(experiment_setup_name(2));
    ck_assert_ptr_null(experiment_setup_name(-1));
    ck_assert_ptr_null(experiment_setup_name(EXP_NCODES));
    for (int k = 0; k < EXP_NCODES; k++) {
        const char *n = experiment_setup_name(k);
        if (n) ck_assert_int_eq(experiment_setup_find(n), k);
    }
    int n = 0;
    while (experiment_columns[n]) n++;
    ck_assert_int_eq(n, EXP_NCOLS);
    ck_assert_str_eq(experiment_columns[EXP_COL_SHARE_RIGHT], "share_right");
    ck_assert_str_eq(experiment_columns[EXP_COL_PPL_CI95], "ppl_ci95");
    ck_assert_str_eq(experiment_columns[EXP_COL_ARTICLES], "articles");
}
END_TEST

START_TEST(test_defaults_are_the_papers)
{
    ExpConfig e;
    Cfg c;
    cfg_init(&c, expcfg_keys, &e);
    int s[EXPCFG_MAX_SETUPS], n;
    ck_assert_int_eq(expcfg_check(&c, &e, s, &n), ERR_OK);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(s[0], EXP_REPLACE);
    ck_assert_int_eq(e.generations, 11);
    ck_assert_int_eq(e.epochs, 5);
    ck_assert_int_eq(e.overfit_epochs, 25);
    ck_assert_int_eq(e.batch, 8);
    ck_assert_int_eq(e.seq, 512);
    ck_assert_int_eq(e.per_class, 506);
    ck_assert(e.lr == 5e-5 && e.weight_decay == 0.01 && e.overfit_weight_decay == 0.0);
    ck_assert(e.rho == 0.1);
    ck_assert_int_eq(e.block, 64);
    ck_assert_int_eq(e.new_tokens, 64);
    cfg_release(&c);
}
END_TEST

/* Loads `text` as an INI file and runs the checks; returns the status, message in err_msg(). */
static int check_text(const char *text)
{
    char path[] = "/tmp/check_experiment_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    ExpConfig e;
    Cfg c;
    cfg_init(&c, expcfg_keys, &e);
    int s[EXPCFG_MAX_SETUPS], n, st = cfg_load(&c, path);
    if (!st) st = expcfg_check(&c, &e, s, &n);
    cfg_release(&c);
    unlink(path);
    return st;
}

START_TEST(test_checks)
{
    ck_assert_int_eq(check_text("[experiment]\nsetups = replace center\n"), ERR_OK);
    ck_assert_int_eq(check_text("[experiment]\nsetups = replace, bogus\n"), ERR_INVAL);
    ck_assert(strstr(err_msg(), ":2") && strstr(err_msg(), "bogus"));
    ck_assert_int_eq(check_text("[experiment]\nsetups = replace synthetic\n"), ERR_INVAL);
    ck_assert(strstr(err_msg(), "twice"));
    ck_assert_int_eq(check_text("[experiment]\nsetups =\n"), ERR_INVAL);
    ck_assert_int_eq(check_text("[data]\nmix = 0.2 0.2\n"), ERR_INVAL);
    ck_assert(strstr(err_msg(), "data.mix"));
    ck_assert_int_eq(check_text("[data]\nmix = 0.5 0.5 0.5\n"), ERR_INVAL);
    ck_assert(strstr(err_msg(), "sum"));
    ck_assert_int_eq(check_text("[base]\nchannels = 100\nheads = 3\n"), ERR_INVAL);
    ck_assert(strstr(err_msg(), "base.heads"));
    ck_assert_int_eq(check_text("[base]\ncontext = 96\n"), ERR_INVAL); /* 64 + 64 > 96 */
    ck_assert(strstr(err_msg(), "generate.new_tokens"));
    /* a loaded base model decides its own context */
    ck_assert_int_eq(check_text("[base]\ncontext = 96\nmodel = gpt2.ckpt\n"), ERR_OK);
    ck_assert_int_eq(check_text("[train]\nlr = 1e-4\nlr_final = 1e-3\n"), ERR_INVAL);
    ck_assert_int_eq(check_text("[train]\nepochs = 0\n"), ERR_INVAL);
    ck_assert_int_eq(check_text("[train]\nfrobnicate = 1\n"), ERR_INVAL);
}
END_TEST

Suite *suite_experiment(void);
Suite *suite_experiment(void)
{
    Suite *s = suite_create("experiment");
    TCase *tc = tcase_create("experiment");
    tcase_add_test(tc, test_setup_codes);
    tcase_add_test(tc, test_defaults_are_the_papers);
    tcase_add_test(tc, test_checks);
    suite_add_tcase(s, tc);
    return s;
}
