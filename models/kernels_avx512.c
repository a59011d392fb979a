/* kernels_avx512: AVX-512 kernels — matmuls by an 8 x 48 FMA micro-kernel under the packed driver
 * of kernels_gemm.h, and GELU with a vector exp. Compiled with AVX-512 flags: call only when
 * kernels_supported() says so. */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>

#include "kernels.h"

#define GEMM_MR 8    /* rows of A broadcast per k: 8 x 3 = 24 zmm accumulators */
#define GEMM_NR 48   /* columns of B: 3 zmm; divides 768, 2304, 3072 and their halves */
#define GEMM_KC 256  /* a (KC, NR) micro-panel of B is 48 KiB (L1/L2); K = B*T = 256: 1 block */
#define GEMM_MC 256  /* an (MC, KC) block of A is 256 KiB: stays in L2 */
#define GEMM_NC 2304 /* a (KC, NC) block of B is 2.3 MiB (L2/L3); values tuned on Sapphire Rapids */
#define GEMM_KC_WIDE_N 8192 /* for N >= this (LM head)... */
#define GEMM_KC_WIDE 1024   /* ...K up to this is one block */
#define GEMM_SUFFIX(name) name##_avx512
#include "kernels_gemm.h"

static inline void gemm_ukernel(int kc, const float *restrict a, const float *restrict b,
                                float *restrict c, ptrdiff_t ldc, int mode,
                                const float *restrict bias)
{
    for (int i = 0; i < GEMM_MR; i++) { /* C lines arrive while the k loop runs */
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 32), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 47), _MM_HINT_T0);
    }
    __m512 acc[GEMM_MR][3];
#pragma GCC unroll 8
    for (int i = 0; i < GEMM_MR; i++)
        acc[i][0] = acc[i][1] = acc[i][2] = _mm512_setzero_ps();
    for (int k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16), b2 = _mm512_load_ps(b + 32);
#pragma GCC unroll 8
        for (int i = 0; i < GEMM_MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
            acc[i][2] = _mm512_fmadd_ps(ai, b2, acc[i][2]);
        }
        a += GEMM_MR;
        b += GEMM_NR;
    }
#pragma GCC unroll 8
    for (int i = 0; i < GEMM_MR; i++) {
        float *ci = c + i * ldc;
#pragma GCC unroll 4
        for (int j = 0; j < 3; j++) {
            __m512 v = acc[i][j];
            if (mode == GEMM_ACC) v = _mm512_add_ps(_mm512_loadu_ps(ci + 16 * j), v);
            else if (mode == GEMM_SET_BIAS) v = _mm512_add_ps(v, _mm512_loadu_ps(bias + 16 * j));
            _mm512_storeu_ps(ci + 16 * j, v);
        }
    }
}

/* exp(x) for x in [-87, 88] (clamped): Cephes' expf — n = round(x log2 e), r = x - n ln 2 in two
 * parts, e^r by a degree-5 polynomial (~1 ulp), then 2^n by scalef. */
static inline __m512 exp_avx512(__m512 x)
{
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

/* tanh u = 1 - 2 / (e^{2u} + 1), u clamped to [-9, 9] (tanh 9 rounds to 1): absolute error
 * ~1e-7, which is what GELU = 0.5 x (1 + tanh u) needs. */
static inline __m512 tanh_avx512(__m512 u)
{
    u = _mm512_min_ps(_mm512_max_ps(u, _mm512_set1_ps(-9.0f)), _mm512_set1_ps(9.0f));
    __m512 e = exp_avx512(_mm512_add_ps(u, u));
    __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
}

#define GELU_SCALE 0.7978845608028654f /* sqrt(2 / π) */

static void gelu_forward_avx512(float *out, const float *inp, size_t n)
{
    long long nv = (long long)((n + 15) / 16);
    KERNELS_OMP(parallel for schedule(static) if (nv > 1024)) /* small (decoding): serial */
    for (long long v = 0; v < nv; v++) {
        size_t i = (size_t)v * 16;
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(k, inp + i);
        __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
        __m512 u = _mm512_mul_ps(_mm512_set1_ps(GELU_SCALE),
                                 _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), x3, x));
        __m512 th = tanh_avx512(u);
        __m512 y = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x),
                                 _mm512_add_ps(_mm512_set1_ps(1.0f), th));
        _mm512_mask_storeu_ps(out + i, k, y);
    }
}

static void gelu_backward_avx512(float *dinp, const float *inp, const float *dout, size_t n)
{
    long long nv = (long long)((n + 15) / 16);
    KERNELS_OMP(parallel for schedule(static))
    for (long long v = 0; v < nv; v++) {
        size_t i = (size_t)v * 16;
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(k, inp + i);
        __m512 x2 = _mm512_mul_ps(x, x), x3 = _mm512_mul_ps(x2, x);
        __m512 u = _mm512_mul_ps(_mm512_set1_ps(GELU_SCALE),
                                 _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), x3, x));
        __m512 th = tanh_avx512(u), one = _mm512_set1_ps(1.0f), half = _mm512_set1_ps(0.5f);
        __m512 sech2 = _mm512_fnmadd_ps(th, th, one);
        __m512 du = _mm512_mul_ps(_mm512_set1_ps(GELU_SCALE),
                                  _mm512_fmadd_ps(_mm512_set1_ps(3.0f * 0.044715f), x2, one));
        __m512 local = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_mul_ps(half, x), sech2), du,
                                       _mm512_mul_ps(half, _mm512_add_ps(one, th)));
        __m512 d = _mm512_maskz_loadu_ps(k, dinp + i);
        d = _mm512_fmadd_ps(local, _mm512_maskz_loadu_ps(k, dout + i), d);
        _mm512_mask_storeu_ps(dinp + i, k, d);
    }
}

