/* check_csvlog: metadata, header, %.17g cells with nan/inf, .part until a successful close. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvlog.h"
#include "err.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

START_TEST(test_write_and_rename)
{
    char dir[] = "/tmp/biasamp_csv_XXXXXX", path[128], part[140];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.csv", dir);
    snprintf(part, sizeof part, "%s.part", path);
    RunInfo ri;
    char *argv[] = {"biasamp", "sim", "x.ini"};
    runinfo_init(&ri, 3, argv);
    ri.seed = 42;
    ri.config_hash = 0xabcdefull;
    CsvLog *log;
    ck_assert_int_eq(csvlog_open(&log, path, "sim_generations", &ri), ERR_OK);
    ck_assert_int_eq(csvlog_meta(log, "n", "%d", 10), ERR_OK);
    const char *cols[] = {"generation", "mean"};
    ck_assert_int_eq(csvlog_header(log, cols, 2), ERR_OK);
    ck_assert_int_eq(csvlog_meta(log, "late", "x"), ERR_RUNTIME);
    double r1[] = {0, 0.1}, r2[] = {1, NAN}, r3[] = {2, -INFINITY};
    ck_assert_int_eq(csvlog_row(log, r1), ERR_OK);
    ck_assert_int_eq(csvlog_row(log, r2), ERR_OK);
    ck_assert_int_eq(csvlog_row(log, r3), ERR_OK);
    ck_assert_int_eq(access(path, F_OK), -1); /* not there until closed */
    ck_assert_int_eq(access(part, F_OK), 0);
    ck_assert_int_eq(csvlog_close(log, 1), ERR_OK);
    ck_assert_int_eq(access(part, F_OK), -1);
    const char *text = slurp(path);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "# kind=sim_generations\n"));
    ck_assert_ptr_nonnull(strstr(text, "# command=biasamp sim x.ini\n"));
    ck_assert_ptr_nonnull(strstr(text, "# seed=42\n"));
    ck_assert_ptr_nonnull(strstr(text, "# config_hash=0000000000abcdef\n"));
    ck_assert_ptr_nonnull(strstr(text, "# n=10\ngeneration,mean\n0,0.10000000000000001\n1,nan\n2,-inf\n"));
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_failed_close_leaves_nothing)
{
    char dir[] = "/tmp/biasamp_csv_XXXXXX", path[128], part[140];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.csv", dir);
    snprintf(part, sizeof part, "%s.part", path);
    CsvLog *log;
    ck_assert_int_eq(csvlog_open(&log, path, "x", NULL), ERR_OK);
    const char *cols[] = {"a"};
    csvlog_header(log, cols, 1);
    ck_assert_int_eq(csvlog_close(log, 0), ERR_OK);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(access(part, F_OK), -1);
    ck_assert_int_eq(csvlog_open(&log, "/nonexistent/dir/t.csv", "x", NULL), ERR_IO);
    ck_assert_int_eq(csvlog_column(cols, 1, "a"), 0);
    ck_assert_int_eq(csvlog_column(cols, 1, "b"), -1);
    rmdir(dir);
}
END_TEST

Suite *suite_csvlog(void);
Suite *suite_csvlog(void)
{
    Suite *s = suite_create("csvlog");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_write_and_rename);
    tcase_add_test(tc, test_failed_close_leaves_nothing);
    suite_add_tcase(s, tc);
    return s;
}
