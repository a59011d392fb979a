/* kernels_avx2: AVX2+FMA kernels — matmuls by a 6 x 16 FMA micro-kernel (12 ymm accumulators of
 * the 16) under the packed driver of kernels_gemm.h, and GELU with a vector exp. Call only when
 * kernels_supported() says so. */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>

#include "kernels.h"

#define GEMM_MR 6    /* rows of A broadcast per k */
#define GEMM_NR 16   /* columns of B: 2 ymm */
#define GEMM_KC 256  /* a (KC, NR) micro-panel of B is 16 KiB: stays in a 32 KiB L1 */
#define GEMM_MC 264  /* an (MC, KC) block of A is 264 KiB: stays in L2; multiple of MR */
#define GEMM_NC 2304 /* a (KC, NC) block of B is 2.3 MiB */
#define GEMM_SUFFIX(name) name##_avx2
#include "kernels_gemm.h"

static inline void gemm_ukernel(int kc, const float *restrict a, const float *restrict b,
                                float *restrict c, ptrdiff_t ldc, int mode,
                                const float *restrict bias)
{
    for (int i = 0; i < GEMM_MR; i++) { /* C lines arrive while the k loop runs */
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 15), _MM_HINT_T0);
    }
    __m256 acc[GEMM_MR][2];
#pragma GCC unroll 8
    for (int i = 0; i < GEMM_MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (int k = 0; k < kc; k++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
        for (int i = 0; i < GEMM_MR; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += GEMM_MR;
        b += GEMM_NR;
    }
#pragma GCC unroll 8
    for (int i = 0; i < GEMM_MR; i++) {
        float *ci = c + i * ldc;
#pragma GCC unroll 4
        for (int j = 0; j < 2; j++) {
            __m256 v = acc[i][j];
            if (mode == GEMM_ACC) v = _mm256_add_ps(_mm256_loadu_ps(ci + 8 * j), v);
            else if (mode == GEMM_SET_BIAS) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + 8 * j));
            _mm256_storeu_ps(ci + 8 * j, v);
        }
    }
}

/* exp(x) for x in [-87, 88] (clamped): Cephes' expf as in kernels_avx512.c; 2^n is built in the
 * exponent field (n in [-126, 127] after the clamp). */
static inline __m256 exp_avx2(__m256 x)
{
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)),
                                  23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

/* tanh u = 1 - 2 / (e^{2u} + 1), u clamped to [-9, 9]: absolute error ~1e-7. */
static inline __m256 tanh_avx2(__m256 u)
{
    u = _mm256_min_ps(_mm256_max_ps(u, _mm256_set1_ps(-9.0f)), _mm256_set1_ps(9.0f));
    __m256 e = exp_avx2(_mm256_add_ps(u, u));
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
}

#define GELU_SCALE 0.7978845608028654f /* sqrt(2 / π) */

/* The tail (< 8 values) goes through a zero-padded vector, so every value rounds the same way. */
static void gelu_forward_avx2(float *out, const float *inp, size_t n)
{
    long long nv = (long long)((n + 7) / 8);
    KERNELS_OMP(parallel for schedule(static) if (nv > 1024)) /* small (decoding): serial */
    for (long long v = 0; v < nv; v++) {
        size_t i = (size_t)v * 8, m = n - i < 8 ? n - i : 8;
        float xb[8] = {0}, yb[8];
        const float *xp = inp + i;
        if (m < 8) {
            for (size_t j = 0; j < m; j++) xb[j] = inp[i + j];
            xp = xb;
        }
        __m256 x = _mm256_loadu_ps(xp);
        __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
        __m256 u = _mm256_mul_ps(_mm256_set1_ps(GELU_SCALE),
                                 _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), x3, x));
        __m256 th = tanh_avx2(u);
        __m256 y = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x),
                                 _mm256_add_ps(_mm256_set1_ps(1.0f), th));
        if (m == 8) {
            _mm256_storeu_ps(out + i, y);
        } else {
            _mm256_storeu_ps(yb, y);
            for (size_t j = 0; j < m; j++) out[i + j] = yb[j];
        }
    }
}

