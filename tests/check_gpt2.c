/* check_gpt2: the model — the 124M parameter count, config and input validation, padding that
 * never leaks, a whole-model gradient check (directional finite differences per tensor on a micro
 * config), thread-count determinism, every kernel variant against the scalar one, and (when
 * python3 with torch is installed) a float64 torch oracle via tests/oracles/gpt2_oracle.py. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "gpt2.h"
#include "kernels.h"
#include "xalloc.h"

static const Gpt2Config micro = {
    .max_seq_len = 8, .vocab_size = 37, .num_layers = 2, .num_heads = 2, .channels = 16};

static unsigned lcg = 99u;
static double urand(void) /* uniform in [-1, 1) */
{
    lcg = lcg * 1664525u + 1013904223u;
    return (lcg >> 8) * (2.0 / 16777216.0) - 1.0;
}

/* A micro model with random init plus random biases and LayerNorm parameters (so that none of
 * the gradient formulas is hidden behind a zero or a one); weights scaled by 10 so that
 * activations are O(1) and every nonlinearity is exercised beyond its linear range. */
static Gpt2 *micro_model(int B, int T, uint64_t seed)
{
    Gpt2 *m;
    ck_assert_int_eq(gpt2_alloc(&m, &micro, B, T), ERR_OK);
    gpt2_init_random(m, seed);
    lcg = (unsigned)seed; /* the same seed gives the same model */
    for (int i = 0; i < gpt2_tensor_count(); i++) {
        Gpt2Tensor t = gpt2_tensor(m, i);
        for (size_t j = 0; j < t.numel; j++) {
            float *x = m->param_memory + t.offset + j;
            *x = t.decay ? 10.0f * *x : *x + 0.1f * (float)urand();
        }
    }
    return m;
}

static void micro_batch(int *tok, int *tgt, int B, int T)
{
    for (int i = 0; i < B * T; i++) {
        tok[i] = (i * 7 + 3) % micro.vocab_size;
        tgt[i] = (i * 11 + 5) % micro.vocab_size;
    }
    tgt[1] = -1; /* one ignored position */
}

START_TEST(test_param_count_124m)
{
    Gpt2Config c = gpt2_config_124m();
    ck_assert_int_eq(gpt2_config_check(&c), ERR_OK);
    ck_assert_uint_eq(gpt2_config_num_params(&c), 124439808u);
}
END_TEST

/* The memory estimate behind the refusal of configs larger than the machine (cmd_gpt2,
 * experiment), against hand-computed values for GPT-2 124M (L 12, C 768, NH 12, V 50257 padded
 * to 50304) at B 4 x T 64, and against a model actually allocated. */
START_TEST(test_memory_estimate_124m)
{
    Gpt2Config c = gpt2_config_124m();
    Gpt2Memory mem = gpt2_memory(&c, 4, 64, 1);
    /* weights: 124,439,808 parameters + (50304 - 50257) x 768 padding rows = 124,475,904 floats */
    ck_assert(mem.params == 4.0 * 124475904.0);
    ck_assert(mem.grads == 4.0 * 124475904.0);
    ck_assert(mem.moments == 8.0 * 124475904.0); /* AdamW m and v */
    /* activations, N = B T = 256 (every size a multiple of 16: no alignment padding):
     * N C (2 + 16 L) + 4 L N + L B NH T^2 + 2 N Vp + 3 N = 38,141,952 + 12,288 + 2,359,296
     * + 25,755,648 + 768 = 66,269,952 floats; their gradients 14 N C + N = 2,752,768 floats;
     * tokens and targets 2 N ints */
    double acts = 4.0 * (66269952.0 + 2752768.0) + 8.0 * 256;
    ck_assert_msg(mem.acts == acts, "acts %.17g, expected %.17g", mem.acts, acts);
    ck_assert(mem.total == mem.params + mem.grads + mem.moments + mem.acts);
    ck_assert(gpt2_memory(&c, 4, 64, 0).moments == 0);
    /* a small model as gpt2_alloc lays it out */
    Gpt2Config t = {.max_seq_len = 32, .vocab_size = 300, .num_layers = 2, .num_heads = 2,
                    .channels = 16};
    Gpt2 *m;
    ck_assert_int_eq(gpt2_alloc(&m, &t, 3, 7), ERR_OK);
    ck_assert(gpt2_memory(&t, 3, 7, 0).params == 4.0 * (double)m->num_params);
    gpt2_free(m);
}
END_TEST

