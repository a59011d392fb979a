/* check_family: every distribution family through its plug-in table — normalisation, sampling and
 * the weighted MLE (recovery; integer weights equal duplicated samples), CDF/quantile
 * consistency, closed-form KL against quadrature, generator temperature — plus the small linear
 * algebra and the best-of-K kept-law weight against exact enumeration and simulated curation. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "family.h"
#include "fastnorm.h"
#include "fit.h"
#include "linalg.h"
#include "popmap.h"
#include "rng.h"
#include "weights.h"

typedef struct FamCase {
    const DistType *t;
    int k;
    double theta[DIST_PARAM_MAX];
    double tol; /* relative tolerance of parameter recovery at n = 200,000 */
} FamCase;

static const FamCase fam_cases[] = {
    {&dist_beta, 0, {2.5, 4}, 0.03},
    {&dist_gaussian, 0, {-1, 2}, 0.02},
    {&dist_gaussian_nd, 2, {1, -1, 2, 0.6, 1}, 0.03},
    {&dist_categorical, 4, {0.1, 0.2, 0.3, 0.4}, 0.03},
    {&dist_poisson, 0, {3.5}, 0.02},
    {&dist_mixture, 2, {0.3, 0.7, -2, 1.5, 0.7, 1}, 0.05},
    {&dist_linreg, 3, {0.5, -1, 2, 0.8}, 0.03},
};
#define NCASES (sizeof fam_cases / sizeof fam_cases[0])

static Dist make(const FamCase *c)
{
    Dist d;
    ck_assert_int_eq(dist_init(&d, c->t, c->k), ERR_OK);
    ck_assert_msg(c->t->check(&d, c->theta) == ERR_OK, "%s: %s", c->t->name, err_msg());
    return d;
}

START_TEST(test_sample_fit_recovers)
{
    const FamCase *c = &fam_cases[_i];
    Dist d = make(c);
    enum { N = 200000 };
    double *x = malloc((size_t)N * d.dim * sizeof *x), th[DIST_PARAM_MAX];
    gsl_rng *r = rng_stream_alloc(rng_pcg64, 3, RNG_PURPOSE_TRUTH, (uint64_t)_i);
    c->t->sample(&d, c->theta, r, N, x);
    for (int j = 0; j < d.nparam; j++) th[j] = NAN;
    FitInfo fi;
    double neff;
    ck_assert_int_eq(fit_wmle(&d, x, NULL, N, th, &fi, &neff), ERR_OK);
    ck_assert_msg(fi.converged, "%s did not converge", c->t->name);
    ck_assert(neff == N);
    for (int j = 0; j < d.nparam; j++)
        ck_assert_msg(fabs(th[j] - c->theta[j]) <= c->tol * fmax(1, fabs(c->theta[j])),
                      "%s %s: %.5g vs %.5g", c->t->name, d.pname[j], th[j], c->theta[j]);
    /* sample moments against the family's moments (first coordinate) */
    double mean[DIST_DIM_MAX], cov[DIST_DIM_MAX * DIST_DIM_MAX], m = 0, v = 0;
    c->t->moments(&d, c->theta, mean, cov);
    for (size_t i = 0; i < N; i++) m += x[i * d.dim];
    m /= N;
    for (size_t i = 0; i < N; i++) v += (x[i * d.dim] - m) * (x[i * d.dim] - m);
    v /= N;
    ck_assert_msg(fabs(m - mean[0]) < 6 * sqrt(cov[0] / N), "%s mean %g vs %g", c->t->name, m,
                  mean[0]);
    ck_assert_msg(fabs(v / cov[0] - 1) < 0.03, "%s var %g vs %g", c->t->name, v, cov[0]);
    gsl_rng_free(r);
    free(x);
}
END_TEST

