/* check_kernels: every matmul variant against the double-precision truth and the scalar reference
 * on odd shapes that hit every tail and block edge, accumulate semantics, NULL gradients,
 * unaligned pointers, thread-count determinism; GELU, softmax, attention and AdamW variants
 * against scalar; the dispatch API. Variants the CPU lacks are skipped with a printed reason. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "kernels.h"
#include "xalloc.h"

/* Tolerance. Any float summation of n terms, in any order, with or without FMA, satisfies
 * |computed - exact| <= gamma(n) * Σ|terms| with gamma(n) = n u / (1 - n u), u = 2^-24
 * (Higham, Accuracy and Stability, §3.1). Every kernel output is such a sum (products plus the
 * bias or the prior gradient value), so this worst-case bound is rigorous; a wrong index or a
 * lost tile gives errors of the order of Σ|terms| itself, far above it. Variant vs scalar: 2x. */
static double gamma_n(int n)
{
    double nu = n * ldexp(1.0, -24);
    return nu / (1.0 - nu);
}

static unsigned lcg_state = 2024u;
static float urand(void) /* uniform in [-1, 1) */
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (float)((lcg_state >> 8) * (2.0 / 16777216.0) - 1.0);
}

static float *rand_buf(size_t n, int offset) /* offset: floats past a 64-byte boundary */
{
    float *p = (float *)xcalloc_aligned(n + 16, sizeof(float)) + offset;
    for (size_t i = 0; i < n; i++) p[i] = urand();
    return p;
}

static void free_buf(float *p, int offset) { xfree_aligned(p - offset); }

typedef struct Shape {
    int BT, C, OC;
} Shape;

/* Odd shapes (BT <= 4 takes the few-row path of the SIMD forward): below one tile, tile tails in every dimension, and past KC (256), MC (256/264) and
 * NC (2304) so that multi-block accumulation and the M- and N-split paths all run; {5, 300, 8200}
 * takes the AVX-512 wide-N path (one K block of 300 > KC). */
static const Shape shapes[] = {
    {1, 1, 1},    {7, 13, 19}, {8, 48, 48},     {6, 16, 16},    {9, 17, 50},  {33, 65, 97},
    {5, 260, 3},  {263, 389, 301}, {21, 37, 2333}, {300, 7, 11}, {2, 2333, 5}, {5, 300, 8200},
    {1, 768, 2304}, {3, 389, 301}, {4, 300, 8200}, {2, 17, 50}, {1, 13, 19}, {4, 1030, 77},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

static const KernelSet *variants[] = {&kernels_scalar, &kernels_avx2, &kernels_avx512};

/* The big shapes run once per variant (aligned); the rest also with unaligned pointers. */
static int small_shape(Shape s) { return (double)s.BT * s.C * s.OC < 2e6; }

static int usable(const KernelSet *ks)
{
    if (kernels_supported(ks)) return 1;
    printf("check_kernels: skipping '%s': this CPU lacks the instructions\n", ks->name);
    return 0;
}

/* Max over outputs of |got - ref| / (scale * bound), where bound = gamma(n) * absum. */
static double worst_ratio(const float *got, const double *ref, const double *absum, size_t n,
                          int nterms, double scale)
{
    double worst = 0.0, g = gamma_n(nterms) * scale;
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - ref[i]);
        double bound = g * absum[i] + 1e-30;
        if (!(err <= bound * 1e9)) return INFINITY; /* NaN or wild */
        if (err / bound > worst) worst = err / bound;
    }
    return worst;
}

