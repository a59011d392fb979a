/* check_par: the process group in a one-process build — shares of a range for any rank count,
 * and the collectives as identities (a sum over one rank, a gather that copies). The several-rank
 * behaviour is tested through mpirun in tests/cli/mpi.sh (make MPI=1 test-mpi). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "par.h"

START_TEST(test_par_share_partitions)
{
    /* every n and rank count: contiguous, in rank order, covering 0..n-1, lengths within one */
    for (long n = 0; n <= 40; n++)
        for (int p = 1; p <= 9; p++) {
            long next = 0, minlen = n, maxlen = 0;
            for (int r = 0; r < p; r++) {
                long lo, hi;
                par_share(n, r, p, &lo, &hi);
                ck_assert_int_eq(lo, next);
                ck_assert_int_ge(hi, lo);
                if (hi - lo < minlen) minlen = hi - lo;
                if (hi - lo > maxlen) maxlen = hi - lo;
                next = hi;
            }
            ck_assert_int_eq(next, n);
            ck_assert_int_le(maxlen - minlen, 1);
        }
    long lo, hi;
    par_share(7, 0, 2, &lo, &hi); /* the longer share first: 4 + 3 */
    ck_assert(lo == 0 && hi == 4);
    par_share(7, 1, 2, &lo, &hi);
    ck_assert(lo == 4 && hi == 7);
}
END_TEST

START_TEST(test_par_one_process)
{
    ck_assert_int_eq(par_size(), 1);
    ck_assert_int_eq(par_rank(), 0);
    ck_assert(par_is_root());
    long lo, hi;
    par_range(13, &lo, &hi);
    ck_assert(lo == 0 && hi == 13);
    float f[3] = {1.5f, -2.0f, 0.25f};
    double d[2] = {3.0, -0.0};
    par_sum_float(f, 3);
    par_sum_double(d, 2);
    ck_assert(f[0] == 1.5f && f[1] == -2.0f && f[2] == 0.25f);
    ck_assert(d[0] == 3.0 && d[1] == 0.0);
    int v = 42;
    par_bcast(&v, sizeof v);
    par_bcast_idle(&v, sizeof v);
    ck_assert_int_eq(v, 42);
    par_barrier();
    const char msg[] = "rows";
    void *out;
    size_t n;
    par_gather(msg, sizeof msg, &out, &n);
    ck_assert_uint_eq(n, sizeof msg);
    ck_assert_ptr_ne(out, msg);
    ck_assert_str_eq(out, "rows");
    free(out);
    par_gather(NULL, 0, &out, &n); /* an empty share: an empty (freeable) buffer */
    ck_assert_uint_eq(n, 0);
    free(out);
}
END_TEST

Suite *suite_par(void);
Suite *suite_par(void)
{
    Suite *s = suite_create("par");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_par_share_partitions);
    tcase_add_test(tc, test_par_one_process);
    suite_add_tcase(s, tc);
    return s;
}
