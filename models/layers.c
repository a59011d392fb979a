/* layers: encoder, layernorm, residual and cross-entropy, forward and backward; GELU, softmax and
 * attention dispatch to the kernel sets (kernels.h), where their scalar references live.
 * Formulas and loop shapes after llm.c's train_gpt2.c; every output element has one writer
 * thread, and sums over rows run in row order, so results do not depend on the thread count. */
#include "layers.h"

#include <math.h>

#include "kernels.h"

/* Channel chunk owned by one thread in the column-parallel row sums (one cache line). */
enum { LAYERS_CHUNK = 16 };
enum { LAYERS_SERIAL_MAX = 16384 }; /* elementwise loops this short run on the calling thread */

static int min_int(int a, int b) { return a < b ? a : b; }

/* y += alpha x, in blocks of 8 so that GCC vectorises it at -O2 */
static void axpy(float *restrict y, float alpha, const float *restrict x, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) y[i + j] += alpha * x[i + j];
    for (; i < n; i++) y[i] += alpha * x[i];
}

void encoder_forward(float *out, const int *tokens, const float *wte, const float *wpe, int B,
                     int T, int C)
{
    KERNELS_OMP(parallel for schedule(static))
    for (int bt = 0; bt < B * T; bt++) {
        float *o = out + (size_t)bt * C;                     /* (C) */
        const float *we = wte + (size_t)tokens[bt] * C;      /* (C) */
        const float *pe = wpe + (size_t)(bt % T) * C;        /* (C) */
        for (int i = 0; i < C; i++) o[i] = we[i] + pe[i];
    }
}

void encoder_backward(float *dwte, float *dwpe, const float *dout, const int *tokens, int B, int T,
                      int C)
{
    int nchunks = (C + LAYERS_CHUNK - 1) / LAYERS_CHUNK;
    KERNELS_OMP(parallel for schedule(static))
    for (int ch = 0; ch < nchunks; ch++) {
        int c0 = ch * LAYERS_CHUNK, c1 = min_int(C, c0 + LAYERS_CHUNK);
        for (int bt = 0; bt < B * T; bt++) {
            const float *d = dout + (size_t)bt * C;          /* (C) */
            float *dwe = dwte + (size_t)tokens[bt] * C;      /* (C) */
            float *dpe = dwpe + (size_t)(bt % T) * C;        /* (C) */
            for (int i = c0; i < c1; i++) {
                dwe[i] += d[i];
                dpe[i] += d[i];
            }
        }
    }
}

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                       const float *bias, int N, int C)
{
    const float eps = 1e-5f;
    KERNELS_OMP(parallel for schedule(static) if (N > 1)) /* one row (decoding): no team */
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C; /* (C) */
        float *o = out + (size_t)n * C;       /* (C) */
        float m = 0.0f;
        for (int i = 0; i < C; i++) m += x[i];
        m /= C;
        float v = 0.0f;
        for (int i = 0; i < C; i++) {
            float d = x[i] - m;
            v += d * d;
        }
        v /= C;
        float s = 1.0f / sqrtf(v + eps);
        for (int i = 0; i < C; i++) o[i] = (x[i] - m) * s * weight[i] + bias[i];
        mean[n] = m;
        rstd[n] = s;
    }
}

/* With norm = (x - mean) rstd and g = dout · weight (per channel):
 *   dinp = rstd (g - mean_C(g) - norm mean_C(g norm)),  dweight = Σ_n dout norm,  dbias = Σ_n dout.
 * Pass 1 owns rows (dinp); pass 2 owns channel chunks and sums every row (dweight, dbias). */
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean, const float *rstd,
                        int N, int C)
{
    KERNELS_OMP(parallel for schedule(static))
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C; /* (C) */
        float *di = dinp + (size_t)n * C;                                 /* (C) */
        float m = mean[n], s = rstd[n];
        float g_mean = 0.0f, gn_mean = 0.0f;
        for (int i = 0; i < C; i++) {
            float g = d[i] * weight[i];
            g_mean += g;
            gn_mean += g * (x[i] - m) * s;
        }
        g_mean /= C;
        gn_mean /= C;
        for (int i = 0; i < C; i++) {
            float norm = (x[i] - m) * s;
            di[i] += (d[i] * weight[i] - g_mean - norm * gn_mean) * s;
        }
    }
    int nchunks = (C + LAYERS_CHUNK - 1) / LAYERS_CHUNK;
    KERNELS_OMP(parallel for schedule(static))
    for (int ch = 0; ch < nchunks; ch++) {
        int c0 = ch * LAYERS_CHUNK, c1 = min_int(C, c0 + LAYERS_CHUNK);
        float dw[LAYERS_CHUNK] = {0}, db[LAYERS_CHUNK] = {0};
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C; /* (C) */
            float m = mean[n], s = rstd[n];
            for (int i = c0; i < c1; i++) {
                dw[i - c0] += d[i] * ((x[i] - m) * s);
                db[i - c0] += d[i];
            }
        }
        for (int i = c0; i < c1; i++) {
            dweight[i] += dw[i - c0];
            dbias[i] += db[i - c0];
        }
    }
}

/* GELU lives in the kernel sets: tanh is the costly part of the MLP's elementwise work. */
void gelu_forward(float *out, const float *inp, size_t n)
{
    kernels_get()->gelu_forward(out, inp, n);
}

void gelu_backward(float *dinp, const float *inp, const float *dout, size_t n)
{
    kernels_get()->gelu_backward(dinp, inp, dout, n);
}

void residual_forward(float *out, const float *inp1, const float *inp2, size_t n)
{
    KERNELS_OMP(parallel for schedule(static) if (n > LAYERS_SERIAL_MAX))
    for (size_t i = 0; i < n; i++) out[i] = inp1[i] + inp2[i];
}

void residual_backward(float *dinp1, float *dinp2, const float *dout, size_t n)
{
    KERNELS_OMP(parallel for schedule(static))
    for (size_t i = 0; i < n; i++) {
        dinp1[i] += dout[i];
        dinp2[i] += dout[i];
    }
}

/* In the kernel sets: the exps over the vocabulary are the costly part. */
void crossentropy_softmax_forward(float *probs, const float *logits, int N, int V, int Vp)
{
    kernels_get()->softmax_forward(probs, logits, N, V, Vp);
}

void crossentropy_forward(float *losses, const float *probs, const int *targets, int N, int Vp)
{
    KERNELS_OMP(parallel for schedule(static))
    for (int n = 0; n < N; n++)
        losses[n] = targets[n] < 0 ? 0.0f : -logf(probs[(size_t)n * Vp + targets[n]]);
}

void crossentropy_softmax_backward(float *dlogits, const float *dlosses, const float *probs,
                                   const int *targets, int N, int V, int Vp)
{
    KERNELS_OMP(parallel for schedule(static))
    for (int n = 0; n < N; n++) {
        if (targets[n] < 0) continue;
        float *dz = dlogits + (size_t)n * Vp;     /* (Vp) */
        axpy(dz, dlosses[n], probs + (size_t)n * Vp, V);
        dz[targets[n]] -= dlosses[n]; /* the one-hot term */
    }
}

/* Attention lives in the kernel sets (vectorised across positions in the SIMD variants). */
void attention_forward(float *out, float *att, const float *qkv, int B, int T, int C, int NH)
{
    kernels_get()->attention_forward(out, att, qkv, B, T, C, NH);
}

void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att, int B,
                        int T, int C, int NH)
{
    kernels_get()->attention_backward(dqkv, dout, qkv, att, B, T, C, NH);
}
