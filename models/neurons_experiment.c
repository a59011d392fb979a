/* neurons_experiment: per-neuron scalars and targets of every fine-tuned model version of a
 * `biasamp experiment` folder — the activation means it captured (activations/SETUP_gG.csv) and
 * the share of a class and TQI of what each model wrote (generations.csv) — for
 * neurons_run_models. A model shared by several setups (generation 0) counts once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"
#include "err.h"
#include "neurons.h"
#include "xalloc.h"

static const char *const exp_setup_names[] = {"replace", "accumulate", "",       "preserve",
                                              "",        "overfit",    "center", "center_preserve"};

typedef struct ExpModel {
    int setup, generation;
    double bias, quality;
} ExpModel;

static int exp_model_cmp(const void *a, const void *b)
{
    const ExpModel *x = a, *y = b;
    if (x->setup != y->setup) return x->setup - y->setup;
    return x->generation - y->generation;
}

/* Reads one activations file into v (layer-major, `kind` rows only); sets *n and *layer_size. */
static int read_activations(const char *path, int kind, double **v, size_t *n, size_t *layer_size)
{
    CsvTable *t;
    int st = csvread_load(&t, path);
    if (st) return st;
    int ck = csvread_col(t, "kind"), cl = csvread_col(t, "layer"), cu = csvread_col(t, "unit"),
        cm = csvread_col(t, "mean");
    if (ck < 0 || cl < 0 || cu < 0 || cm < 0) {
        csvread_free(t);
        return err_set(ERR_INVAL, "%s: needs columns kind, layer, unit, mean", path);
    }
    size_t L = 0, U = 0;
    for (size_t r = 0; r < t->nrows; r++)
        if (csvread_num(t, r, ck) == kind) {
            double l = csvread_num(t, r, cl), u = csvread_num(t, r, cu);
            if (!(l >= 0 && u >= 0 && l < 4096 && u < 1e6)) {
                csvread_free(t);
                return err_set(ERR_INVAL, "%s: row %zu: bad layer or unit", path, r + 1);
            }
            if ((size_t)l + 1 > L) L = (size_t)l + 1;
            if ((size_t)u + 1 > U) U = (size_t)u + 1;
        }
    if (L == 0) {
        csvread_free(t);
        return err_set(ERR_INVAL, "%s: no rows of activation kind %d", path, kind);
    }
    double *x = xmalloc(L * U * sizeof *x);
    for (size_t i = 0; i < L * U; i++) x[i] = NAN;
    for (size_t r = 0; r < t->nrows; r++)
        if (csvread_num(t, r, ck) == kind)
            x[(size_t)csvread_num(t, r, cl) * U + (size_t)csvread_num(t, r, cu)] =
                csvread_num(t, r, cm);
    csvread_free(t);
    for (size_t i = 0; i < L * U; i++)
        if (!isfinite(x[i])) {
            free(x);
            return err_set(ERR_INVAL, "%s: neuron %zu missing or not finite", path, i);
        }
    *v = x;
    *n = L * U;
    *layer_size = U;
    return ERR_OK;
}

int neurons_experiment_read(const char *dir, int kind, const char *share_col, double **X,
                            double **bias, double **quality, size_t *models, size_t *neurons,
                            size_t *layer_size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/generations.csv", dir);
    CsvTable *t;
    int st = csvread_load(&t, path);
    if (st) return st;
    int cs = csvread_col(t, "setup"), cg = csvread_col(t, "generation"),
        cb = csvread_col(t, share_col), cq = csvread_col(t, "tqi_mean");
    if (cs < 0 || cg < 0 || cb < 0 || cq < 0) {
        csvread_free(t);
        return err_set(ERR_INVAL, "%s: needs columns setup, generation, %s, tqi_mean", path,
                       share_col);
    }
    ExpModel *m = xcalloc(t->nrows + 1, sizeof *m);
    size_t nm = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        int g = (int)csvread_num(t, r, cg), s = (int)csvread_num(t, r, cs);
        if (g < 0 || s < 0 || s > 7 || !exp_setup_names[s][0]) continue; /* the base model */
        m[nm++] = (ExpModel){s, g, csvread_num(t, r, cb), csvread_num(t, r, cq)};
    }
    csvread_free(t);
    qsort(m, nm, sizeof *m, exp_model_cmp);
    double *x = NULL, *b = xcalloc(nm + 1, sizeof *b), *q = xcalloc(nm + 1, sizeof *q);
    size_t kept = 0, N = 0, U = 0;
    for (size_t i = 0; i < nm && !st; i++) {
        snprintf(path, sizeof path, "%s/activations/%s_g%d.csv", dir, exp_setup_names[m[i].setup],
                 m[i].generation);
        double *v = NULL;
        size_t n = 0, u = 0;
        if ((st = read_activations(path, kind, &v, &n, &u))) break;
        if (kept == 0) {
            N = n;
            U = u;
            x = xmalloc(nm * N * sizeof *x);
        } else if (n != N) {
            free(v);
            st = err_set(ERR_INVAL, "%s: %zu neurons, the first model has %zu", path, n, N);
            break;
        }
        int dup = 0; /* a shared generation 0 appears under every setup: keep it once */
        for (size_t k = 0; k < kept && !dup; k++)
            dup = memcmp(x + k * N, v, N * sizeof *v) == 0;
        if (!dup) {
            memcpy(x + kept * N, v, N * sizeof *v);
            b[kept] = m[i].bias;
            q[kept] = m[i].quality;
            kept++;
        }
        free(v);
    }
    free(m);
    if (!st && kept < 4)
        st = err_set(ERR_INVAL, "%s: %zu distinct fine-tuned models; at least 4 are needed", dir,
                     kept);
    if (st) {
        free(x);
        free(b);
        free(q);
        return st;
    }
    *X = x;
    *bias = b;
    *quality = q;
    *models = kept;
    *neurons = N;
    *layer_size = U;
    return ERR_OK;
}
