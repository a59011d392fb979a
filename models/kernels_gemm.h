/* kernels_gemm: the blocked, packed SGEMM driver shared by the SIMD variants — a template header,
 * included only by kernels_avx2.c and kernels_avx512.c (so it is compiled once per ISA). Before
 * including it a variant defines GEMM_MR, GEMM_NR, GEMM_KC, GEMM_MC, GEMM_NC and GEMM_SUFFIX(name);
 * after it, the micro-kernel gemm_ukernel() declared here. Determinism: each C element is summed
 * by one thread in an order fixed by the global shape and the block sizes alone, so results are
 * bitwise identical for any thread count. Packing uses AVX2 only. */
#ifndef BIASAMP_KERNELS_GEMM_H
#define BIASAMP_KERNELS_GEMM_H

#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"

/* GCC's loop distribution turns the packing copies (and zero fills) into memcpy/memmove/memset
 * calls of a few hundred bytes each, which cost more than the copies; keep the loops. */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

/* What the micro-kernel does with its MR x NR tile of C (row stride ldc):
 * GEMM_SET: C = AB; GEMM_SET_BIAS: C = AB + bias (NR); GEMM_ACC: C += AB.
 * AB is always summed from zero first, so full tiles and edge tiles round identically. */
enum { GEMM_SET = 0, GEMM_SET_BIAS = 1, GEMM_ACC = 2 };

/* C (M, N) (+)= A (M, K) · B (K, N) [+ bias (N)], with general strides for A and B. */
typedef struct Gemm {
    int M, N, K;
    const float *A; /* A(m, k) = A[m*rsa + k*csa] */
    ptrdiff_t rsa, csa;
    const float *B; /* B(k, n) = B[k*rsb + n*csb] */
    ptrdiff_t rsb, csb;
    float *C; /* C(m, n) = C[m*ldc + n] */
    ptrdiff_t ldc;
    const float *bias; /* (N) or NULL; only used when !accumulate */
    int accumulate;    /* 1: C += A·B; 0: C = A·B (+ bias) */
} Gemm;

/* c (MR, NR) with row stride ldc, per mode, from a (kc, MR) and b (kc, NR) packed by gemm_pack;
 * b is 64-byte aligned. bias (NR) is read only for GEMM_SET_BIAS. Defined by the variant file. */
static inline void gemm_ukernel(int kc, const float *restrict a, const float *restrict b,
                                float *restrict c, ptrdiff_t ldc, int mode,
                                const float *restrict bias);

static inline int gemm_min(int a, int b) { return a < b ? a : b; }

/* 8 rows x 8 columns of src (row stride ps) -> t[k] = column k (8 floats), in registers. Loads
 * 128-bit halves so that one in-lane 4x4 transpose per half finishes the job. */
static inline __attribute__((always_inline)) void gemm_transpose8x8_reg(const float *src,
                                                                       ptrdiff_t ps, __m256 t[8])
{
    for (int h = 0; h < 8; h += 4) {
        __m256 r0 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(src + 0 * ps + h)),
                                         _mm_loadu_ps(src + 4 * ps + h), 1);
        __m256 r1 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(src + 1 * ps + h)),
                                         _mm_loadu_ps(src + 5 * ps + h), 1);
        __m256 r2 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(src + 2 * ps + h)),
                                         _mm_loadu_ps(src + 6 * ps + h), 1);
        __m256 r3 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(src + 3 * ps + h)),
                                         _mm_loadu_ps(src + 7 * ps + h), 1);
        __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
        __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
        t[h + 0] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
        t[h + 1] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
        t[h + 2] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
        t[h + 3] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    }
}

/* 8 rows x 8 columns (src row stride ps) -> dst[k*ds + r]: column k of src becomes 8 contiguous
 * floats. */
static inline void gemm_transpose8x8(const float *src, ptrdiff_t ps, float *dst, ptrdiff_t ds)
{
    __m256 t[8];
    gemm_transpose8x8_reg(src, ps, t);
    for (int k = 0; k < 8; k++) _mm256_storeu_ps(dst + k * ds, t[k]);
}