static void gelu_backward_avx2(float *dinp, const float *inp, const float *dout, size_t n)
{
    long long nv = (long long)((n + 7) / 8);
    KERNELS_OMP(parallel for schedule(static))
    for (long long v = 0; v < nv; v++) {
        size_t i = (size_t)v * 8, m = n - i < 8 ? n - i : 8;
        float xb[8] = {0}, gb[8] = {0}, db[8] = {0};
        const float *xp = inp + i, *gp = dout + i;
        float *dp = dinp + i;
        if (m < 8) {
            for (size_t j = 0; j < m; j++) {
                xb[j] = inp[i + j];
                gb[j] = dout[i + j];
                db[j] = dinp[i + j];
            }
            xp = xb;
            gp = gb;
            dp = db;
        }
        __m256 x = _mm256_loadu_ps(xp), x2 = _mm256_mul_ps(x, x), x3 = _mm256_mul_ps(x2, x);
        __m256 u = _mm256_mul_ps(_mm256_set1_ps(GELU_SCALE),
                                 _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), x3, x));
        __m256 th = tanh_avx2(u), one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f);
        __m256 sech2 = _mm256_fnmadd_ps(th, th, one);
        __m256 du = _mm256_mul_ps(_mm256_set1_ps(GELU_SCALE),
                                  _mm256_fmadd_ps(_mm256_set1_ps(3.0f * 0.044715f), x2, one));
        __m256 local = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_mul_ps(half, x), sech2), du,
                                       _mm256_mul_ps(half, _mm256_add_ps(one, th)));
        _mm256_storeu_ps(dp, _mm256_fmadd_ps(local, _mm256_loadu_ps(gp), _mm256_loadu_ps(dp)));
        if (m < 8)
            for (size_t j = 0; j < m; j++) dinp[i + j] = db[j];
    }
}

/* Attention (kernels_attention.h) on 8 lanes. */
static inline float hsum_avx2(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline float hmax_avx2(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}
typedef __m256 AttVec;
#define ATT_VW 8
#define ATT_LOAD(p) _mm256_loadu_ps(p)
#define ATT_STORE(p, v) _mm256_storeu_ps(p, v)
#define ATT_SET1(x) _mm256_set1_ps(x)
#define ATT_ZERO() _mm256_setzero_ps()
#define ATT_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define ATT_ADD(a, b) _mm256_add_ps(a, b)
#define ATT_SUB(a, b) _mm256_sub_ps(a, b)
#define ATT_MUL(a, b) _mm256_mul_ps(a, b)
#define ATT_EXP(v) exp_avx2(v)
#define ATT_HSUM(v) hsum_avx2(v)
#define ATT_MAX(a, b) _mm256_max_ps(a, b)
#define ATT_HMAX(v) hmax_avx2(v)
#define ATT_SUFFIX(name) name##_avx2
#include "kernels_attention.h"

/* Softmax rows: vector max, exp with a double-precision sum, scale; the tail (< 8 values) goes
 * through a padded vector whose extra lanes are masked to 0. */
static void softmax_forward_avx2(float *probs, const float *logits, int N, int V, int Vp)
{
    KERNELS_OMP(parallel for schedule(static))
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * Vp; /* (Vp) */
        float *p = probs + (size_t)n * Vp;        /* (Vp) */
        int V8 = V & ~7, r = V - V8;
        __m256 mx = _mm256_set1_ps(-INFINITY);
        for (int i = 0; i < V8; i += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(z + i));
        float lanes[8], m = -INFINITY;
        _mm256_storeu_ps(lanes, mx);
        for (int j = 0; j < 8; j++) m = lanes[j] > m ? lanes[j] : m;
        for (int j = 0; j < r; j++) m = z[V8 + j] > m ? z[V8 + j] : m;
        __m256 maxv = _mm256_set1_ps(m);
        __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
        for (int i = 0; i < V8; i += 8) {
            __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(z + i), maxv));
            _mm256_storeu_ps(p + i, e);
            s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
            s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
        }
        float zt[8] = {0}, pt[8];
        if (r) {
            for (int j = 0; j < r; j++) zt[j] = z[V8 + j];
            __m256 keep = _mm256_castsi256_ps(_mm256_cmpgt_epi32(
                _mm256_set1_epi32(r), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
            __m256 e = _mm256_and_ps(exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(zt), maxv)), keep);
            _mm256_storeu_ps(pt, e);
            s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
            s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
        }
        double sb[4];
        _mm256_storeu_pd(sb, _mm256_add_pd(s0, s1));
        float inv = (float)(1.0 / ((sb[0] + sb[1]) + (sb[2] + sb[3])));
        __m256 vinv = _mm256_set1_ps(inv);
        for (int i = 0; i < V8; i += 8)
            _mm256_storeu_ps(p + i, _mm256_mul_ps(_mm256_loadu_ps(p + i), vinv));
        for (int j = 0; j < r; j++) p[V8 + j] = pt[j] * inv;
        for (int i = V; i < Vp; i++) p[i] = 0.0f;
    }
}