static void check_forward(const KernelSet *ks, Shape s, int use_bias, int offset)
{
    int BT = s.BT, C = s.C, OC = s.OC;
    float *inp = rand_buf((size_t)BT * C, offset);      /* (BT, C) */
    float *weight = rand_buf((size_t)OC * C, offset);   /* (OC, C) */
    float *bias = use_bias ? rand_buf(OC, offset) : NULL;
    float *out = rand_buf((size_t)BT * OC, offset);     /* (BT, OC), garbage: must be overwritten */
    float *out_ref = rand_buf((size_t)BT * OC, 0);
    double *exact = xcalloc((size_t)BT * OC, sizeof(double));
    double *absum = xcalloc((size_t)BT * OC, sizeof(double));
    for (int bt = 0; bt < BT; bt++)
        for (int o = 0; o < OC; o++) {
            double e = bias ? bias[o] : 0.0, a = bias ? fabs(bias[o]) : 0.0;
            for (int i = 0; i < C; i++) {
                double p = (double)inp[bt * C + i] * weight[(size_t)o * C + i];
                e += p;
                a += fabs(p);
            }
            exact[(size_t)bt * OC + o] = e;
            absum[(size_t)bt * OC + o] = a;
        }
    ks->matmul_forward(out, inp, weight, bias, BT, C, OC);
    kernels_scalar.matmul_forward(out_ref, inp, weight, bias, BT, C, OC);
    size_t n = (size_t)BT * OC;
    double r_exact = worst_ratio(out, exact, absum, n, C + 1, 1.0);
    ck_assert_msg(r_exact <= 1.0, "%s fwd BT=%d C=%d OC=%d bias=%d: error %.3g x bound vs exact",
                  ks->name, BT, C, OC, use_bias, r_exact);
    for (size_t i = 0; i < n; i++) exact[i] = out_ref[i];
    double r_scalar = worst_ratio(out, exact, absum, n, C + 1, 2.0);
    ck_assert_msg(r_scalar <= 1.0, "%s fwd BT=%d C=%d OC=%d: error %.3g x bound vs scalar",
                  ks->name, BT, C, OC, r_scalar);
    free_buf(inp, offset);
    free_buf(weight, offset);
    if (bias) free_buf(bias, offset);
    free_buf(out, offset);
    free_buf(out_ref, 0);
    free(exact);
    free(absum);
}

/* One gradient: got (variant) and ref (scalar) against exact = prior + Σ terms (double). */
static void check_grad(const char *what, const KernelSet *ks, Shape s, const float *got,
                       const float *ref, const double *exact, const double *absum, size_t n,
                       int nterms)
{
    double r_exact = worst_ratio(got, exact, absum, n, nterms + 1, 1.0);
    ck_assert_msg(r_exact <= 1.0, "%s %s BT=%d C=%d OC=%d: error %.3g x bound vs exact", ks->name,
                  what, s.BT, s.C, s.OC, r_exact);
    double *refd = xcalloc(n, sizeof(double));
    for (size_t i = 0; i < n; i++) refd[i] = ref[i];
    double r_scalar = worst_ratio(got, refd, absum, n, nterms + 1, 2.0);
    ck_assert_msg(r_scalar <= 1.0, "%s %s BT=%d C=%d OC=%d: error %.3g x bound vs scalar", ks->name,
                  what, s.BT, s.C, s.OC, r_scalar);
    free(refd);
}

static float *copy_buf(const float *x, size_t n)
{
    float *y = xcalloc(n, sizeof(float));
    memcpy(y, x, n * sizeof(float));
    return y;
}

