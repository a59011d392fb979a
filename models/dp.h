/* dp: data-parallel GPT-2 over MPI ranks (common/par). Rank 0 runs the program and alone touches
 * files; ranks 1.. serve it (dp_serve). A dp_train_run or dp_gen_blocks_many call on rank 0
 * broadcasts the model, the options and the data, then every rank does its share:
 *   training    each optimizer step's B x grad_accum rows are split into contiguous shares, every
 *               rank runs forward/backward on its share (micro-batches of <= B rows), gradients
 *               and the loss are summed with MPI_Allreduce, and every rank applies the same AdamW
 *               update, so all ranks keep identical weights. The loss equals one process's up to
 *               float summation order.
 *   generation  the block prompts are split into contiguous shares (each keeps its PCG stream
 *               from (seed, prompt index)); rank 0 gathers the continuations in order, so the
 *               synthetic set equals one process's token for token.
 * On one rank (or without MPI) every dp_ call is the plain call it wraps.
 * For whoever changes train_run: every rank runs the same train_run, so any decision to skip or
 * stop a step must come from values identical on all ranks (the summed loss and gradient, the
 * step counter) or from o->on_step (rank 0's status is broadcast to all). */
#ifndef BIASAMP_DP_H
#define BIASAMP_DP_H

#include "generate.h"
#include "gpt2.h"
#include "train.h"

/* Ranks > 0: serve rank 0's dp_ calls until it calls dp_release; returns the first failing
 * status (the caller prints it and ends the job). On rank 0: returns ERR_OK at once. */
int dp_serve(void);
/* Rank 0: lets the serving ranks return from dp_serve (a no-op on one rank). Call once, when no
 * more dp_ work follows. */
void dp_release(void);

/* train_run, data-parallel across the ranks (rank 0 only; the serving ranks join). o->on_step
 * runs on rank 0 and its status stops every rank. Same contract as train_run. */
int dp_train_run(Gpt2 *m, AdamW *opt, const TrainDocs *d, const TrainOpts *o, TrainStats *stats,
                 Progress *prog);

/* gen_blocks_many with the prompts split across the ranks (rank 0 only; the outputs are rank
 * 0's). Same contract as gen_blocks_many. */
int dp_gen_blocks_many(Gen *g, const int *const *titles, const int *title_lens,
                       const int *const *bodies, const int *body_lens, size_t n, int block_len,
                       const GenOpts *o, int **outs, int *out_lens, Progress *prog);

/* The forward/backward part of one optimizer step (gpt2_train_step): K consecutive (B, T)
 * micro-batches, each micro-batch's gradient weighted by its share of the step's ntok targets,
 * accumulated into m's (zeroed) gradient; *loss_sum = sum of loss x targets. Inside
 * dp_train_run on several ranks, this rank's share of the rows only, then gradients and loss
 * summed over the ranks. Errors from gpt2_forward/backward. */
int dp_accumulate(Gpt2 *m, const int *tokens, const int *targets, int B, int T, int K, int ntok,
                  double *loss_sum);

#endif
