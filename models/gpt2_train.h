/* gpt2_train: one GPT-2 optimizer step — gradient accumulation over micro-batches, a loss mask
 * (target -1), global-norm gradient clipping and AdamW with a linear warm-up / linear decay
 * learning-rate schedule. No allocation, no randomness: the same inputs give the same bits,
 * whatever the thread count. */
#ifndef BIASAMP_GPT2_TRAIN_H
#define BIASAMP_GPT2_TRAIN_H

#include "adamw.h"
#include "gpt2.h"

typedef struct Gpt2TrainConfig {
    float lr;          /* peak learning rate, > 0 */
    float lr_final;    /* learning rate reached at total_steps, in [0, lr] */
    int warmup_steps;  /* steps of linear warm-up from lr/warmup_steps to lr; >= 0 */
    int total_steps;   /* linear decay from lr (after warm-up) to lr_final at total_steps;
                          0 = constant lr after warm-up */
    float grad_clip;   /* maximum global gradient L2 norm; 0 disables clipping */
    int grad_accum;    /* micro-batches per step, >= 1 */
} Gpt2TrainConfig;

typedef struct Gpt2StepStats {
    float loss;      /* mean cross-entropy over the step's non-ignored targets (NAN if none) */
    float grad_norm; /* global L2 norm of the gradient before clipping */
    float lr;        /* the learning rate used */
    int tokens;      /* non-ignored targets in the step */
} Gpt2StepStats;

/* ERR_INVAL naming the field for an out-of-range training config. */
int gpt2_train_config_check(const Gpt2TrainConfig *tc);
/* The learning rate of (0-based) step `step` under the schedule. */
float gpt2_train_lr(const Gpt2TrainConfig *tc, long long step);
/* Global L2 norm of the gradient slab, summed in double over a fixed partition (deterministic). */
double gpt2_grad_norm(const Gpt2 *m);
/* Fills groups (gpt2_tensor_count() entries) with the parameter tensors as AdamW groups. */
void gpt2_adamw_groups(const Gpt2 *m, AdamWGroup *groups);

/* One step at lr = gpt2_train_lr(tc, opt->t): tokens and targets hold tc->grad_accum
 * consecutive (B, T) micro-batches; the loss is the mean over all their non-ignored targets, each
 * micro-batch's gradient weighted by its share. opt must cover m->num_params floats.
 * Errors: ERR_INVAL (bad input, see gpt2_forward); ERR_NUMERIC if the loss or gradient is not
 * finite, or the loss exceeds GPT2_TRAIN_DIVERGED_LOSS x ln V (a model that much worse than the
 * uniform guess has diverged) — then parameters and optimizer state are left unchanged. stats may
 * be NULL. */
#define GPT2_TRAIN_DIVERGED_LOSS 4.0
int gpt2_train_step(Gpt2 *m, AdamW *opt, const Gpt2TrainConfig *tc, const int *tokens,
                    const int *targets, int B, int T, Gpt2StepStats *stats);

#endif
