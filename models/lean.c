/* lean: hashed uni+bigram softmax regression for Left/Center/Right. Features of a text:
 * x_j = (1 + log tf_j) * idf_j over buckets j = hash(ngram) mod 2^bits, then x /= ||x||_2.
 * Texts are featurised in parallel in fixed chunks and appended in order, so the training matrix,
 * and hence the model, is the same for any thread count. */
#include "lean.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "corpus.h"
#include "err.h"
#include "progress.h"
#include "softmax.h"
#include "textfeat.h"
#include "xalloc.h"

#define LEAN_MAGIC "BIASLEAN"
#define LEAN_VERSION 1u

struct LeanModel {
    int bits;
    uint64_t seed;
    int bigrams;
    float *idf; /* [D] or NULL */
    uint64_t n_train;
    double lambda;
    Softmax *sm; /* K = 3, D = 2^bits */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#ifdef _OPENMP
static int nthreads(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }
#endif

/* Raw hashed counts of a text into bag, then tf -> 1 + log tf, idf, l2 norm (in place). */
static void featurize(const LeanModel *m, const char *text, TextBag *bag)
{
    textfeat_bag_ngrams(bag, text, strlen(text), m->bits, m->seed, m->bigrams);
    double ss = 0;
    for (size_t k = 0; k < bag->n; k++) {
        double v = 1.0 + log(bag->val[k]);
        if (m->idf) v *= m->idf[bag->idx[k]];
        bag->val[k] = (float)v;
        ss += v * v;
    }
    float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
    for (size_t k = 0; k < bag->n; k++) bag->val[k] *= inv;
}

void lean_predict(const LeanModel *m, const char *text, double p[3])
{
    TextBag bag = {0};
    featurize(m, text, &bag);
    softmax_predict(m->sm, bag.idx, bag.val, bag.n, p);
    textfeat_bag_release(&bag);
}

void lean_predict_batch(const LeanModel *m, const char *const *texts, size_t n, double (*p)[3],
                        int threads)
{
#ifdef _OPENMP
#pragma omp parallel num_threads(nthreads(threads))
#endif
    {
        TextBag bag = {0};
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 16)
#endif
        for (size_t i = 0; i < n; i++) {
            featurize(m, texts[i], &bag);
            softmax_predict(m->sm, bag.idx, bag.val, bag.n, p[i]);
        }
        textfeat_bag_release(&bag);
    }
}

int lean_argmax(const double p[3])
{
    int k = 0;
    for (int j = 1; j < 3; j++)
        if (p[j] > p[k]) k = j;
    return k;
}

static LeanModel *model_alloc(const LeanOpts *o)
{
    LeanModel *m = xcalloc(1, sizeof *m);
    m->bits = o->hash_bits;
    m->seed = o->hash_seed;
    m->bigrams = o->bigrams != 0;
    m->lambda = o->lambda;
    m->sm = softmax_alloc(LEAN_NCLASS, UINT32_C(1) << o->hash_bits);
    return m;
}

void lean_free(LeanModel *m)
{
    if (!m) return;
    free(m->idf);
    softmax_free(m->sm);
    free(m);
}

static int check_opts(const LeanOpts *o)
{
    if (o->hash_bits < 10 || o->hash_bits > 26)
        return err_set(ERR_INVAL, "lean: hash_bits %d outside 10..26", o->hash_bits);
    if (!(o->lambda >= 0) || !isfinite(o->lambda))
        return err_set(ERR_INVAL, "lean: lambda must be finite and >= 0 (got %g)", o->lambda);
    if (o->max_iter < 0 || !(o->tol >= 0))
        return err_set(ERR_INVAL, "lean: max_iter and tol must be >= 0");
    return ERR_OK;
}

/* Builds the training matrix (tf features first; idf from document frequencies, then weights and
 * norms). Chunks of texts are featurised in parallel, appended in order. */