START_TEST(test_config_errors)
{
    Gpt2Config c = micro;
    c.num_heads = 3; /* 16 % 3 != 0 */
    ck_assert_int_eq(gpt2_config_check(&c), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "num_heads"));
    c = micro;
    c.vocab_size = 0;
    ck_assert_int_eq(gpt2_config_check(&c), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "vocab_size"));
    c = micro;
    c.num_layers = -2;
    Gpt2 *m = (Gpt2 *)&c; /* must be reset to NULL */
    ck_assert_int_eq(gpt2_alloc(&m, &c, 1, 1), ERR_INVAL);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(gpt2_alloc(&m, &micro, 1, 9), ERR_INVAL); /* T > max_seq_len */
    gpt2_free(NULL);
}
END_TEST

START_TEST(test_forward_input_errors)
{
    Gpt2 *m = micro_model(2, 4, 1);
    int tok[8] = {0, 1, 2, 3, 4, 5, 6, 36}, tgt[8] = {1, 2, 3, 4, 5, 6, 7, -1};
    float loss;
    ck_assert_int_eq(gpt2_forward(m, tok, tgt, 2, 4, &loss), ERR_OK);
    ck_assert(isfinite(loss));
    tok[3] = 37; /* == V */
    ck_assert_int_eq(gpt2_forward(m, tok, tgt, 2, 4, &loss), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "token 37"));
    ck_assert(isnan(loss));
    ck_assert_int_eq(gpt2_backward(m, 1.0f), ERR_INVAL); /* the failed forward left no targets */
    tok[3] = 3;
    tgt[0] = -2;
    ck_assert_int_eq(gpt2_forward(m, tok, tgt, 2, 4, &loss), ERR_INVAL);
    ck_assert_int_eq(gpt2_forward(m, tok, tgt, 3, 4, &loss), ERR_INVAL); /* B > allocated */
    ck_assert_int_eq(gpt2_forward(m, tok, NULL, 2, 4, &loss), ERR_OK);
    ck_assert(isnan(loss));
    ck_assert_int_eq(gpt2_backward(m, 1.0f), ERR_INVAL);
    gpt2_free(m);
}
END_TEST

/* Padding: probs of padded columns are 0 whatever the padded rows of wte hold; padded rows of the
 * wte gradient stay 0. */
START_TEST(test_padding_never_leaks)
{
    Gpt2 *m = micro_model(2, 5, 2);
    ck_assert_int_eq(m->Vp, 64);
    int V = micro.vocab_size, C = micro.channels;
    for (int r = V; r < m->Vp; r++) /* garbage in the padded rows */
        for (int i = 0; i < C; i++) m->params.wte[(size_t)r * C + i] = 50.0f;
    int tok[10], tgt[10];
    micro_batch(tok, tgt, 2, 5);
    float loss;
    ck_assert_int_eq(gpt2_forward(m, tok, tgt, 2, 5, &loss), ERR_OK);
    for (int n = 0; n < 10; n++) {
        double s = 0.0;
        for (int i = 0; i < m->Vp; i++) {
            float p = m->acts.probs[(size_t)n * m->Vp + i];
            if (i >= V) ck_assert(p == 0.0f);
            s += p;
        }
        ck_assert(fabs(s - 1.0) < 1e-5);
    }
    gpt2_zero_grad(m);
    ck_assert_int_eq(gpt2_backward(m, 1.0f), ERR_OK);
    for (size_t j = (size_t)V * C; j < (size_t)m->Vp * C; j++) ck_assert(m->grads.wte[j] == 0.0f);
    gpt2_free(m);
}
END_TEST

