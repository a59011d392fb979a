/* checkpoint: biasamp's own GPT-2 checkpoint file — magic, version, config, tensor table,
 * float32 weights, optional AdamW state for an exact resume, CRC-32 trailer. Written atomically
 * (temporary file, fsync, rename); a truncated, foreign or corrupt file is a clear error, never a
 * crash, and nothing is loaded from a file that fails its checks. Little-endian hosts only.
 *
 * Layout (all integers little-endian):
 *   "BIASGPT2" | u32 version = 1 | u32 header_bytes | u32 maxT, V, L, NH, C | u32 flags
 *   (bit 0: optimizer state) | u64 step (AdamW t) | f32 beta1, beta2, eps, weight_decay |
 *   u32 ntensors | ntensors x {char name[16], u32 ndim, u32 shape[3], u64 numel} | zero pad to
 *   header_bytes (a multiple of 64) | weights: each tensor's numel float32 in table order (wte as
 *   V x C: no vocabulary padding) | if flags bit 0: m then v, same order and sizes |
 *   u32 CRC-32 (zlib) of every preceding byte | "GPT2END\0". */
#ifndef BIASAMP_CHECKPOINT_H
#define BIASAMP_CHECKPOINT_H

#include "adamw.h"
#include "gpt2.h"

#define CHECKPOINT_VERSION 1

typedef struct CheckpointInfo {
    Gpt2Config config;
    int has_optimizer;
    long long step;     /* AdamW steps taken (0 without optimizer state) */
    AdamWConfig adamw;  /* meaningful with optimizer state */
    long long bytes;    /* file size */
} CheckpointInfo;

/* Writes m (and opt's moments, step and hyperparameters unless opt is NULL) to path, atomically.
 * ERR_IO naming the path on any file-system failure (the old file, if any, is kept). */
int checkpoint_save(const char *path, const Gpt2 *m, const AdamW *opt);

/* Reads and validates the header and the file size (not the checksum) of path. ERR_IO if it
 * cannot be read, ERR_INVAL with the reason if it is not a valid checkpoint. */
int checkpoint_peek(const char *path, CheckpointInfo *info);

/* Loads path into m, whose config must equal the file's, and, when opt is not NULL, the optimizer
 * state into opt (its slab must match m; ERR_INVAL if the file has none). The whole file is
 * verified (sizes, table, CRC-32) before anything is copied: on error m and opt are unchanged. */
int checkpoint_load(const char *path, Gpt2 *m, AdamW *opt);

#endif