/* Integer weights w = 1, 2, 3 equal duplicating samples, for every family (EM included). */
START_TEST(test_weights_equal_duplicates)
{
    const FamCase *c = &fam_cases[_i];
    Dist d = make(c);
    enum { N = 600 };
    size_t dim = (size_t)d.dim;
    double *x = malloc(N * dim * sizeof *x), *dup = malloc(3 * N * dim * sizeof *dup),
           *lw = malloc(N * sizeof *lw);
    gsl_rng *r = rng_stream_alloc(rng_pcg64, 4, RNG_PURPOSE_TRUTH, (uint64_t)_i);
    c->t->sample(&d, c->theta, r, N, x);
    size_t m = 0;
    for (size_t i = 0; i < N; i++) {
        int k = 1 + (int)(i % 3);
        lw[i] = log((double)k) - 30; /* any common factor */
        for (int j = 0; j < k; j++) memcpy(dup + dim * m++, x + dim * i, dim * sizeof *x);
    }
    double t1[DIST_PARAM_MAX], t2[DIST_PARAM_MAX];
    memcpy(t1, c->theta, sizeof t1);
    memcpy(t2, c->theta, sizeof t2);
    FitInfo f1, f2;
    fit_wmle(&d, x, lw, N, t1, &f1, NULL);
    fit_wmle(&d, dup, NULL, m, t2, &f2, NULL);
    ck_assert(f1.converged && f2.converged);
    for (int j = 0; j < d.nparam; j++)
        ck_assert_msg(fabs(t1[j] - t2[j]) <= 1e-7 * fmax(1, fabs(t2[j])), "%s %s: %.12g vs %.12g",
                      c->t->name, d.pname[j], t1[j], t2[j]);
    gsl_rng_free(r);
    free(x);
    free(dup);
    free(lw);
}
END_TEST

/* 1-D laws integrate (sum) to one over their node rule; CDF and quantile are inverse. */
START_TEST(test_normalised_cdf_quantile)
{
    const FamCase *c = &fam_cases[_i];
    Dist d = make(c);
    if (d.dim == 1) {
        double *x, *lm;
        size_t n;
        ck_assert_int_eq(pop_nodes(&d, c->theta, NULL, NULL, &x, &lm, &n), ERR_OK);
        double s = 0;
        for (size_t i = 0; i < n; i++) s += exp(lm[i]);
        ck_assert_msg(fabs(s - 1) < 1e-9, "%s integrates to %.12g", c->t->name, s);
        free(x);
        free(lm);
    }
    const double qs[] = {0.01, 0.2, 0.5, 0.77, 0.99};
    for (int j = 0; j < d.dim; j++)
        for (size_t i = 0; i < 5; i++) {
            double xq = c->t->quantile(&d, c->theta, j, qs[i]);
            double F = c->t->cdf(&d, c->theta, j, xq);
            if (c->t->discrete) {
                ck_assert(F >= qs[i] - 1e-12);
                ck_assert(xq == 0 || c->t->cdf(&d, c->theta, j, xq - 1) < qs[i]);
            } else {
                ck_assert_msg(fabs(F - qs[i]) < 1e-9, "%s q=%g: F = %.12g", c->t->name, qs[i], F);
            }
        }
}
END_TEST

/* Closed-form KL against sums/quadrature over the first law's node rule (1-D families). */
START_TEST(test_kl_closed_vs_numeric)
{
    const FamCase *c = &fam_cases[_i];
    Dist d = make(c);
    if (!c->t->kl || d.dim != 1) return;
    double tb[DIST_PARAM_MAX];
    memcpy(tb, c->theta, sizeof tb);
    if (c->t == &dist_categorical) {
        tb[0] = 0.25, tb[1] = 0.25, tb[2] = 0.25, tb[3] = 0.25;
    } else {
        tb[0] *= 1.3;
    }
    double *x, *lm, *lb;
    size_t n;
    ck_assert_int_eq(pop_nodes(&d, c->theta, NULL, NULL, &x, &lm, &n), ERR_OK);
    lb = malloc(n * sizeof *lb);
    double *la = malloc(n * sizeof *la);
    c->t->logpdf(&d, c->theta, x, n, la);
    c->t->logpdf(&d, tb, x, n, lb);
    double k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(lm[i])) k += exp(lm[i]) * (la[i] - lb[i]);
    double kc = c->t->kl(&d, c->theta, tb);
    ck_assert_msg(fabs(k - kc) < 1e-8 * fmax(1, kc), "%s: %.12g vs %.12g", c->t->name, k, kc);
    free(x);
    free(lm);
    free(la);
    free(lb);
}
END_TEST

START_TEST(test_temper)
{
    Dist d;
    dist_init(&d, &dist_categorical, 3);
    double p[3] = {0.5, 0.3, 0.2}, q[3];
    dist_categorical.temper(&d, p, 0.8, q);
    ck_assert(fabs(log(q[0] / q[1]) - 1.25 * log(5.0 / 3)) < 1e-12);
    ck_assert(fabs(q[0] + q[1] + q[2] - 1) < 1e-15);
    Dist g = dist_fixed(&dist_gaussian);
    double t[2] = {1, 2}, u[2];
    dist_gaussian.temper(&g, t, 0.25, u);
    ck_assert(u[0] == 1 && fabs(u[1] - 1) < 1e-15);
}
END_TEST