/* 4 rows x 4 columns -> dst[k*ds + r] (SSE in-register transpose). */
static inline void gemm_transpose4x4(const float *src, ptrdiff_t ps, float *dst, ptrdiff_t ds)
{
    __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + ps);
    __m128 r2 = _mm_loadu_ps(src + 2 * ps), r3 = _mm_loadu_ps(src + 3 * ps);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(dst, r0);
    _mm_storeu_ps(dst + ds, r1);
    _mm_storeu_ps(dst + 2 * ds, r2);
    _mm_storeu_ps(dst + 3 * ds, r3);
}

/* Packs n rows of src into ceil(n / R) panels of (kc, R): panel p at dst + p*R*kc holds
 * dst[p*R*kc + k*R + r] = src[(p*R + r)*ps + k*ks], zero past row n. The two layouts that occur
 * are fast: r contiguous (ps == 1: read each src line k across all panels, a streaming copy) and
 * k contiguous (ks == 1: 8x8 or 4x4 transposes, prefetching the next group of rows). Inlined so
 * that R is a constant (else GCC turns the copies into slow `rep movs`). */
static inline __attribute__((always_inline)) void gemm_pack(float *restrict dst,
                                                            const float *restrict src,
                                                            ptrdiff_t ps, ptrdiff_t ks, int R,
                                                            int n, int kc)
{
    int np = (n + R - 1) / R;
    if (ps == 1) {
        for (int k = 0; k < kc; k++) {
            const float *row = src + k * ks;
            for (int p = 0; p < np; p++) {
                float *d = dst + ((ptrdiff_t)p * kc + k) * R;
                const float *x = row + p * R;
                int rv = gemm_min(R, n - p * R);
                if (rv == R && R % 8 == 0) {
                    for (int r = 0; r < R; r += 8) _mm256_storeu_ps(d + r, _mm256_loadu_ps(x + r));
                } else {
                    for (int r = 0; r < rv; r++) d[r] = x[r];
                    for (int r = rv; r < R; r++) d[r] = 0.0f;
                }
            }
        }
        return;
    }
    for (int p = 0; p < np; p++) {
        float *d = dst + (ptrdiff_t)p * R * kc;
        const float *x = src + p * R * ps;
        int rv = gemm_min(R, n - p * R), r = 0;
        if (ks == 1) {
            int k8 = kc & ~7, k4 = kc & ~3;
            for (; r + 8 <= rv; r += 8) {
                const float *next = x + (r + 8) * ps; /* the next 8 rows (maybe the next panel) */
                int prefetch = p + 1 < np || r + 16 <= rv;
                for (int k = 0; k < k8; k += 8) {
                    if (prefetch && (k & 15) == 0)
                        for (int i = 0; i < 8; i++)
                            _mm_prefetch((const char *)(next + i * ps + k), _MM_HINT_T0);
                    gemm_transpose8x8(x + r * ps + k, ps, d + (ptrdiff_t)k * R + r, R);
                }
                for (int k = k8; k < kc; k++)
                    for (int i = 0; i < 8; i++) d[(ptrdiff_t)k * R + r + i] = x[(r + i) * ps + k];
            }
            for (; r + 4 <= rv; r += 4) {
                for (int k = 0; k < k4; k += 4)
                    gemm_transpose4x4(x + r * ps + k, ps, d + (ptrdiff_t)k * R + r, R);
                for (int k = k4; k < kc; k++)
                    for (int i = 0; i < 4; i++) d[(ptrdiff_t)k * R + r + i] = x[(r + i) * ps + k];
            }
        }
        for (int k = 0; k < kc; k++) {
            float *dk = d + (ptrdiff_t)k * R;
            for (int i = r; i < rv; i++) dk[i] = x[i * ps + k * ks];
            for (int i = rv; i < R; i++) dk[i] = 0.0f;
        }
    }
}