/* mask bits: 1 dinp, 2 dweight, 4 dbias; the others are passed as NULL and must stay untouched. */
static void check_backward(const KernelSet *ks, Shape s, int mask, int offset)
{
    int BT = s.BT, C = s.C, OC = s.OC;
    size_t ni = (size_t)BT * C, nw = (size_t)OC * C, no = (size_t)BT * OC;
    float *inp = rand_buf(ni, offset);     /* (BT, C) */
    float *weight = rand_buf(nw, offset);  /* (OC, C) */
    float *dout = rand_buf(no, offset);    /* (BT, OC) */
    float *dinp = rand_buf(ni, offset);    /* (BT, C), non-zero prior: must accumulate */
    float *dweight = rand_buf(nw, offset); /* (OC, C) */
    float *dbias = rand_buf(OC, offset);   /* (OC) */
    float *dinp0 = copy_buf(dinp, ni), *dweight0 = copy_buf(dweight, nw);
    float *dbias0 = copy_buf(dbias, OC);
    float *dinp_ref = copy_buf(dinp, ni), *dweight_ref = copy_buf(dweight, nw);
    float *dbias_ref = copy_buf(dbias, OC);
    ks->matmul_backward(mask & 1 ? dinp : NULL, mask & 2 ? dweight : NULL,
                        mask & 4 ? dbias : NULL, dout, inp, weight, BT, C, OC);
    kernels_scalar.matmul_backward(mask & 1 ? dinp_ref : NULL, mask & 2 ? dweight_ref : NULL,
                                   mask & 4 ? dbias_ref : NULL, dout, inp, weight, BT, C, OC);
    size_t nmax = ni > nw ? ni : nw;
    double *exact = xcalloc(nmax, sizeof(double)), *absum = xcalloc(nmax, sizeof(double));

    if (mask & 1) { /* dinp[bt, i] = prior + Σ_o dout[bt, o] weight[o, i] */
        for (int bt = 0; bt < BT; bt++)
            for (int i = 0; i < C; i++) {
                double e = dinp0[(size_t)bt * C + i], a = fabs(e);
                for (int o = 0; o < OC; o++) {
                    double p = (double)dout[(size_t)bt * OC + o] * weight[(size_t)o * C + i];
                    e += p;
                    a += fabs(p);
                }
                exact[(size_t)bt * C + i] = e;
                absum[(size_t)bt * C + i] = a;
            }
        check_grad("dinp", ks, s, dinp, dinp_ref, exact, absum, ni, OC);
    } else {
        ck_assert(memcmp(dinp, dinp0, ni * sizeof(float)) == 0);
    }
    if (mask & 2) { /* dweight[o, i] = prior + Σ_bt dout[bt, o] inp[bt, i] */
        for (int o = 0; o < OC; o++)
            for (int i = 0; i < C; i++) {
                double e = dweight0[(size_t)o * C + i], a = fabs(e);
                for (int bt = 0; bt < BT; bt++) {
                    double p = (double)dout[(size_t)bt * OC + o] * inp[(size_t)bt * C + i];
                    e += p;
                    a += fabs(p);
                }
                exact[(size_t)o * C + i] = e;
                absum[(size_t)o * C + i] = a;
            }
        check_grad("dweight", ks, s, dweight, dweight_ref, exact, absum, nw, BT);
    } else {
        ck_assert(memcmp(dweight, dweight0, nw * sizeof(float)) == 0);
    }
    if (mask & 4) { /* dbias[o] = prior + Σ_bt dout[bt, o] */
        for (int o = 0; o < OC; o++) {
            double e = dbias0[o], a = fabs(e);
            for (int bt = 0; bt < BT; bt++) {
                e += dout[(size_t)bt * OC + o];
                a += fabs(dout[(size_t)bt * OC + o]);
            }
            exact[o] = e;
            absum[o] = a;
        }
        check_grad("dbias", ks, s, dbias, dbias_ref, exact, absum, OC, BT);
    } else {
        ck_assert(memcmp(dbias, dbias0, OC * sizeof(float)) == 0);
    }
    free(exact);
    free(absum);
    free_buf(inp, offset);
    free_buf(weight, offset);
    free_buf(dout, offset);
    free_buf(dinp, offset);
    free_buf(dweight, offset);
    free_buf(dbias, offset);
    free(dinp0);
    free(dweight0);
    free(dbias0);
    free(dinp_ref);
    free(dweight_ref);
    free(dbias_ref);
}

/* _i: index into variants[] (loop test). */
START_TEST(test_forward_odd_shapes)
{
    const KernelSet *ks = variants[_i];
    if (!usable(ks)) return;
    for (size_t k = 0; k < NSHAPES; k++) {
        check_forward(ks, shapes[k], 1, 0);
        if (small_shape(shapes[k])) /* no bias, unaligned pointers */
            check_forward(ks, shapes[k], 0, (int)(k % 3) + 1);
    }
}
END_TEST

START_TEST(test_backward_odd_shapes)
{
    const KernelSet *ks = variants[_i];
    if (!usable(ks)) return;
    for (size_t k = 0; k < NSHAPES; k++) {
        check_backward(ks, shapes[k], 7, 0);
        if (small_shape(shapes[k])) /* unaligned pointers */
            check_backward(ks, shapes[k], 7, (int)(k % 3) + 1);
    }
}
END_TEST

START_TEST(test_backward_null_gradients)
{
    const KernelSet *ks = variants[_i];
    if (!usable(ks)) return;
    Shape s = {33, 65, 97};
    for (int mask = 0; mask < 7; mask++) check_backward(ks, s, mask, 0);
}
END_TEST