/* AdamW, 8 lanes at a time; the tail (< 8) runs the scalar formula. */
static void adamw_update_avx2(float *p, const float *g, float *m, float *v, size_t n,
                              const KernelAdamW *a)
{
    long long nv = (long long)(n / 8);
    KERNELS_OMP(parallel for schedule(static))
    for (long long j = 0; j < nv; j++) {
        size_t i = (size_t)j * 8;
        __m256 gi = _mm256_mul_ps(_mm256_loadu_ps(g + i), _mm256_set1_ps(a->grad_scale));
        __m256 mi = _mm256_fmadd_ps(_mm256_set1_ps(a->b1), _mm256_loadu_ps(m + i),
                                    _mm256_mul_ps(_mm256_set1_ps(1.0f - a->b1), gi));
        __m256 vi = _mm256_fmadd_ps(_mm256_set1_ps(a->b2), _mm256_loadu_ps(v + i),
                                    _mm256_mul_ps(_mm256_set1_ps(1.0f - a->b2),
                                                  _mm256_mul_ps(gi, gi)));
        __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), _mm256_set1_ps(a->bc2_sqrt)),
                                   _mm256_set1_ps(a->eps));
        __m256 upd = _mm256_div_ps(_mm256_mul_ps(_mm256_set1_ps(a->step_size), mi), den);
        __m256 pi = _mm256_fmsub_ps(_mm256_loadu_ps(p + i), _mm256_set1_ps(a->shrink), upd);
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(p + i, pi);
    }
    for (size_t i = (size_t)nv * 8; i < n; i++) {
        float gi = g[i] * a->grad_scale;
        float mi = a->b1 * m[i] + (1.0f - a->b1) * gi;
        float vi = a->b2 * v[i] + (1.0f - a->b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * a->shrink - a->step_size * mi / (sqrtf(vi) / a->bc2_sqrt + a->eps);
    }
}

const KernelSet kernels_avx2 = {
    .name = "avx2",
    .matmul_forward = matmul_forward_avx2,
    .matmul_forward_packed = matmul_forward_packed_avx2,
    .matmul_forward_bf16 = matmul_forward_bf16_avx2,
    .matmul_backward = matmul_backward_avx2,
    .gelu_forward = gelu_forward_avx2,
    .gelu_backward = gelu_backward_avx2,
    .softmax_forward = softmax_forward_avx2,
    .attention_forward = attention_forward_avx2,
    .attention_backward = attention_backward_avx2,
    .adamw_update = adamw_update_avx2,
};