/* K in equal blocks of at most GEMM_KC (multiples of 8), e.g. 384 = 192 + 192 rather than
 * 256 + 128: the C tile is read and written once per block, so short blocks cost. When C is far
 * larger than the caches (the LM head's N) and K is short, one block of K avoids re-reading C
 * from memory; the B micro-panel then streams from L2. Depends on the global shape only, so the
 * summation order is independent of the thread count. */
static int gemm_kblock(const Gemm *g)
{
    int kmax = GEMM_KC;
#ifdef GEMM_KC_WIDE_N
    if (g->N >= GEMM_KC_WIDE_N && g->K <= GEMM_KC_WIDE) kmax = g->K;
#endif
    int nkb = (g->K + kmax - 1) / kmax;
    return ((g->K + nkb - 1) / nkb + 7) & ~7;
}

/* The macro-kernel: C tiles of rows ic + [0, mc) x columns jc + [0, nc) from packed Ap (mc rows
 * in MR panels) and Bp (nc columns in NR panels), K block kc. Each (kc, NR) micro-panel of B
 * streams across a column of MR tiles. */
static void gemm_macro(const Gemm *g, const float *Ap, int mc, int ic, const float *Bp, int nc,
                       int jc, int kc, int mode)
{
    enum { MR = GEMM_MR, NR = GEMM_NR };
    for (int jr = 0; jr < nc; jr += NR) {
        int nr = gemm_min(NR, nc - jr);
        const float *bp = Bp + (ptrdiff_t)jr * kc;
        const float *bias = g->bias ? g->bias + jc + jr : NULL;
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = gemm_min(MR, mc - ir);
            const float *ap = Ap + (ptrdiff_t)ir * kc;
            float *c = g->C + (ic + ir) * g->ldc + jc + jr;
            if (mr == MR && nr == NR) {
                gemm_ukernel(kc, ap, bp, c, g->ldc, mode, bias);
                continue;
            }
            /* Edge tile: compute the full tile aside, then apply the valid part. */
            float tile[MR * NR] __attribute__((aligned(64)));
            gemm_ukernel(kc, ap, bp, tile, NR, GEMM_SET, NULL);
            for (int i = 0; i < mr; i++)
                for (int j = 0; j < nr; j++) {
                    float *cij = c + i * g->ldc + j;
                    float ab = tile[i * NR + j];
                    *cij = mode == GEMM_ACC        ? *cij + ab
                           : mode == GEMM_SET_BIAS ? ab + bias[j]
                                                   : ab;
                }
        }
    }
}

static int gemm_mode(const Gemm *g, int pc)
{
    return (pc > 0 || g->accumulate) ? GEMM_ACC : g->bias ? GEMM_SET_BIAS : GEMM_SET;
}

/* The thread-serial blocked product on rows [m0, m1) x columns [n0, n1): B blocks (kb, NC) are
 * packed once per (jc, pc) and stay in L2/L3, A blocks (MC, kb) in L2. Ap holds MC x kb floats,
 * Bp kb x NC. */
static void gemm_block(const Gemm *g, int m0, int m1, int n0, int n1, int kb, float *Ap,
                       float *Bp)
{
    for (int jc = n0; jc < n1; jc += GEMM_NC) {
        int nc = gemm_min(GEMM_NC, n1 - jc);
        for (int pc = 0; pc < g->K; pc += kb) {
            int kc = gemm_min(kb, g->K - pc);
            gemm_pack(Bp, g->B + pc * g->rsb + jc * g->csb, g->csb, g->rsb, GEMM_NR, nc, kc);
            for (int ic = m0; ic < m1; ic += GEMM_MC) {
                int mc = gemm_min(GEMM_MC, m1 - ic);
                gemm_pack(Ap, g->A + ic * g->rsa + pc * g->csa, g->rsa, g->csa, GEMM_MR, mc, kc);
                gemm_macro(g, Ap, mc, ic, Bp, nc, jc, kc, gemm_mode(g, pc));
            }
        }
    }
}

