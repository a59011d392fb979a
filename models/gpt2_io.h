/* gpt2_io: GPT-2 weights in the wider ecosystem's formats — Hugging Face GPT2LMHeadModel
 * safetensors (import and export; F32/F16/BF16; Conv1D [in, out] weights transposed to the
 * engine's [out, in]; with or without the "transformer." prefix; causal-mask buffers skipped; the
 * tied lm_head optional) and llm.c's .bin checkpoints (import; fp32 v3 and bf16 v5, padded
 * vocabulary). Untrusted input: every shape is checked and errors name the tensor. */
#ifndef BIASAMP_GPT2_IO_H
#define BIASAMP_GPT2_IO_H

#include "gpt2.h"

/* Loads a GPT2LMHeadModel safetensors file into a new model with activations for (B, T)
 * (T <= the file's context). The number of heads comes from the file's "__metadata__" key
 * "n_head", else from a config.json next to the file ("n_head"), else head size 64 is assumed
 * (true for every released GPT-2). ERR_INVAL naming the tensor for a missing, extra, misshapen or
 * non-finite tensor; an untied lm_head.weight (different from wte) is refused. */
int gpt2_load_safetensors(Gpt2 **out, const char *path, int B, int T);

/* Writes the model as F32 safetensors in the layout `GPT2LMHeadModel.save_pretrained` produces:
 * "transformer."-prefixed names, Conv1D weights [in, out], no lm_head (tied), metadata
 * {format: pt, n_head, n_ctx, n_embd, n_layer, vocab_size}. Atomic (temp file + rename). */
int gpt2_save_safetensors(const Gpt2 *m, const char *path);

/* llm.c checkpoints: a 256 x int32 header {20240326, version 3 (fp32) or 5 (bf16), maxT, V, L,
 * NH, C, Vp}, then the parameters in llm.c's order (the engine's), wte with Vp rows. */
#define GPT2_LLMC_MAGIC 20240326
int gpt2_load_llmc(Gpt2 **out, const char *path, int B, int T);
/* Writes an fp32 (version 3) llm.c checkpoint (for interoperability and tests). */
int gpt2_save_llmc(const Gpt2 *m, const char *path);

/* Any of the three formats, detected from the file's first bytes: biasamp's own checkpoint
 * ("BIASGPT2", models/checkpoint.h), an llm.c .bin (magic 20240326) or safetensors. The
 * activations hold (B, T) with T clamped to the model's context. */
int gpt2_load_any(Gpt2 **out, const char *path, int B, int T);

/* Writes m as OUT's extension says: .safetensors (HF), .bin (llm.c fp32), anything else
 * biasamp's own checkpoint (weights only). */
int gpt2_save_any(const Gpt2 *m, const char *path);

#endif
