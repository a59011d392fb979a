/* check_rng: PCG32/PCG64 known answers (reference vectors), seeding, jump-ahead, named streams,
 * and GSL samplers running on both types. Statistical cases use fixed seeds and ~5-sigma or
 * 1e-6-quantile thresholds, so they fail only on a real defect. */
#include <check.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "rng.h"

#define NTYPES 2
static const gsl_rng_type *type_of(int i) { return i == 0 ? rng_pcg32 : rng_pcg64; }

static int same_state(const gsl_rng *a, const gsl_rng *b)
{
    return gsl_rng_size(a) == gsl_rng_size(b) &&
           memcmp(gsl_rng_state(a), gsl_rng_state(b), gsl_rng_size(a)) == 0;
}

/* ---- known answers ---- */

START_TEST(test_pcg32_reference)
{
    /* The PCG reference demo (pcg32-demo / pcg-c test-high/expected/check-pcg32.out, round 1):
     * pcg32_srandom_r(&rng, 42u, 54u). */
    static const uint32_t want[] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                    0x83d2f293, 0xbfa4784b, 0xcbed606e};
    gsl_rng *r = gsl_rng_alloc(rng_pcg32);
    rng_seed_stream(r, 42, 54);
    for (int i = 0; i < 6; i++) ck_assert_uint_eq(gsl_rng_get(r), want[i]);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_pcg64_reference)
{
    /* The PCG reference pcg64 (pcg_setseq_128_xsl_rr_64) with pcg64_srandom_r(&rng, 42u, 54u),
     * i.e. 128-bit seeds with zero high words: pcg-c test-high/expected/check-pcg64.out, round 1.
     * An independent Python big-int implementation of the same algorithm gives the same six. */
    static const uint64_t want[] = {0x86b1da1d72062b68, 0x1304aa46c9853d39, 0xa3670e9e0dd50358,
                                    0xf9090e529a7dae00, 0xc85b9fd837996f2c, 0x606121f8e3919196};
    gsl_rng *r = gsl_rng_alloc(rng_pcg64);
    rng_seed_stream128(r, 0, 42, 0, 54);
    for (int i = 0; i < 6; i++) ck_assert_uint_eq(gsl_rng_get(r), want[i]);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_pcg64_seed_stream_known)
{
    /* rng_seed_stream(42, 54) on PCG64 = reference pcg64_srandom_r with high words
     * splitmix64(42 ^ 0x6a09e667f3bcc908) | 1 and splitmix64(54 ^ 0xbb67ae8584caa73b) | 1.
     * Expected values from an independent Python big-int implementation (PCG64 model checked
     * against the reference vector above). */
    static const uint64_t want[] = {0xbe0796aef316d6ca, 0xfd0112f6495017bc, 0xed050bc0aea4ea18,
                                    0x2bdb1e4b08a24670, 0xc1fbeec31859492f, 0x5a100e1f51d1926f};
    gsl_rng *r = gsl_rng_alloc(rng_pcg64);
    rng_seed_stream(r, 42, 54);
    for (int i = 0; i < 6; i++) ck_assert_uint_eq(gsl_rng_get(r), want[i]);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_stream_known)
{
    /* Pins the (seed, purpose, index) -> stream derivation, which every results file depends on.
     * Expected values from the same independent Python implementation. */
    static const uint32_t want32[] = {0x496fde86, 0x2f12e249, 0x550bb920, 0xe90dc6be};
    static const uint64_t want64[] = {0x9f85d3f7f84922a6, 0x43cb2edbfb4799bf, 0x43270219e3a8533c,
                                      0x3d9b75b658ecb0f1};
    ck_assert_uint_eq(rng_hash3(42, RNG_PURPOSE_REPLICATE, 7), 0xef5e260bc49c3c6f);
    gsl_rng *a = rng_stream_alloc(rng_pcg32, 42, RNG_PURPOSE_REPLICATE, 7);
    gsl_rng *b = rng_stream_alloc(rng_pcg64, 42, RNG_PURPOSE_REPLICATE, 7);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(gsl_rng_get(a), want32[i]);
        ck_assert_uint_eq(gsl_rng_get(b), want64[i]);
    }
    gsl_rng_free(a);
    gsl_rng_free(b);
}
END_TEST

