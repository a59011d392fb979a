/* check_layers: each op's float forward against a double-precision reference, and its float
 * backward against central finite differences of that double reference (so the differences are
 * exact to ~1e-9 and the tolerance only has to absorb float rounding). Backwards must accumulate:
 * gradients start from random priors that are subtracted afterwards. Also: padding never leaks,
 * ignored targets, causal masking, and bitwise-equal results for 1 and 2 threads. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "layers.h"
#include "xalloc.h"

/* Tolerances. Forward: float vs double, small sizes (C <= 54): errors are a few ulps of the
 * largest magnitude, we allow 1e-5 relative. Backward: the float gradient carries rounding of
 * ~1e-6 relative at these sizes and the double finite difference (h = 1e-6, central) is exact to
 * ~1e-9, so 1e-4 relative to the largest gradient is loose for rounding yet ~1e4 times smaller
 * than the O(1) relative error of any wrong term. */
#define FWD_TOL 1e-5
#define BWD_TOL 1e-4

static unsigned lcg = 77u;
static double urand(void) /* uniform in [-1, 1) */
{
    lcg = lcg * 1664525u + 1013904223u;
    return (lcg >> 8) * (2.0 / 16777216.0) - 1.0;
}

/* A float tensor with its double twin (the reference works on the twin). */
typedef struct Tensor {
    float *f;
    double *d;
    size_t n;
} Tensor;

static Tensor tensor_rand(size_t n, double scale)
{
    Tensor t = {xcalloc(n ? n : 1, sizeof(float)), xcalloc(n ? n : 1, sizeof(double)), n};
    for (size_t i = 0; i < n; i++) {
        t.f[i] = (float)(scale * urand());
        t.d[i] = t.f[i];
    }
    return t;
}

static void tensor_free(Tensor *t)
{
    free(t->f);
    free(t->d);
}

static double max_abs(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

static void assert_close_fwd(const char *what, const float *got, const double *ref, size_t n)
{
    double scale = max_abs(ref, n) + 1e-30;
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabs(got[i] - ref[i]) <= FWD_TOL * scale, "%s[%zu]: %.9g vs %.9g", what, i,
                      (double)got[i], ref[i]);
}

/* The scalar objective L = Σ w·f(inputs) evaluated on the double twins held by ctx. */
typedef double (*LossFn)(void *ctx);

/* got = float gradient buffer that started at prior; compared with dL/dx by central differences
 * of f over the double array x (x lives inside ctx). */
static void check_grad(const char *what, LossFn f, void *ctx, double *x, size_t n, const float *got,
                       const float *prior)
{
    double *fd = xcalloc(n, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        double xi = x[i], h = 1e-6 * fmax(1.0, fabs(xi));
        x[i] = xi + h;
        double fp = f(ctx);
        x[i] = xi - h;
        double fm = f(ctx);
        x[i] = xi;
        fd[i] = (fp - fm) / (2.0 * h);
    }
    double scale = fmax(max_abs(fd, n), 1e-3);
    for (size_t i = 0; i < n; i++) {
        double g = (double)got[i] - (double)prior[i];
        ck_assert_msg(fabs(g - fd[i]) <= BWD_TOL * scale + 1e-7 * fabs(prior[i]),
                      "%s[%zu]: analytic %.9g vs finite difference %.9g (scale %.3g)", what, i, g,
                      fd[i], scale);
    }
    free(fd);
}

