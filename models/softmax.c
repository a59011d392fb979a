/* softmax: multinomial logistic regression (sparse rows, L2 on W) by L-BFGS, and model files.
 * Determinism: per-row work is independent; gradient sums run over rows in a fixed order inside
 * the thread that owns a block of features, so the result never depends on the thread count. */
#include "softmax.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "xalloc.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "softmax model files are little-endian; this host is not"
#endif

/* ---- data ---- */

void softmax_data_init(SoftmaxData *X, uint32_t D)
{
    memset(X, 0, sizeof *X);
    X->D = D;
    X->ncap = 1024;
    X->row = xcalloc(X->ncap + 1, sizeof *X->row);
    X->y = xcalloc(X->ncap, sizeof *X->y);
}

void softmax_data_add(SoftmaxData *X, const uint32_t *col, const float *val, size_t m, int y)
{
    if (X->n == X->ncap) {
        X->ncap *= 2;
        X->row = xrealloc(X->row, (X->ncap + 1) * sizeof *X->row);
        X->y = xrealloc(X->y, X->ncap * sizeof *X->y);
    }
    if (X->nnz + m > X->cap) {
        size_t cap = X->cap ? X->cap : 4096;
        while (cap < X->nnz + m) cap *= 2;
        X->col = xrealloc(X->col, cap * sizeof *X->col);
        X->val = xrealloc(X->val, cap * sizeof *X->val);
        X->cap = cap;
    }
    for (size_t k = 0; k < m; k++) {
        assert(col[k] < X->D && (k == 0 || col[k] > col[k - 1]));
        X->col[X->nnz + k] = col[k];
        X->val[X->nnz + k] = val[k];
    }
    X->nnz += m;
    X->y[X->n++] = y;
    X->row[X->n] = X->nnz;
}

void softmax_data_release(SoftmaxData *X)
{
    free(X->row), free(X->col), free(X->val), free(X->y);
    memset(X, 0, sizeof *X);
}

/* ---- model ---- */

Softmax *softmax_alloc(int K, uint32_t D)
{
    assert(K >= 2);
    Softmax *m = xcalloc(1, sizeof *m);
    m->K = K;
    m->D = D;
    m->theta = xcalloc((size_t)D * (size_t)K + (size_t)K, sizeof *m->theta);
    m->W = m->theta;
    m->b = m->theta + (size_t)D * (size_t)K;
    return m;
}

void softmax_free(Softmax *m)
{
    if (!m) return;
    free(m->theta);
    free(m);
}

static size_t nparams(const Softmax *m) { return (size_t)m->D * (size_t)m->K + (size_t)m->K; }

/* z[K] = b + x W, then p = softmax(z) in place; returns log sum exp(z) and, if zy is not NULL,
 * z[y] (so that -log p_y = lse - z_y stays exact where p_y would underflow). */
static double row_softmax(const Softmax *m, const uint32_t *idx, const float *val, size_t nnz,
                          double *p, int y, double *zy)
{
    int K = m->K;
    for (int k = 0; k < K; k++) p[k] = m->b[k];
    for (size_t t = 0; t < nnz; t++) {
        const double *w = m->W + (size_t)idx[t] * (size_t)K;
        double v = val[t];
        for (int k = 0; k < K; k++) p[k] += v * w[k];
    }
    if (zy) *zy = p[y];
    double zmax = p[0];
    for (int k = 1; k < K; k++) zmax = p[k] > zmax ? p[k] : zmax;
    double s = 0;
    for (int k = 0; k < K; k++) s += (p[k] = exp(p[k] - zmax));
    for (int k = 0; k < K; k++) p[k] /= s;
    return zmax + log(s);
}

void softmax_predict(const Softmax *m, const uint32_t *idx, const float *val, size_t nnz, double *p)
{
    row_softmax(m, idx, val, nnz, p, 0, NULL);
}

/* Vector kernels over the P parameters, OpenMP-parallel. dot sums fixed blocks of VBLOCK and then
 * the block sums in order, so its value does not depend on the thread count. */
#define VBLOCK 16384
#define VPAR (1u << 20) /* below this many parameters a parallel region costs more than it saves   \
                         */