START_TEST(test_type_table)
{
    for (int t = 0; t < NTYPES; t++) {
        gsl_rng *r = gsl_rng_alloc(type_of(t));
        ck_assert_str_eq(gsl_rng_name(r), t == 0 ? "pcg32" : "pcg64");
        gsl_rng_free(r);
    }
    ck_assert_uint_eq(rng_pcg32->min, 0);
    ck_assert_uint_eq(rng_pcg32->max, 0xffffffffUL);
    ck_assert_uint_eq(rng_pcg64->min, 0);
    ck_assert_uint_eq(rng_pcg64->max, UINT64_MAX);
    ck_assert_ptr_eq(rng_type_find("pcg32"), rng_pcg32);
    ck_assert_ptr_eq(rng_type_find("pcg64"), rng_pcg64);
    err_clear();
    ck_assert_ptr_null(rng_type_find("mt19937"));
    ck_assert_ptr_nonnull(strstr(err_msg(), "mt19937"));
    ck_assert_ptr_null(rng_type_find(""));
}
END_TEST

/* ---- GSL seeding and output conventions ---- */

START_TEST(test_gsl_set_is_default_stream)
{
    /* gsl_rng_set(r, s) == rng_seed_stream(r, s, RNG_DEFAULT_STREAM), seed 0 included. */
    static const unsigned long seeds[] = {0, 1, 42, 0xffffffffffffffffUL};
    for (int t = 0; t < NTYPES; t++) {
        gsl_rng *a = gsl_rng_alloc(type_of(t)), *b = gsl_rng_alloc(type_of(t));
        for (int i = 0; i < 4; i++) {
            gsl_rng_set(a, seeds[i]);
            rng_seed_stream(b, seeds[i], RNG_DEFAULT_STREAM);
            ck_assert(same_state(a, b));
            ck_assert_uint_eq(gsl_rng_get(a), gsl_rng_get(b));
        }
        /* seed 0 is an ordinary seed: different from seed 1 */
        gsl_rng_set(a, 0);
        gsl_rng_set(b, 1);
        ck_assert_uint_ne(gsl_rng_get(a), gsl_rng_get(b));
        gsl_rng_free(a);
        gsl_rng_free(b);
    }
    /* gsl_rng_alloc seeds with gsl_rng_default_seed (0 unless GSL_RNG_SEED is read); PCG32 with
     * seed 0 on the default stream, values from the Python implementation. */
    gsl_rng *r = gsl_rng_alloc(rng_pcg32);
    gsl_rng_set(r, 0);
    ck_assert_uint_eq(gsl_rng_get(r), 0xcecf5e73);
    ck_assert_uint_eq(gsl_rng_get(r), 0x5e40274a);
    ck_assert_uint_eq(gsl_rng_get(r), 0x604debce);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_get_double_convention)
{
    gsl_rng *a = gsl_rng_alloc(rng_pcg32), *b = gsl_rng_alloc(rng_pcg32);
    for (int i = 0; i < 1000; i++) {
        double u = gsl_rng_uniform(a);
        ck_assert(u == gsl_rng_get(b) * 0x1.0p-32);
        ck_assert(u >= 0.0 && u < 1.0);
    }
    gsl_rng_free(a);
    gsl_rng_free(b);
    a = gsl_rng_alloc(rng_pcg64);
    b = gsl_rng_alloc(rng_pcg64);
    int low_bits_seen = 0; /* 53-bit resolution: some draws have bits below 2^-32 */
    for (int i = 0; i < 1000; i++) {
        double u = gsl_rng_uniform(a);
        ck_assert(u == (gsl_rng_get(b) >> 11) * 0x1.0p-53);
        ck_assert(u >= 0.0 && u < 1.0);
        if (u * 0x1.0p32 != floor(u * 0x1.0p32)) low_bits_seen++;
    }
    ck_assert_int_gt(low_bits_seen, 900);
    gsl_rng_free(a);
    gsl_rng_free(b);
}
END_TEST

/* ---- jump-ahead ---- */

