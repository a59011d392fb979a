/* check_main: the one Check runner. Suites come from tests/check_<name>.c, each defining
 * `Suite *suite_<name>(void)`; the Makefile lists them in $(BUILD)/suites.h. Its summary line and
 * exit status are the verdict. CK_RUN_SUITE=<name> runs one suite. */
#include <check.h>
#include <stdlib.h>

#include "err.h"

#define SUITE(name) Suite *suite_##name(void);
#include "suites.h"
#undef SUITE

int main(void)
{
    err_gsl_install();
    SRunner *sr = srunner_create(NULL);
#define SUITE(name) srunner_add_suite(sr, suite_##name());
#include "suites.h"
#undef SUITE
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
