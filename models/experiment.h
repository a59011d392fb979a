/* experiment: the iterative fine-tuning experiment — the empirical twin of sim/loop (named
 * experiment, not loop, because sim/loop.h owns that header name and the loop_ prefix). A base
 * model (generation -1; pretrained here with a controlled class mix, or loaded) is fine-tuned on
 * real articles (generation 0), then each generation g >= 1 is fine-tuned further on the texts
 * generation g-1 produced with the paper's 64-token block protocol on the real articles' prompts.
 * Per (setup, generation): lean shares and mean probabilities of the generated texts, TQI and
 * perplexity under the base model (means with 95 % CIs), training loss, tokens, seconds.
 * The constraint: a kill loses at most the generation in progress — state is written atomically
 * at every generation boundary, and a resumed run never repeats or duplicates a row.
 *
 * Results folder:
 *   config.ini          the effective configuration
 *   generations.csv     kind experiment_generations (.part while running; see experiment_columns)
 *   state.txt           the rows done so far, rewritten atomically per (setup, generation)
 *   vocab/              the trained vocabulary (data.vocab = train)
 *   base.ckpt           the pretrained base model (base.partial.ckpt while pretraining)
 *   lean.bin, tqi.bin   classifiers trained inline (unless eval.*_model name files)
 *   ckpt/KEY_gG.ckpt    the model of each generation (KEY = setup name, or `shared` for the
 *                       generation 0 that replace/preserve/accumulate/overfit share)
 *   synth/KEY_gG.tok    the texts each generation produced (models/corpus.h token files)
 *   activations/SETUP_gG.csv  kind experiment_activations: kind (0 residual stream after the
 *                       block, 1 MLP hidden after GELU), layer, unit, mean over the probe
 *   *.png / *.svg       the figures (plots/experiment_*.gp) */
#ifndef BIASAMP_EXPERIMENT_H
#define BIASAMP_EXPERIMENT_H

#include "csvlog.h"
#include "expcfg.h"

/* Setup codes written in the CSVs (`# setup_codes=`); where they overlap sim/loop's modes they
 * share its numbers (replace 0, accumulate 1, preserve 3). */
enum {
    EXP_REPLACE = 0,         /* the paper's "synthetic": the last generation's texts only */
    EXP_ACCUMULATE = 1,      /* real articles + every generation's texts so far */
    EXP_PRESERVE = 3,        /* the last generation's texts, a fraction rho of them replaced by
                                their real articles (redrawn each generation) */
    EXP_OVERFIT = 5,         /* replace with overfit_epochs and no weight decay (from Gen 0) */
    EXP_CENTER = 6,          /* replace on the center-only fine-tuning set */
    EXP_CENTER_PRESERVE = 7, /* preserve on the center-only fine-tuning set */
    EXP_NCODES = 8
};
/* The setup's name ("replace", ...; "synthetic" is accepted for replace), or NULL. */
const char *experiment_setup_name(int code);
/* The code of a name, or -1. */
int experiment_setup_find(const char *name);

/* The columns of generations.csv, in order (NULL-terminated). */
extern const char *const experiment_columns[];
enum {
    EXP_COL_SETUP, EXP_COL_GENERATION, EXP_COL_SHARE_LEFT, EXP_COL_SHARE_CENTER,
    EXP_COL_SHARE_RIGHT, EXP_COL_P_LEFT, EXP_COL_P_CENTER, EXP_COL_P_RIGHT, EXP_COL_BIAS,
    EXP_COL_TQI_MEAN, EXP_COL_TQI_CI95, EXP_COL_PPL_MEAN, EXP_COL_PPL_CI95, EXP_COL_TRAIN_LOSS,
    EXP_COL_TOKENS, EXP_COL_SECONDS, EXP_COL_ARTICLES, EXP_NCOLS
};

typedef struct ExpRunOpts {
    const char *dir;      /* results folder (exists; config.ini already written) */
    const RunInfo *run;   /* CSV metadata */
    int resume;           /* 1: continue from dir/state.txt; 0: dir must hold no state */
    int plot;             /* draw the figures at the end */
    int progress;         /* a progress line with ETA (common/progress) */
    /* Stage messages ("pretraining ...", a line per generation); may be NULL. */
    void (*note)(void *ctx, const char *msg);
    void *ctx;
} ExpRunOpts;

typedef struct ExpResult {
    int rows;            /* rows in generations.csv */
    int rows_resumed;    /* of them, taken from an earlier run's state */
    double seconds;
    double base_share[3]; /* the base model's shares on the balanced prompts (nan if unused) */
} ExpResult;

/* Refuses (ERR_INVAL, with the estimate and the available memory) an experiment whose peak
 * memory exceeds what is available (xalloc_available), before any work: the larger of the
 * pretraining (weights, gradients, AdamW moments, activations for base.batch x base.context) and
 * a fine-tuning generation (the base model and its KV cache, the model trained with AdamW on
 * train.batch x train.seq, its KV cache for generate.slots). The model's shape comes from [base]
 * or, for a base.model in biasamp's checkpoint format, from its header (other formats: not
 * estimated); the vocabulary from data.vocab (gpt2: 50,257; train or a folder: data.vocab_size). */
int experiment_check_memory(const ExpConfig *e);

/* Runs (or continues) the experiment of e (validated by expcfg_check into setups[0..nsetups)).
 * Errors: ERR_INVAL (bad data, a vocabulary or model that does not fit, state of another
 * config), ERR_IO, ERR_NUMERIC (training diverged); generations.csv is then not written (its
 * .part is removed; a killed run leaves the .part) and state.txt holds what finished. */
int experiment_run(const ExpConfig *e, const int *setups, int nsetups, const ExpRunOpts *o,
                   ExpResult *res);

#endif
