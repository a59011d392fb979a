/* kernels_scalar: the plain-C reference kernels (after llm.c), kept forever as the test oracle.
 * Summation order is the definition's: each output sums its products in increasing index, in
 * float, then adds the bias. OpenMP over output rows; every output has exactly one writer. */
#include "kernels.h"

#include <assert.h>
#include <math.h>

#include "layers.h"

/* out (BT, OC) = inp (BT, C) · weight (OC, C)ᵀ + bias (OC).
 * Four rows share each weight load (llm.c's LOOP_UNROLL idea); each output is still a plain
 * sequential dot product. */
static void matmul_forward_scalar(float *out, const float *inp, const float *weight,
                                  const float *bias, int BT, int C, int OC)
{
    enum { U = 4 };
    int nblocks = (BT + U - 1) / U;
    KERNELS_OMP(parallel for schedule(static))
    for (int blk = 0; blk < nblocks; blk++) {
        int bt0 = blk * U;
        int nu = BT - bt0 < U ? BT - bt0 : U;
        for (int o = 0; o < OC; o++) {
            const float *w = weight + (size_t)o * C; /* (C) */
            float s[U] = {0};
            for (int i = 0; i < C; i++)
                for (int u = 0; u < nu; u++) s[u] += inp[(size_t)(bt0 + u) * C + i] * w[i];
            for (int u = 0; u < nu; u++)
                out[(size_t)(bt0 + u) * OC + o] = bias ? s[u] + bias[o] : s[u];
        }
    }
}

/* dinp (BT, C) += dout (BT, OC) · weight (OC, C); dweight (OC, C) += dout ᵀ · inp (BT, C);
 * dbias (OC) += Σ_bt dout. Each gradient element receives its products one by one, in increasing
 * index (o for dinp, bt for dweight and dbias), straight into the accumulator (llm.c's loops:
 * row-wise axpys, cache friendly). dinp: four rows share each weight row load. */
static void matmul_backward_scalar(float *dinp, float *dweight, float *dbias, const float *dout,
                                   const float *inp, const float *weight, int BT, int C, int OC)
{
    enum { U = 4 };
    if (dinp) {
        int nblocks = (BT + U - 1) / U;
        KERNELS_OMP(parallel for schedule(static))
        for (int blk = 0; blk < nblocks; blk++) {
            int bt0 = blk * U;
            int nu = BT - bt0 < U ? BT - bt0 : U;
            for (int o = 0; o < OC; o++) {
                const float *w = weight + (size_t)o * C; /* (C) */
                for (int u = 0; u < nu; u++) {
                    float g = dout[(size_t)(bt0 + u) * OC + o];
                    float *d = dinp + (size_t)(bt0 + u) * C; /* (C) */
                    for (int i = 0; i < C; i++) d[i] += w[i] * g;
                }
            }
        }
    }
    if (dweight || dbias) {
        KERNELS_OMP(parallel for schedule(static))
        for (int o = 0; o < OC; o++) {
            for (int bt = 0; bt < BT; bt++) {
                float g = dout[(size_t)bt * OC + o];
                if (dbias) dbias[o] += g;
                if (dweight) {
                    float *dw = dweight + (size_t)o * C;   /* (C) */
                    const float *x = inp + (size_t)bt * C; /* (C) */
                    for (int i = 0; i < C; i++) dw[i] += x[i] * g;
                }
            }
        }
    }
}

#define GELU_SCALE 0.7978845608028654f /* sqrt(2 / π) */

static void gelu_forward_scalar(float *out, const float *inp, size_t n)
{
    KERNELS_OMP(parallel for schedule(static))
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_SCALE * (x + 0.044715f * x * x * x);
        out[i] = 0.5f * x * (1.0f + tanhf(u));
    }
}

/* d/dx [0.5 x (1 + tanh u)] = 0.5 (1 + tanh u) + 0.5 x sech²u · √(2/π) (1 + 3 · 0.044715 x²). */
static void gelu_backward_scalar(float *dinp, const float *inp, const float *dout, size_t n)
{
    KERNELS_OMP(parallel for schedule(static))
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_SCALE * (x + 0.044715f * x * x * x);
        float th = tanhf(u);
        float sech2 = 1.0f - th * th;
        float local = 0.5f * (1.0f + th) +
                      0.5f * x * sech2 * GELU_SCALE * (1.0f + 3.0f * 0.044715f * x * x);
        dinp[i] += local * dout[i];
    }
}

/* Causal attention (layers.h has the contract). Forward threads own (b, t, head) rows; backward
 * threads own (b, head) pairs, because dk and dv of position t2 collect from every t >= t2. Dot
 * products use 8 fixed partial sums (vectorisable without reassociation, deterministic). */
static float dot(const float *a, const float *b, int n)
{
    float s[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) s[j] += a[i + j] * b[i + j];
    float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}

/* y += alpha x, in blocks of 8 so that GCC vectorises at -O2 */
static void axpy(float *restrict y, float alpha, const float *restrict x, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) y[i + j] += alpha * x[i + j];
    for (; i < n; i++) y[i] += alpha * x[i];
}