static double dot(const double *a, const double *b, size_t n, double *part, int threads)
{
    size_t nb = (n + VBLOCK - 1) / VBLOCK;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(threads) if (n >= VPAR)
#endif
    for (size_t k = 0; k < nb; k++) {
        size_t hi = (k + 1) * VBLOCK < n ? (k + 1) * VBLOCK : n;
        double s = 0;
        for (size_t i = k * VBLOCK; i < hi; i++) s += a[i] * b[i];
        part[k] = s;
    }
    double s = 0;
    for (size_t k = 0; k < nb; k++) s += part[k];
    return s;
}

/* y += a x */
static void axpy(double a, const double *x, double *y, size_t n, int threads)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(threads) if (n >= VPAR)
#endif
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

/* Workspace of one objective evaluation: P[n*K] probabilities, then residuals; L[n] losses. */
typedef struct Work {
    double *P, *L;
    double *part; /* block sums of dot() over the parameters */
} Work;

static void work_init(Work *w, size_t n, const Softmax *m)
{
    w->P = xcalloc(n * (size_t)m->K + 1, sizeof *w->P);
    w->L = xcalloc(n + 1, sizeof *w->L);
    w->part = xcalloc(nparams(m) / VBLOCK + 1, sizeof *w->part);
}

static void work_release(Work *w) { free(w->P), free(w->L), free(w->part); }

static int nthreads(int threads)
{
#ifdef _OPENMP
    return threads > 0 ? threads : omp_get_max_threads();
#else
    (void)threads;
    return 1;
#endif
}

/* First position in col[lo, hi) with col >= key. */
static size_t lower_bound(const uint32_t *col, size_t lo, size_t hi, uint32_t key)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (col[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static double objective_work(const Softmax *m, const SoftmaxData *X, double lambda, double *g,
                             Work *w, int threads)
{
    const int K = m->K;
    const size_t n = X->n;
    const uint32_t D = m->D;
    threads = nthreads(threads);
    /* 1. rows in parallel: probabilities and losses. P[i*K + k] */
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
    for (size_t i = 0; i < n; i++) {
        double *p = w->P + i * (size_t)K;
        size_t r0 = X->row[i], r1 = X->row[i + 1];
        double zy;
        double lse = row_softmax(m, X->col + r0, X->val + r0, r1 - r0, p, X->y[i], &zy);
        w->L[i] = lse - zy;
    }
    /* 2. f in row order (serial: deterministic) */
    double f = 0;
    for (size_t i = 0; i < n; i++) f += w->L[i];
    f = n ? f / (double)n : 0;
    f += 0.5 * lambda * dot(m->W, m->W, (size_t)D * (size_t)K, w->part, threads);
    if (!g) return f;
    /* 3. residuals R = (P - onehot(y)) / n in place */
    const double inv_n = n ? 1.0 / (double)n : 0;
    for (size_t i = 0; i < n; i++) {
        double *p = w->P + i * (size_t)K;
        p[X->y[i]] -= 1.0;
        for (int k = 0; k < K; k++) p[k] *= inv_n;
    }
    double *gb = g + (size_t)D * (size_t)K;
    for (int k = 0; k < K; k++) gb[k] = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < K; k++) gb[k] += w->P[i * (size_t)K + k];
            /* 4. gW = lambda W + X^T R; the thread owning features [lo, hi) scans every row's slice
             * of them in row order, so each sum has one fixed order whatever the partition. */
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        int t = 0, nt = 1;
#ifdef _OPENMP
        t = omp_get_thread_num();
        nt = omp_get_num_threads();
#endif
        uint32_t lo = (uint32_t)((uint64_t)D * (uint64_t)t / (uint64_t)nt);
        uint32_t hi = (uint32_t)((uint64_t)D * (uint64_t)(t + 1) / (uint64_t)nt);
        for (size_t j = (size_t)lo * K; j < (size_t)hi * K; j++) g[j] = lambda * m->W[j];
        for (size_t i = 0; i < n && lo < hi; i++) {
            size_t r0 = X->row[i], r1 = X->row[i + 1];
            size_t a = nt == 1 ? r0 : lower_bound(X->col, r0, r1, lo);
            const double *r = w->P + i * (size_t)K;
            for (size_t q = a; q < r1 && X->col[q] < hi; q++) {
                double *gj = g + (size_t)X->col[q] * K;
                double v = X->val[q];
                for (int k = 0; k < K; k++) gj[k] += v * r[k];
            }
        }
    }
    return f;
}

