/* bench_lean: throughput of the two text classifiers the experiment calls on every generation —
 * lean_predict_batch (texts/s, MB/s) and quality_score_batch — on one thread and on all, plus the
 * cost of one softmax objective evaluation in lean training. Uses ABP articles when the data root
 * is present, else synthetic text. Not a test: it prints numbers and ratios. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "lean.h"
#include "paths.h"
#include "quality.h"
#include "rng.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char **synthetic(size_t n, int **y)
{
    static const char *const w[] = {"the",       "senator",  "said",   "that",    "taxes",
                                    "would",     "rise",     "border", "climate", "report",
                                    "officials", "on",       "a",      "new",     "plan",
                                    "voters",    "election", "court",  "policy",  "week"};
    gsl_rng *r = rng_stream_alloc(rng_pcg64, 1, RNG_PURPOSE_DATA_SPLIT, 0);
    char **t = malloc(n * sizeof *t);
    *y = malloc(n * sizeof **y);
    for (size_t i = 0; i < n; i++) {
        size_t cap = 8192, k = 0;
        t[i] = malloc(cap);
        for (int s = 0; s < 40; s++) {
            for (int j = 0; j < 14; j++)
                k += (size_t)snprintf(t[i] + k, cap - k, "%s%s", j ? " " : "",
                                      w[gsl_rng_uniform_int(r, 20)]);
            k += (size_t)snprintf(t[i] + k, cap - k, ". ");
        }
        (*y)[i] = (int)(i % 3);
    }
    gsl_rng_free(r);
    return t;
}

int main(void)
{
    err_gsl_install();
    char root[4096];
    paths_data_root(root, sizeof root);
    const char *names[2] = {"random/train", "random/valid"};
    LeanTexts s[2];
    char **texts, **lm;
    int *y;
    size_t n = 2000;
    int real = lean_texts_load(s, names, 2, root, NULL, n) == ERR_OK && s[0].n == n;
    if (real) {
        texts = s[0].text, y = s[0].y, lm = s[1].text;
    } else {
        printf("bench_lean: no ABP data under %s (%s); synthetic text\n", root, err_msg());
        texts = synthetic(n, &y);
        lm = texts;
    }
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) bytes += strlen(texts[i]);
    int T = 1;
#ifdef _OPENMP
    T = omp_get_max_threads();
#endif
    printf("%zu %s texts, %.1f MB; threads available: %d\n", n, real ? "ABP" : "synthetic",
           (double)bytes / 1e6, T);

    LeanOpts o = LEAN_OPTS_DEFAULTS;
    o.max_iter = 20; /* per-iteration cost, not a converged model */
    LeanModel *m = NULL;
    LeanTrainInfo info;
    if (lean_train(&m, &o, (const char *const *)texts, y, n, &info)) {
        fprintf(stderr, "bench_lean: %s\n", err_msg());
        return 1;
    }
    printf("lean train (2^%d buckets): features %.2f s (%.0f texts/s), %d L-BFGS iterations "
           "%.3f s each (%d evaluations)\n",
           o.hash_bits, info.featurize_s, (double)n / info.featurize_s, info.iters,
           info.train_s / info.iters, info.evals);
    double(*p)[3] = malloc(n * sizeof *p);
    double t1 = 0, tT = 0;
    for (int pass = 0; pass < 2; pass++) {
        int th = pass ? T : 1;
        double t0 = now_s();
        lean_predict_batch(m, (const char *const *)texts, n, p, th);
        double dt = now_s() - t0;
        if (pass)
            tT = dt;
        else
            t1 = dt;
        printf("lean_predict_batch, %d thread(s): %.0f texts/s, %.1f MB/s\n", th, (double)n / dt,
               (double)bytes / 1e6 / dt);
    }
    printf("lean predict speed-up on %d threads: %.2fx\n", T, t1 / tT);

    QualityOpts qo = QUALITY_OPTS_DEFAULTS;
    QualityModel *q = NULL;
    double t0 = now_s();
    if (quality_train(&q, &qo, (const char *const *)lm, real ? s[1].n : n,
                      (const char *const *)texts, 500, NULL)) {
        fprintf(stderr, "bench_lean: %s\n", err_msg());
        return 1;
    }
    printf("quality train (LM on %zu texts, classifier on 500): %.2f s\n", real ? s[1].n : n,
           now_s() - t0);
    double *tqi = malloc(n * sizeof *tqi);
    for (int pass = 0; pass < 2; pass++) {
        int th = pass ? T : 1;
        t0 = now_s();
        quality_score_batch(q, (const char *const *)texts, n, QUALITY_EXPECTED, tqi, th);
        double dt = now_s() - t0;
        if (pass)
            tT = dt;
        else
            t1 = dt;
        printf("quality_score_batch, %d thread(s): %.0f texts/s, %.1f MB/s\n", th, (double)n / dt,
               (double)bytes / 1e6 / dt);
    }
    printf("TQI speed-up on %d threads: %.2fx\n", T, t1 / tT);
    free(p), free(tqi);
    lean_free(m);
    quality_free(q);
    if (real)
        for (int k = 0; k < 2; k++) lean_texts_release(&s[k]);
    else {
        for (size_t i = 0; i < n; i++) free(texts[i]);
        free(texts), free(y);
    }
    return 0;
}