/* Bitwise identical outputs for 1 and 2 threads (and forward called twice: overwrite, not +=). */
START_TEST(test_thread_count_determinism)
{
    const KernelSet *ks = variants[_i];
    if (!usable(ks)) return;
#ifndef _OPENMP
    printf("check_kernels: skipping thread-count determinism: built without OpenMP\n");
    return;
#else
    int BT = 263, C = 389, OC = 301;
    size_t ni = (size_t)BT * C, nw = (size_t)OC * C, no = (size_t)BT * OC;
    float *inp = rand_buf(ni, 0), *weight = rand_buf(nw, 0), *bias = rand_buf(OC, 0);
    float *dout = rand_buf(no, 0);
    float *out[2], *dinp[2], *dweight[2], *dbias[2];
    int saved = omp_get_max_threads();
    for (int t = 0; t < 2; t++) {
        out[t] = rand_buf(no, 0);
        dinp[t] = xcalloc(ni, sizeof(float));
        dweight[t] = xcalloc(nw, sizeof(float));
        dbias[t] = xcalloc(OC, sizeof(float));
        omp_set_num_threads(t + 1);
        ks->matmul_forward(out[t], inp, weight, bias, BT, C, OC);
        ks->matmul_forward(out[t], inp, weight, bias, BT, C, OC);
        ks->matmul_backward(dinp[t], dweight[t], dbias[t], dout, inp, weight, BT, C, OC);
    }
    omp_set_num_threads(saved);
    ck_assert(memcmp(out[0], out[1], no * sizeof(float)) == 0);
    ck_assert(memcmp(dinp[0], dinp[1], ni * sizeof(float)) == 0);
    ck_assert(memcmp(dweight[0], dweight[1], nw * sizeof(float)) == 0);
    ck_assert(memcmp(dbias[0], dbias[1], OC * sizeof(float)) == 0);
    /* forward twice equals forward once (checked against the exact product elsewhere): a
     * kernel that accumulated into out would differ from the scalar reference below. */
    float *ref = xcalloc(no, sizeof(float));
    kernels_scalar.matmul_forward(ref, inp, weight, bias, BT, C, OC);
    for (size_t i = 0; i < no; i++) ck_assert(fabsf(out[0][i] - ref[i]) < 1e-3f);
    free(ref);
    for (int t = 0; t < 2; t++) {
        free_buf(out[t], 0);
        free(dinp[t]);
        free(dweight[t]);
        free(dbias[t]);
    }
    free_buf(inp, 0);
    free_buf(weight, 0);
    free_buf(bias, 0);
    free_buf(dout, 0);
#endif
}
END_TEST

/* The few-row forward path (BT <= 4, decoding) is bitwise equal to the packed GEMM on the same
 * rows (BT = 9), for any thread count: batched and one-by-one generation then pick identical
 * tokens. Shapes: K and N tails, several K blocks, the AVX-512 wide-N single K block. */
START_TEST(test_few_rows_bitwise)
{
    const KernelSet *ks = variants[_i];
    if (ks == &kernels_scalar || !usable(ks)) return;
    static const int shapes_kn[][2] = {{13, 19}, {768, 2304}, {389, 301}, {300, 8200},
                                       {1030, 77}, {7, 5}, {256, 48}};
    for (size_t si = 0; si < sizeof shapes_kn / sizeof shapes_kn[0]; si++) {
        int C = shapes_kn[si][0], OC = shapes_kn[si][1], BT = 9;
        float *inp = rand_buf((size_t)BT * C, 0), *weight = rand_buf((size_t)OC * C, 0);
        float *bias = rand_buf(OC, 0), *full = rand_buf((size_t)BT * OC, 0);
        float *few = rand_buf((size_t)4 * OC, 0);
        for (int use_bias = 0; use_bias < 2; use_bias++) {
            const float *b = use_bias ? bias : NULL;
            ks->matmul_forward(full, inp, weight, b, BT, C, OC);
            for (int m = 1; m <= 4; m++)
                for (int nth = 1; nth <= 2; nth++) {
#ifdef _OPENMP
                    int saved = omp_get_max_threads();
                    omp_set_num_threads(nth);
#endif
                    ks->matmul_forward(few, inp, weight, b, m, C, OC);
#ifdef _OPENMP
                    omp_set_num_threads(saved);
#endif
                    ck_assert_msg(memcmp(few, full, (size_t)m * OC * sizeof(float)) == 0,
                                  "%s C=%d OC=%d BT=%d bias=%d threads=%d: differs from BT=9",
                                  ks->name, C, OC, m, use_bias, nth);
                }
        }
        free_buf(inp, 0);
        free_buf(weight, 0);
        free_buf(bias, 0);
        free_buf(full, 0);
        free_buf(few, 0);
    }
}
END_TEST

/* bfloat16 rounding: to nearest, ties to even, on textbook cases. */
START_TEST(test_bf16_round)
{
    ck_assert(kernels_bf16_round(1.0f) == 1.0f);
    ck_assert(kernels_bf16_round(-2.5f) == -2.5f);
    ck_assert(kernels_bf16_round(1.0f + 0x1p-8f) == 1.0f);                 /* tie: to even */
    ck_assert(kernels_bf16_round(1.0f + 3 * 0x1p-8f) == 1.0f + 0x1p-6f);   /* tie: to even */
    ck_assert(kernels_bf16_round(1.0f + 0x1p-8f + 0x1p-20f) == 1.0f + 0x1p-7f); /* above tie */
    ck_assert(kernels_bf16_round(0.1f) == 0.10009765625f); /* 0x3dcd */
    ck_assert(isinf(kernels_bf16_round(3.4e38f)));         /* past the largest bfloat16 */
    ck_assert(isinf(kernels_bf16_round(INFINITY)) && kernels_bf16_round(-INFINITY) < 0);
    ck_assert(isnan(kernels_bf16_round(NAN)));
    ck_assert(kernels_bf16_round(0x1p-130f) == 0x1p-130f); /* subnormals keep their top bits */
    ck_assert_uint_eq(kernels_packed_len(5, 13), 5 * 16);
}
END_TEST

