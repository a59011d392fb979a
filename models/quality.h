/* quality: the Text Quality Index (TQI). Each sentence gets a level — 0 noise, 1 word salad,
 * 2 mild gibberish, 3 clean — from softmax regression (models/softmax) on features of the sentence:
 * dictionary-word rate, word-bigram log-probabilities under a hashed corpus language model,
 * repetition and character statistics. The classifier learns from held-out real sentences and
 * controlled corruptions of them. Sentence score = expected level sum_l l p_l (or the paper's
 * argmax level x its probability); article TQI = mean over its sentences.
 * The constraint: scoring is a pure, thread-safe function of the model file and the text. */
#ifndef BIASAMP_QUALITY_H
#define BIASAMP_QUALITY_H

#include <stddef.h>
#include <stdint.h>

#include "textfeat.h"

enum {
    QUALITY_NOISE = 0,
    QUALITY_SALAD = 1,
    QUALITY_MILD = 2,
    QUALITY_CLEAN = 3,
    QUALITY_NLEVEL = 4
};

/* How a sentence's probabilities become its score. */
enum {
    QUALITY_EXPECTED = 0,   /* sum_l l * p_l (default) */
    QUALITY_ARGMAX_PROB = 1 /* argmax level * its probability (the paper's variant) */
};

typedef struct QualityModel QualityModel;

/* Per-text result; buffers grow and are reused across calls (one QualityScore per thread). */
typedef struct QualityScore {
    int mode;       /* input: QUALITY_EXPECTED or QUALITY_ARGMAX_PROB (init: expected) */
    size_t n;       /* sentences */
    TextSpan *span; /* [n] byte ranges of the sentences in the text */
    int *level;     /* [n] argmax level */
    double *p;      /* [n*4] level probabilities */
    double *score;  /* [n] sentence scores */
    double tqi;     /* mean of score[]; 0 for a text without any sentence */
    size_t cap, span_cap;
    void *scratch; /* internal */
} QualityScore;

void quality_score_init(QualityScore *s);
void quality_score_release(QualityScore *s);

/* Scores every sentence of text (NUL-terminated, any bytes) into *out. Thread-safe for distinct
 * out. Returns ERR_OK (no failure mode besides out of memory, which is fatal). */
int quality_score_text(const QualityModel *m, const char *text, QualityScore *out);
/* Article TQIs tqi[i] of texts[i], OpenMP-parallel; mode as in QualityScore. Thread-count
 * independent. */
void quality_score_batch(const QualityModel *m, const char *const *texts, size_t n, int mode,
                         double *tqi, int threads);

/* Generation TQI: mean and the half-width of the t-based 95% confidence interval
 * (t_{0.975, n-1} s / sqrt n). n == 0: both nan; n == 1: ci95 nan. */
void quality_summary(const double *x, size_t n, double *mean, double *ci95);

/* ---- training ---- */

typedef struct QualityOpts {
    uint64_t seed;            /* corruptions and sentence choice */
    int sentences_per_text;   /* at most this many sentences from each training text */
    int min_words, max_words; /* sentences used for training have this many words */
    int uni_bits, bi_bits;    /* language-model hash tables: 2^bits counters */
    const char *dict_path;    /* word list (e.g. /usr/share/dict/words); NULL or missing: the
                                 corpus words seen >= 3 times are the dictionary */
    double lambda;            /* L2 strength of the classifier */
    int max_iter;
    int threads; /* <= 0: OpenMP default */
} QualityOpts;

#define QUALITY_DICT_DEFAULT "/usr/share/dict/words"
#define QUALITY_OPTS_DEFAULTS                                                                      \
    {                                                                                              \
        1, 8, 4, 60, 20, 22, QUALITY_DICT_DEFAULT, 1e-4, 500, 0                                    \
    }

typedef struct QualityTrainInfo {
    size_t lm_texts, lm_tokens;
    size_t train_sentences; /* originals; examples = 4x */
    int dict_from_corpus;   /* 1 if the word list was missing */
    size_t dict_words;
    int iters, converged;
    double f, train_accuracy, seconds;
} QualityTrainInfo;

/* Builds the language model from lm_texts, then trains the level classifier on sentences of
 * texts (disjoint from lm_texts, so that bigram features look as they will on new text) and their
 * corruptions. ERR_INVAL for bad options or no usable sentence. */
int quality_train(QualityModel **out, const QualityOpts *o, const char *const *lm_texts,
                  size_t n_lm, const char *const *texts, size_t n, QualityTrainInfo *info);

/* Held-out evaluation: the same construction (seeded) on texts the model has not seen. */
typedef struct QualityEval {
    size_t n;             /* examples (4 per original sentence) */
    long confusion[4][4]; /* [true level][argmax level] */
    double accuracy;
    double mean_score[4];  /* mean expected-level score per true level */
    double mean_p_true[4]; /* mean probability of the true level */
} QualityEval;

int quality_evaluate(const QualityModel *m, const QualityOpts *o, const char *const *texts,
                     size_t n, QualityEval *ev);

/* One corruption of sentence s (n bytes) at `level` (0..3; 3 returns a copy), using words of
 * `pool` (another sentence or text; may be NULL) for substitutions; deterministic in r.
 * Returns a new string. `r` is a gsl_rng. */
char *quality_corrupt(const char *s, size_t n, int level, const char *pool, void *r);

void quality_free(QualityModel *m); /* NULL is a no-op */

/* Versioned binary file (magic "BIASTQI\0"): language-model tables, dictionary bit set, feature
 * standardisation and weights, crc32. Load validates every field (ERR_INVAL naming it). */
int quality_save(const QualityModel *m, const char *path);
int quality_load(QualityModel **out, const char *path);

/* The feature vector of one sentence (for tests and inspection): x[quality_nfeatures()]. */
int quality_nfeatures(void);
const char *quality_feature_name(int j);
void quality_features(const QualityModel *m, const char *s, size_t n, double *x);

#endif