START_TEST(test_advance_equals_steps)
{
    static const uint64_t ks[] = {0, 1, 2, 1000, 123457};
    for (int t = 0; t < NTYPES; t++) {
        for (int i = 0; i < 5; i++) {
            gsl_rng *a = gsl_rng_alloc(type_of(t)), *b = gsl_rng_alloc(type_of(t));
            rng_seed_stream(a, 42, 54);
            rng_seed_stream(b, 42, 54);
            for (uint64_t k = 0; k < ks[i]; k++) gsl_rng_get(a);
            rng_advance(b, ks[i]);
            ck_assert_msg(same_state(a, b), "%s advance(%lu)", type_of(t)->name,
                          (unsigned long)ks[i]);
            ck_assert_uint_eq(gsl_rng_get(a), gsl_rng_get(b));
            gsl_rng_free(a);
            gsl_rng_free(b);
        }
    }
}
END_TEST

START_TEST(test_advance_wraps_pcg32)
{
    /* PCG32's period is 2^64: advancing by 2^64 - 1 lands one step before the start. */
    gsl_rng *a = gsl_rng_alloc(rng_pcg32), *start = gsl_rng_alloc(rng_pcg32);
    rng_seed_stream(a, 42, 54);
    rng_seed_stream(start, 42, 54);
    rng_advance(a, UINT64_MAX);
    ck_assert(!same_state(a, start));
    gsl_rng *c = gsl_rng_clone(a);
    gsl_rng_get(c); /* one real step */
    ck_assert(same_state(c, start));
    rng_advance(a, 1);
    ck_assert(same_state(a, start));
    ck_assert_uint_eq(gsl_rng_get(a), 0xa15c02b7);
    gsl_rng_free(a);
    gsl_rng_free(c);
    gsl_rng_free(start);
}
END_TEST

/* ---- named streams ---- */

START_TEST(test_streams_distinct_and_reproducible)
{
    static const uint64_t ids[][3] = {
        {1, RNG_PURPOSE_REPLICATE, 0}, {1, RNG_PURPOSE_REPLICATE, 1}, {2, RNG_PURPOSE_REPLICATE, 0},
        {1, RNG_PURPOSE_TRUTH, 0},     {1, RNG_PURPOSE_MODEL, 0},     {0, 0, 0},
        {0, 0, 1},                     {1, 0, 0},                     {0, 1, 0},
    };
    enum { NID = sizeof ids / sizeof ids[0], NDRAW = 4 };
    for (int t = 0; t < NTYPES; t++) {
        unsigned long out[NID][NDRAW];
        for (int i = 0; i < NID; i++) {
            gsl_rng *r = rng_stream_alloc(type_of(t), ids[i][0], ids[i][1], ids[i][2]);
            gsl_rng *s = rng_stream_alloc(type_of(t), ids[i][0], ids[i][1], ids[i][2]);
            for (int k = 0; k < NDRAW; k++) {
                out[i][k] = gsl_rng_get(r);
                ck_assert_uint_eq(out[i][k], gsl_rng_get(s));
            }
            gsl_rng_free(r);
            gsl_rng_free(s);
        }
        for (int i = 0; i < NID; i++)
            for (int j = i + 1; j < NID; j++)
                ck_assert_msg(memcmp(out[i], out[j], sizeof out[i]) != 0, "%s ids %d and %d",
                              type_of(t)->name, i, j);
    }
    for (int i = 0; i < NID; i++)
        for (int j = i + 1; j < NID; j++)
            ck_assert_uint_ne(rng_hash3(ids[i][0], ids[i][1], ids[i][2]),
                              rng_hash3(ids[j][0], ids[j][1], ids[j][2]));
}
END_TEST

/* ---- GSL samplers on PCG ---- */

