/* check_csvread: tables written by csvlog read back exactly (metadata, header, %.17g numbers,
 * nan/inf), text cells are kept, ragged rows are refused with FILE:LINE. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvlog.h"
#include "csvread.h"
#include "err.h"

START_TEST(test_roundtrip_with_csvlog)
{
    char path[] = "/tmp/biasamp_csvread_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    CsvLog *log;
    ck_assert_int_eq(csvlog_open(&log, path, "sim_generations", NULL), ERR_OK);
    csvlog_meta(log, "n", "%d", 100);
    const char *cols[] = {"generation", "bias", "sd"};
    csvlog_header(log, cols, 3);
    double rows[3][3] = {{0, 0.1, 1.0 / 3}, {1, NAN, INFINITY}, {2, -1e-300, 12345.678}};
    for (int i = 0; i < 3; i++) csvlog_row(log, rows[i]);
    ck_assert_int_eq(csvlog_close(log, 1), ERR_OK);
    CsvTable *t;
    ck_assert_msg(csvread_load(&t, path) == ERR_OK, "%s", err_msg());
    ck_assert_str_eq(csvread_meta(t, "kind"), "sim_generations");
    ck_assert_str_eq(csvread_meta(t, "n"), "100");
    ck_assert_int_eq(t->ncols, 3);
    ck_assert_int_eq(t->nrows, 3);
    int b = csvread_col(t, "bias"), sd = csvread_col(t, "sd");
    ck_assert(csvread_num(t, 0, b) == 0.1);
    ck_assert(csvread_num(t, 0, sd) == 1.0 / 3); /* %.17g round-trips exactly */
    ck_assert(isnan(csvread_num(t, 1, b)));
    ck_assert(isinf(csvread_num(t, 1, sd)));
    ck_assert(csvread_num(t, 2, b) == -1e-300);
    ck_assert_int_eq(csvread_find(t, csvread_col(t, "generation"), 2), 2);
    ck_assert_int_eq(csvread_find(t, 0, 7), -1);
    ck_assert_int_eq(csvread_col(t, "nope"), -1);
    ck_assert(isnan(csvread_num(t, 0, -1)));
    csvread_free(t);
    unlink(path);
}
END_TEST

START_TEST(test_text_cells_and_errors)
{
    char path[] = "/tmp/biasamp_csvread_XXXXXX";
    int fd = mkstemp(path);
    const char *text = "# free comment line without equals\nsetup,generation,share\n"
                       "Synthetic,0,0.5\nAccumulation,1,0.25\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    CsvTable *t;
    ck_assert_int_eq(csvread_load(&t, path), ERR_OK);
    ck_assert_str_eq(csvread_str(t, 1, 0), "Accumulation");
    ck_assert(isnan(csvread_num(t, 1, 0)));
    ck_assert(csvread_num(t, 1, 2) == 0.25);
    csvread_free(t);
    FILE *f = fopen(path, "w");
    fputs("a,b\n1,2\n3\n", f);
    fclose(f);
    ck_assert_int_eq(csvread_load(&t, path), ERR_INVAL);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(err_msg(), ":3: 1 cells, the header has 2"));
    f = fopen(path, "w");
    fputs("# only=metadata\n", f);
    fclose(f);
    ck_assert_int_eq(csvread_load(&t, path), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "no header"));
    unlink(path);
    ck_assert_int_eq(csvread_load(&t, "/nonexistent/x.csv"), ERR_INVAL);
}
END_TEST

Suite *suite_csvread(void);
Suite *suite_csvread(void)
{
    Suite *s = suite_create("csvread");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_roundtrip_with_csvlog);
    tcase_add_test(tc, test_text_cells_and_errors);
    suite_add_tcase(s, tc);
    return s;
}
