/* kernels: the SIMD kernel contract (matmul forward/backward, GELU, softmax, attention, AdamW
 * update) and run-time dispatch. A variant is a const KernelSet table (GSL style); the plain-C
 * scalar reference stays forever and every other variant must match it within float rounding
 * (tests/check_kernels.c). Each kernel runs its own OpenMP loop (threads own whole output rows or
 * tiles, no atomics): call it from one thread. x86-64 only. */
#ifndef BIASAMP_KERNELS_H
#define BIASAMP_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* The per-step constants of one AdamW update (see adamw.h): g is taken as grad_scale * g, then
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g²;
 *   p = p shrink - step_size m / (√v / bc2_sqrt + eps) */
typedef struct KernelAdamW {
    float b1, b2, eps;
    float shrink;    /* 1 - lr wd for decayed tensors, else 1 */
    float step_size; /* lr / (1 - b1^t) */
    float bc2_sqrt;  /* √(1 - b2^t) */
    float grad_scale;
} KernelAdamW;

typedef struct KernelSet {
    const char *name; /* "scalar", "avx2", "avx512" */
    /* out (BT, OC) = inp (BT, C) · weight (OC, C)ᵀ + bias (OC)
     * out is overwritten; bias may be NULL (then no bias). out must not alias inp/weight. */
    void (*matmul_forward)(float *out, const float *inp, const float *weight, const float *bias,
                           int BT, int C, int OC);
    /* The few-row product (decoding) on weights packed by kernels_pack: out (BT, OC) =
     * inp (BT, C) · W (OC, C)ᵀ + bias for 1 <= BT <= KERNELS_BF16_MAX_ROWS. Bitwise equal to
     * matmul_forward on W with any thread count; faster (no transposes: the packed layout is
     * what the few-row sums read). NULL in the scalar variant. */
    void (*matmul_forward_packed)(float *out, const float *inp, const float *wpack,
                                  const float *bias, int BT, int C, int OC);
    /* The few-row product on bfloat16 weights (decoding only; see kernels_bf16_pack):
     * out (BT, OC) = inp (BT, C) · W (OC, C)ᵀ + bias for 1 <= BT <= KERNELS_BF16_MAX_ROWS, W packed
     * by kernels_bf16_pack. Bitwise equal to matmul_forward on the rounded weights
     * kernels_bf16_round(w) with any thread count. NULL in the scalar variant. */
    void (*matmul_forward_bf16)(float *out, const float *inp, const uint16_t *wpack,
                                const float *bias, int BT, int C, int OC);
    /* Accumulates (+=) into whatever the gradients already hold, as llm.c does:
     *   dinp    (BT, C) += dout (BT, OC) · weight (OC, C)
     *   dweight (OC, C) += dout (BT, OC)ᵀ · inp (BT, C)
     *   dbias   (OC)    += Σ_bt dout (BT, OC)
     * Any of dinp, dweight, dbias may be NULL (that gradient is skipped). */
    void (*matmul_backward)(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, int BT, int C, int OC);
    /* out = 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) for the n values x of inp (out may be inp).
     * The SIMD variants evaluate tanh through their own exp: within 1e-6 (1 + |x|) of scalar. */
    void (*gelu_forward)(float *out, const float *inp, size_t n);
    /* dinp += gelu'(inp) · dout over n values. */
    void (*gelu_backward)(float *dinp, const float *inp, const float *dout, size_t n);
    /* probs (N, Vp) = softmax over the first V values of each row of logits (N, Vp), summed in
     * double; probs[V..Vp) = 0. SIMD variants use their own exp: within 1e-6 relative of scalar. */
    void (*softmax_forward)(float *probs, const float *logits, int N, int V, int Vp);
    /* Causal multi-head attention, forward and backward: the contract of layers.h's
     * attention_forward / attention_backward (which dispatch here). */
    void (*attention_forward)(float *out, float *att, const float *qkv, int B, int T, int C,
                              int NH);
    void (*attention_backward)(float *dqkv, const float *dout, const float *qkv, const float *att,
                               int B, int T, int C, int NH);
    /* One AdamW update of n parameters p with gradients g and moments m, v (in place). */
    void (*adamw_update)(float *p, const float *g, float *m, float *v, size_t n,
                         const KernelAdamW *a);
} KernelSet;

/* The variants. kernels_avx2/kernels_avx512 may only be called when kernels_supported() says so. */
extern const KernelSet kernels_scalar;
extern const KernelSet kernels_avx2;
extern const KernelSet kernels_avx512;

/* The variant named "scalar", "avx2" or "avx512" (NULL if unknown; "auto" is not a variant). */
const KernelSet *kernels_find(const char *name);
/* 1 if this CPU can run the variant (AVX2+FMA, or AVX-512 F/BW/DQ/VL), else 0. */
int kernels_supported(const KernelSet *ks);
/* Selects the process-wide variant: "scalar" | "avx2" | "avx512" | "auto" (best supported).
 * ERR_INVAL for an unknown name, ERR_UNSUPPORTED if this CPU lacks it; the choice is unchanged
 * on error. Call at start-up, not while kernels run on other threads. */
int kernels_set(const char *name);
/* The current variant; the first call without kernels_set() selects "auto". Never NULL. */
const KernelSet *kernels_get(void);
/* Name of the current variant (for CSV metadata). */
const char *kernels_name(void);

/* bfloat16 weights for decoding. A batch-1 decoder reads every weight once per token, so its
 * speed is the memory bandwidth over the weights' bytes; bfloat16 (the top 16 bits of a float)
 * halves them. The rounding (to nearest, ties to even; NaN stays NaN) is the only numerical
 * change: products are formed in float from the exact widened values. */
#define KERNELS_BF16_MAX_ROWS 4
float kernels_bf16_round(float x); /* x rounded to the nearest bfloat16, as a float */
/* Values kernels_pack / kernels_bf16_pack write for a (OC, C) matrix: C x OC rounded up to 8
 * rows. */
size_t kernels_packed_len(int C, int OC);
/* Packs w (OC, C) in float, laid out as kernels_bf16_pack below. */
void kernels_pack(float *dst, const float *w, int C, int OC);
/* Packs w (OC, C) in groups of 8 rows, k-major inside a group, rows past OC zero:
 * dst[(g C + k) 8 + r] = bfloat16(w[(8 g + r) C + k]). */
void kernels_bf16_pack(uint16_t *dst, const float *w, int C, int OC);

/* OpenMP pragmas for the model's loops, written KERNELS_OMP(parallel for schedule(static)); they
 * vanish without a -Wunknown-pragmas warning in OMP=0 builds. */
#define KERNELS_STR_(x) #x
#ifdef _OPENMP
#define KERNELS_OMP(x) _Pragma(KERNELS_STR_(omp x))
#else
#define KERNELS_OMP(x)
#endif

/* Internal to the variant files: a 64-byte aligned per-thread scratch buffer of at least n floats,
 * owned by the calling thread (freed at thread exit). Grows only, so it is allocated on a thread's
 * first kernels and rarely after. */
float *kernels_scratch(size_t n);

#endif