/* The calling thread's contiguous share [u0, u1) of `units` work units inside a parallel region
 * (the whole range outside one): fixed by the thread count alone. */
static inline void gemm_share(int units, int *u0, int *u1)
{
    int nth = 1, tid = 0;
#ifdef _OPENMP
    nth = omp_get_num_threads();
    tid = omp_get_thread_num();
#endif
    *u0 = (int)((long long)units * tid / nth);
    *u1 = (int)((long long)units * (tid + 1) / nth);
}

/* Splits the larger of M, N into whole MR or NR units, one contiguous range per thread, each
 * thread packing what its range needs: one parallel region and no barrier inside, which matters
 * on a shared machine (a team that waits at barriers stalls whenever one thread loses its core;
 * a variant with the small side packed once per K block for the team was tried and lost). */
static void gemm_run(const Gemm *g)
{
    if (g->M <= 0 || g->N <= 0) return;
    if (g->K <= 0) {
        if (g->accumulate) return;
        for (int m = 0; m < g->M; m++)
            for (int n = 0; n < g->N; n++) g->C[m * g->ldc + n] = g->bias ? g->bias[n] : 0.0f;
        return;
    }
    int split_n = g->N >= g->M, kb = gemm_kblock(g);
    int units = split_n ? (g->N + GEMM_NR - 1) / GEMM_NR : (g->M + GEMM_MR - 1) / GEMM_MR;
    KERNELS_OMP(parallel)
    {
        int u0, u1;
        gemm_share(units, &u0, &u1);
        if (u0 < u1) {
            float *Ap = kernels_scratch((size_t)GEMM_MC * kb + (size_t)kb * GEMM_NC);
            float *Bp = Ap + (size_t)GEMM_MC * kb;
            if (split_n)
                gemm_block(g, 0, g->M, u0 * GEMM_NR, gemm_min(g->N, u1 * GEMM_NR), kb, Ap, Bp);
            else
                gemm_block(g, u0 * GEMM_MR, gemm_min(g->M, u1 * GEMM_MR), 0, g->N, kb, Ap, Bp);
        }
    }
}

/* dbias (OC) += Σ_bt dout (BT, OC): threads own 64-column chunks; each element sums its column
 * from zero in increasing bt and is added once (vector and tail paths round identically). */
static void gemm_dbias(float *dbias, const float *dout, int BT, int OC)
{
    int nchunks = (OC + 63) / 64;
    KERNELS_OMP(parallel for schedule(static))
    for (int ch = 0; ch < nchunks; ch++) {
        int o0 = ch * 64, n = gemm_min(64, OC - o0);
        if (n == 64) {
            __m256 s[8];
            for (int v = 0; v < 8; v++) s[v] = _mm256_setzero_ps();
            for (int bt = 0; bt < BT; bt++) {
                const float *d = dout + (ptrdiff_t)bt * OC + o0;
                for (int v = 0; v < 8; v++) s[v] = _mm256_add_ps(s[v], _mm256_loadu_ps(d + 8 * v));
            }
            for (int v = 0; v < 8; v++)
                _mm256_storeu_ps(dbias + o0 + 8 * v,
                                 _mm256_add_ps(_mm256_loadu_ps(dbias + o0 + 8 * v), s[v]));
        } else {
            for (int j = 0; j < n; j++) {
                float s = 0.0f;
                for (int bt = 0; bt < BT; bt++) s += dout[(ptrdiff_t)bt * OC + o0 + j];
                dbias[o0 + j] += s;
            }
        }
    }
}