START_TEST(test_linalg)
{
    double A[9] = {4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2}, R[9], L[9], b[3] = {1, 2, 3}, x[3];
    la_sym_sqrt(3, A, R);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double v = 0;
            for (int k = 0; k < 3; k++) v += R[i * 3 + k] * R[k * 3 + j];
            ck_assert(fabs(v - A[i * 3 + j]) < 1e-12);
        }
    memcpy(L, A, sizeof L);
    ck_assert(la_chol(3, L));
    memcpy(x, b, sizeof x);
    la_chol_solve(3, L, x);
    for (int i = 0; i < 3; i++) {
        double v = 0;
        for (int k = 0; k < 3; k++) v += A[i * 3 + k] * x[k];
        ck_assert(fabs(v - b[i]) < 1e-12);
    }
    double S[9] = {1, 1, 0, 1, 1, 0, 0, 0, 1}; /* singular */
    ck_assert(!la_chol(3, S));
}
END_TEST

/* Best-of-K kept law on a categorical law: the Laplace-integral weight against exact enumeration
 * of the K - 1 competitors (K = 3), and simulated curation against the kept law. */
START_TEST(test_best_of_k)
{
    Dist d;
    dist_init(&d, &dist_categorical, 3);
    double p[3] = {0.5, 0.3, 0.2}, x[3] = {0, 1, 2}, lm[3], lw[3];
    for (int c = 0; c < 3; c++) lm[c] = log(p[c]);
    WeightCtx ctx = {.fam = &d, .lambda = 1.5, .cls = 2, .best_of = 3};
    weight_nodes(&weight_best_of_k, &ctx, x, lm, 3, lw);
    double r[3] = {0, 0, 1.5};
    for (int c = 0; c < 3; c++) { /* w(c) = K E[e^r_c / (e^r_c + e^r_J1 + e^r_J2)] */
        double e = 0;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                e += p[a] * p[b] * exp(r[c]) / (exp(r[c]) + exp(r[a]) + exp(r[b]));
        ck_assert_msg(fabs(exp(lw[c]) - 3 * e) < 1e-9, "class %d: %.12g vs %.12g", c, exp(lw[c]),
                      3 * e);
    }
    double kept = 0;
    for (int c = 0; c < 3; c++) kept += p[c] * exp(lw[c]);
    ck_assert(fabs(kept - 1) < 1e-9); /* the kept law is normalised */
    /* simulated curation */
    enum { N = 200000 };
    double *cand = malloc(3 * N * sizeof *cand), *out = malloc(N * sizeof *out);
    gsl_rng *g = rng_stream_alloc(rng_pcg64, 8, RNG_PURPOSE_TRUTH, 0);
    dist_categorical.sample(&d, p, g, 3 * N, cand);
    weight_curate(&ctx, g, cand, N, out);
    double share = 0;
    for (size_t i = 0; i < N; i++) share += out[i] == 2;
    share /= N;
    double want = p[2] * exp(lw[2]);
    ck_assert_msg(fabs(share - want) < 5 * sqrt(want * (1 - want) / N), "%.5f vs %.5f", share,
                  want);
    /* K = 1 keeps the law */
    ctx.best_of = 1;
    weight_nodes(&weight_best_of_k, &ctx, x, lm, 3, lw);
    for (int c = 0; c < 3; c++) ck_assert(fabs(lw[c]) < 1e-12);
    gsl_rng_free(g);
    free(cand);
    free(out);
}
END_TEST