/* The packed few-row products equal the float paths (few-row and packed GEMM) bit for bit: in
 * float on the weights, in bfloat16 on the rounded weights (for 1 and 2 threads), with and
 * without bias; odd OC tests the padding. */
START_TEST(test_bf16_forward_bitwise)
{
    const KernelSet *ks = variants[_i];
    if (!usable(ks)) return;
    if (!ks->matmul_forward_bf16 || !ks->matmul_forward_packed) {
        ck_assert(ks == &kernels_scalar); /* only the scalar reference may lack it */
        return;
    }
    static const int shapes_kn[][2] = {{13, 19}, {768, 2304}, {300, 8200}, {1030, 77}, {7, 5}};
    for (size_t si = 0; si < sizeof shapes_kn / sizeof shapes_kn[0]; si++) {
        int C = shapes_kn[si][0], OC = shapes_kn[si][1], BT = 9;
        size_t nw = (size_t)OC * C;
        float *inp = rand_buf((size_t)BT * C, 0), *weight = rand_buf(nw, 0);
        float *bias = rand_buf(OC, 0), *full = rand_buf((size_t)BT * OC, 0);
        float *few = rand_buf((size_t)4 * OC, 0), *fewf = rand_buf((size_t)4 * OC, 0);
        uint16_t *pk = xcalloc(kernels_packed_len(C, OC), sizeof(uint16_t));
        float *pf = xcalloc(kernels_packed_len(C, OC), sizeof(float));
        kernels_bf16_pack(pk, weight, C, OC);
        kernels_pack(pf, weight, C, OC);
        for (int use_bias = 0; use_bias < 2; use_bias++) { /* packed float: the weights as given */
            const float *b = use_bias ? bias : NULL;
            ks->matmul_forward(full, inp, weight, b, BT, C, OC);
            for (int m = 1; m <= KERNELS_BF16_MAX_ROWS; m++) {
                ks->matmul_forward_packed(few, inp, pf, b, m, C, OC);
                ck_assert_msg(memcmp(few, full, (size_t)m * OC * sizeof(float)) == 0,
                              "%s packed C=%d OC=%d BT=%d bias=%d: differs from BT=9", ks->name,
                              C, OC, m, use_bias);
            }
        }
        free(pf);
        for (size_t i = 0; i < nw; i++) weight[i] = kernels_bf16_round(weight[i]);
        for (int use_bias = 0; use_bias < 2; use_bias++) {
            const float *b = use_bias ? bias : NULL;
            ks->matmul_forward(full, inp, weight, b, BT, C, OC);
            for (int m = 1; m <= KERNELS_BF16_MAX_ROWS; m++)
                for (int nth = 1; nth <= 2; nth++) {
#ifdef _OPENMP
                    int saved = omp_get_max_threads();
                    omp_set_num_threads(nth);
#endif
                    ks->matmul_forward_bf16(few, inp, pk, b, m, C, OC);
                    ks->matmul_forward(fewf, inp, weight, b, m, C, OC);
#ifdef _OPENMP
                    omp_set_num_threads(saved);
#endif
                    ck_assert_msg(memcmp(few, full, (size_t)m * OC * sizeof(float)) == 0,
                                  "%s bf16 C=%d OC=%d BT=%d bias=%d threads=%d: differs from BT=9",
                                  ks->name, C, OC, m, use_bias, nth);
                    ck_assert(memcmp(few, fewf, (size_t)m * OC * sizeof(float)) == 0);
                }
        }
        free(pk);
        free_buf(inp, 0);
        free_buf(weight, 0);
        free_buf(bias, 0);
        free_buf(full, 0);
        free_buf(few, 0);
        free_buf(fewf, 0);
    }
}
END_TEST

/* GELU: every variant against the scalar reference (tanhf) on sizes that hit the vector tails and
 * on values across and beyond tanh's range. The SIMD tanh has absolute error δ <= 2e-7 (exp to
 * ~2 ulp, then 1 - 2/(e+1)); GELU = 0.5 x (1 + tanh) carries 0.5|x|δ, its derivative
 * 0.5 (1 + tanh) + 0.5 x sech² k (1 + 0.134 x²) carries 0.5δ + |x| k (1 + 0.134 x²) δ (sech² =
 * 1 - tanh² moves by 2δ), each plus a few ulps of rounding. The bounds below are those with 50%
 * margin; a wrong coefficient moves results by more at moderate |x|. */