/* The few-row forward product (decoding: one new token per sequence): out (M, N) = inp (M, K) ·
 * W (N, K)ᵀ [+ bias] for M <= GEMV_MAX_M, reading each weight once. Outputs go in groups of 8
 * weight rows, 8 outputs sharing one FMA per k. Three weight layouts (GEMV_ROWS etc. below): W as
 * given (row-major: each group is transposed 8 x 8 in registers, nothing is packed — the packed
 * driver would copy the whole matrix per call), or W packed by kernels_pack / kernels_bf16_pack
 * (8 rows per group, k-major: a group's 8 weights at one k are 32 or 16 contiguous bytes, no
 * transposes; bfloat16 widened exactly to float). Bitwise equal to gemm_run on the same operands:
 * every element is summed from zero in increasing k by single FMAs within each K block of
 * gemm_kblock(), the first block's sum plus the bias is the start, and each later block's sum is
 * added to it — exactly the micro-kernel's SET_BIAS / ACC sequence (tested in
 * tests/check_kernels.c), so batched and one-by-one decoding give identical tokens. */
#define GEMV_MAX_M KERNELS_BF16_MAX_ROWS /* 4 */
#ifndef GEMV_PREFETCH
#define GEMV_PREFETCH 64 /* floats: 256 bytes ahead, best of 32..1024 measured */
#endif
enum { GEMV_ROWS = 0, GEMV_PACKED = 1, GEMV_PACKED_BF16 = 2 };

/* End of K block pc for the 8 outputs o + [0, 8) of one row: tot = acc (+ bias) for the first
 * block, tot += acc after; bias lanes past N are zero. */
static inline __attribute__((always_inline)) __m256 gemv_fold(__m256 tot, __m256 acc, int pc,
                                                             const float *bias, int o, int N)
{
    if (pc > 0) return _mm256_add_ps(tot, acc);
    if (!bias) return acc;
    if (o + 8 <= N) return _mm256_add_ps(acc, _mm256_loadu_ps(bias + o));
    float b[8] = {0}; /* the last, partial group (packed layouts) */
    for (int r = 0; o + r < N; r++) b[r] = bias[o + r];
    return _mm256_add_ps(acc, _mm256_loadu_ps(b));
}

/* The weights of outputs 8 g + [0, 8) at one k from a packed layout. */
static inline __attribute__((always_inline)) __m256 gemv_packed_load(const void *w, int K, int g,
                                                                    int k, const int L)
{
    size_t at = ((size_t)g * K + k) * 8;
    if (L == GEMV_PACKED_BF16) {
        const uint16_t *src = (const uint16_t *)w + at;
        if ((k & 3) == 0) _mm_prefetch((const char *)(src + 256), _MM_HINT_T0);
        return _mm256_castsi256_ps(_mm256_slli_epi32(
            _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)src)), 16));
    }
    const float *src = (const float *)w + at;
    if ((k & 1) == 0) _mm_prefetch((const char *)(src + 128), _MM_HINT_T0);
    return _mm256_loadu_ps(src);
}

/* NG groups of outputs, g0 + [0, NG), for MM rows of inp, in layout L (GEMV_ROWS: every row of
 * the groups exists). MM, NG and L are compile-time constants after inlining. */
