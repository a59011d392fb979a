/* lean: the political-lean classifier — Left/Center/Right probabilities for a text, from softmax
 * regression (models/softmax) on hashed word unigrams + bigrams with sublinear tf, idf and l2
 * normalisation. Trained on Article-Bias-Prediction; called by the experiment on generated texts.
 * The constraint: a model is a pure function of its training texts and options — the same file
 * for any thread count — and prediction is thread-safe. */
#ifndef BIASAMP_LEAN_H
#define BIASAMP_LEAN_H

#include <stddef.h>
#include <stdint.h>

enum { LEAN_LEFT = 0, LEAN_CENTER = 1, LEAN_RIGHT = 2, LEAN_NCLASS = 3 };

typedef struct LeanOpts {
    int hash_bits; /* 2^hash_bits feature buckets, 10..26 */
    uint64_t hash_seed;
    int bigrams;   /* add adjacent-word bigrams */
    int idf;       /* weight by smoothed idf log((1+N)/(1+df)) + 1 */
    double lambda; /* L2 strength (objective: mean NLL + lambda/2 ||W||^2); the default is
                    * the best of 1e-4, 3e-5, 1e-5, 3e-6, 1e-6 on random/valid */
    int max_iter;  /* L-BFGS iterations */
    double tol;    /* relative decrease of the objective at which to stop */
    int threads;   /* <= 0: OpenMP default */
} LeanOpts;

#define LEAN_OPTS_DEFAULTS                                                                         \
    {                                                                                              \
        20, UINT64_C(0x6c65616e), 1, 1, 1e-6, 300, 1e-7, 0                                         \
    }

typedef struct LeanModel LeanModel;

/* Left/Center/Right probabilities p[3] of one text (any bytes; an empty text gets the prior of the
 * intercepts). Thread-safe. */
void lean_predict(const LeanModel *m, const char *text, double p[3]);
/* p[i] for texts[i], i < n, OpenMP-parallel over texts; threads <= 0: OpenMP default. The result
 * does not depend on the thread count. */
void lean_predict_batch(const LeanModel *m, const char *const *texts, size_t n, double (*p)[3],
                        int threads);
/* argmax of p[3] (ties to the lower class). */
int lean_argmax(const double p[3]);

typedef struct LeanTrainInfo {
    size_t n, nnz; /* training texts, stored features */
    int iters, evals, converged;
    double f, gnorm; /* final objective and gradient norm */
    double featurize_s, train_s;
} LeanTrainInfo;

/* Trains on texts[i] with labels y[i] in 0..2. ERR_INVAL for bad options or labels. */
int lean_train(LeanModel **out, const LeanOpts *o, const char *const *texts, const int *y, size_t n,
               LeanTrainInfo *info);

/* One row of a lambda sweep. */
typedef struct LeanTuneRow {
    double lambda, valid_macro_f1, valid_accuracy, train_s;
    int iters, converged;
} LeanTuneRow;

/* Trains for each lambda (in decreasing order, each warm-started from the previous solution) and
 * keeps the model with the best macro-F1 on the validation texts (ties: larger lambda). rows[k]
 * (k < nl) gets the sweep in the order lambdas were given; o->lambda is ignored. */
int lean_tune(LeanModel **out, const LeanOpts *o, const double *lambdas, int nl,
              const char *const *texts, const int *y, size_t n, const char *const *vtexts,
              const int *vy, size_t vn, LeanTuneRow *rows, LeanTrainInfo *info);

void lean_free(LeanModel *m); /* NULL is a no-op */

/* Versioned binary file (magic "BIASLEAN", version, options, idf, weights, crc32); saved
 * atomically. lean_load validates every field: ERR_INVAL naming the file and field. */
int lean_save(const LeanModel *m, const char *path);
int lean_load(LeanModel **out, const char *path);
/* The options the model was trained with (threads 0). */
LeanOpts lean_opts(const LeanModel *m);
/* Number of training texts. */
size_t lean_n_train(const LeanModel *m);

/* Classification quality: confusion[true][pred], per-class precision/recall/F1 (0 when undefined),
 * macro-F1 (mean of the three F1) and accuracy. */
typedef struct LeanMetrics {
    size_t n;
    long confusion[3][3];
    double precision[3], recall[3], f1[3];
    double macro_f1, accuracy;
} LeanMetrics;

void lean_metrics(const int *y, const int *pred, size_t n, LeanMetrics *mt);
/* Predicts texts and scores them against y. */
void lean_evaluate(const LeanModel *m, const char *const *texts, const int *y, size_t n,
                   int threads, LeanMetrics *mt);

/* ---- Article-Bias-Prediction texts for the classifiers (read through models/corpus) ---- */

typedef struct LeanTexts {
    char name[64];
    size_t n;
    char **text; /* "title: <title>\nbody: <body>" (corpus_format, the fine-tuning format) */
    int *y;      /* 0 left, 1 center, 2 right */
} LeanTexts;

/* Loads each named set from the Article-Bias-Prediction folder ROOT/abp, reading the corpus once:
 * "SPLIT/PART" (random or media; train, valid or test) is that split file, "@FILE" the article
 * IDs listed in FILE (one per line, as `biasamp corpus` writes its *.ids). Articles listed in the
 * file `exclude` (may be NULL; same format) are dropped; each set keeps at most max texts (0: all),
 * in set order. Errors are the files' (ERR_IO, ERR_INVAL naming file:line); on error all sets are
 * empty. */
int lean_texts_load(LeanTexts *sets, const char *const *names, int n, const char *root,
                    const char *exclude, size_t max);
void lean_texts_release(LeanTexts *t);

#endif
