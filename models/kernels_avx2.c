/* kernels_avx2: AVX2+FMA matmuls — a 6 x 16 FMA micro-kernel (12 ymm accumulators of the 16)
 * under the packed driver of kernels_gemm.h. Call only when kernels_supported() says so. */
#include <immintrin.h>
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

const KernelSet kernels_avx2 = {
    .name = "avx2",
    .matmul_forward = matmul_forward_avx2,
    .matmul_backward = matmul_backward_avx2,
};
