/* check_err: status codes, thread-local messages, the GSL handler. */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <string.h>

#include "err.h"

START_TEST(test_err_set_returns_code)
{
    ck_assert_int_eq(err_set(ERR_IO, "cannot open '%s'", "x.ini"), ERR_IO);
    ck_assert_str_eq(err_msg(), "cannot open 'x.ini'");
    ck_assert_int_eq(err_prefix(ERR_INVAL, "%s:%d", "a.ini", 3), ERR_INVAL);
    ck_assert_str_eq(err_msg(), "a.ini:3: cannot open 'x.ini'");
    err_clear();
    ck_assert_str_eq(err_msg(), "");
}
END_TEST

START_TEST(test_err_exit_codes)
{
    ck_assert_int_eq(err_exit_code(ERR_OK), 0);
    ck_assert_int_eq(err_exit_code(ERR_INVAL), 2);
    ck_assert_int_eq(err_exit_code(ERR_IO), 1);
    ck_assert_int_eq(err_exit_code(ERR_NUMERIC), 1);
    ck_assert_str_eq(err_name(ERR_NUMERIC), "ERR_NUMERIC");
}
END_TEST

START_TEST(test_err_gsl_handler_does_not_abort)
{
    err_gsl_install();
    gsl_sf_result r;
    int status = gsl_sf_lngamma_e(-1.0, &r); /* a pole: GSL reports a domain error */
    ck_assert_int_ne(status, GSL_SUCCESS);
    ck_assert_ptr_nonnull(strstr(err_msg(), "GSL"));
}
END_TEST

Suite *suite_err(void);
Suite *suite_err(void)
{
    Suite *s = suite_create("err");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_err_set_returns_code);
    tcase_add_test(tc, test_err_exit_codes);
    tcase_add_test(tc, test_err_gsl_handler_does_not_abort);
    suite_add_tcase(s, tc);
    return s;
}
