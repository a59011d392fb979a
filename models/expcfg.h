/* expcfg: the configuration keys of `biasamp experiment` (one table, defaults in code; the
 * paper's fine-tuning settings are the defaults) and their cross-field checks. Errors name the
 * key and where its value came from ("FILE:LINE: key: message", ERR_INVAL). */
#ifndef BIASAMP_EXPCFG_H
#define BIASAMP_EXPCFG_H

#include "cfg.h"

#define EXPCFG_MAX_SETUPS 8

typedef struct ExpConfig {
    /* [experiment] */
    long seed;
    long generations;            /* fine-tuning generations 0 .. generations-1 */
    char setups[CFG_STR_MAX];    /* names, space separated (experiment_setup_find) */
    double rho;                  /* real fraction of the preserve setups */
    int capture;                 /* record activation means per model */
    long probe;                  /* probe articles for the activation capture */
    /* [data] */
    char root[CFG_STR_MAX];      /* data root ("" = $BIASAMP_DATA or ../shared/data) */
    char vocab[CFG_STR_MAX];     /* "gpt2", "train" or a folder */
    long vocab_size;             /* vocab = train */
    long corpus_seed;
    long per_class, center_only, quality;
    CfgDList mix;                /* pretraining class shares (the lean knob) */
    long max_blocks;             /* body blocks per fine-tuning article (0: all) */
    /* [base] */
    char base_model[CFG_STR_MAX]; /* load instead of pretraining ("" = pretrain) */
    long layers, heads, channels, context;
    long base_docs, base_max_tokens, base_steps, base_epochs, base_batch, base_accum;
    double base_lr, base_lr_final, base_wd;
    long base_warmup, base_save_every;
    /* [train] */
    long epochs, overfit_epochs, accumulate_epochs, batch, seq, accum, warmup;
    double lr, lr_final, weight_decay, overfit_weight_decay, grad_clip;
    /* [generate] */
    long block, new_tokens, slots;
    int greedy;                  /* 1: the paper's greedy decoding; 0: sample */
    double temperature, top_p;
    long top_k;
    /* [eval] */
    char lean_model[CFG_STR_MAX], quality_model[CFG_STR_MAX], dict[CFG_STR_MAX];
    long lean_max, quality_train, quality_lm, stride;
    /* [plot] */
    int plot_format;
    char reference[CFG_STR_MAX];  /* paper-reference folder ("" = DATA_ROOT/paper-reference) */
} ExpConfig;

extern const CfgKey expcfg_keys[];
extern const char *const expcfg_formats[]; /* "png", "svg" */

/* Cross-field checks: setups known and not repeated, mix sums to 1 with 3 entries, heads divide
 * channels, block + new_tokens <= context, and so on. Fills setups[] (codes) and *nsetups. */
int expcfg_check(const Cfg *c, const ExpConfig *e, int setups[EXPCFG_MAX_SETUPS], int *nsetups);

#endif