#define LEAN_CHUNK 512
static void build_data(LeanModel *m, int use_idf, const char *const *texts, const int *y, size_t n,
                       int threads, SoftmaxData *X)
{
    uint32_t D = m->sm->D;
    softmax_data_init(X, D);
    TextBag *bags = xcalloc(LEAN_CHUNK, sizeof *bags);
    Progress pr;
    progress_start(&pr, "lean features", (long)n);
    LeanModel raw = *m;
    raw.idf = NULL; /* counts only in this pass */
    for (size_t c0 = 0; c0 < n; c0 += LEAN_CHUNK) {
        size_t c1 = c0 + LEAN_CHUNK < n ? c0 + LEAN_CHUNK : n;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 4) num_threads(nthreads(threads))
#endif
        for (size_t i = c0; i < c1; i++)
            textfeat_bag_ngrams(&bags[i - c0], texts[i], strlen(texts[i]), raw.bits, raw.seed,
                                raw.bigrams);
        for (size_t i = c0; i < c1; i++)
            softmax_data_add(X, bags[i - c0].idx, bags[i - c0].val, bags[i - c0].n, y[i]);
        progress_update(&pr, (long)c1);
    }
    progress_end(&pr);
    for (size_t k = 0; k < LEAN_CHUNK; k++) textfeat_bag_release(&bags[k]);
    free(bags);
    if (use_idf) {
        /* smoothed idf (as scikit-learn): log((1 + N) / (1 + df)) + 1 */
        uint32_t *df = xcalloc(D, sizeof *df);
        for (size_t q = 0; q < X->nnz; q++) df[X->col[q]]++;
        m->idf = xmalloc(D * sizeof *m->idf);
        for (uint32_t j = 0; j < D; j++)
            m->idf[j] = (float)(log((1.0 + (double)n) / (1.0 + (double)df[j])) + 1.0);
        free(df);
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nthreads(threads))
#endif
    for (size_t i = 0; i < n; i++) {
        double ss = 0;
        for (size_t q = X->row[i]; q < X->row[i + 1]; q++) {
            double v = 1.0 + log(X->val[q]);
            if (m->idf) v *= m->idf[X->col[q]];
            X->val[q] = (float)v;
            ss += v * v;
        }
        float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
        for (size_t q = X->row[i]; q < X->row[i + 1]; q++) X->val[q] *= inv;
    }
}

static void train_progress(void *ctx, int iter, double f)
{
    Progress *pr = ctx;
    (void)f;
    progress_update(pr, iter);
}

static int fit(LeanModel *m, const SoftmaxData *X, const LeanOpts *o, double lambda,
               LeanTrainInfo *info)
{
    SoftmaxTrainOpts so = SOFTMAX_TRAIN_DEFAULTS;
    Progress pr;
    so.lambda = lambda;
    so.max_iter = o->max_iter;
    so.tol = o->tol;
    so.threads = o->threads;
    so.progress = train_progress;
    so.ctx = &pr;
    SoftmaxTrainInfo si;
    double t0 = now_s();
    progress_start(&pr, "lean train (L-BFGS iterations)", o->max_iter);
    int st = softmax_train(m->sm, X, &so, &si);
    progress_end(&pr);
    if (st) return st;
    m->lambda = lambda;
    info->iters = si.iters;
    info->evals = si.evals;
    info->converged = si.converged;
    info->f = si.f;
    info->gnorm = si.gnorm;
    info->train_s = now_s() - t0;
    return ERR_OK;
}

static int check_labels(const int *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] < 0 || y[i] > 2)
            return err_set(ERR_INVAL, "lean: label %d of text %zu outside 0..2", y[i], i);
    if (n == 0) return err_set(ERR_INVAL, "lean: no training texts");
    return ERR_OK;
}