double softmax_objective(const Softmax *m, const SoftmaxData *X, double lambda, double *g,
                         int threads)
{
    Work w;
    work_init(&w, X->n, m);
    double f = objective_work(m, X, lambda, g, &w, threads);
    work_release(&w);
    return f;
}

/* ---- L-BFGS (Nocedal & Wright, Numerical Optimization, Alg. 7.4/7.5) with a backtracking
 * Armijo line search; a pair (s, y) is kept only when s.y > 0, so the implicit inverse Hessian
 * stays positive definite. ---- */

int softmax_train(Softmax *m, const SoftmaxData *X, const SoftmaxTrainOpts *o,
                  SoftmaxTrainInfo *info)
{
    if (X->D != m->D)
        return err_set(ERR_INVAL, "softmax: data has %u features, model %u", X->D, m->D);
    for (size_t i = 0; i < X->n; i++)
        if (X->y[i] < 0 || X->y[i] >= m->K)
            return err_set(ERR_INVAL, "softmax: row %zu has label %d outside 0..%d", i, X->y[i],
                           m->K - 1);
    if (!(o->lambda >= 0) || o->history < 1 || o->max_iter < 0)
        return err_set(ERR_INVAL, "softmax: bad options (lambda %g, history %d, max_iter %d)",
                       o->lambda, o->history, o->max_iter);
    const size_t P = nparams(m);
    const int M = o->history;
    /* one slab: S[M][P], Y[M][P], g, gn, d, theta_n */
    double *slab = xcalloc((size_t)(2 * M + 4) * P, sizeof *slab);
    double *S = slab, *Yv = slab + (size_t)M * P;
    double *g = slab + (size_t)2 * M * P, *gn = g + P, *d = gn + P, *tn = d + P;
    double rho[64], alpha[64];
    assert(M <= 64);
    Work w;
    work_init(&w, X->n, m);
    double *part = w.part;
    const int T = nthreads(o->threads);
    Softmax trial = *m; /* view on theta_n */
    trial.theta = tn;
    trial.W = tn;
    trial.b = tn + (size_t)m->D * (size_t)m->K;

    SoftmaxTrainInfo inf = {0};
    double f = objective_work(m, X, o->lambda, g, &w, T);
    inf.evals = 1;
    int head = 0, npairs = 0, it;
    double gamma = 1.0 / fmax(sqrt(dot(g, g, P, part, T)), 1e-12); /* first step: unit length */
    for (it = 0; it < o->max_iter; it++) {
        /* two-loop recursion: d = -H g, H0 = gamma I with gamma = s.y / y.y of the newest pair */
        memset(d, 0, P * sizeof *d);
        axpy(-1.0, g, d, P, T);
        for (int c = 0; c < npairs; c++) {
            int j = (head - 1 - c + M) % M;
            alpha[j] = rho[j] * dot(S + (size_t)j * P, d, P, part, T);
            axpy(-alpha[j], Yv + (size_t)j * P, d, P, T);
        }
        for (size_t i = 0; i < P; i++) d[i] *= gamma;
        for (int c = npairs - 1; c >= 0; c--) {
            int j = (head - 1 - c + M) % M;
            double beta = rho[j] * dot(Yv + (size_t)j * P, d, P, part, T);
            axpy(alpha[j] - beta, S + (size_t)j * P, d, P, T);
        }
        double gd = dot(g, d, P, part, T);
        if (!(gd < 0)) { /* not a descent direction: restart from steepest descent */
            npairs = 0;
            gamma = 1.0 / fmax(sqrt(dot(g, g, P, part, T)), 1e-12);
            for (size_t i = 0; i < P; i++) d[i] = -gamma * g[i];
            gd = dot(g, d, P, part, T);
            if (!(gd < 0)) {
                inf.converged = 1; /* zero gradient */
                break;
            }
        }
        /* backtracking line search on f(theta + a d) <= f + c1 a g.d */
        double a = 1.0, fn = f;
        int ok = 0;
        for (int ls = 0; ls < 40; ls++) {
            memcpy(tn, m->theta, P * sizeof *tn);
            axpy(a, d, tn, P, T);
            fn = objective_work(&trial, X, o->lambda, gn, &w, T);
            inf.evals++;
            if (isfinite(fn) && fn <= f + 1e-4 * a * gd) {
                ok = 1;
                break;
            }
            /* minimiser of the quadratic through f, g.d and fn, kept within [0.1a, 0.5a] */
            double q = isfinite(fn) ? -gd * a * a / (2.0 * (fn - f - gd * a)) : 0.1 * a;
            a = fmin(fmax(q, 0.1 * a), 0.5 * a);
        }
        if (!ok) break; /* no decrease possible at double precision */
        /* new pair s = theta_n - theta, y = gn - g */
        double *sj = S + (size_t)head * P, *yj = Yv + (size_t)head * P;
        memcpy(sj, tn, P * sizeof *sj);
        axpy(-1.0, m->theta, sj, P, T);
        memcpy(yj, gn, P * sizeof *yj);
        axpy(-1.0, g, yj, P, T);
        double sy = dot(sj, yj, P, part, T), yy = dot(yj, yj, P, part, T);
        if (sy > 1e-12 * yy && yy > 0) {
            rho[head] = 1.0 / sy;
            gamma = sy / yy;
            head = (head + 1) % M;
            npairs = npairs < M ? npairs + 1 : M;
        }
        memcpy(m->theta, tn, P * sizeof *tn);
        memcpy(g, gn, P * sizeof *gn);
        double df = f - fn;
        f = fn;
        if (o->progress) o->progress(o->ctx, it + 1, f);
        if (df <= o->tol * fmax(fabs(f), 1.0)) {
            inf.converged = 1;
            it++;
            break;
        }
    }
    inf.iters = it;
    inf.f = f;
    inf.gnorm = sqrt(dot(g, g, P, part, T));
    if (info) *info = inf;
    work_release(&w);
    free(slab);
    return ERR_OK;
}