static float *prior_like(size_t n) /* random non-zero starting gradient */
{
    float *p = xcalloc(n ? n : 1, sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = (float)urand();
    return p;
}

static float *copy_f(const float *x, size_t n)
{
    float *y = xcalloc(n ? n : 1, sizeof(float));
    memcpy(y, x, n * sizeof(float));
    return y;
}

/* ---- encoder ---- */
typedef struct EncCtx {
    int B, T, C, V;
    const int *tok;
    Tensor wte, wpe, w;
} EncCtx;

static double enc_loss(void *p)
{
    EncCtx *c = p;
    double L = 0.0;
    for (int bt = 0; bt < c->B * c->T; bt++)
        for (int i = 0; i < c->C; i++)
            L += c->w.d[bt * c->C + i] *
                 (c->wte.d[c->tok[bt] * c->C + i] + c->wpe.d[(bt % c->T) * c->C + i]);
    return L;
}

START_TEST(test_encoder)
{
    int B = 3, T = 4, C = 19, V = 5; /* 12 positions over 5 tokens: repeats guaranteed */
    int tok[12] = {0, 3, 3, 1, 4, 0, 3, 2, 2, 4, 1, 3};
    EncCtx c = {B, T, C, V, tok, tensor_rand((size_t)V * C, 1), tensor_rand((size_t)T * C, 1),
                tensor_rand((size_t)B * T * C, 1)};
    float *out = xcalloc((size_t)B * T * C, sizeof(float));
    double *ref = xcalloc((size_t)B * T * C, sizeof(double));
    encoder_forward(out, tok, c.wte.f, c.wpe.f, B, T, C);
    for (int bt = 0; bt < B * T; bt++)
        for (int i = 0; i < C; i++)
            ref[bt * C + i] = c.wte.d[tok[bt] * C + i] + c.wpe.d[(bt % T) * C + i];
    assert_close_fwd("encoder out", out, ref, (size_t)B * T * C);
    float *p_wte = prior_like(c.wte.n), *p_wpe = prior_like(c.wpe.n);
    float *dwte = copy_f(p_wte, c.wte.n), *dwpe = copy_f(p_wpe, c.wpe.n);
    encoder_backward(dwte, dwpe, c.w.f, tok, B, T, C);
    check_grad("dwte", enc_loss, &c, c.wte.d, c.wte.n, dwte, p_wte);
    check_grad("dwpe", enc_loss, &c, c.wpe.d, c.wpe.n, dwpe, p_wpe);
    free(out);
    free(ref);
    free(p_wte);
    free(p_wpe);
    free(dwte);
    free(dwpe);
    tensor_free(&c.wte);
    tensor_free(&c.wpe);
    tensor_free(&c.w);
}
END_TEST

/* ---- layernorm ---- */
typedef struct LnCtx {
    int N, C;
    Tensor x, weight, bias, w;
    double *out; /* (N, C) reference output */
} LnCtx;

static void ln_ref(LnCtx *c)
{
    for (int n = 0; n < c->N; n++) {
        const double *x = c->x.d + (size_t)n * c->C;
        double m = 0.0, v = 0.0;
        for (int i = 0; i < c->C; i++) m += x[i];
        m /= c->C;
        for (int i = 0; i < c->C; i++) v += (x[i] - m) * (x[i] - m);
        v /= c->C;
        double s = 1.0 / sqrt(v + 1e-5);
        for (int i = 0; i < c->C; i++)
            c->out[(size_t)n * c->C + i] = (x[i] - m) * s * c->weight.d[i] + c->bias.d[i];
    }
}

static double ln_loss(void *p)
{
    LnCtx *c = p;
    ln_ref(c);
    double L = 0.0;
    for (size_t i = 0; i < (size_t)c->N * c->C; i++) L += c->w.d[i] * c->out[i];
    return L;
}

START_TEST(test_layernorm)
{
    int N = 6, C = 13;
    size_t nx = (size_t)N * C;
    LnCtx c = {N, C, tensor_rand(nx, 2), tensor_rand(C, 1), tensor_rand(C, 1), tensor_rand(nx, 1),
               xcalloc(nx, sizeof(double))};
    for (int i = 0; i < C; i++) c.x.d[i] = c.x.f[i] = c.x.f[i] + 3.0f; /* a row off zero mean */
    float *out = xcalloc(nx, sizeof(float)), *mean = xcalloc(N, sizeof(float));
    float *rstd = xcalloc(N, sizeof(float));
    layernorm_forward(out, mean, rstd, c.x.f, c.weight.f, c.bias.f, N, C);
    ln_ref(&c);
    assert_close_fwd("layernorm out", out, c.out, nx);
    float *p_x = prior_like(nx), *p_w = prior_like(C), *p_b = prior_like(C);
    float *dx = copy_f(p_x, nx), *dw = copy_f(p_w, C), *db = copy_f(p_b, C);
    layernorm_backward(dx, dw, db, c.w.f, c.x.f, c.weight.f, mean, rstd, N, C);
    check_grad("layernorm dinp", ln_loss, &c, c.x.d, nx, dx, p_x);
    check_grad("layernorm dweight", ln_loss, &c, c.weight.d, C, dw, p_w);
    check_grad("layernorm dbias", ln_loss, &c, c.bias.d, C, db, p_b);
    free(out);
    free(mean);
    free(rstd);
    free(p_x);
    free(p_w);
    free(p_b);
    free(dx);
    free(dw);
    free(db);
    free(c.out);
    tensor_free(&c.x);
    tensor_free(&c.weight);
    tensor_free(&c.bias);
    tensor_free(&c.w);
}
END_TEST

/* ---- GELU and residual ---- */
typedef struct EwCtx {
    size_t n;
    Tensor x, y, w;
} EwCtx;

static double gelu_ref(double x)
{
    return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

static double gelu_loss(void *p)
{
    EwCtx *c = p;
    double L = 0.0;
    for (size_t i = 0; i < c->n; i++) L += c->w.d[i] * gelu_ref(c->x.d[i]);
    return L;
}

static double residual_loss(void *p)
{
    EwCtx *c = p;
    double L = 0.0;
    for (size_t i = 0; i < c->n; i++) L += c->w.d[i] * (c->x.d[i] + c->y.d[i]);
    return L;
}

START_TEST(test_gelu_residual)
{
    size_t n = 37;
    EwCtx c = {n, tensor_rand(n, 4), tensor_rand(n, 1), tensor_rand(n, 1)};
    float *out = xcalloc(n, sizeof(float));
    double *ref = xcalloc(n, sizeof(double));
    gelu_forward(out, c.x.f, n);
    for (size_t i = 0; i < n; i++) ref[i] = gelu_ref(c.x.d[i]);
    assert_close_fwd("gelu out", out, ref, n);
    float *p_x = prior_like(n), *dx = copy_f(p_x, n);
    gelu_backward(dx, c.x.f, c.w.f, n);
    check_grad("gelu dinp", gelu_loss, &c, c.x.d, n, dx, p_x);

    residual_forward(out, c.x.f, c.y.f, n);
    for (size_t i = 0; i < n; i++) ref[i] = c.x.d[i] + c.y.d[i];
    assert_close_fwd("residual out", out, ref, n);
    float *p_y = prior_like(n), *dy = copy_f(p_y, n);
    memcpy(dx, p_x, n * sizeof(float));
    residual_backward(dx, dy, c.w.f, n);
    check_grad("residual dinp1", residual_loss, &c, c.x.d, n, dx, p_x);
    check_grad("residual dinp2", residual_loss, &c, c.y.d, n, dy, p_y);
    free(out);
    free(ref);
    free(p_x);
    free(dx);
    free(p_y);
    free(dy);
    tensor_free(&c.x);
    tensor_free(&c.y);
    tensor_free(&c.w);
}
END_TEST

/* ---- attention ---- */
typedef struct AttCtx {
    int B, T, C, NH;
    Tensor qkv, w;
    double *out; /* (B, T, C) */
} AttCtx;

static void att_ref(AttCtx *c)
{
    int B = c->B, T = c->T, C = c->C, NH = c->NH, hs = C / NH;
    double *a = xcalloc(T, sizeof(double));
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < NH; h++) {
                const double *q = c->qkv.d + ((size_t)b * T + t) * 3 * C + h * hs;
                double maxv = -INFINITY, sum = 0.0;
                for (int t2 = 0; t2 <= t; t2++) {
                    const double *k = c->qkv.d + ((size_t)b * T + t2) * 3 * C + C + h * hs;
                    double s = 0.0;
                    for (int i = 0; i < hs; i++) s += q[i] * k[i];
                    a[t2] = s / sqrt((double)hs);
                    maxv = fmax(maxv, a[t2]);
                }
                for (int t2 = 0; t2 <= t; t2++) sum += (a[t2] = exp(a[t2] - maxv));
                double *o = c->out + ((size_t)b * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++) {
                    double s = 0.0;
                    for (int t2 = 0; t2 <= t; t2++) {
                        const double *v = c->qkv.d + ((size_t)b * T + t2) * 3 * C + 2 * C + h * hs;
                        s += a[t2] / sum * v[i];
                    }
                    o[i] = s;
                }
            }
    free(a);
}

static double att_loss(void *p)
{
    AttCtx *c = p;
    att_ref(c);
    double L = 0.0;
    for (size_t i = 0; i < (size_t)c->B * c->T * c->C; i++) L += c->w.d[i] * c->out[i];
    return L;
}

static void check_attention(int B, int T, int C, int NH)
{
    size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C, na = (size_t)B * NH * T * T;
    AttCtx c = {B, T, C, NH, tensor_rand(nq, 1.5), tensor_rand(no, 1), xcalloc(no, sizeof(double))};
    float *out = xcalloc(no, sizeof(float)), *att = xcalloc(na, sizeof(float));
    for (size_t i = 0; i < na; i++) att[i] = 7.0f; /* must be overwritten, zeros above diagonal */
    attention_forward(out, att, c.qkv.f, B, T, C, NH);
    att_ref(&c);
    assert_close_fwd("attention out", out, c.out, no);
    for (int r = 0; r < B * NH * T; r++) { /* rows are causal distributions */
        int t = r % T;
        double s = 0.0;
        for (int t2 = 0; t2 < T; t2++) {
            float a = att[(size_t)r * T + t2];
            if (t2 > t) ck_assert(a == 0.0f);
            else ck_assert(a > 0.0f);
            s += a;
        }
        ck_assert(fabs(s - 1.0) < 1e-5);
    }
    float *p = prior_like(nq), *dqkv = copy_f(p, nq);
    attention_backward(dqkv, c.w.f, c.qkv.f, att, B, T, C, NH);
    check_grad("attention dqkv", att_loss, &c, c.qkv.d, nq, dqkv, p);
    free(out);
    free(att);
    free(p);
    free(dqkv);
    free(c.out);
    tensor_free(&c.qkv);
    tensor_free(&c.w);
}

START_TEST(test_attention)
{
    check_attention(2, 5, 12, 3); /* hs = 4: dot-product tail only */
    check_attention(2, 7, 18, 2); /* hs = 9: one block of 8 plus a tail */
    check_attention(1, 3, 16, 1); /* one head, hs = 16 */
    check_attention(2, 9, 32, 2); /* hs = 16: the vector path of the SIMD kernels */
}
END_TEST

/* ---- softmax + cross-entropy ---- */
typedef struct CeCtx {
    int N, V, Vp;
    const int *targets;
    Tensor z, dl; /* logits (N, Vp), per-row loss weights (N) */
} CeCtx;

static double ce_loss(void *p)
{
    CeCtx *c = p;
    double L = 0.0;
    for (int n = 0; n < c->N; n++) {
        if (c->targets[n] < 0) continue;
        const double *z = c->z.d + (size_t)n * c->Vp;
        double maxv = -INFINITY, sum = 0.0;
        for (int i = 0; i < c->V; i++) maxv = fmax(maxv, z[i]);
        for (int i = 0; i < c->V; i++) sum += exp(z[i] - maxv);
        L += c->dl.d[n] * -(z[c->targets[n]] - maxv - log(sum));
    }
    return L;
}

START_TEST(test_softmax_crossentropy)
{
    int N = 6, V = 11, Vp = 16;
    int targets[6] = {0, 10, 3, -1, 7, 10}; /* -1: an ignored (masked) position */
    CeCtx c = {N, V, Vp, targets, tensor_rand((size_t)N * Vp, 3), tensor_rand(N, 1)};
    for (int n = 0; n < N; n++) /* huge padding logits: must not leak into probs */
        for (int i = V; i < Vp; i++) c.z.f[(size_t)n * Vp + i] = 1e30f;
    float *probs = xcalloc((size_t)N * Vp, sizeof(float)), *losses = xcalloc(N, sizeof(float));
    crossentropy_softmax_forward(probs, c.z.f, N, V, Vp);
    crossentropy_forward(losses, probs, targets, N, Vp);
    for (int n = 0; n < N; n++) {
        double s = 0.0;
        for (int i = 0; i < Vp; i++) {
            float pr = probs[(size_t)n * Vp + i];
            if (i >= V) ck_assert(pr == 0.0f);
            s += pr;
        }
        ck_assert(fabs(s - 1.0) < 1e-6);
        if (targets[n] < 0) {
            ck_assert(losses[n] == 0.0f);
            continue;
        }
        const double *z = c.z.d + (size_t)n * Vp;
        double maxv = -INFINITY, sum = 0.0;
        for (int i = 0; i < V; i++) maxv = fmax(maxv, z[i]);
        for (int i = 0; i < V; i++) sum += exp(z[i] - maxv);
        double ref = -(z[targets[n]] - maxv - log(sum));
        ck_assert_msg(fabs(losses[n] - ref) <= 1e-5 * fmax(1.0, ref), "loss[%d] %g vs %g", n,
                      (double)losses[n], ref);
    }
    size_t nz = (size_t)N * Vp;
    float *p = prior_like(nz), *dz = copy_f(p, nz);
    crossentropy_softmax_backward(dz, c.dl.f, probs, targets, N, V, Vp);
    for (int n = 0; n < N; n++) /* padding columns and ignored rows untouched */
        for (int i = 0; i < Vp; i++)
            if (i >= V || targets[n] < 0)
                ck_assert(dz[(size_t)n * Vp + i] == p[(size_t)n * Vp + i]);
    check_grad("crossentropy dlogits", ce_loss, &c, c.z.d, nz, dz, p);
    free(probs);
    free(losses);
    free(p);
    free(dz);
    tensor_free(&c.z);
    tensor_free(&c.dl);
}
END_TEST

/* Bitwise-equal results with 1 and 2 threads for the ops whose backward sums across rows. */
START_TEST(test_layers_thread_determinism)
{
#ifndef _OPENMP
    printf("check_layers: skipping thread determinism: built without OpenMP\n");
#else
    int B = 3, T = 37, C = 48, NH = 4, V = 7, N = B * T;
    int *tok = xcalloc(N, sizeof(int));
    for (int i = 0; i < N; i++) tok[i] = (i * 5) % V;
    Tensor x = tensor_rand((size_t)N * 3 * C, 1), d = tensor_rand((size_t)N * 3 * C, 1);
    Tensor w = tensor_rand(C, 1), wte = tensor_rand((size_t)V * C, 1);
    float *res[2][5];
    int saved = omp_get_max_threads();
    for (int th = 0; th < 2; th++) {
        omp_set_num_threads(th + 1);
        float *mean = xcalloc(N, sizeof(float)), *rstd = xcalloc(N, sizeof(float));
        float *out = xcalloc((size_t)N * C, sizeof(float));
        float *att = xcalloc((size_t)B * NH * T * T, sizeof(float));
        res[th][0] = xcalloc((size_t)N * C, sizeof(float)); /* layernorm dinp */
        res[th][1] = xcalloc(2 * (size_t)C, sizeof(float)); /* dweight | dbias */
        res[th][2] = xcalloc((size_t)N * 3 * C, sizeof(float)); /* attention dqkv */
        res[th][3] = xcalloc((size_t)V * C, sizeof(float)); /* dwte */
        res[th][4] = xcalloc((size_t)T * C, sizeof(float)); /* dwpe */
        layernorm_forward(out, mean, rstd, x.f, w.f, w.f, N, C);
        layernorm_backward(res[th][0], res[th][1], res[th][1] + C, d.f, x.f, w.f, mean, rstd, N, C);
        attention_forward(out, att, x.f, B, T, C, NH);
        attention_backward(res[th][2], d.f, x.f, att, B, T, C, NH);
        encoder_backward(res[th][3], res[th][4], d.f, tok, B, T, C);
        free(mean);
        free(rstd);
        free(out);
        free(att);
    }
    omp_set_num_threads(saved);
    size_t sizes[5] = {(size_t)N * C, 2 * (size_t)C, (size_t)N * 3 * C, (size_t)V * C,
                       (size_t)T * C};
    for (int k = 0; k < 5; k++) {
        ck_assert_msg(memcmp(res[0][k], res[1][k], sizes[k] * sizeof(float)) == 0, "result %d", k);
        free(res[0][k]);
        free(res[1][k]);
    }
    free(tok);
    tensor_free(&x);
    tensor_free(&d);
    tensor_free(&w);
    tensor_free(&wte);
#endif
}
END_TEST

Suite *suite_layers(void);
Suite *suite_layers(void)
{
    Suite *s = suite_create("layers");
    TCase *tc = tcase_create("gradients");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_encoder);
    tcase_add_test(tc, test_layernorm);
    tcase_add_test(tc, test_gelu_residual);
    tcase_add_test(tc, test_attention);
    tcase_add_test(tc, test_softmax_crossentropy);
    tcase_add_test(tc, test_layers_thread_determinism);
    suite_add_tcase(s, tc);
    return s;
}
