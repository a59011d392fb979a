/* check_softmax: softmax regression — gradient against central finite differences, the
 * intercept-only optimum (probabilities = class frequencies), a separable problem learned exactly,
 * thread-count independence, and the model-file format's error paths. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "rng.h"
#include "softmax.h"

Suite *suite_softmax(void);

/* n rows over D features, about `dens` of them non-zero, labels uniform in 0..K-1. */
static void random_data(SoftmaxData *X, size_t n, uint32_t D, int K, double dens, uint64_t seed)
{
    gsl_rng *r = rng_stream_alloc(rng_pcg64, seed, RNG_PURPOSE_DATA_SPLIT, 0);
    softmax_data_init(X, D);
    uint32_t col[64];
    float val[64];
    for (size_t i = 0; i < n; i++) {
        size_t m = 0;
        for (uint32_t j = 0; j < D && m < 64; j++)
            if (gsl_rng_uniform(r) < dens) {
                col[m] = j;
                val[m++] = (float)(gsl_rng_uniform(r) * 2 - 0.5);
            }
        softmax_data_add(X, col, val, m, (int)gsl_rng_uniform_int(r, (unsigned long)K));
    }
    gsl_rng_free(r);
}

START_TEST(test_gradient_finite_differences)
{
    const int K = 3;
    const uint32_t D = 7;
    SoftmaxData X;
    random_data(&X, 25, D, K, 0.5, 11);
    Softmax *m = softmax_alloc(K, D);
    size_t P = (size_t)D * K + K;
    gsl_rng *r = rng_stream_alloc(rng_pcg64, 12, RNG_PURPOSE_MODEL, 0);
    for (size_t i = 0; i < P; i++) m->theta[i] = gsl_rng_uniform(r) * 2 - 1;
    gsl_rng_free(r);
    const double lambda = 0.05, h = 1e-5;
    double *g = calloc(P, sizeof *g), *g3 = calloc(P, sizeof *g3);
    double f = softmax_objective(m, &X, lambda, g, 1);
    ck_assert(isfinite(f) && f > 0);
    for (size_t i = 0; i < P; i++) {
        double t = m->theta[i];
        m->theta[i] = t + h;
        double fp = softmax_objective(m, &X, lambda, NULL, 1);
        m->theta[i] = t - h;
        double fm = softmax_objective(m, &X, lambda, NULL, 1);
        m->theta[i] = t;
        double fd = (fp - fm) / (2 * h);
        ck_assert_msg(fabs(fd - g[i]) < 1e-7 * fmax(1, fabs(g[i])),
                      "parameter %zu: analytic %.10g, finite difference %.10g", i, g[i], fd);
    }
    /* the same bits with three threads */
    double f3 = softmax_objective(m, &X, lambda, g3, 3);
    ck_assert(f3 == f);
    ck_assert(memcmp(g, g3, P * sizeof *g) == 0);
    free(g), free(g3);
    softmax_free(m);
    softmax_data_release(&X);
}
END_TEST

/* With no features the optimum puts softmax(b) at the class frequencies and f at their entropy. */
START_TEST(test_intercept_only_optimum)
{
    SoftmaxData X;
    softmax_data_init(&X, 4);
    int counts[3] = {5, 3, 2};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < counts[k]; i++) softmax_data_add(&X, NULL, NULL, 0, k);
    Softmax *m = softmax_alloc(3, 4);
    SoftmaxTrainOpts o = SOFTMAX_TRAIN_DEFAULTS;
    o.lambda = 0.1;
    o.tol = 1e-14;
    SoftmaxTrainInfo info;
    ck_assert_int_eq(softmax_train(m, &X, &o, &info), ERR_OK);
    double p[3];
    softmax_predict(m, NULL, NULL, 0, p);
    ck_assert_msg(fabs(p[0] - 0.5) < 1e-6 && fabs(p[1] - 0.3) < 1e-6 && fabs(p[2] - 0.2) < 1e-6,
                  "p = %g %g %g", p[0], p[1], p[2]);
    double H = -(0.5 * log(0.5) + 0.3 * log(0.3) + 0.2 * log(0.2));
    ck_assert_msg(fabs(info.f - H) < 1e-10, "f = %.12g, entropy %.12g", info.f, H);
    softmax_free(m);
    softmax_data_release(&X);
}
END_TEST

/* Class k's rows carry feature k (plus shared noise features): every training row and fresh rows
 * are classified correctly with high probability. */
START_TEST(test_separable_learned)
{
    const int K = 3;
    SoftmaxData X;
    softmax_data_init(&X, 6);
    gsl_rng *r = rng_stream_alloc(rng_pcg64, 3, RNG_PURPOSE_DATA_SPLIT, 0);
    for (int i = 0; i < 90; i++) {
        int y = i % K;
        uint32_t col[3] = {(uint32_t)y, 3, 4};
        float val[3] = {1.0f, (float)gsl_rng_uniform(r), (float)gsl_rng_uniform(r)};
        softmax_data_add(&X, col, val, 3, y);
    }
    Softmax *m = softmax_alloc(K, 6);
    SoftmaxTrainOpts o = SOFTMAX_TRAIN_DEFAULTS;
    o.lambda = 1e-4;
    SoftmaxTrainInfo info;
    ck_assert_int_eq(softmax_train(m, &X, &o, &info), ERR_OK);
    ck_assert(info.converged);
    for (int i = 0; i < 60; i++) {
        int y = i % K;
        uint32_t col[3] = {(uint32_t)y, 3, 4};
        float val[3] = {1.0f, (float)gsl_rng_uniform(r), (float)gsl_rng_uniform(r)};
        double p[3];
        softmax_predict(m, col, val, 3, p);
        ck_assert_msg(p[y] > 0.9, "row %d: p_true %g", i, p[y]);
    }
    gsl_rng_free(r);
    softmax_free(m);
    softmax_data_release(&X);
}
END_TEST