/* ---- model files ---- */

static void file_reserve(SoftmaxFile *f, size_t more)
{
    if (f->n + more <= f->cap) return;
    size_t cap = f->cap ? f->cap : 4096;
    while (cap < f->n + more) cap *= 2;
    f->buf = xrealloc(f->buf, cap);
    f->cap = cap;
}

void softmax_file_begin(SoftmaxFile *f, const char magic[8], uint32_t version)
{
    memset(f, 0, sizeof *f);
    softmax_file_put(f, magic, 8);
    softmax_file_put_u32(f, version);
}

void softmax_file_put(SoftmaxFile *f, const void *p, size_t n)
{
    file_reserve(f, n);
    memcpy(f->buf + f->n, p, n);
    f->n += n;
}

void softmax_file_put_u32(SoftmaxFile *f, uint32_t v) { softmax_file_put(f, &v, sizeof v); }
void softmax_file_put_u64(SoftmaxFile *f, uint64_t v) { softmax_file_put(f, &v, sizeof v); }
void softmax_file_put_f64(SoftmaxFile *f, double v) { softmax_file_put(f, &v, sizeof v); }

void softmax_file_put_model(SoftmaxFile *f, const Softmax *m)
{
    softmax_file_put_u32(f, (uint32_t)m->K);
    softmax_file_put_u32(f, m->D);
    softmax_file_put(f, m->theta, nparams(m) * sizeof *m->theta);
}

static uint32_t file_crc(const unsigned char *p, size_t n)
{
    return (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), p, n);
}

void softmax_file_release(SoftmaxFile *f)
{
    free(f->buf);
    f->buf = NULL;
    f->n = f->cap = f->off = 0;
}

int softmax_file_save(SoftmaxFile *f, const char *path)
{
    softmax_file_put_u32(f, file_crc(f->buf, f->n));
    char tmp[1100];
    int st = ERR_OK;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        st = err_set(ERR_INVAL, "path too long: '%s'", path);
        goto done;
    }
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        st = err_set(ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        goto done;
    }
    int bad = fwrite(f->buf, 1, f->n, out) != f->n;
    bad |= fflush(out) != 0;
    bad |= fsync(fileno(out)) != 0;
    bad |= fclose(out) != 0;
    if (bad || rename(tmp, path) != 0) {
        st = err_set(ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
    }
done:
    softmax_file_release(f);
    return st;
}

