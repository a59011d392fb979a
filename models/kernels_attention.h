/* kernels_attention: causal multi-head attention forward/backward for the SIMD variants — a
 * template header included by kernels_avx2.c and kernels_avx512.c after they define AttVec,
 * ATT_VW (lanes), the ATT_* operations used below and ATT_SUFFIX(name). Threads own (b, head)
 * pairs; per pair K (forward) or V (backward) is transposed once into per-thread scratch so that
 * scores vectorise across positions, and every output row accumulates in registers. A head size
 * that is not a multiple of ATT_VW falls back to the scalar kernel. Contract: layers.h. */
#ifndef BIASAMP_KERNELS_ATTENTION_H
#define BIASAMP_KERNELS_ATTENTION_H

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "kernels.h"

static int att_round_up(int n) { return (n + ATT_VW - 1) / ATT_VW * ATT_VW; }

/* dst (hs, Tp) = the hs-slices of T rows at src with row stride C3, zero past T. */
static void att_transpose(float *dst, const float *src, int T, int Tp, int hs, int C3)
{
    for (int i = 0; i < hs; i++) {
        float *d = dst + (size_t)i * Tp;
        for (int t = 0; t < T; t++) d[t] = src[(size_t)t * C3 + i];
        for (int t = T; t < Tp; t++) d[t] = 0.0f;
    }
}

/* s[0..nb) = Σ_i x[i] · mt[i, 0..nb) for a transposed (hs, Tp) matrix mt; four column blocks at
 * a time so that four FMA chains are in flight. */
static inline void att_scores(float *s, const float *x, const float *mt, int hs, int Tp, int nb)
{
    int t2 = 0;
    for (; t2 + 4 * ATT_VW <= nb; t2 += 4 * ATT_VW) {
        AttVec a0 = ATT_ZERO(), a1 = ATT_ZERO(), a2 = ATT_ZERO(), a3 = ATT_ZERO();
        for (int i = 0; i < hs; i++) {
            const float *row = mt + (size_t)i * Tp + t2;
            AttVec xi = ATT_SET1(x[i]);
            a0 = ATT_FMA(xi, ATT_LOAD(row), a0);
            a1 = ATT_FMA(xi, ATT_LOAD(row + ATT_VW), a1);
            a2 = ATT_FMA(xi, ATT_LOAD(row + 2 * ATT_VW), a2);
            a3 = ATT_FMA(xi, ATT_LOAD(row + 3 * ATT_VW), a3);
        }
        ATT_STORE(s + t2, a0);
        ATT_STORE(s + t2 + ATT_VW, a1);
        ATT_STORE(s + t2 + 2 * ATT_VW, a2);
        ATT_STORE(s + t2 + 3 * ATT_VW, a3);
    }
    for (; t2 < nb; t2 += ATT_VW) {
        AttVec a0 = ATT_ZERO(), a1 = ATT_ZERO();
        int i = 0;
        for (; i + 2 <= hs; i += 2) {
            a0 = ATT_FMA(ATT_SET1(x[i]), ATT_LOAD(mt + (size_t)i * Tp + t2), a0);
            a1 = ATT_FMA(ATT_SET1(x[i + 1]), ATT_LOAD(mt + (size_t)(i + 1) * Tp + t2), a1);
        }
        if (i < hs) a0 = ATT_FMA(ATT_SET1(x[i]), ATT_LOAD(mt + (size_t)i * Tp + t2), a0);
        ATT_STORE(s + t2, ATT_ADD(a0, a1));
    }
}