/* Attention (kernels_attention.h) on 16 lanes. */
typedef __m512 AttVec;
#define ATT_VW 16
#define ATT_LOAD(p) _mm512_loadu_ps(p)
#define ATT_STORE(p, v) _mm512_storeu_ps(p, v)
#define ATT_SET1(x) _mm512_set1_ps(x)
#define ATT_ZERO() _mm512_setzero_ps()
#define ATT_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define ATT_ADD(a, b) _mm512_add_ps(a, b)
#define ATT_SUB(a, b) _mm512_sub_ps(a, b)
#define ATT_MUL(a, b) _mm512_mul_ps(a, b)
#define ATT_EXP(v) exp_avx512(v)
#define ATT_HSUM(v) _mm512_reduce_add_ps(v)
#define ATT_MAX(a, b) _mm512_max_ps(a, b)
#define ATT_HMAX(v) _mm512_reduce_max_ps(v)
#define ATT_SUFFIX(name) name##_avx512
#include "kernels_attention.h"

/* Softmax rows: vector max, exp with a double-precision sum, scale; masked tails. */
static void softmax_forward_avx512(float *probs, const float *logits, int N, int V, int Vp)
{
    KERNELS_OMP(parallel for schedule(static))
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * Vp; /* (Vp) */
        float *p = probs + (size_t)n * Vp;        /* (Vp) */
        __m512 mx = _mm512_set1_ps(-INFINITY);
        for (int i = 0; i < V; i += 16) {
            __mmask16 k = V - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (V - i)) - 1);
            mx = _mm512_mask_max_ps(mx, k, mx, _mm512_maskz_loadu_ps(k, z + i));
        }
        __m512 maxv = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
        __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
        for (int i = 0; i < V; i += 16) {
            __mmask16 k = V - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (V - i)) - 1);
            __m512 e = exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, z + i), maxv));
            e = _mm512_maskz_mov_ps(k, e);
            _mm512_mask_storeu_ps(p + i, k, e);
            s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
            s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1)));
        }
        __m512 inv = _mm512_set1_ps((float)(1.0 / _mm512_reduce_add_pd(_mm512_add_pd(s0, s1))));
        for (int i = 0; i < V; i += 16) {
            __mmask16 k = V - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (V - i)) - 1);
            _mm512_mask_storeu_ps(p + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, p + i), inv));
        }
        for (int i = V; i < Vp; i++) p[i] = 0.0f;
    }
}

/* AdamW, 16 lanes at a time (masked tail): the scalar formula with FMAs and a vector sqrt. */
static void adamw_update_avx512(float *p, const float *g, float *m, float *v, size_t n,
                                const KernelAdamW *a)
{
    long long nv = (long long)((n + 15) / 16);
    KERNELS_OMP(parallel for schedule(static))
    for (long long j = 0; j < nv; j++) {
        size_t i = (size_t)j * 16;
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 gi = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, g + i), _mm512_set1_ps(a->grad_scale));
        __m512 mi = _mm512_fmadd_ps(_mm512_set1_ps(a->b1), _mm512_maskz_loadu_ps(k, m + i),
                                    _mm512_mul_ps(_mm512_set1_ps(1.0f - a->b1), gi));
        __m512 vi = _mm512_fmadd_ps(_mm512_set1_ps(a->b2), _mm512_maskz_loadu_ps(k, v + i),
                                    _mm512_mul_ps(_mm512_set1_ps(1.0f - a->b2),
                                                  _mm512_mul_ps(gi, gi)));
        __m512 den = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), _mm512_set1_ps(a->bc2_sqrt)),
                                   _mm512_set1_ps(a->eps));
        __m512 upd = _mm512_div_ps(_mm512_mul_ps(_mm512_set1_ps(a->step_size), mi), den);
        __m512 pi = _mm512_fmsub_ps(_mm512_maskz_loadu_ps(k, p + i), _mm512_set1_ps(a->shrink),
                                    upd);
        _mm512_mask_storeu_ps(m + i, k, mi);
        _mm512_mask_storeu_ps(v + i, k, vi);
        _mm512_mask_storeu_ps(p + i, k, pi);
    }
}

const KernelSet kernels_avx512 = {
    .name = "avx512",
    .matmul_forward = matmul_forward_avx512,
    .matmul_forward_packed = matmul_forward_packed_avx512,
    .matmul_forward_bf16 = matmul_forward_bf16_avx512,
    .matmul_backward = matmul_backward_avx512,
    .gelu_forward = gelu_forward_avx512,
    .gelu_backward = gelu_backward_avx512,
    .softmax_forward = softmax_forward_avx512,
    .attention_forward = attention_forward_avx512,
    .attention_backward = attention_backward_avx512,
    .adamw_update = adamw_update_avx512,
};
