/* layers_attention: causal multi-head self-attention, forward and backward (after llm.c).
 * Forward threads own (b, t, head) rows; backward threads own (b, head) pairs, because dk and dv
 * of position t2 collect from every t >= t2. Dot products use 8 fixed partial sums (vectorisable
 * without reassociation, deterministic). */
#include <assert.h>
#include <math.h>

#include "kernels.h"
#include "layers.h"

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

void attention_forward(float *out, float *att, const float *qkv, int B, int T, int C, int NH)
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
void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att, int B,
                        int T, int C, int NH)
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