/* acc + Σ_{t2 < n} w[t2] · rows[t2] (one vector per row, row stride C3), four rows at a time. */
static inline AttVec att_wsum(AttVec acc, const float *w, const float *rows, int n, size_t C3)
{
    AttVec a1 = ATT_ZERO(), a2 = ATT_ZERO(), a3 = ATT_ZERO();
    int t2 = 0;
    for (; t2 + 4 <= n; t2 += 4) {
        const float *r = rows + t2 * C3;
        acc = ATT_FMA(ATT_SET1(w[t2]), ATT_LOAD(r), acc);
        a1 = ATT_FMA(ATT_SET1(w[t2 + 1]), ATT_LOAD(r + C3), a1);
        a2 = ATT_FMA(ATT_SET1(w[t2 + 2]), ATT_LOAD(r + 2 * C3), a2);
        a3 = ATT_FMA(ATT_SET1(w[t2 + 3]), ATT_LOAD(r + 3 * C3), a3);
    }
    for (; t2 < n; t2++) acc = ATT_FMA(ATT_SET1(w[t2]), ATT_LOAD(rows + t2 * C3), acc);
    return ATT_ADD(ATT_ADD(acc, a1), ATT_ADD(a2, a3));
}

static void ATT_SUFFIX(attention_forward)(float *out, float *att, const float *qkv, int B, int T,
                                          int C, int NH)
{
    int hs = C / NH, C3 = 3 * C, Tp = att_round_up(T);
    if (hs % ATT_VW != 0) {
        kernels_scalar.attention_forward(out, att, qkv, B, T, C, NH);
        return;
    }
    float scale = 1.0f / sqrtf((float)hs);
    KERNELS_OMP(parallel for schedule(static))
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        float *kt = kernels_scratch((size_t)hs * Tp + Tp); /* K (hs, Tp) | scores (Tp) */
        float *s = kt + (size_t)hs * Tp;
        const float *base = qkv + (size_t)b * T * C3 + h * hs;
        att_transpose(kt, base + C, T, Tp, hs, C3);
        for (int t = 0; t < T; t++) {
            const float *q = base + (size_t)t * C3;                    /* (hs) */
            float *a = att + (((size_t)b * NH + h) * T + t) * T;       /* (T) */
            float *o = out + ((size_t)b * T + t) * C + h * hs;         /* (hs) */
            int n = t + 1, nb = att_round_up(n);
            att_scores(s, q, kt, hs, Tp, nb);
            AttVec vs = ATT_SET1(scale), mx = ATT_SET1(-INFINITY), sum = ATT_ZERO();
            for (int t2 = n; t2 < nb; t2++) s[t2] = -INFINITY; /* causal mask */
            for (int t2 = 0; t2 < nb; t2 += ATT_VW) {
                AttVec x = ATT_MUL(ATT_LOAD(s + t2), vs);
                ATT_STORE(s + t2, x);
                mx = ATT_MAX(mx, x);
            }
            AttVec vm = ATT_SET1(ATT_HMAX(mx));
            for (int t2 = 0; t2 < nb; t2 += ATT_VW)
                ATT_STORE(s + t2, ATT_EXP(ATT_SUB(ATT_LOAD(s + t2), vm)));
            for (int t2 = n; t2 < nb; t2++) s[t2] = 0.0f; /* exp clamps: make the mask exact */
            for (int t2 = 0; t2 < nb; t2 += ATT_VW) sum = ATT_ADD(sum, ATT_LOAD(s + t2));
            AttVec inv = ATT_SET1(1.0f / ATT_HSUM(sum));
            for (int t2 = 0; t2 < nb; t2 += ATT_VW)
                ATT_STORE(s + t2, ATT_MUL(ATT_LOAD(s + t2), inv));
            memcpy(a, s, (size_t)n * sizeof(float));
            for (int t2 = n; t2 < T; t2++) a[t2] = 0.0f;
            for (int i = 0; i < hs; i += ATT_VW)
                ATT_STORE(o + i, att_wsum(ATT_ZERO(), s, base + 2 * C + i, n, C3));
        }
    }
}