static double model_loss(Gpt2 *m, const int *tok, const int *tgt, int B, int T)
{
    float loss;
    ck_assert_int_eq(gpt2_forward(m, tok, tgt, B, T, &loss), ERR_OK);
    return loss;
}

/* Whole-model gradient check. For every parameter tensor, along a direction v (unit norm within
 * that tensor, zero elsewhere) mixing the analytic gradient's direction with noise, compare
 * g·v with a 4-point central difference of the float loss, which has truncation error O(h^4)
 * and rounding noise ~ 1e-7 / h. h = 1e-2 keeps both below 1e-4, against |g·v| of order 0.01-1;
 * we demand 2% relative agreement — a dropped or mis-scaled term in any backward is far off. */
START_TEST(test_whole_model_gradient)
{
    int B = 2, T = 5;
    Gpt2 *m = micro_model(B, T, 3);
    int tok[10], tgt[10];
    micro_batch(tok, tgt, B, T);
    float loss0;
    ck_assert_int_eq(gpt2_forward(m, tok, tgt, B, T, &loss0), ERR_OK);
    gpt2_zero_grad(m);
    ck_assert_int_eq(gpt2_backward(m, 1.0f), ERR_OK);
    for (int it = 0; it < gpt2_tensor_count(); it++) {
        Gpt2Tensor t = gpt2_tensor(m, it);
        size_t n = t.numel;
        float *x = m->param_memory + t.offset, *g = m->grad_memory + t.offset;
        double *v = xcalloc(n, sizeof(double)), gn = 0.0, rn = 0.0;
        float *x0 = xcalloc(n, sizeof(float));
        memcpy(x0, x, n * sizeof(float));
        for (size_t j = 0; j < n; j++) gn += (double)g[j] * g[j];
        gn = sqrt(gn);
        ck_assert_msg(gn > 1e-6, "%s: zero gradient", t.name);
        double *r = xcalloc(n, sizeof(double));
        for (size_t j = 0; j < n; j++) {
            r[j] = urand();
            rn += r[j] * r[j];
        }
        rn = sqrt(rn);
        double vn = 0.0, gv = 0.0;
        for (size_t j = 0; j < n; j++) {
            v[j] = g[j] / gn + 0.7 * r[j] / rn;
            vn += v[j] * v[j];
        }
        vn = sqrt(vn);
        for (size_t j = 0; j < n; j++) gv += g[j] * (v[j] /= vn);
        double h = 1e-2, Lh[4], steps[4] = {-2, -1, 1, 2};
        for (int s = 0; s < 4; s++) {
            for (size_t j = 0; j < n; j++) x[j] = (float)(x0[j] + steps[s] * h * v[j]);
            Lh[s] = model_loss(m, tok, tgt, B, T);
        }
        memcpy(x, x0, n * sizeof(float));
        double fd = (8.0 * (Lh[2] - Lh[1]) - (Lh[3] - Lh[0])) / (12.0 * h);
        ck_assert_msg(fabs(fd - gv) <= 0.02 * fabs(gv) + 1e-4,
                      "%s: analytic g.v = %.6g, finite difference %.6g", t.name, gv, fd);
        free(v);
        free(r);
        free(x0);
    }
    gpt2_free(m);
}
END_TEST

/* Gradient accumulation: two backwards with scale 1/2 equal one with scale 1; and the gradient
 * of a batch where everything is ignored is zero. */