int softmax_file_open(SoftmaxFile *f, const char *path, const char *what, const char magic[8],
                      uint32_t version)
{
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path);
    f->what = what;
    FILE *in = fopen(path, "rb");
    if (!in) return err_set(ERR_IO, "cannot open %s '%s': %s", what, path, strerror(errno));
    size_t got;
    f->cap = 1 << 16;
    f->buf = xmalloc(f->cap);
    while ((got = fread(f->buf + f->n, 1, f->cap - f->n, in)) > 0)
        if ((f->n += got) == f->cap) f->buf = xrealloc(f->buf, f->cap *= 2);
    int bad = ferror(in);
    fclose(in);
    if (bad) {
        softmax_file_release(f);
        return err_set(ERR_IO, "cannot read %s '%s'", what, path);
    }
    unsigned char mg[8];
    uint32_t v;
    int st = softmax_file_get(f, mg, 8, "magic");
    if (!st && memcmp(mg, magic, 8) != 0)
        st = err_set(ERR_INVAL, "%s '%s': field 'magic' does not match: not a %s file", what, path,
                     what);
    if (!st) st = softmax_file_get(f, &v, 4, "version");
    if (!st && v != version)
        st = err_set(ERR_INVAL, "%s '%s': field 'version' is %u; this build reads version %u", what,
                     path, v, version);
    if (st) softmax_file_release(f);
    return st;
}

int softmax_file_get(SoftmaxFile *f, void *dst, size_t n, const char *field)
{
    if (f->n - f->off < n)
        return err_set(ERR_INVAL,
                       "%s '%s': truncated in field '%s' (offset %zu needs %zu bytes, %zu left)",
                       f->what, f->path, field, f->off, n, f->n - f->off);
    memcpy(dst, f->buf + f->off, n);
    f->off += n;
    return ERR_OK;
}

int softmax_file_get_u32(SoftmaxFile *f, uint32_t *v, const char *field, uint32_t lo, uint32_t hi)
{
    int st = softmax_file_get(f, v, sizeof *v, field);
    if (!st && (*v < lo || *v > hi))
        st = err_set(ERR_INVAL, "%s '%s': field '%s' is %u, outside %u..%u", f->what, f->path,
                     field, *v, lo, hi);
    return st;
}

int softmax_file_get_u64(SoftmaxFile *f, uint64_t *v, const char *field)
{
    return softmax_file_get(f, v, sizeof *v, field);
}

int softmax_file_get_f64(SoftmaxFile *f, double *v, const char *field, double lo, double hi)
{
    int st = softmax_file_get(f, v, sizeof *v, field);
    if (!st && !(isfinite(*v) && *v >= lo && *v <= hi))
        st = err_set(ERR_INVAL, "%s '%s': field '%s' is %g, outside [%g, %g]", f->what, f->path,
                     field, *v, lo, hi);
    return st;
}

int softmax_file_get_model(SoftmaxFile *f, Softmax **out, int K, uint32_t D)
{
    *out = NULL;
    uint32_t k, d;
    int st = softmax_file_get_u32(f, &k, "classes", (uint32_t)K, (uint32_t)K);
    if (!st) st = softmax_file_get_u32(f, &d, "features", D, D);
    if (st) return st;
    size_t bytes = ((size_t)D * (size_t)K + (size_t)K) * sizeof(double);
    if (f->n - f->off < bytes)
        return softmax_file_get(f, NULL, bytes, "weights"); /* the truncation message */
    Softmax *m = softmax_alloc(K, D);
    softmax_file_get(f, m->theta, bytes, "weights");
    for (size_t i = 0; i < nparams(m); i++)
        if (!isfinite(m->theta[i])) {
            softmax_free(m);
            return err_set(ERR_INVAL, "%s '%s': field 'weights' holds a non-finite value", f->what,
                           f->path);
        }
    *out = m;
    return ERR_OK;
}

int softmax_file_close(SoftmaxFile *f)
{
    size_t body = f->off;
    uint32_t crc;
    int st = softmax_file_get(f, &crc, sizeof crc, "checksum");
    if (!st && crc != file_crc(f->buf, body))
        st = err_set(ERR_INVAL, "%s '%s': field 'checksum' does not match the contents (corrupt)",
                     f->what, f->path);
    if (!st && f->off != f->n)
        st = err_set(ERR_INVAL, "%s '%s': %zu unexpected bytes after field 'checksum'", f->what,
                     f->path, f->n - f->off);
    softmax_file_release(f);
    return st;
}