START_TEST(test_train_thread_independent)
{
    SoftmaxData X;
    random_data(&X, 300, 50, 4, 0.2, 21);
    Softmax *a = softmax_alloc(4, 50), *b = softmax_alloc(4, 50);
    SoftmaxTrainOpts o = SOFTMAX_TRAIN_DEFAULTS;
    o.lambda = 1e-3;
    o.threads = 1;
    SoftmaxTrainInfo ia, ib;
    ck_assert_int_eq(softmax_train(a, &X, &o, &ia), ERR_OK);
    o.threads = 3;
    ck_assert_int_eq(softmax_train(b, &X, &o, &ib), ERR_OK);
    ck_assert_int_eq(ia.iters, ib.iters);
    ck_assert(memcmp(a->theta, b->theta, (50 * 4 + 4) * sizeof(double)) == 0);
    /* the optimum: the gradient nearly vanishes */
    ck_assert_msg(ia.gnorm < 1e-3, "gradient norm %g", ia.gnorm);
    softmax_free(a), softmax_free(b);
    softmax_data_release(&X);
}
END_TEST

START_TEST(test_bad_labels)
{
    SoftmaxData X;
    softmax_data_init(&X, 2);
    softmax_data_add(&X, NULL, NULL, 0, 5);
    Softmax *m = softmax_alloc(3, 2);
    SoftmaxTrainOpts o = SOFTMAX_TRAIN_DEFAULTS;
    ck_assert_int_eq(softmax_train(m, &X, &o, NULL), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "label 5"));
    softmax_free(m);
    softmax_data_release(&X);
}
END_TEST

static char path[64];

static void write_model(const Softmax *m, uint32_t version)
{
    SoftmaxFile f;
    softmax_file_begin(&f, "TESTMODL", version);
    softmax_file_put_u32(&f, 7);
    softmax_file_put_model(&f, m);
    ck_assert_int_eq(softmax_file_save(&f, path), ERR_OK);
}

static int read_model(Softmax **m)
{
    SoftmaxFile f;
    uint32_t seven;
    int st = softmax_file_open(&f, path, "test model", "TESTMODL", 2);
    if (st) return st;
    st = softmax_file_get_u32(&f, &seven, "seven", 7, 7);
    if (!st) st = softmax_file_get_model(&f, m, 3, 5);
    if (st) {
        softmax_file_release(&f);
        return st;
    }
    st = softmax_file_close(&f);
    if (st) softmax_free(*m), *m = NULL;
    return st;
}

static long file_size(void)
{
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void poke(long off, unsigned char v)
{
    FILE *f = fopen(path, "r+b");
    fseek(f, off, SEEK_SET);
    fputc(v, f);
    fclose(f);
}

START_TEST(test_file_round_trip_and_errors)
{
    strcpy(path, "/tmp/biasamp_softmax_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    Softmax *m = softmax_alloc(3, 5), *r = NULL;
    for (int i = 0; i < 18; i++) m->theta[i] = sin(i + 1.0) * 1e3;
    write_model(m, 2);
    ck_assert_int_eq(read_model(&r), ERR_OK);
    ck_assert(memcmp(m->theta, r->theta, 18 * sizeof(double)) == 0);
    softmax_free(r);
    long n = file_size();
    ck_assert_int_eq(n, 8 + 4 + 4 + 8 + 18 * 8 + 4);
    /* truncated inside the weights, and inside the checksum */
    ck_assert_int_eq(truncate(path, n - 20), 0);
    ck_assert_int_eq(read_model(&r), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "truncated in field 'weights'"));
    write_model(m, 2);
    ck_assert_int_eq(truncate(path, n - 2), 0);
    ck_assert_int_eq(read_model(&r), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "field 'checksum'"));
    ck_assert_int_eq(truncate(path, 5), 0);
    ck_assert_int_eq(read_model(&r), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "field 'magic'"));
    /* a flipped weight byte fails the checksum */
    write_model(m, 2);
    poke(40, 0x5a);
    ck_assert_int_eq(read_model(&r), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "checksum"));
    /* wrong magic, wrong version, a field out of range, a non-finite weight, trailing bytes */
    write_model(m, 2);
    poke(0, 'X');
    ck_assert_int_eq(read_model(&r), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "field 'magic'"));
    write_model(m, 3);
    ck_assert_int_eq(read_model(&r), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "field 'version' is 3"));
    write_model(m, 2);
    poke(12, 8);
    ck_assert_int_eq(read_model(&r), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "field 'seven' is 8"));
    m->theta[4] = NAN;
    write_model(m, 2);
    ck_assert_int_eq(read_model(&r), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "non-finite"));
    m->theta[4] = 1;
    write_model(m, 2);
    FILE *f = fopen(path, "ab");
    fputc(0, f);
    fclose(f);
    ck_assert_int_eq(read_model(&r), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "unexpected bytes"));
    /* a missing file is an I/O error */
    unlink(path);
    ck_assert_int_eq(read_model(&r), ERR_IO);
    softmax_free(m);
}
END_TEST

Suite *suite_softmax(void)
{
    Suite *s = suite_create("softmax");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_gradient_finite_differences);
    tcase_add_test(tc, test_intercept_only_optimum);
    tcase_add_test(tc, test_separable_learned);
    tcase_add_test(tc, test_train_thread_independent);
    tcase_add_test(tc, test_bad_labels);
    tcase_add_test(tc, test_file_round_trip_and_errors);
    suite_add_tcase(s, tc);
    return s;
}