START_TEST(test_backward_accumulates)
{
    Gpt2 *m = micro_model(2, 5, 4);
    int tok[10], tgt[10];
    micro_batch(tok, tgt, 2, 5);
    size_t n = m->num_params;
    ck_assert_int_eq(gpt2_forward(m, tok, tgt, 2, 5, NULL), ERR_OK);
    gpt2_zero_grad(m);
    ck_assert_int_eq(gpt2_backward(m, 1.0f), ERR_OK);
    float *once = xcalloc(n, sizeof(float));
    memcpy(once, m->grad_memory, n * sizeof(float));
    gpt2_zero_grad(m);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(gpt2_forward(m, tok, tgt, 2, 5, NULL), ERR_OK);
        ck_assert_int_eq(gpt2_backward(m, 0.5f), ERR_OK);
    }
    double maxg = 0.0;
    for (size_t j = 0; j < n; j++) maxg = fmax(maxg, fabs(once[j]));
    for (size_t j = 0; j < n; j++)
        ck_assert(fabs(m->grad_memory[j] - once[j]) <= 1e-5 * maxg);
    int none[10];
    for (int i = 0; i < 10; i++) none[i] = -1;
    float loss;
    ck_assert_int_eq(gpt2_forward(m, tok, none, 2, 5, &loss), ERR_OK);
    ck_assert(isnan(loss));
    gpt2_zero_grad(m);
    ck_assert_int_eq(gpt2_backward(m, 1.0f), ERR_OK);
    for (size_t j = 0; j < n; j++) ck_assert(m->grad_memory[j] == 0.0f);
    free(once);
    gpt2_free(m);
}
END_TEST

/* Loss and gradients bitwise equal for 1 and 2 threads, and within rounding across variants. */
START_TEST(test_threads_and_variants)
{
    int B = 3, T = 7;
    int tok[21], tgt[21];
    micro_batch(tok, tgt, B, T);
    const char *names[3] = {"scalar", "avx2", "avx512"};
    float *ref = NULL, loss_ref = 0.0f;
    const KernelSet *saved = kernels_get();
    for (int v = 0; v < 3; v++) {
        if (!kernels_supported(kernels_find(names[v]))) {
            printf("check_gpt2: skipping '%s': this CPU lacks the instructions\n", names[v]);
            continue;
        }
        ck_assert_int_eq(kernels_set(names[v]), ERR_OK);
        float *g[2] = {NULL, NULL}, loss[2];
        size_t n = 0;
        for (int th = 1; th <= 2; th++) {
#ifdef _OPENMP
            int saved_threads = omp_get_max_threads();
            omp_set_num_threads(th);
#endif
            Gpt2 *m = micro_model(B, T, 5);
            n = m->num_params;
            ck_assert_int_eq(gpt2_forward(m, tok, tgt, B, T, &loss[th - 1]), ERR_OK);
            gpt2_zero_grad(m);
            ck_assert_int_eq(gpt2_backward(m, 1.0f), ERR_OK);
            g[th - 1] = xcalloc(n, sizeof(float));
            memcpy(g[th - 1], m->grad_memory, n * sizeof(float));
            gpt2_free(m);
#ifdef _OPENMP
            omp_set_num_threads(saved_threads);
#endif
        }
        ck_assert(loss[0] == loss[1]);
        ck_assert(memcmp(g[0], g[1], n * sizeof(float)) == 0);
        if (!ref) {
            ref = g[0];
            loss_ref = loss[0];
        } else {
            double maxg = 0.0;
            for (size_t j = 0; j < n; j++) maxg = fmax(maxg, fabs(ref[j]));
            ck_assert(fabsf(loss[0] - loss_ref) <= 1e-5f * loss_ref);
            for (size_t j = 0; j < n; j++)
                ck_assert_msg(fabs(g[0][j] - ref[j]) <= 1e-4 * maxg, "%s grad[%zu] %g vs %g",
                              names[v], j, (double)g[0][j], (double)ref[j]);
            free(g[0]);
        }
        free(g[1]);
    }
    free(ref);
    ck_assert_int_eq(kernels_set(saved->name), ERR_OK);
}
END_TEST

/* ---- torch oracle (dev-time): skipped when no python3 with torch is found ---- */
static const char *find_torch_python(void)
{
    static const char *cands[] = {"python3", "/usr/bin/python3"};
    for (size_t i = 0; i < 2; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "%s -c 'import torch' >/dev/null 2>&1", cands[i]);
        if (system(cmd) == 0) return cands[i];
    }
    return NULL;
}

static const char *oracle_script(void)
{
    static const char *cands[] = {"tests/oracles/gpt2_oracle.py",
                                  "../tests/oracles/gpt2_oracle.py"};
    for (size_t i = 0; i < 2; i++)
        if (access(cands[i], R_OK) == 0) return cands[i];
    return NULL;
}