static inline __attribute__((always_inline)) void gemv_groups(float *out, const float *inp,
                                                              const void *w, const float *bias,
                                                              int K, int N, int kb, int g0,
                                                              const int MM, const int NG,
                                                              const int L)
{
    __m256 tot[4][GEMV_MAX_M], acc[4][GEMV_MAX_M];
#pragma GCC unroll 4
    for (int gi = 0; gi < NG; gi++) /* K > 0: set by the first block; zeroed for the compiler */
#pragma GCC unroll 4
        for (int m = 0; m < MM; m++) tot[gi][m] = _mm256_setzero_ps();
    for (int pc = 0; pc < K; pc += kb) {
        int kc = gemm_min(kb, K - pc), k = pc;
#pragma GCC unroll 4
        for (int gi = 0; gi < NG; gi++)
#pragma GCC unroll 4
            for (int m = 0; m < MM; m++) acc[gi][m] = _mm256_setzero_ps();
        if (L == GEMV_ROWS)
            for (; k + 8 <= pc + kc; k += 8) {
#pragma GCC unroll 4
                for (int gi = 0; gi < NG; gi++) {
                    __m256 t[8]; /* t[j] lane r = w[8 (g0 + gi) + r][k + j] */
                    const float *src = (const float *)w + (ptrdiff_t)8 * (g0 + gi) * K + k;
                    if ((k & 15) == 0) /* the 8 rows' lines ahead (a line per 2 k steps) */
                        for (int r = 0; r < 8; r++)
                            _mm_prefetch((const char *)(src + r * K + GEMV_PREFETCH),
                                         _MM_HINT_T0);
                    gemm_transpose8x8_reg(src, K, t);
#pragma GCC unroll 8
                    for (int j = 0; j < 8; j++)
#pragma GCC unroll 4
                        for (int m = 0; m < MM; m++)
                            acc[gi][m] = _mm256_fmadd_ps(
                                _mm256_broadcast_ss(inp + (ptrdiff_t)m * K + k + j), t[j],
                                acc[gi][m]);
                }
            }
        for (; k < pc + kc; k++) /* packed: every k; rows: K not a multiple of 8, the tail */
#pragma GCC unroll 4
            for (int gi = 0; gi < NG; gi++) {
                __m256 wk;
                if (L == GEMV_ROWS) {
                    const float *src = (const float *)w + (ptrdiff_t)8 * (g0 + gi) * K + k;
                    wk = _mm256_setr_ps(src[0], src[K], src[2 * K], src[3 * K], src[4 * K],
                                        src[5 * K], src[6 * K], src[7 * K]);
                } else {
                    wk = gemv_packed_load(w, K, g0 + gi, k, L);
                }
#pragma GCC unroll 4
                for (int m = 0; m < MM; m++)
                    acc[gi][m] = _mm256_fmadd_ps(_mm256_broadcast_ss(inp + (ptrdiff_t)m * K + k),
                                                 wk, acc[gi][m]);
            }
#pragma GCC unroll 4
        for (int gi = 0; gi < NG; gi++)
#pragma GCC unroll 4
            for (int m = 0; m < MM; m++)
                tot[gi][m] = gemv_fold(tot[gi][m], acc[gi][m], pc, bias, 8 * (g0 + gi), N);
    }
    for (int gi = 0; gi < NG; gi++) {
        int o = 8 * (g0 + gi);
        for (int m = 0; m < MM; m++) {
            float *dst = out + (ptrdiff_t)m * N + o;
            if (o + 8 <= N) {
                _mm256_storeu_ps(dst, tot[gi][m]);
            } else { /* the last, partial group (packed layouts) */
                float t[8];
                _mm256_storeu_ps(t, tot[gi][m]);
                for (int r = 0; o + r < N; r++) dst[r] = t[r];
            }
        }
    }
}

/* Groups [g0, g1) for MM rows of inp: NG groups at a time while they last, then one. */
static inline __attribute__((always_inline)) void gemv_range(float *out, const float *inp,
                                                             const void *w, const float *bias,
                                                             int K, int N, int kb, int g0, int g1,
                                                             const int MM, const int NG,
                                                             const int L)
{
    int g = g0;
    for (; g + NG <= g1; g += NG) gemv_groups(out, inp, w, bias, K, N, kb, g, MM, NG, L);
    for (; g < g1; g++) gemv_groups(out, inp, w, bias, K, N, kb, g, MM, 1, L);
}

/* The driver: threads own contiguous ranges of groups. Layout GEMV_ROWS covers the whole groups
 * of 8 rows; the last N % 8 rows are summed one lane at a time (same order) by thread 0. The
 * packed layouts pad the last group with zero rows. */