START_TEST(test_gaussian_and_beta)
{
    enum { N = 100000 };
    for (int t = 0; t < NTYPES; t++) {
        gsl_rng *r = rng_stream_alloc(type_of(t), 1, RNG_PURPOSE_TRUTH, 0);
        double sum = 0.0, sumsq = 0.0;
        for (int i = 0; i < N; i++) {
            double x = gsl_ran_gaussian(r, 1.0);
            sum += x;
            sumsq += x * x;
        }
        double mean = sum / N;
        ck_assert_msg(fabs(mean) < 5.0 / sqrt(N), "%s gaussian mean %g", type_of(t)->name, mean);
        /* var of the sample second moment of N(0,1) is 2/N */
        ck_assert_msg(fabs(sumsq / N - 1.0) < 5.0 * sqrt(2.0 / N), "%s gaussian E[x^2] %g",
                      type_of(t)->name, sumsq / N);

        /* Beta(2, 5): mean 2/7, variance ab / ((a+b)^2 (a+b+1)) = 10/392 */
        sum = 0.0;
        for (int i = 0; i < N; i++) {
            double x = gsl_ran_beta(r, 2.0, 5.0);
            ck_assert(x > 0.0 && x < 1.0);
            sum += x;
        }
        mean = sum / N;
        ck_assert_msg(fabs(mean - 2.0 / 7.0) < 5.0 * sqrt(10.0 / 392.0 / N), "%s beta mean %g",
                      type_of(t)->name, mean);
        gsl_rng_free(r);
    }
}
END_TEST

START_TEST(test_uniform_chisq)
{
    enum { BINS = 100, N = 1000000 };
    double crit = gsl_cdf_chisq_Qinv(1e-6, BINS - 1); /* the 0.999999 quantile of chi2(99) */
    for (int t = 0; t < NTYPES; t++) {
        gsl_rng *r = rng_stream_alloc(type_of(t), 1, RNG_PURPOSE_TRUTH, 1);
        long count[BINS] = {0};
        for (int i = 0; i < N; i++) count[(int)(gsl_rng_uniform(r) * BINS)]++;
        double e = (double)N / BINS, stat = 0.0;
        for (int b = 0; b < BINS; b++) stat += (count[b] - e) * (count[b] - e) / e;
        ck_assert_msg(stat < crit, "%s chi2 %g >= %g", type_of(t)->name, stat, crit);
        gsl_rng_free(r);
    }
}
END_TEST

START_TEST(test_uniform_int)
{
    for (int t = 0; t < NTYPES; t++) {
        gsl_rng *r = rng_stream_alloc(type_of(t), 3, RNG_PURPOSE_DATA_SPLIT, 0);
        int seen[7] = {0};
        for (int i = 0; i < 7000; i++) {
            unsigned long k = gsl_rng_uniform_int(r, 7);
            ck_assert_uint_lt(k, 7);
            seen[k]++;
        }
        for (int k = 0; k < 7; k++) ck_assert_int_gt(seen[k], 800); /* mean 1000, sd ~29 */
        gsl_rng_free(r);
    }
    /* PCG64's range allows bounds beyond 32 bits */
    gsl_rng *r = rng_stream_alloc(rng_pcg64, 3, RNG_PURPOSE_DATA_SPLIT, 1);
    unsigned long n = 1000000000000UL, hi = 0;
    for (int i = 0; i < 1000; i++) {
        unsigned long k = gsl_rng_uniform_int(r, n);
        ck_assert_uint_lt(k, n);
        if (k > hi) hi = k;
    }
    ck_assert_uint_gt(hi, 0xffffffffUL);
    gsl_rng_free(r);
}
END_TEST

Suite *suite_rng(void);
Suite *suite_rng(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_pcg32_reference);
    tcase_add_test(tc, test_pcg64_reference);
    tcase_add_test(tc, test_pcg64_seed_stream_known);
    tcase_add_test(tc, test_stream_known);
    tcase_add_test(tc, test_type_table);
    tcase_add_test(tc, test_gsl_set_is_default_stream);
    tcase_add_test(tc, test_get_double_convention);
    tcase_add_test(tc, test_advance_equals_steps);
    tcase_add_test(tc, test_advance_wraps_pcg32);
    tcase_add_test(tc, test_streams_distinct_and_reproducible);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("samplers");
    tcase_set_timeout(st, 60);
    tcase_add_test(st, test_gaussian_and_beta);
    tcase_add_test(st, test_uniform_chisq);
    tcase_add_test(st, test_uniform_int);
    suite_add_tcase(s, st);
    return s;
}
