/* kernels_avx512: AVX-512 matmuls — an 8 x 48 FMA micro-kernel under the packed driver of
 * kernels_gemm.h. Compiled with AVX-512 flags: call only when kernels_supported() says so. */
#include <immintrin.h>
#include <stddef.h>

#include "kernels.h"

#define GEMM_MR 8    /* rows of A broadcast per k: 8 x 3 = 24 zmm accumulators */
#define GEMM_NR 48   /* columns of B: 3 zmm; divides 768, 2304, 3072 and their halves */
#define GEMM_KC 256  /* a (KC, NR) micro-panel of B is 48 KiB (L1/L2); K = B*T = 256: 1 block */
#define GEMM_MC 256  /* an (MC, KC) block of A is 256 KiB: stays in L2 */
#define GEMM_NC 2304 /* a (KC, NC) block of B is 2.3 MiB (L2/L3); values tuned on Sapphire Rapids */
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

const KernelSet kernels_avx512 = {
    .name = "avx512",
    .matmul_forward = matmul_forward_avx512,
    .matmul_backward = matmul_backward_avx512,
};