START_TEST(test_gelu_variants)
{
    const KernelSet *ks = variants[_i];
    if (!usable(ks)) return;
    size_t sizes[] = {1, 7, 8, 15, 16, 17, 37, 100003};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        float *x = xcalloc(n, sizeof(float)), *y = xcalloc(n, sizeof(float));
        float *yr = xcalloc(n, sizeof(float)), *g = xcalloc(n, sizeof(float));
        float *d = xcalloc(n, sizeof(float)), *dr = xcalloc(n, sizeof(float));
        float *d0 = xcalloc(n, sizeof(float));
        static const float special[] = {0.0f, 1e-8f, -1e-8f, 0.5f, -0.5f, 3.0f, -3.0f, 9.5f, -9.5f,
                                        50.0f, -50.0f, 1e4f};
        for (size_t i = 0; i < n; i++) {
            x[i] = i < sizeof special / sizeof special[0] ? special[i] : 12.0f * urand();
            g[i] = urand();
            d[i] = dr[i] = d0[i] = urand(); /* prior: the backward accumulates */
        }
        ks->gelu_forward(y, x, n);
        kernels_scalar.gelu_forward(yr, x, n);
        ks->gelu_backward(d, x, g, n);
        kernels_scalar.gelu_backward(dr, x, g, n);
        for (size_t i = 0; i < n; i++) {
            double ax = fabs(x[i]);
            double tol_y = 1.5e-7 * ax + 4.0 * 6e-8 * fabs(yr[i]) + 1e-30;
            ck_assert_msg(fabs(y[i] - yr[i]) <= tol_y, "%s gelu(%g) = %.9g vs %.9g", ks->name,
                          (double)x[i], (double)y[i], (double)yr[i]);
            double local = (dr[i] - d0[i]) / (g[i] ? g[i] : 1.0f);
            double tol_d = (1.5e-7 + 3e-7 * 0.8 * ax * (1.0 + 0.134 * ax * ax) +
                            4.0 * 6e-8 * fabs(local)) * fabs(g[i]) + 4.0 * 6e-8 * fabs(d0[i]);
            ck_assert_msg(fabs(d[i] - dr[i]) <= tol_d, "%s gelu'(%g): %.9g vs %.9g", ks->name,
                          (double)x[i], (double)d[i], (double)dr[i]);
        }
        ks->gelu_forward(x, x, n); /* in place */
        for (size_t i = 0; i < n; i++) ck_assert(x[i] == y[i]);
        free(x);
        free(y);
        free(yr);
        free(g);
        free(d);
        free(dr);
        free(d0);
    }
}
END_TEST

/* Softmax: every variant against the scalar one (expf, double sum). The SIMD exp is within ~2 ulps
 * and the sums are in double, so each probability agrees to 1e-6 relative (about 16 ulps); the
 * padding [V, Vp) is exactly 0 even when its logits are huge. Row lengths hit the vector tails. */
START_TEST(test_softmax_variants)
{
    const KernelSet *ks = variants[_i];
    if (!usable(ks)) return;
    int Vs[] = {1, 7, 8, 15, 16, 17, 50257};
    for (size_t vi = 0; vi < sizeof Vs / sizeof Vs[0]; vi++) {
        int N = 3, V = Vs[vi], Vp = (V + 63) / 64 * 64 + 5;
        size_t nz = (size_t)N * Vp;
        float *z = xcalloc(nz, sizeof(float)), *p = xcalloc(nz, sizeof(float));
        float *pr = xcalloc(nz, sizeof(float));
        for (size_t i = 0; i < nz; i++) z[i] = (int)(i % Vp) < V ? 10.0f * urand() : 1e30f;
        z[0] = 80.0f; /* a dominant logit in row 0 */
        ks->softmax_forward(p, z, N, V, Vp);
        kernels_scalar.softmax_forward(pr, z, N, V, Vp);
        for (int n = 0; n < N; n++) {
            double sum = 0.0;
            for (int i = 0; i < Vp; i++) {
                size_t j = (size_t)n * Vp + i;
                if (i >= V) {
                    ck_assert(p[j] == 0.0f);
                    continue;
                }
                ck_assert_msg(fabs(p[j] - pr[j]) <= 1e-6 * pr[j] + 1e-30, "%s V=%d p[%d,%d]",
                              ks->name, V, n, i);
                sum += p[j];
            }
            ck_assert(fabs(sum - 1.0) < 1e-5);
        }
        free(z);
        free(p);
        free(pr);
    }
}
END_TEST

