/* generate: GPT-2 inference with a KV cache — many prompts of different lengths in one batch
 * (prefill and decode rows share every matmul), greedy or sampled decoding, the paper's 64-token
 * block protocol, per-text negative log-likelihood (perplexity) and activation capture. A
 * sequence's result never depends on what else is in the batch: each prompt owns its PCG stream
 * (seed, RNG_PURPOSE_GENERATE, prompt index). */
#ifndef BIASAMP_GENERATE_H
#define BIASAMP_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "gpt2.h"
#include "progress.h"

typedef struct GenOpts {
    int max_new;       /* tokens generated per prompt (>= 1) */
    int greedy;        /* 1: argmax (ties: lowest id); 0: sample */
    float temperature; /* sampling only, > 0 */
    int top_k;         /* sampling only; 0 = off */
    float top_p;       /* sampling only; 1 = off */
    int eot;           /* end-of-text id; generation of a prompt stops after emitting it (the EOT
                        * is not part of the output); -1 = never stop early */
    uint64_t seed;
} GenOpts;

/* Defaults: 64 new tokens, greedy, temperature 1, no top-k/top-p, eot = V-1 of GPT-2 (50256). */
GenOpts gen_opts_default(void);

typedef struct Gen Gen;

/* Inference state for model m: `slots` sequences decoded at once, each up to max_len tokens
 * (prompt + continuation, <= the model's context), at most `rows` token rows per step
 * (prefill chunks + one row per decoding sequence; rows >= slots). The model must outlive it. */
int gen_alloc(Gen **out, const Gpt2 *m, int slots, int max_len, int rows);
void gen_free(Gen *g); /* NULL is a no-op */

/* The weights a Gen decodes with. Decoding one sequence reads every weight once per token, so
 * batch-1 speed is memory bandwidth over the weights' bytes.
 *   GEN_F32         the model's floats as they are (the default; nothing extra allocated);
 *   GEN_F32_PACKED  the same values, plus a copy of the matmul weights packed for the few-row
 *                   products of decoding (kernels_pack): faster decoding, identical results;
 *   GEN_BF16        every matmul weight (the four per block and the tied embedding / LM head)
 *                   rounded to the nearest bfloat16 and, for decoding rows, read packed in 16
 *                   bits: half the bytes. Prefill and batched rows use the same rounded values in
 *                   float, so results still never depend on the batch. Costs a float copy of the
 *                   parameters and a 16-bit copy of the matmul weights.
 * The model itself is never modified. */
typedef enum GenWeights { GEN_F32 = 0, GEN_F32_PACKED = 1, GEN_BF16 = 2 } GenWeights;

/* Sets g's weight format; call once, before generating (ERR_INVAL otherwise). */
int gen_set_weights(Gen *g, GenWeights w);

/* Continues n prompts (prompts[i] has lens[i] >= 1 tokens, lens[i] + max_new <= max_len).
 * outs[i] receives a malloc'd array of out_lens[i] tokens (free each with free()). `index0` is
 * the index of prompts[0] in the caller's numbering (it seeds the per-prompt streams, so a prompt
 * samples the same tokens however the work is split). prog may be NULL. ERR_INVAL for a token
 * out of range or a prompt too long. */
int gen_generate(Gen *g, const int *const *prompts, const int *lens, size_t n, size_t index0,
                 const GenOpts *o, int **outs, int *out_lens, Progress *prog);

/* The paper's synthetic-data protocol for one article: the title is one block, the body is cut
 * into consecutive blocks of block_len tokens (the last may be shorter), and every block is
 * continued independently (greedy per `o`; o->max_new is the continuation length). The
 * continuations are concatenated in order into *out (malloc'd, *out_len tokens). Blocks of many
 * articles are batched by gen_blocks_many. */
int gen_blocks(Gen *g, const int *title, int title_len, const int *body, int body_len,
               int block_len, const GenOpts *o, int **out, int *out_len);

/* The protocol over n articles at once (all blocks batched). outs/out_lens as gen_generate. */
int gen_blocks_many(Gen *g, const int *const *titles, const int *title_lens,
                    const int *const *bodies, const int *body_lens, size_t n, int block_len,
                    const GenOpts *o, int **outs, int *out_lens, Progress *prog);

/* 1: gen_blocks_many becomes collective over the MPI ranks (every rank calls it with the same
 * articles): each rank continues a contiguous share of the block prompts and rank 0 receives all
 * continuations in order (the other ranks' outs cover their share only). A no-op on one rank.
 * Used by models/dp. */
void gen_split_ranks(Gen *g, int on);
/* The model and the shape gen_alloc was given; the weight format gen_set_weights set. */
const Gpt2 *gen_model(const Gen *g);
void gen_shape(const Gen *g, int *slots, int *max_len, int *rows);
GenWeights gen_weights(const Gen *g);

/* Block boundaries of the protocol: writes the starts of the body blocks into starts (at most
 * max_blocks) and returns their number: ceil(body_len / block_len). */
int gen_block_starts(int body_len, int block_len, int *starts, int max_blocks);

/* Negative log-likelihood of each text under the model: nll[i] = -sum log p(t_k | t_<k) over
 * k = 1 .. len-1, count[i] = len-1 scored tokens. Texts longer than the context are scored with a
 * sliding window of max_len tokens advancing by stride (each token scored once, with at least
 * max_len - stride tokens of context after the first window). Perplexity = exp(nll / count). */
int gen_nll(Gen *g, const int *const *texts, const int *lens, size_t n, int stride, double *nll,
            long *count, Progress *prog);

/* Activation capture over a probe set: block_mean (L, C) = mean over every token of every text of
 * the residual stream after each block; mlp_mean (L, 4C) = mean of the MLP hidden units after
 * GELU. Texts longer than max_len are truncated to max_len tokens. */
int gen_capture(Gen *g, const int *const *texts, const int *lens, size_t n, double *block_mean,
                double *mlp_mean);

#endif