/* The oracle file: int32 header {L, C, NH, V, maxT, B, T}, int32 tokens and targets (B*T each),
 * then each parameter tensor in gpt2_tensor order (stored shapes, float32). The script answers
 * with float64 loss then float64 gradients in the same order. */
START_TEST(test_torch_oracle)
{
    const char *py = find_torch_python(), *script = oracle_script();
    if (!py || !script) {
        printf("check_gpt2: skipping the torch oracle: %s\n",
               !script ? "tests/oracles/gpt2_oracle.py not found" : "no python3 with torch");
        return;
    }
    int B = 2, T = 6;
    Gpt2 *m = micro_model(B, T, 6);
    int tok[12], tgt[12];
    micro_batch(tok, tgt, B, T);
    char in[] = "/tmp/biasamp_oracle_in_XXXXXX", out[64];
    int fd = mkstemp(in);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "wb");
    int hdr[7] = {micro.num_layers, micro.channels, micro.num_heads, micro.vocab_size,
                  micro.max_seq_len, B, T};
    fwrite(hdr, sizeof hdr, 1, f);
    fwrite(tok, sizeof tok, 1, f);
    fwrite(tgt, sizeof tgt, 1, f);
    for (int i = 0; i < gpt2_tensor_count(); i++) {
        Gpt2Tensor t = gpt2_tensor(m, i);
        fwrite(m->param_memory + t.offset, sizeof(float), t.numel, f);
    }
    fclose(f);
    snprintf(out, sizeof out, "%s.out", in);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s %s %s %s", py, script, in, out);
    ck_assert_msg(system(cmd) == 0, "oracle failed: %s", cmd);
    float loss;
    ck_assert_int_eq(gpt2_forward(m, tok, tgt, B, T, &loss), ERR_OK);
    gpt2_zero_grad(m);
    ck_assert_int_eq(gpt2_backward(m, 1.0f), ERR_OK);
    f = fopen(out, "rb");
    ck_assert_ptr_nonnull(f);
    double tl;
    ck_assert_int_eq(fread(&tl, sizeof tl, 1, f), 1);
    /* float32 forward vs float64 truth: 1e-5 relative is ~100 ulps of accumulated rounding */
    ck_assert_msg(fabs(loss - tl) <= 1e-5 * fabs(tl), "loss %.9g vs torch %.9g", loss, tl);
    for (int i = 0; i < gpt2_tensor_count(); i++) {
        Gpt2Tensor t = gpt2_tensor(m, i);
        double *tg = xcalloc(t.numel, sizeof(double)), scale = 0.0;
        ck_assert_int_eq(fread(tg, sizeof(double), t.numel, f), t.numel);
        for (size_t j = 0; j < t.numel; j++) scale = fmax(scale, fabs(tg[j]));
        for (size_t j = 0; j < t.numel; j++) {
            double gj = m->grad_memory[t.offset + j];
            ck_assert_msg(fabs(gj - tg[j]) <= 1e-4 * scale + 1e-7, "%s[%zu]: %.9g vs torch %.9g",
                          t.name, j, gj, tg[j]);
        }
        free(tg);
    }
    fclose(f);
    unlink(in);
    unlink(out);
    gpt2_free(m);
}
END_TEST

Suite *suite_gpt2(void);
Suite *suite_gpt2(void)
{
    Suite *s = suite_create("gpt2");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_param_count_124m);
    tcase_add_test(tc, test_memory_estimate_124m);
    tcase_add_test(tc, test_config_errors);
    tcase_add_test(tc, test_forward_input_errors);
    tcase_add_test(tc, test_padding_never_leaks);
    tcase_add_test(tc, test_whole_model_gradient);
    tcase_add_test(tc, test_backward_accumulates);
    tcase_add_test(tc, test_threads_and_variants);
    tcase_add_test(tc, test_torch_oracle);
    suite_add_tcase(s, tc);
    return s;
}
