/* softmax: multinomial logistic regression on sparse rows — the one learner behind the lean
 * classifier and the text-quality index — trained by L-BFGS on the mean negative log-likelihood
 * plus (lambda/2)||W||^2, and the versioned, checksummed binary files both models are saved in.
 * The constraint: training is bit-identical for any thread count (rows are scored in parallel,
 * then each weight's gradient is summed over rows in row order by the one thread owning it). */
#ifndef BIASAMP_SOFTMAX_H
#define BIASAMP_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

/* Training rows: a CSR matrix of float features (columns ascending within a row) and labels. */
typedef struct SoftmaxData {
    size_t n;   /* rows */
    uint32_t D; /* columns */
    size_t nnz, cap;
    size_t *row;   /* [n+1] offsets into col/val */
    uint32_t *col; /* [nnz] */
    float *val;    /* [nnz] */
    int *y;        /* [n] labels 0..K-1 */
    size_t ncap;
} SoftmaxData;

void softmax_data_init(SoftmaxData *X, uint32_t D);
/* Appends one row (col strictly ascending and < D, checked by assert) with label y. */
void softmax_data_add(SoftmaxData *X, const uint32_t *col, const float *val, size_t m, int y);
void softmax_data_release(SoftmaxData *X);

typedef struct Softmax {
    int K;         /* classes, >= 2 */
    uint32_t D;    /* features */
    double *theta; /* [D*K + K] the one parameter slab: W then b */
    double *W;     /* view: [D][K] feature-major, W[j*K + k] */
    double *b;     /* view: [K] biases (not regularised) */
} Softmax;

/* All weights zero (uniform predictions). Out of memory is fatal. */
Softmax *softmax_alloc(int K, uint32_t D);
void softmax_free(Softmax *m); /* NULL is a no-op */

/* Class probabilities p[K] of one sparse row (idx < D). Thread-safe. */
void softmax_predict(const Softmax *m, const uint32_t *idx, const float *val, size_t nnz,
                     double *p);

/* The training objective f = (1/n) sum_i -log p(y_i | x_i) + (lambda/2) ||W||^2 at m; when g is
 * not NULL also its gradient g[D*K + K] (same layout as theta). threads <= 0: OpenMP default. */
double softmax_objective(const Softmax *m, const SoftmaxData *X, double lambda, double *g,
                         int threads);

typedef struct SoftmaxTrainOpts {
    double lambda; /* L2 strength on W */
    int max_iter;  /* L-BFGS iterations */
    int history;   /* L-BFGS memory (pairs) */
    double tol;    /* stop when the relative decrease of f per iteration falls below tol */
    int threads;   /* <= 0: OpenMP default */
    /* called after each iteration (may be NULL) */
    void (*progress)(void *ctx, int iter, double f);
    void *ctx;
} SoftmaxTrainOpts;

#define SOFTMAX_TRAIN_DEFAULTS                                                                     \
    {                                                                                              \
        1e-4, 300, 8, 1e-7, 0, NULL, NULL                                                          \
    }

typedef struct SoftmaxTrainInfo {
    int iters, evals;
    double f;      /* final objective */
    double gnorm;  /* final gradient 2-norm */
    int converged; /* tol reached (1) or max_iter / line-search failure (0) */
} SoftmaxTrainInfo;

/* Minimises the objective from m's current weights (zero after softmax_alloc; a previous solution
 * makes a warm start). Labels must lie in 0..K-1 and X->D == m->D (ERR_INVAL otherwise). Not
 * converging is no error: info->converged says so. */
int softmax_train(Softmax *m, const SoftmaxData *X, const SoftmaxTrainOpts *o,
                  SoftmaxTrainInfo *info);

/* ---- model files: magic[8] | u32 version | fields ... | u32 crc32 of everything before ----
 * Little-endian hosts only (the file is written in host order). Writers append fields to a
 * buffer and save it atomically; readers take fields in order, and every failure — wrong magic or
 * version, a field cut short, a value out of range, a checksum mismatch, trailing bytes — is
 * ERR_INVAL naming the file and the field. */
typedef struct SoftmaxFile {
    unsigned char *buf;
    size_t n, cap, off;
    char path[1024];
    const char *what; /* "lean model", ... for messages */
} SoftmaxFile;

void softmax_file_begin(SoftmaxFile *f, const char magic[8], uint32_t version);
void softmax_file_put(SoftmaxFile *f, const void *p, size_t n);
void softmax_file_put_u32(SoftmaxFile *f, uint32_t v);
void softmax_file_put_u64(SoftmaxFile *f, uint64_t v);
void softmax_file_put_f64(SoftmaxFile *f, double v);
/* K, D and theta. */
void softmax_file_put_model(SoftmaxFile *f, const Softmax *m);
/* Appends the checksum and writes PATH.tmp then renames it to PATH; releases the buffer.
 * ERR_IO on failure. */
int softmax_file_save(SoftmaxFile *f, const char *path);

/* Reads all of PATH and checks magic and version. ERR_IO if unreadable. */
int softmax_file_open(SoftmaxFile *f, const char *path, const char *what, const char magic[8],
                      uint32_t version);
int softmax_file_get(SoftmaxFile *f, void *dst, size_t n, const char *field);
/* Range-checked scalars: lo <= v <= hi. */
int softmax_file_get_u32(SoftmaxFile *f, uint32_t *v, const char *field, uint32_t lo, uint32_t hi);
int softmax_file_get_u64(SoftmaxFile *f, uint64_t *v, const char *field);
/* A finite double in [lo, hi]. */
int softmax_file_get_f64(SoftmaxFile *f, double *v, const char *field, double lo, double hi);
/* A model with exactly K classes and D features (else ERR_INVAL naming "classes"/"features");
 * every weight must be finite. */
int softmax_file_get_model(SoftmaxFile *f, Softmax **m, int K, uint32_t D);
/* Checks the checksum and that nothing trails it, then releases the buffer (also on error). */
int softmax_file_close(SoftmaxFile *f);
void softmax_file_release(SoftmaxFile *f);

#endif
