/* layers: GPT-2's non-matmul ops, forward and backward (after llm.c): token+position encoder,
 * layernorm, tanh GELU, residual, causal multi-head attention, softmax and cross-entropy.
 * Every backward ACCUMULATES (+=) into its gradient buffers, so the caller zeroes them once per
 * step. All loops are OpenMP-parallel with one writer per output element (no atomics), so results
 * are deterministic; where a gradient is a sum over rows, threads own columns and sum every row. */
#ifndef BIASAMP_LAYERS_H
#define BIASAMP_LAYERS_H

#include <stddef.h>

/* The longest sequence attention_backward accepts (its per-row temporaries live on the stack). */
#define LAYERS_MAX_T 4096

/* out (B, T, C) = wte[tokens[b, t]] (V, C) + wpe[t] (T, C). Tokens must be in [0, V). */
void encoder_forward(float *out, const int *tokens, const float *wte, const float *wpe, int B,
                     int T, int C);
/* dwte[tokens[b, t]] += dout[b, t]; dwpe[t] += Σ_b dout[b, t]. Threads own channel ranges, so
 * repeated tokens need no atomics and the order of the sums is fixed. */
void encoder_backward(float *dwte, float *dwpe, const float *dout, const int *tokens, int B, int T,
                      int C);

/* Per row of N = B*T rows of C channels: out = (inp - mean) * rstd * weight + bias with
 * rstd = 1 / sqrt(var + 1e-5) (biased variance, as torch). mean, rstd (N) are saved. */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                       const float *bias, int N, int C);
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean, const float *rstd,
                        int N, int C);

/* out = 0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³))) elementwise over n values. */
void gelu_forward(float *out, const float *inp, size_t n);
void gelu_backward(float *dinp, const float *inp, const float *dout, size_t n);

/* out = inp1 + inp2 (out may be inp1 or inp2); backward: dinp1 += dout, dinp2 += dout. */
void residual_forward(float *out, const float *inp1, const float *inp2, size_t n);
void residual_backward(float *dinp1, float *dinp2, const float *dout, size_t n);

/* Causal self-attention with NH heads of size hs = C / NH:
 *   qkv (B, T, 3C) holds q | k | v per position; out (B, T, C) = softmax(q kᵀ / √hs, causal) v
 *   att (B, NH, T, T) keeps the softmax weights for the backward (entries t2 > t are zero).
 * Requires C % NH == 0 and T <= LAYERS_MAX_T. */
void attention_forward(float *out, float *att, const float *qkv, int B, int T, int C, int NH);
/* dqkv (B, T, 3C) += the gradient through q, k and v. Threads own (b, head) pairs. */
void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att, int B,
                        int T, int C, int NH);

/* probs (N, Vp) = softmax over the first V of each row of logits (N, Vp); probs[V..Vp) = 0, so
 * logits of the padding never leak into the distribution. */
void crossentropy_softmax_forward(float *probs, const float *logits, int N, int V, int Vp);
/* losses (N) = -log probs[n, targets[n]]; a negative target (ignored position) gives loss 0. */
void crossentropy_forward(float *losses, const float *probs, const int *targets, int N, int Vp);
/* Fused softmax + cross-entropy backward:
 *   dlogits[n, i] += (probs[n, i] - [i == target]) * dlosses[n]   for i < V;
 * the padding columns [V, Vp) and ignored rows (target < 0) get nothing. */
void crossentropy_softmax_backward(float *dlogits, const float *dlosses, const float *probs,
                                   const int *targets, int N, int V, int Vp);

#endif