static void attention_forward_scalar(float *out, float *att, const float *qkv, int B, int T,
                                     int C, int NH)
{
    assert(C % NH == 0);
    int hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    KERNELS_OMP(parallel for schedule(static))
    for (int idx = 0; idx < B * T * NH; idx++) {
        int b = idx / (T * NH), t = idx / NH % T, h = idx % NH;
        const float *q = qkv + ((size_t)b * T + t) * C3 + h * hs; /* (hs) */
        float *a = att + (((size_t)b * NH + h) * T + t) * T;      /* (T) */
        float *o = out + ((size_t)b * T + t) * C + h * hs;        /* (hs) */
        float maxv = -INFINITY;
        for (int t2 = 0; t2 <= t; t2++) {
            const float *k = qkv + ((size_t)b * T + t2) * C3 + C + h * hs; /* (hs) */
            a[t2] = dot(q, k, hs) * scale;
            maxv = a[t2] > maxv ? a[t2] : maxv;
        }
        float sum = 0.0f;
        for (int t2 = 0; t2 <= t; t2++) {
            a[t2] = expf(a[t2] - maxv);
            sum += a[t2];
        }
        float inv = 1.0f / sum;
        for (int t2 = 0; t2 <= t; t2++) a[t2] *= inv;
        for (int t2 = t + 1; t2 < T; t2++) a[t2] = 0.0f;
        for (int i = 0; i < hs; i++) o[i] = 0.0f;
        for (int t2 = 0; t2 <= t; t2++) {
            const float *v = qkv + ((size_t)b * T + t2) * C3 + 2 * C + h * hs; /* (hs) */
            axpy(o, a[t2], v, hs);
        }
    }
}

/* Per query row t with weights a = att[b, h, t, :]:
 *   datt[t2] = v_t2 · dout_t,   dv_t2 += a[t2] dout_t
 *   dpre[t2] = a[t2] (datt[t2] - Σ_t3 a[t3] datt[t3])          (softmax backward)
 *   dq_t += scale Σ_t2 dpre[t2] k_t2,   dk_t2 += scale dpre[t2] q_t */
static void attention_backward_scalar(float *dqkv, const float *dout, const float *qkv,
                                      const float *att, int B, int T, int C, int NH)
{
    assert(C % NH == 0 && T <= LAYERS_MAX_T);
    int hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    KERNELS_OMP(parallel for schedule(static))
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        float datt[LAYERS_MAX_T];
        for (int t = 0; t < T; t++) {
            const float *a = att + (((size_t)b * NH + h) * T + t) * T; /* (T) */
            const float *d = dout + ((size_t)b * T + t) * C + h * hs;  /* (hs) */
            const float *q = qkv + ((size_t)b * T + t) * C3 + h * hs;  /* (hs) */
            float *dq = dqkv + ((size_t)b * T + t) * C3 + h * hs;      /* (hs) */
            float s = 0.0f;
            for (int t2 = 0; t2 <= t; t2++) {
                size_t off = ((size_t)b * T + t2) * C3 + 2 * C + h * hs;
                datt[t2] = dot(qkv + off, d, hs);
                axpy(dqkv + off, a[t2], d, hs);
                s += a[t2] * datt[t2];
            }
            for (int t2 = 0; t2 <= t; t2++) {
                float dpre = a[t2] * (datt[t2] - s) * scale;
                size_t off = ((size_t)b * T + t2) * C3 + C + h * hs;
                axpy(dq, dpre, qkv + off, hs);
                axpy(dqkv + off, dpre, q, hs);
            }
        }
    }
}

static void softmax_forward_scalar(float *probs, const float *logits, int N, int V, int Vp)
{
    KERNELS_OMP(parallel for schedule(static))
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * Vp; /* (Vp) */
        float *p = probs + (size_t)n * Vp;        /* (Vp) */
        float maxv = -INFINITY;
        for (int i = 0; i < V; i++) maxv = z[i] > maxv ? z[i] : maxv;
        double sum = 0.0;
        for (int i = 0; i < V; i++) {
            p[i] = expf(z[i] - maxv);
            sum += p[i];
        }
        float inv = (float)(1.0 / sum);
        for (int i = 0; i < V; i++) p[i] *= inv;
        for (int i = V; i < Vp; i++) p[i] = 0.0f;
    }
}

static void adamw_update_scalar(float *p, const float *g, float *m, float *v, size_t n,
                                const KernelAdamW *a)
{
    float b1 = a->b1, b2 = a->b2, eps = a->eps, shrink = a->shrink, step = a->step_size;
    float bc2 = a->bc2_sqrt, scale = a->grad_scale;
    KERNELS_OMP(parallel for schedule(static))
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * scale;
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * shrink - step * mi / (sqrtf(vi) / bc2 + eps);
    }
}

const KernelSet kernels_scalar = {
    .name = "scalar",
    .matmul_forward = matmul_forward_scalar,
    .matmul_backward = matmul_backward_scalar,
    .gelu_forward = gelu_forward_scalar,
    .gelu_backward = gelu_backward_scalar,
    .softmax_forward = softmax_forward_scalar,
    .attention_forward = attention_forward_scalar,
    .attention_backward = attention_backward_scalar,
    .adamw_update = adamw_update_scalar,
};