/* Attention: every variant against the scalar kernel on shapes whose head size is a multiple of
 * both vector widths (the vector path) and not (the fallback), with T hitting the position tails.
 * Scores, softmax and the weighted sums are short float sums (<= T + hs terms of bounded size),
 * so outputs agree to 1e-5 of each tensor's largest magnitude (~100 ulps); a wrong index or mask
 * is off by O(1). */
static double max_absf(const float *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

START_TEST(test_attention_variants)
{
    const KernelSet *ks = variants[_i];
    if (!usable(ks)) return;
    static const int shapes_att[][4] = {{2, 7, 32, 2}, {1, 33, 64, 1},  {2, 20, 96, 3},
                                        {1, 1, 16, 1}, {3, 17, 24, 3}, {1, 40, 128, 2}};
    for (size_t k = 0; k < sizeof shapes_att / sizeof shapes_att[0]; k++) {
        int B = shapes_att[k][0], T = shapes_att[k][1], C = shapes_att[k][2];
        int NH = shapes_att[k][3];
        size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C, na = (size_t)B * NH * T * T;
        float *qkv = rand_buf(nq, 0), *dout = rand_buf(no, 0);
        float *out[2], *att[2], *dq[2];
        for (int c = 0; c < 2; c++) {
            out[c] = rand_buf(no, 0);
            att[c] = rand_buf(na, 0); /* garbage: must be overwritten, zeros above the diagonal */
            dq[c] = xcalloc(nq, sizeof(float));
            for (size_t i = 0; i < nq; i++) dq[c][i] = 0.25f * (float)(i % 7); /* a prior */
        }
        ks->attention_forward(out[0], att[0], qkv, B, T, C, NH);
        kernels_scalar.attention_forward(out[1], att[1], qkv, B, T, C, NH);
        ks->attention_backward(dq[0], dout, qkv, att[1], B, T, C, NH);
        kernels_scalar.attention_backward(dq[1], dout, qkv, att[1], B, T, C, NH);
        double so = max_absf(out[1], no), sq = max_absf(dq[1], nq);
        for (size_t i = 0; i < no; i++)
            ck_assert_msg(fabs(out[0][i] - out[1][i]) <= 1e-5 * so, "%s out[%zu] shape %zu",
                          ks->name, i, k);
        for (size_t i = 0; i < na; i++)
            ck_assert_msg(fabs(att[0][i] - att[1][i]) <= 1e-5, "%s att[%zu] shape %zu", ks->name,
                          i, k);
        for (size_t i = 0; i < nq; i++)
            ck_assert_msg(fabs(dq[0][i] - dq[1][i]) <= 1e-5 * sq, "%s dqkv[%zu] shape %zu",
                          ks->name, i, k);
        for (size_t r = 0; r < (size_t)B * NH * T; r++) /* causal zeros, exactly */
            for (int t2 = (int)(r % T) + 1; t2 < T; t2++) ck_assert(att[0][r * T + t2] == 0.0f);
        free_buf(qkv, 0);
        free_buf(dout, 0);
        for (int c = 0; c < 2; c++) {
            free_buf(out[c], 0);
            free_buf(att[c], 0);
            free(dq[c]);
        }
    }
}
END_TEST

/* AdamW update: every variant against the scalar formula. Each output is a handful of roundings
 * (FMA or not) of a sum of two terms, so it agrees to 4 ulps of the sum of their magnitudes:
 * m to 4u (|b1 m| + |(1-b1) g|), v likewise, p to 4u (|shrink p| + |update|), with the update
 * itself a few ulps of step_size m / denominator. The sizes hit the vector tails. */
START_TEST(test_adamw_update_variants)
{
    const KernelSet *ks = variants[_i];
    if (!usable(ks)) return;
    KernelAdamW a = {.b1 = 0.9f, .b2 = 0.999f, .eps = 1e-8f, .shrink = 0.999f,
                     .step_size = 1e-3f / (1.0f - 0.9f * 0.9f * 0.9f), .bc2_sqrt = 0.0547f,
                     .grad_scale = 0.7f};
    size_t sizes[] = {1, 7, 8, 15, 16, 17, 1001};
    const double u4 = 4.0 * ldexp(1.0, -24);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        float *p[2], *m[2], *v[2], *g = xcalloc(n, sizeof(float));
        float *p0 = xcalloc(n, sizeof(float)), *m0 = xcalloc(n, sizeof(float));
        float *v0 = xcalloc(n, sizeof(float));
        for (int c = 0; c < 2; c++) {
            p[c] = xcalloc(n, sizeof(float));
            m[c] = xcalloc(n, sizeof(float));
            v[c] = xcalloc(n, sizeof(float));
        }
        for (size_t i = 0; i < n; i++) {
            g[i] = urand() * (i % 3 ? 1.0f : 1e-4f);
            p0[i] = p[0][i] = p[1][i] = urand();
            m0[i] = m[0][i] = m[1][i] = 0.1f * urand();
            v0[i] = v[0][i] = v[1][i] = i % 5 ? 0.01f * fabsf(urand()) : 0.0f;
        }
        ks->adamw_update(p[0], g, m[0], v[0], n, &a);
        kernels_scalar.adamw_update(p[1], g, m[1], v[1], n, &a);
        for (size_t i = 0; i < n; i++) {
            double gs = (double)g[i] * a.grad_scale;
            double tm = u4 * (fabs(a.b1 * m0[i]) + fabs((1.0 - a.b1) * gs)) + 1e-30;
            double tv = u4 * (fabs(a.b2 * v0[i]) + fabs((1.0 - a.b2) * gs * gs)) + 1e-30;
            double upd = fabs((double)a.shrink * p0[i] - p[1][i]);
            double tp = u4 * (fabs(a.shrink * p0[i]) + upd) + 1e-30;
            ck_assert_msg(fabs(m[0][i] - m[1][i]) <= tm, "%s m[%zu]", ks->name, i);
            ck_assert_msg(fabs(v[0][i] - v[1][i]) <= tv, "%s v[%zu]", ks->name, i);
            ck_assert_msg(fabs(p[0][i] - p[1][i]) <= tp, "%s p[%zu]: %.9g vs %.9g", ks->name, i,
                          (double)p[0][i], (double)p[1][i]);
        }
        free(g);
        free(p0);
        free(m0);
        free(v0);
        for (int c = 0; c < 2; c++) {
            free(p[c]);
            free(m[c]);
            free(v[c]);
        }
    }
}
END_TEST