/* Per (b, head), with A = att and rows t of weights a (zero past t):
 *   datt[t, t2] = v_t2 · dout_t,  P[t, t2] = a (datt - a·datt) scale   (softmax backward)
 *   dq_t += Σ_t2 P[t, t2] k_t2                          (row by row, as P is built)
 *   dv_t2 += Σ_t A[t, t2] dout_t,  dk_t2 += Σ_t P[t, t2] q_t   (column by column afterwards)
 * so that every output row accumulates in registers; P (T, Tp) lives in per-thread scratch. */
static void ATT_SUFFIX(attention_backward)(float *dqkv, const float *dout, const float *qkv,
                                           const float *att, int B, int T, int C, int NH)
{
    int hs = C / NH, C3 = 3 * C, Tp = att_round_up(T);
    if (hs % ATT_VW != 0) {
        kernels_scalar.attention_backward(dqkv, dout, qkv, att, B, T, C, NH);
        return;
    }
    float scale = 1.0f / sqrtf((float)hs);
    KERNELS_OMP(parallel for schedule(static))
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        /* V (hs, Tp) | P (T, Tp) | a row (Tp) | two gathered columns (Tp each) */
        float *vt = kernels_scratch((size_t)hs * Tp + (size_t)T * Tp + 3 * (size_t)Tp);
        float *P = vt + (size_t)hs * Tp, *ar = P + (size_t)T * Tp, *wa = ar + Tp, *wp = wa + Tp;
        const float *base = qkv + (size_t)b * T * C3 + h * hs;
        const float *dbase_out = dout + (size_t)b * T * C + h * hs;
        const float *A = att + ((size_t)b * NH + h) * T * T;
        float *dbase = dqkv + (size_t)b * T * C3 + h * hs;
        att_transpose(vt, base + 2 * C, T, Tp, hs, C3);
        for (int t = 0; t < T; t++) {
            const float *a = A + (size_t)t * T;                   /* (T) */
            const float *d = dbase_out + (size_t)t * C;           /* (hs) */
            float *dq = dbase + (size_t)t * C3;                   /* (hs) */
            float *pr = P + (size_t)t * Tp;                       /* (Tp) */
            int n = t + 1, nb = att_round_up(n);
            for (int t2 = 0; t2 < nb; t2++) ar[t2] = t2 < n ? a[t2] : 0.0f;
            att_scores(pr, d, vt, hs, Tp, nb);
            AttVec sv = ATT_ZERO();
            for (int t2 = 0; t2 < nb; t2 += ATT_VW)
                sv = ATT_FMA(ATT_LOAD(ar + t2), ATT_LOAD(pr + t2), sv);
            AttVec vsum = ATT_SET1(ATT_HSUM(sv)), vs = ATT_SET1(scale);
            for (int t2 = 0; t2 < nb; t2 += ATT_VW)
                ATT_STORE(pr + t2, ATT_MUL(ATT_MUL(ATT_LOAD(ar + t2),
                                                   ATT_SUB(ATT_LOAD(pr + t2), vsum)), vs));
            for (int i = 0; i < hs; i += ATT_VW)
                ATT_STORE(dq + i, att_wsum(ATT_LOAD(dq + i), pr, base + C + i, n, C3));
        }
        for (int t2 = 0; t2 < T; t2++) {
            int m = T - t2; /* query rows t = t2 .. T-1 see key t2 */
            for (int j = 0; j < m; j++) {
                wa[j] = A[(size_t)(t2 + j) * T + t2];
                wp[j] = P[(size_t)(t2 + j) * Tp + t2];
            }
            float *dk = dbase + (size_t)t2 * C3 + C, *dv = dk + C;
            for (int i = 0; i < hs; i += ATT_VW) {
                ATT_STORE(dv + i, att_wsum(ATT_LOAD(dv + i), wa, dbase_out + (size_t)t2 * C + i,
                                           m, C));
                ATT_STORE(dk + i, att_wsum(ATT_LOAD(dk + i), wp, base + (size_t)t2 * C3 + i, m,
                                           C3));
            }
        }
    }
}

#endif