int lean_train(LeanModel **out, const LeanOpts *o, const char *const *texts, const int *y, size_t n,
               LeanTrainInfo *info)
{
    *out = NULL;
    LeanTrainInfo inf = {0};
    int st = check_opts(o);
    if (!st) st = check_labels(y, n);
    if (st) return st;
    LeanModel *m = model_alloc(o);
    SoftmaxData X;
    double t0 = now_s();
    build_data(m, o->idf, texts, y, n, o->threads, &X);
    inf.featurize_s = now_s() - t0;
    inf.n = n;
    inf.nnz = X.nnz;
    m->n_train = n;
    st = fit(m, &X, o, o->lambda, &inf);
    softmax_data_release(&X);
    if (st) {
        lean_free(m);
        return st;
    }
    if (info) *info = inf;
    *out = m;
    return ERR_OK;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

int lean_tune(LeanModel **out, const LeanOpts *o, const double *lambdas, int nl,
              const char *const *texts, const int *y, size_t n, const char *const *vtexts,
              const int *vy, size_t vn, LeanTuneRow *rows, LeanTrainInfo *info)
{
    *out = NULL;
    int st = check_opts(o);
    if (!st) st = check_labels(y, n);
    if (!st && (nl < 1 || vn == 0))
        st = err_set(ERR_INVAL, "lean: tuning needs lambdas and validation texts");
    for (int k = 0; k < nl && !st; k++)
        if (!(lambdas[k] >= 0) || !isfinite(lambdas[k]))
            st = err_set(ERR_INVAL, "lean: lambda %g is not finite and >= 0", lambdas[k]);
    if (st) return st;
    double *order = xmalloc((size_t)nl * sizeof *order);
    memcpy(order, lambdas, (size_t)nl * sizeof *order);
    qsort(order, (size_t)nl, sizeof *order, cmp_desc);
    LeanModel *m = model_alloc(o);
    SoftmaxData X;
    LeanTrainInfo inf = {0}, best_inf = {0};
    double t0 = now_s();
    build_data(m, o->idf, texts, y, n, o->threads, &X);
    inf.featurize_s = now_s() - t0;
    inf.n = n;
    inf.nnz = X.nnz;
    m->n_train = n;
    size_t P = (size_t)m->sm->D * LEAN_NCLASS + LEAN_NCLASS;
    double *best = xmalloc(P * sizeof *best), best_f1 = -1, best_lambda = order[0];
    int *pred = xmalloc(vn * sizeof *pred);
    double(*p)[3] = xmalloc(vn * sizeof *p);
    for (int k = 0; k < nl && !st; k++) {
        st = fit(m, &X, o, order[k], &inf);
        if (st) break;
        lean_predict_batch(m, vtexts, vn, p, o->threads);
        for (size_t i = 0; i < vn; i++) pred[i] = lean_argmax(p[i]);
        LeanMetrics mt;
        lean_metrics(vy, pred, vn, &mt);
        for (int r = 0; r < nl; r++)
            if (lambdas[r] == order[k])
                rows[r] = (LeanTuneRow){order[k],    mt.macro_f1, mt.accuracy,
                                        inf.train_s, inf.iters,   inf.converged};
        if (mt.macro_f1 > best_f1) {
            best_f1 = mt.macro_f1;
            best_lambda = order[k];
            best_inf = inf;
            memcpy(best, m->sm->theta, P * sizeof *best);
        }
    }
    if (!st) {
        memcpy(m->sm->theta, best, P * sizeof *best);
        m->lambda = best_lambda;
        if (info) *info = best_inf;
        *out = m;
    } else
        lean_free(m);
    softmax_data_release(&X);
    free(order), free(best), free(pred), free(p);
    return st;
}

/* ---- metrics ---- */

void lean_metrics(const int *y, const int *pred, size_t n, LeanMetrics *mt)
{
    memset(mt, 0, sizeof *mt);
    mt->n = n;
    long correct = 0;
    for (size_t i = 0; i < n; i++) {
        mt->confusion[y[i]][pred[i]]++;
        correct += y[i] == pred[i];
    }
    for (int k = 0; k < 3; k++) {
        long tp = mt->confusion[k][k], col = 0, row = 0;
        for (int j = 0; j < 3; j++) col += mt->confusion[j][k], row += mt->confusion[k][j];
        mt->precision[k] = col ? (double)tp / (double)col : 0;
        mt->recall[k] = row ? (double)tp / (double)row : 0;
        double s = mt->precision[k] + mt->recall[k];
        mt->f1[k] = s > 0 ? 2 * mt->precision[k] * mt->recall[k] / s : 0;
        mt->macro_f1 += mt->f1[k] / 3;
    }
    mt->accuracy = n ? (double)correct / (double)n : 0;
}

void lean_evaluate(const LeanModel *m, const char *const *texts, const int *y, size_t n,
                   int threads, LeanMetrics *mt)
{
    double(*p)[3] = xmalloc((n ? n : 1) * sizeof *p);
    int *pred = xmalloc((n ? n : 1) * sizeof *pred);
    lean_predict_batch(m, texts, n, p, threads);
    for (size_t i = 0; i < n; i++) pred[i] = lean_argmax(p[i]);
    lean_metrics(y, pred, n, mt);
    free(p), free(pred);
}

/* ---- files ---- */

LeanOpts lean_opts(const LeanModel *m)
{
    LeanOpts o = LEAN_OPTS_DEFAULTS;
    o.hash_bits = m->bits;
    o.hash_seed = m->seed;
    o.bigrams = m->bigrams;
    o.idf = m->idf != NULL;
    o.lambda = m->lambda;
    o.threads = 0;
    return o;
}

size_t lean_n_train(const LeanModel *m) { return (size_t)m->n_train; }

int lean_save(const LeanModel *m, const char *path)
{
    SoftmaxFile f;
    softmax_file_begin(&f, LEAN_MAGIC, LEAN_VERSION);
    softmax_file_put_u32(&f, (uint32_t)m->bits);
    softmax_file_put_u64(&f, m->seed);
    softmax_file_put_u32(&f, (uint32_t)m->bigrams);
    softmax_file_put_u32(&f, m->idf != NULL);
    softmax_file_put_u64(&f, m->n_train);
    softmax_file_put_f64(&f, m->lambda);
    if (m->idf) softmax_file_put(&f, m->idf, m->sm->D * sizeof *m->idf);
    softmax_file_put_model(&f, m->sm);
    return softmax_file_save(&f, path);
}

int lean_load(LeanModel **out, const char *path)
{
    *out = NULL;
    SoftmaxFile f;
    int st = softmax_file_open(&f, path, "lean model", LEAN_MAGIC, LEAN_VERSION);
    if (st) return st;
    uint32_t bits, bigrams, has_idf;
    LeanModel *m = xcalloc(1, sizeof *m);
    st = softmax_file_get_u32(&f, &bits, "hash_bits", 10, 26);
    if (!st) st = softmax_file_get_u64(&f, &m->seed, "hash_seed");
    if (!st) st = softmax_file_get_u32(&f, &bigrams, "bigrams", 0, 1);
    if (!st) st = softmax_file_get_u32(&f, &has_idf, "idf_present", 0, 1);
    if (!st) st = softmax_file_get_u64(&f, &m->n_train, "n_train");
    if (!st) st = softmax_file_get_f64(&f, &m->lambda, "lambda", 0, 1e9);
    if (st) goto done;
    m->bits = (int)bits;
    m->bigrams = (int)bigrams;
    uint32_t D = UINT32_C(1) << bits;
    if (has_idf) {
        if (f.n - f.off < D * sizeof(float)) {
            st = softmax_file_get(&f, NULL, D * sizeof(float), "idf");
            goto done;
        }
        m->idf = xmalloc(D * sizeof *m->idf);
        softmax_file_get(&f, m->idf, D * sizeof *m->idf, "idf");
        for (uint32_t j = 0; j < D && !st; j++)
            if (!(m->idf[j] >= 1.0f && isfinite(m->idf[j])))
                st =
                    err_set(ERR_INVAL, "lean model '%s': field 'idf' holds %g at %u (must be >= 1)",
                            path, m->idf[j], j);
        if (st) goto done;
    }
    st = softmax_file_get_model(&f, &m->sm, LEAN_NCLASS, D);
done:
    if (!st)
        st = softmax_file_close(&f);
    else
        softmax_file_release(&f);
    if (st) {
        lean_free(m);
        return st;
    }
    *out = m;
    return ERR_OK;
}

/* ---- Article-Bias-Prediction texts ---- */

void lean_texts_release(LeanTexts *t)
{
    for (size_t i = 0; t->text && i < t->n; i++) free(t->text[i]);
    free(t->text), free(t->y);
    t->text = NULL, t->y = NULL, t->n = 0;
}

/* Article IDs listed in path (first white-space separated field of each line; blank lines, '#'
 * comments and a header "ID" skipped) as corpus indices. ERR_INVAL naming path:line for an ID
 * the corpus does not hold. */
static int ids_load(const Corpus *c, const char *path, CorpusSet *out)
{
    out->idx = NULL, out->n = 0;
    FILE *f = fopen(path, "r");
    if (!f) return err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, scap = 0;
    long ln = 0;
    int st = ERR_OK;
    while (getline(&line, &cap, f) >= 0) {
        ln++;
        char *p = line + strspn(line, " \t");
        p[strcspn(p, " \t\r\n")] = '\0';
        if (!*p || *p == '#' || (ln == 1 && strcmp(p, "ID") == 0)) continue;
        long k = corpus_find(c, p);
        if (k < 0) {
            st = err_set(ERR_INVAL, "%s:%ld: article ID '%.40s' is not in the corpus", path, ln, p);
            break;
        }
        if (out->n == scap)
            out->idx = xrealloc(out->idx, (scap = scap ? 2 * scap : 1024) * sizeof *out->idx);
        out->idx[out->n++] = (size_t)k;
    }
    if (!st && ferror(f)) st = err_set(ERR_IO, "cannot read '%s'", path);
    free(line);
    fclose(f);
    if (st) corpus_set_release(out);
    return st;
}

static int set_name_check(const char *name)
{
    if (name[0] == '@') return ERR_OK;
    const char *slash = strchr(name, '/');
    int ok =
        slash && (!strncmp(name, "random/", 7) || !strncmp(name, "media/", 6)) &&
        (!strcmp(slash + 1, "train") || !strcmp(slash + 1, "valid") || !strcmp(slash + 1, "test"));
    if (!ok)
        return err_set(ERR_INVAL, "unknown set '%s' (random|media/train|valid|test or @FILE)",
                       name);
    return ERR_OK;
}

static int set_load(const Corpus *c, const char *root, const char *name, CorpusSet *out)
{
    if (name[0] == '@') return ids_load(c, name + 1, out);
    char path[4096];
    int st = set_name_check(name);
    if (st) return st;
    if ((size_t)snprintf(path, sizeof path, "%s/abp/splits/%s.tsv", root, name) >= sizeof path)
        return err_set(ERR_INVAL, "data root too long: '%s'", root);
    return corpus_split_load(c, path, out);
}

int lean_texts_load(LeanTexts *sets, const char *const *names, int n, const char *root,
                    const char *exclude, size_t max)
{
    for (int k = 0; k < n; k++) memset(&sets[k], 0, sizeof sets[k]);
    char path[4096];
    Corpus *c = NULL;
    CorpusSet ex = {0}, s = {0};
    unsigned char *drop = NULL;
    int st = ERR_OK;
    if ((size_t)snprintf(path, sizeof path, "%s/abp/articles.jsonl.gz", root) >= sizeof path)
        return err_set(ERR_INVAL, "data root too long: '%s'", root);
    for (int k = 0; k < n; k++) /* names first: a typo should not cost a corpus load */
        if ((st = set_name_check(names[k]))) return st;
    st = corpus_load(&c, path);
    if (!st && exclude) st = ids_load(c, exclude, &ex);
    if (!st) {
        drop = xcalloc(corpus_size(c) + 1, 1);
        for (size_t i = 0; i < ex.n; i++) drop[ex.idx[i]] = 1;
    }
    for (int k = 0; k < n && !st; k++) {
        st = set_load(c, root, names[k], &s);
        if (st) break;
        LeanTexts *t = &sets[k];
        snprintf(t->name, sizeof t->name, "%s", names[k]);
        t->text = xcalloc(s.n + 1, sizeof *t->text);
        t->y = xcalloc(s.n + 1, sizeof *t->y);
        for (size_t i = 0; i < s.n && (max == 0 || t->n < max); i++) {
            if (drop[s.idx[i]]) continue;
            const CorpusArticle *a = corpus_get(c, s.idx[i]);
            size_t len;
            t->text[t->n] = corpus_format(a, &len);
            t->y[t->n++] = a->bias;
        }
        corpus_set_release(&s);
    }
    if (st)
        for (int k = 0; k < n; k++) lean_texts_release(&sets[k]);
    free(drop);
    corpus_set_release(&ex);
    corpus_free(c);
    return st;
}
