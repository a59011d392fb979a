/* gpt2: the GPT-2 model — learned position embeddings, pre-LN blocks, tanh GELU, causal
 * multi-head attention, final LN, LM head tied to the token embedding — forward and backward on
 * the kernels of kernels.h. Parameters, gradients and activations live in slabs (tensor lists
 * written once as X-macros below); nothing is allocated after gpt2_alloc. The vocabulary is
 * padded to a multiple of GPT2_VOCAB_PAD; padded rows stay zero and padded logits never leak. */
#ifndef BIASAMP_GPT2_H
#define BIASAMP_GPT2_H

#include <stddef.h>
#include <stdint.h>

#define GPT2_VOCAB_PAD 64

typedef struct Gpt2Config {
    int max_seq_len; /* maxT: the context (rows of wpe) */
    int vocab_size;  /* V: real tokens */
    int num_layers;  /* L */
    int num_heads;   /* NH; channels % num_heads == 0 */
    int channels;    /* C */
} Gpt2Config;

/* The parameter tensors, in storage order: X(name, per_layer, rows, cols, decay). The shape is
 * (L,)? (rows,)? cols — L only when per_layer, rows only when non-zero — in terms of L, Vp, maxT
 * and C; decay = 1 for what AdamW decays (weight matrices and embeddings), 0 for biases and
 * LayerNorm parameters. */
#define GPT2_PARAMS(X)                                                                             \
    X(wte, 0, Vp, C, 1)                                                                            \
    X(wpe, 0, maxT, C, 1)                                                                          \
    X(ln1w, 1, 0, C, 0)                                                                            \
    X(ln1b, 1, 0, C, 0)                                                                            \
    X(qkvw, 1, 3 * C, C, 1)                                                                        \
    X(qkvb, 1, 0, 3 * C, 0)                                                                        \
    X(attprojw, 1, C, C, 1)                                                                        \
    X(attprojb, 1, 0, C, 0)                                                                        \
    X(ln2w, 1, 0, C, 0)                                                                            \
    X(ln2b, 1, 0, C, 0)                                                                            \
    X(fcw, 1, 4 * C, C, 1)                                                                         \
    X(fcb, 1, 0, 4 * C, 0)                                                                         \
    X(fcprojw, 1, C, 4 * C, 1)                                                                     \
    X(fcprojb, 1, 0, C, 0)                                                                         \
    X(lnfw, 0, 0, C, 0)                                                                            \
    X(lnfb, 0, 0, C, 0)

/* The activations kept for the backward, X(name, size) in terms of L, B, T, C, NH, Vp.
 * residual2/residual3 are the residual stream after attention / after the MLP of each layer. */
#define GPT2_ACTS(X)                                                                               \
    X(encoded, B * T * C)                                                                          \
    X(ln1, L * B * T * C)                                                                          \
    X(ln1_mean, L * B * T)                                                                         \
    X(ln1_rstd, L * B * T)                                                                         \
    X(qkv, L * B * T * 3 * C)                                                                      \
    X(atty, L * B * T * C)                                                                         \
    X(att, L * B * NH * T * T)                                                                     \
    X(residual2, L * B * T * C)                                                                    \
    X(ln2, L * B * T * C)                                                                          \
    X(ln2_mean, L * B * T)                                                                         \
    X(ln2_rstd, L * B * T)                                                                         \
    X(fch, L * B * T * 4 * C)                                                                      \
    X(fch_gelu, L * B * T * 4 * C)                                                                 \
    X(residual3, L * B * T * C)                                                                    \
    X(lnf, B * T * C)                                                                              \
    X(lnf_mean, B * T)                                                                             \
    X(lnf_rstd, B * T)                                                                             \
    X(logits, B * T * Vp)                                                                          \
    X(probs, B * T * Vp)                                                                           \
    X(losses, B * T)

/* Gradient scratch for one layer at a time, reused down the stack (the residual-stream gradient
 * dres accumulates across layers; see gpt2_backward). dlogits reuses acts.logits, so after a
 * backward acts.logits holds the logits' gradient. */
#define GPT2_GRAD_ACTS(X)                                                                          \
    X(dres, B * T * C)                                                                             \
    X(dln, B * T * C)                                                                              \
    X(datty, B * T * C)                                                                            \
    X(dqkv, B * T * 3 * C)                                                                         \
    X(dfch, B * T * 4 * C)                                                                         \
    X(dfch_gelu, B * T * 4 * C)                                                                    \
    X(dlosses, B * T)