/* Parameter parsing: d-D covariance shorthands, uniform categorical, sizes. */
START_TEST(test_parse)
{
    Dist d;
    double th[DIST_PARAM_MAX];
    dist_init(&d, &dist_gaussian_nd, 3);
    double v1[] = {1, 2, 3, 2};
    ck_assert_int_eq(dist_parse(&d, v1, 4, th), ERR_OK);
    ck_assert(th[3] == 2 && th[4] == 0 && th[5] == 2 && th[8] == 2);
    double v2[] = {0, 0, 0, 1, 2, 3};
    ck_assert_int_eq(dist_parse(&d, v2, 6, th), ERR_OK);
    ck_assert(th[3] == 1 && th[5] == 2 && th[8] == 3);
    double v3[] = {0, 0, 0, 1, 1, 1, 0, 0, 1}; /* cov rows 1; 1 1; 0 0 1: singular */
    ck_assert_int_eq(dist_parse(&d, v3, 9, th), ERR_INVAL);
    ck_assert_int_eq(dist_parse(&d, v3, 5, th), ERR_INVAL);
    dist_init(&d, &dist_categorical, 4);
    ck_assert_int_eq(dist_parse(&d, NULL, 0, th), ERR_OK);
    ck_assert(th[3] == 0.25);
    double bad[] = {0.5, 0.6, 0, 0};
    ck_assert_int_eq(dist_parse(&d, bad, 4, th), ERR_INVAL);
    ck_assert_int_eq(dist_init(&d, &dist_categorical, 1), ERR_INVAL);
    ck_assert_int_eq(dist_init(&d, &dist_gaussian_nd, 9), ERR_INVAL);
    ck_assert(dist_find("mixture") == &dist_mixture && dist_find("nope") == NULL);
}
END_TEST

/* The ziggurat sampler: moments, the tail beyond its base strip (R = 3.4426) and the CDF at a few
 * points, from 2,000,000 draws (binomial 5 sigma bands); PCG32 takes the GSL fallback. */
START_TEST(test_fastnorm)
{
    enum { N = 2000000 };
    gsl_rng *r = rng_stream_alloc(rng_pcg64, 12, RNG_PURPOSE_TRUTH, 0);
    double *z = malloc(N * sizeof *z), m = 0, m2 = 0, m4 = 0;
    fastnorm_fill(r, 0, 1, N, z);
    const double pts[] = {-3.6, -2, -0.7, 0, 0.3, 1.5, 3.5};
    long below[7] = {0}, tail = 0;
    for (size_t i = 0; i < N; i++) {
        m += z[i];
        m2 += z[i] * z[i];
        m4 += z[i] * z[i] * z[i] * z[i];
        tail += fabs(z[i]) > 3.442619855899;
        for (int k = 0; k < 7; k++) below[k] += z[i] <= pts[k];
    }
    m /= N, m2 /= N, m4 /= N;
    ck_assert_msg(fabs(m) < 5 / sqrt(N), "mean %g", m);
    ck_assert_msg(fabs(m2 - 1) < 5 * sqrt(2.0 / N), "var %g", m2);
    ck_assert_msg(fabs(m4 - 3) < 5 * sqrt(96.0 / N), "4th moment %g", m4);
    double pt = 2 * 0.5 * erfc(3.442619855899 / sqrt(2));
    ck_assert_msg(fabs((double)tail / N - pt) < 5 * sqrt(pt / N), "tail %g vs %g", (double)tail / N,
                  pt);
    for (int k = 0; k < 7; k++) {
        double p = 0.5 * erfc(-pts[k] / sqrt(2)), e = (double)below[k] / N;
        ck_assert_msg(fabs(e - p) < 5 * sqrt(p * (1 - p) / N) + 1e-12, "F(%g) = %g vs %g", pts[k],
                      e, p);
    }
    gsl_rng_free(r);
    r = rng_stream_alloc(rng_pcg32, 12, RNG_PURPOSE_TRUTH, 0);
    double s = 0, s2 = 0;
    for (int i = 0; i < 100000; i++) {
        double v = fastnorm_draw(r);
        s += v;
        s2 += v * v;
    }
    ck_assert(fabs(s / 1e5) < 5 / sqrt(1e5) && fabs(s2 / 1e5 - 1) < 5 * sqrt(2 / 1e5));
    gsl_rng_free(r);
    free(z);
}
END_TEST

Suite *suite_family(void);
Suite *suite_family(void)
{
    Suite *s = suite_create("family");
    TCase *tc = tcase_create("families");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_sample_fit_recovers, 0, NCASES);
    tcase_add_loop_test(tc, test_weights_equal_duplicates, 0, NCASES);
    tcase_add_loop_test(tc, test_normalised_cdf_quantile, 0, NCASES);
    tcase_add_loop_test(tc, test_kl_closed_vs_numeric, 0, NCASES);
    tcase_add_test(tc, test_temper);
    tcase_add_test(tc, test_linalg);
    tcase_add_test(tc, test_best_of_k);
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_fastnorm);
    suite_add_tcase(s, tc);
    return s;
}
