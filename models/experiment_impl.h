/* experiment_impl: internal to experiment*.c — the loaded data (planned sets, vocabulary, encoded
 * articles) and the helpers that turn articles into documents, prompts into generated texts, and
 * documents into token files. */
#ifndef BIASAMP_EXPERIMENT_IMPL_H
#define BIASAMP_EXPERIMENT_IMPL_H

#include <stddef.h>

#include "corpus.h"
#include "dp.h" /* dp_train_run, dp_gen_blocks_many: data-parallel over MPI ranks */
#include "experiment.h"
#include "generate.h"
#include "lean.h"
#include "quality.h"
#include "tokenizer.h"
#include "train.h"

/* One article as the experiment sees it: the title prompt "title: <title>\nbody:" and the body
 * " <body>" (together corpus_format's document), encoded separately. */
typedef struct ExpArticle {
    TokenizerIds title, body;
    int bias;
    size_t corpus_index;
} ExpArticle;

typedef struct ExpData {
    char root[4096];
    Corpus *corpus;
    CorpusPlan plan;
    int have_plan;
    Tokenizer *tok;
    int V, eot;
    ExpArticle *prompts[2]; /* 0: the balanced fine-tuning set, 1: the center-only set */
    size_t n_prompts[2];
    ExpArticle *pre;        /* pretraining articles (when the base is pretrained here) */
    size_t n_pre;
} ExpData;

/* The models every generation is scored with. */
typedef struct Evaluators {
    LeanModel *lean;
    QualityModel *tqi;
    Gpt2 *base;
    Gen *base_gen; /* perplexity under the base model */
    int stride;
} Evaluators;

/* The base model's pretraining: last epoch's mean loss, targets, seconds (nan, 0, 0 if loaded). */
typedef struct BaseStats {
    double loss, tokens, seconds;
} BaseStats;

typedef struct ClassifierInfo {
    double lean_macro_f1, lean_accuracy, tqi_accuracy;
} ClassifierInfo;

/* experiment_base.c. The base model: base.model loaded, or DIR/base.ckpt (with base.txt) from an
 * earlier run, or pretrained here, resuming DIR/base.partial.ckpt (and its statistics,
 * base.partial.txt) when o->resume. */
int exp_base_prepare(Gpt2 **out, BaseStats *bs, const ExpData *d, const ExpConfig *e,
                     const char *dir, const ExpRunOpts *o);
/* The lean and TQI classifiers: eval.lean_model / eval.quality_model, or DIR/lean.bin / tqi.bin
 * of an earlier run, or trained here (and saved there); their held-out metrics into *ci. */
int exp_classifiers(Evaluators *ev, ClassifierInfo *ci, const ExpData *d, const ExpConfig *e,
                    const char *dir, const ExpRunOpts *o);

/* Stage message through o->note (printf format). */
void exp_note(const ExpRunOpts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int exp_data_load(ExpData *d, const ExpConfig *e, const char *dir, const ExpRunOpts *o);
void exp_data_release(ExpData *d);
void exp_articles_release(ExpArticle *a, size_t n);
/* Appends the real document of an article: title prompt + the body + EOT; the body cut to the
 * kept blocks (data.max_blocks) when `blocks`, the whole cut to max_len tokens before the EOT when
 * max_len > 0 (pretraining documents: blocks = 0, max_len = base.max_tokens). */
void exp_real_doc(TrainDocs *out, const ExpArticle *a, const ExpConfig *e, int blocks, int eot,
                  size_t max_len);
/* The paper's protocol on n articles: appends per article the document title prompt + the
 * concatenated continuations + EOT. `seed` seeds the per-prompt streams when sampling. */
int exp_generate(Gen *g, const ExpArticle *arts, size_t n, const ExpConfig *e, int eot,
                 uint64_t seed, TrainDocs *out, Progress *prog);
/* Writes documents as a token file (models/corpus.h format), atomically. */
int exp_docs_write(const char *path, const TrainDocs *d, int V);

#endif