START_TEST(test_dispatch)
{
    const KernelSet *before = kernels_get();
    ck_assert_int_eq(kernels_set("bogus"), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "bogus"));
    ck_assert_int_eq(kernels_set(NULL), ERR_INVAL);
    ck_assert_ptr_eq(kernels_get(), before); /* unchanged on error */
    ck_assert_ptr_null(kernels_find("auto"));
    ck_assert_ptr_eq(kernels_find("avx2"), &kernels_avx2);
    ck_assert_int_eq(kernels_supported(&kernels_scalar), 1);
    ck_assert_int_eq(kernels_set("scalar"), ERR_OK);
    ck_assert_str_eq(kernels_name(), "scalar");
    for (size_t v = 1; v < 3; v++) {
        int rc = kernels_set(variants[v]->name);
        if (kernels_supported(variants[v])) {
            ck_assert_int_eq(rc, ERR_OK);
            ck_assert_str_eq(kernels_name(), variants[v]->name);
        } else {
            ck_assert_int_eq(rc, ERR_UNSUPPORTED);
        }
    }
    ck_assert_int_eq(kernels_set("auto"), ERR_OK);
    const KernelSet *best = kernels_get();
    ck_assert(kernels_supported(best));
    /* auto picks the widest supported variant */
    if (kernels_supported(&kernels_avx512)) ck_assert_ptr_eq(best, &kernels_avx512);
    else if (kernels_supported(&kernels_avx2)) ck_assert_ptr_eq(best, &kernels_avx2);
    else ck_assert_ptr_eq(best, &kernels_scalar);
}
END_TEST

Suite *suite_kernels(void);
Suite *suite_kernels(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("matmul");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_forward_odd_shapes, 0, 3);
    tcase_add_loop_test(tc, test_backward_odd_shapes, 0, 3);
    tcase_add_loop_test(tc, test_backward_null_gradients, 0, 3);
    tcase_add_loop_test(tc, test_thread_count_determinism, 0, 3);
    tcase_add_loop_test(tc, test_few_rows_bitwise, 0, 3);
    tcase_add_loop_test(tc, test_bf16_forward_bitwise, 0, 3);
    tcase_add_test(tc, test_bf16_round);
    tcase_add_loop_test(tc, test_gelu_variants, 0, 3);
    tcase_add_loop_test(tc, test_softmax_variants, 0, 3);
    tcase_add_loop_test(tc, test_attention_variants, 0, 3);
    tcase_add_loop_test(tc, test_adamw_update_variants, 0, 3);
    suite_add_tcase(s, tc);
    TCase *td = tcase_create("dispatch");
    tcase_add_test(td, test_dispatch);
    suite_add_tcase(s, td);
    return s;
}
