/* train: GPT-2 training on documents — token lists packed into (B, T) rows, epochs in a seeded
 * order, a learning-rate schedule over the whole run, evaluation loss. Pretraining (the base
 * model) and every fine-tuning generation of the experiment run through train_run.
 * The constraint: a run is a pure function of (model, documents, options) — document order comes
 * from the stream (seed, TRAIN_RNG_PURPOSE, epoch), never from threads or timing. */
#ifndef BIASAMP_TRAIN_H
#define BIASAMP_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "adamw.h"
#include "gpt2.h"
#include "progress.h"

/* A list of documents (token arrays). Caller-owned struct: zero-initialise ({0});
 * train_docs_release frees. Tokens are int (what gpt2_forward reads). */
typedef struct TrainDocs {
    int *tok;      /* every document's tokens, concatenated */
    size_t n_tok, cap_tok;
    size_t *start; /* document i is tok[start[i] .. start[i+1]) (n + 1 offsets when n > 0) */
    size_t n, cap;
} TrainDocs;

void train_docs_release(TrainDocs *d);
/* Appends one document of len tokens (copied; len may be 0). */
void train_docs_push(TrainDocs *d, const int *t, size_t len);
/* Appends document i of src. */
void train_docs_push_doc(TrainDocs *d, const TrainDocs *src, size_t i);
static inline size_t train_docs_len(const TrainDocs *d, size_t i)
{
    return d->start[i + 1] - d->start[i];
}
static inline const int *train_docs_get(const TrainDocs *d, size_t i)
{
    return d->tok + d->start[i];
}
/* Reads a token file (models/corpus.h format) and appends its documents: the file is cut after
 * each EOT (`eot`, kept as the document's last token); a tail without EOT is one more document.
 * max_docs > 0 keeps the first max_docs documents; max_len > 0 truncates each to max_len tokens
 * (the EOT is then dropped, the cut document ends at max_len). *vocab_size (may be NULL) gets the
 * file's vocabulary size. ERR_IO / ERR_INVAL from corpus_tokens_read. */
int train_docs_read(TrainDocs *d, const char *path, int eot, size_t max_docs, size_t max_len,
                    int *vocab_size);

typedef struct TrainOpts {
    int B, T;           /* micro-batch shape; T <= the model's context */
    int grad_accum;     /* micro-batches per optimizer step */
    int epochs;         /* passes over the documents (>= 1) */
    long max_steps;     /* > 0: stop after this many steps (the schedule then spans max_steps) */
    float lr;           /* peak learning rate */
    float lr_final;     /* reached at the last step (linear decay after warm-up) */
    int warmup_steps;
    float grad_clip;    /* 0: off */
    AdamWConfig adamw;  /* weight decay lives here */
    int shuffle;        /* 1: documents in a seeded permutation each epoch; 0: in order */
    int eot;            /* separator appended to a document that does not end with it; -1: none */
    uint64_t seed;
    /* Called after every optimizer step (may be NULL): `step` steps are done. A nonzero return
     * stops the run with that status (checkpointing, logging, interruption in tests). */
    int (*on_step)(void *ctx, const Gpt2 *m, const AdamW *opt, long step, long total, float loss);
    void *ctx;
    /* Not NULL: statistics carried across a resume. train_run continues from *acc (zero it for a
     * fresh run) and keeps it current before each on_step call, so that a caller that saves it
     * with its checkpoint reports the whole run's statistics after a resume. */
    struct TrainStats *acc;
} TrainOpts;

/* B 8, T 128, accumulation 1, 1 epoch, lr 5e-5 -> 0 with no warm-up, clipping 1, torch's AdamW
 * (weight decay 0.01), shuffled, eot -1, seed 1. */
TrainOpts train_opts_default(void);
/* ERR_INVAL naming the field (including T > the model's context when m is not NULL). */
int train_opts_check(const TrainOpts *o, const Gpt2 *m);

/* Packing. An epoch's stream is the documents concatenated in that epoch's order (each ending
 * with eot). Row r of the epoch holds stream[r T .. r T + T] — T inputs and their T next-token
 * targets (rows overlap by one token, so every token but the first is a target exactly once).
 * A final partial row is padded with targets -1 (ignored); an optimizer step takes
 * B x grad_accum rows, and a final partial step pads whole rows with targets -1. */
/* Rows and optimizer steps per epoch for the documents under o. */
void train_plan(const TrainDocs *d, const TrainOpts *o, long *rows, long *steps_per_epoch);

typedef struct TrainStats {
    long steps;           /* optimizer steps taken */
    long tokens;          /* targets trained on (summed over epochs) */
    double loss_first;    /* mean loss of the first step */
    double loss_last;     /* token-weighted mean loss over the last epoch's steps */
    double loss_mean;     /* token-weighted mean over every step */
    double seconds;
    int skipped;          /* steps refused with ERR_NUMERIC (non-finite loss or gradient) */
    double loss_sum, loss_sum_last; /* token-weighted loss sums behind loss_mean and loss_last */
    long tokens_last;     /* targets of the last epoch's steps */
} TrainStats;

/* Divergence: this many consecutive steps with a non-finite loss or gradient stop training. */
#define TRAIN_DIVERGED_STEPS 3

/* Trains m on the documents for o->epochs epochs (or o->max_steps steps) with AdamW; `opt` may be
 * NULL (a fresh optimizer is allocated and freed: what each fine-tuning generation does), else it
 * must cover m and carries its state across calls (its step counter also positions the
 * schedule). m's activations must hold (o->B, o->T). A step whose loss or gradient is not finite
 * (or whose loss is above GPT2_TRAIN_DIVERGED_LOSS x ln V, gpt2_train_step) is skipped and
 * counted (the model is left as it was). Divergence policy: TRAIN_DIVERGED_STEPS consecutive
 * skipped steps, or more than a tenth of all steps skipped, stop training with
 * ERR_NUMERIC and a message naming the step and the loss; on_step is never called after a skipped
 * step, so a checkpoint it wrote earlier is never overwritten by the diverged model. prog (may be
 * NULL) advances per step. ERR_INVAL for bad options or no data. */
int train_run(Gpt2 *m, AdamW *opt, const TrainDocs *d, const TrainOpts *o, TrainStats *stats,
              Progress *prog);

/* Mean next-token loss over the documents, packed as train_run packs them (in order, no
 * shuffling): *loss (nan without targets) and *tokens scored. m's activations must hold (B, T). */
int train_eval_loss(Gpt2 *m, const TrainDocs *d, int B, int T, int eot, double *loss,
                    long *tokens);

#endif