#define GPT2_FIELD_P(name, per_layer, rows, cols, decay) float *name;
#define GPT2_FIELD_A(name, size) float *name;
typedef struct Gpt2Params {
    GPT2_PARAMS(GPT2_FIELD_P)
} Gpt2Params;
typedef struct Gpt2Acts {
    GPT2_ACTS(GPT2_FIELD_A)
} Gpt2Acts;
typedef struct Gpt2GradActs {
    GPT2_GRAD_ACTS(GPT2_FIELD_A)
} Gpt2GradActs;
#undef GPT2_FIELD_P
#undef GPT2_FIELD_A

typedef struct Gpt2 {
    Gpt2Config config;
    int Vp;             /* padded vocabulary */
    int B, T;           /* the largest batch shape the activations hold */
    size_t num_params;  /* floats in the parameter slab (with vocabulary padding) */
    Gpt2Params params;  /* views into param_memory */
    Gpt2Params grads;   /* views into grad_memory, same layout */
    float *param_memory, *grad_memory;
    Gpt2Acts acts;
    Gpt2GradActs gacts;
    float *act_memory, *gact_memory;
    int *tokens, *targets; /* (B, T) copies of the last forward's input */
    int cur_B, cur_T;      /* shape of the last forward; 0 if none */
    int have_targets;      /* the last forward had targets (backward allowed) */
    int num_targets;       /* non-ignored targets of the last forward */
    float mean_loss;       /* of the last forward with targets; NAN without */
} Gpt2;

/* One parameter tensor as stored: name, shape (the real vocabulary V for wte, not Vp), where it
 * lives in the slab, and whether AdamW decays it. */
typedef struct Gpt2Tensor {
    const char *name;
    int ndim;
    int shape[3];
    size_t offset; /* in floats from param_memory (and grad_memory), a multiple of 16 */
    size_t size;   /* floats of the tensor in the slab, vocabulary padding included */
    size_t numel;  /* floats of the stored shape (wte: V x C) */
    int decay;
} Gpt2Tensor;

/* ERR_INVAL naming the field when a config is out of range (every field >= 1, channels divisible
 * by num_heads, head size <= 4096, max_seq_len <= LAYERS_MAX_T, sizes that fit in memory). */
int gpt2_config_check(const Gpt2Config *cfg);
/* The GPT-2 small (124M) configuration: maxT 1024, V 50257, L 12, NH 12, C 768. */
Gpt2Config gpt2_config_124m(void);
/* Real parameters, without vocabulary padding (124,439,808 for GPT-2 124M). */
size_t gpt2_config_num_params(const Gpt2Config *cfg);

/* The memory of a model in bytes, as gpt2_alloc(cfg, B, T) lays it out (vocabulary padding and
 * 16-float alignment included): weights, their gradients, the activations kept for the backward
 * over (B, T) and their gradients (tokens, targets), plus AdamW's two moments (as much as the
 * weights each) when counted. Doubles, so that an absurd config cannot overflow. */
typedef struct Gpt2Memory {
    double params, grads, moments, acts, total;
} Gpt2Memory;
Gpt2Memory gpt2_memory(const Gpt2Config *cfg, int B, int T, int optimizer);

/* Allocates a zeroed model whose activations hold batches up to (B, T), T <= max_seq_len.
 * ERR_INVAL for a bad config or shape; on success *out owns everything, free with gpt2_free. */
int gpt2_alloc(Gpt2 **out, const Gpt2Config *cfg, int B, int T);
void gpt2_free(Gpt2 *m); /* NULL is a no-op */

/* GPT-2's initialisation from a seed (stream (seed, RNG_PURPOSE_MODEL, 0)): weights and
 * embeddings N(0, 0.02²), residual projections (attprojw, fcprojw) N(0, (0.02/√(2L))²), biases 0,
 * LayerNorm weights 1; padded wte rows 0. Deterministic. */
void gpt2_init_random(Gpt2 *m, uint64_t seed);

/* The number of parameter tensors and the i-th one's description (i < gpt2_tensor_count()). */
int gpt2_tensor_count(void);
Gpt2Tensor gpt2_tensor(const Gpt2 *m, int i);

/* Forward over tokens (B, T) with B <= m->B, T <= m->T. With targets (B, T) (a negative target
 * is ignored), *loss = mean cross-entropy over the non-ignored targets (NAN if none) and
 * acts.probs hold the next-token distributions; targets may be NULL (loss NAN). Tokens must be in
 * [0, V) and targets in [-1, V): ERR_INVAL otherwise. loss may be NULL. */
int gpt2_forward(Gpt2 *m, const int *tokens, const int *targets, int B, int T, float *loss);
/* ACCUMULATES into m->grads the gradient of scale x (the last forward's mean loss).
 * ERR_INVAL if the last forward had no targets. Gradient accumulation over k micro-batches of
 * equal token counts: zero once, then scale = 1/k for each. */
int gpt2_backward(Gpt2 *m, float scale);
void gpt2_zero_grad(Gpt2 *m);

#endif