static inline __attribute__((always_inline)) void gemv_run(float *out, const float *inp,
                                                           const void *w, const float *bias,
                                                           int M, int K, int N, const int L)
{
    Gemm shape = {.M = M, .N = N, .K = K};
    int kb = gemm_kblock(&shape), groups = L == GEMV_ROWS ? N / 8 : (N + 7) / 8;
    KERNELS_OMP(parallel)
    {
        int g0, g1;
        gemm_share(groups, &g0, &g1);
        switch (M) { /* 3 or 4 independent FMA chains in flight in every case */
        case 1: gemv_range(out, inp, w, bias, K, N, kb, g0, g1, 1, 4, L); break;
        case 2: gemv_range(out, inp, w, bias, K, N, kb, g0, g1, 2, 2, L); break;
        case 3: gemv_range(out, inp, w, bias, K, N, kb, g0, g1, 3, 1, L); break;
        default: gemv_range(out, inp, w, bias, K, N, kb, g0, g1, 4, 1, L); break;
        }
        if (L == GEMV_ROWS && g0 == 0)
            for (int o = 8 * groups; o < N; o++)
                for (int m = 0; m < M; m++) {
                    const float *x = inp + (ptrdiff_t)m * K;
                    const float *wo = (const float *)w + (ptrdiff_t)o * K;
                    float t = 0.0f;
                    for (int pc = 0; pc < K; pc += kb) {
                        int kc = gemm_min(kb, K - pc);
                        float s = 0.0f;
                        for (int k = pc; k < pc + kc; k++) s = fmaf(x[k], wo[k], s);
                        t = pc > 0 ? t + s : bias ? s + bias[o] : s;
                    }
                    out[(ptrdiff_t)m * N + o] = t;
                }
    }
}

static void GEMM_SUFFIX(matmul_forward_packed)(float *out, const float *inp, const float *wp,
                                               const float *bias, int BT, int C, int OC)
{
    if (BT >= 1 && BT <= GEMV_MAX_M && C > 0 && OC > 0)
        gemv_run(out, inp, wp, bias, BT, C, OC, GEMV_PACKED);
}

static void GEMM_SUFFIX(matmul_forward_bf16)(float *out, const float *inp, const uint16_t *wp,
                                             const float *bias, int BT, int C, int OC)
{
    if (BT >= 1 && BT <= GEMV_MAX_M && C > 0 && OC > 0)
        gemv_run(out, inp, wp, bias, BT, C, OC, GEMV_PACKED_BF16);
}

/* out (BT, OC) = inp (BT, C) · weight (OC, C)ᵀ + bias: A = inp, B(k, n) = weight[n*C + k]. */
static void GEMM_SUFFIX(matmul_forward)(float *out, const float *inp, const float *weight,
                                        const float *bias, int BT, int C, int OC)
{
    if (BT >= 1 && BT <= GEMV_MAX_M && C > 0 && OC > 0) {
        gemv_run(out, inp, weight, bias, BT, C, OC, GEMV_ROWS);
        return;
    }
    Gemm g = {.M = BT, .N = OC, .K = C, .A = inp, .rsa = C, .csa = 1, .B = weight, .rsb = 1,
              .csb = C, .C = out, .ldc = OC, .bias = bias, .accumulate = 0};
    gemm_run(&g);
}

/* dinp (BT, C) += dout (BT, OC) · weight (OC, C)          [M = BT, N = C, K = OC]
 * dweight (OC, C) += dout (BT, OC)ᵀ · inp (BT, C)         [M = OC, N = C, K = BT]
 * dbias (OC) += Σ_bt dout */
static void GEMM_SUFFIX(matmul_backward)(float *dinp, float *dweight, float *dbias,
                                         const float *dout, const float *inp, const float *weight,
                                         int BT, int C, int OC)
{
    if (dinp) {
        Gemm g = {.M = BT, .N = C, .K = OC, .A = dout, .rsa = OC, .csa = 1, .B = weight, .rsb = C,
                  .csb = 1, .C = dinp, .ldc = C, .accumulate = 1};
        gemm_run(&g);
    }
    if (dweight) {
        Gemm g = {.M = OC, .N = C, .K = BT, .A = dout, .rsa = 1, .csa = OC, .B = inp, .rsb = C,
                  .csb = 1, .C = dweight, .ldc = C, .accumulate = 1};
        gemm_run(&g);
    }
    if (dbias) gemm_dbias(dbias, dout, BT, OC);
}

#endif
