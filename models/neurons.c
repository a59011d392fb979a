/* neurons: per-neuron statistics across model versions, the bias and quality neuron sets, their
 * overlap against independence, the CSV tables and figures. The set step never looks at where
 * the p-values came from, so model versions and released tables take the same path. */
#include "neurons.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "paths.h"
#include "plot.h"
#include "xalloc.h"

const char *const neurons_target_names[] = {"bias", "quality"};
const char *const neurons_pvalue_names[] = {"hac-z", "hac-t", "pearson", NULL};

void neurons_target_init(NeuronsTarget *t, size_t neurons)
{
    enum { NARRAY = 7 };
    double *slab = xmalloc((neurons ? neurons : 1) * NARRAY * sizeof *slab);
    for (size_t i = 0; i < neurons * NARRAY; i++) slab[i] = NAN;
    double **arrays[NARRAY] = {&t->r, &t->p_r, &t->beta, &t->se, &t->p_z, &t->p_t, &t->p};
    for (int k = 0; k < NARRAY; k++) *arrays[k] = slab + (size_t)k * neurons;
    t->neurons = neurons;
}

void neurons_target_release(NeuronsTarget *t)
{
    if (!t) return;
    free(t->r); /* the slab starts at r */
    memset(t, 0, sizeof *t);
}

void neurons_opts_default(NeuronsOpts *o)
{
    *o = (NeuronsOpts){
        .alpha = 0.05, .correction = STATS_ADJUST_NONE, .lag = 1, .pvalue = NEURONS_P_HAC_Z};
}

int neurons_analyze(const double *X, const double *target, size_t models, size_t neurons,
                    const NeuronsOpts *o, NeuronsTarget *out)
{
    neurons_target_init(out, neurons);
    if (models < 3) return err_set(ERR_INVAL, "neurons: %zu model versions (need >= 3)", models);
    if (o->lag < 0 || (size_t)o->lag >= models)
        return err_set(ERR_INVAL, "neurons: Newey-West lag %d outside [0, %zu]", o->lag,
                       models - 1);
    if (o->pvalue < 0 || o->pvalue >= NEURONS_NPVALUE)
        return err_set(ERR_INVAL, "neurons: unknown p-value choice %d", o->pvalue);
    for (size_t m = 0; m < models; m++) {
        if (!isfinite(target[m]))
            return err_set(ERR_INVAL, "neurons: target of model %zu is not finite", m);
        for (size_t j = 0; j < neurons; j++)
            if (!isfinite(X[m * neurons + j]))
                return err_set(ERR_INVAL, "neurons: model %zu, neuron %zu: not finite", m, j);
    }
    double *xj = xmalloc(models * sizeof *xj); /* column j of X, contiguous */
    int st = ERR_OK;
    for (size_t j = 0; j < neurons && !st; j++) {
        for (size_t m = 0; m < models; m++) xj[m] = X[m * neurons + j];
        StatsOls ols;
        st = stats_pearson(xj, target, models, &out->r[j], &out->p_r[j]);
        if (!st) st = stats_ols_hac(xj, target, models, o->lag, &ols);
        if (st) break;
        out->beta[j] = ols.beta;
        out->se[j] = ols.se_hac;
        out->p_z[j] = ols.p_z;
        out->p_t[j] = ols.p_t;
        out->p[j] = o->pvalue == NEURONS_P_HAC_Z   ? ols.p_z
                    : o->pvalue == NEURONS_P_HAC_T ? ols.p_t
                                                   : out->p_r[j];
    }
    free(xj);
    return st;
}

void neurons_result_release(NeuronsResult *res)
{
    if (!res) return;
    for (int k = 0; k < NEURONS_NTARGET; k++) {
        free(res->p_adj[k]);
        free(res->in[k]);
    }
    free(res->layer_count);
    memset(res, 0, sizeof *res);
}

int neurons_compare(const NeuronsTarget *bias, const NeuronsTarget *quality, const NeuronsOpts *o,
                    NeuronsResult *res)
{
    memset(res, 0, sizeof *res);
    size_t N = bias->neurons;
    if (quality->neurons != N)
        return err_set(ERR_INVAL, "neurons: %zu bias vs %zu quality neurons", N, quality->neurons);
    if (!(o->alpha > 0 && o->alpha < 1))
        return err_set(ERR_INVAL, "neurons: alpha %g outside (0, 1)", o->alpha);
    if (o->correction < 0 || o->correction >= STATS_NADJUST)
        return err_set(ERR_INVAL, "neurons: unknown correction %d", o->correction);
    size_t L = o->layer_size ? o->layer_size : (N ? N : 1);
    if (N % L)
        return err_set(ERR_INVAL, "neurons: layer size %zu does not divide %zu neurons", L, N);
    res->neurons = N;
    res->layer_size = L;
    res->layers = N / L;
    res->alpha = o->alpha;
    res->correction = o->correction;
    res->layer_count = xcalloc(res->layers * NEURONS_NLAYERCOL + 1, sizeof *res->layer_count);
    const NeuronsTarget *t[NEURONS_NTARGET] = {bias, quality};
    for (int k = 0; k < NEURONS_NTARGET; k++) {
        res->p_adj[k] = xmalloc((N ? N : 1) * sizeof(double));
        res->in[k] = xcalloc(N ? N : 1, 1);
        int st = stats_adjust(t[k]->p, N, o->correction, res->p_adj[k]);
        if (st) return err_prefix(st, "neurons: %s p-values", neurons_target_names[k]);
        size_t m = 0;
        for (size_t j = 0; j < N; j++) m += !isnan(t[k]->p[j]);
        res->bonferroni_p[k] = m ? o->alpha / (double)m : NAN;
    }
    /* Membership among the tested: a neuron with no p for one target is in neither table. */
    for (size_t j = 0; j < N; j++) {
        if (isnan(bias->p[j]) || isnan(quality->p[j])) continue;
        size_t *lc = res->layer_count + (j / L) * NEURONS_NLAYERCOL;
        res->tested++;
        lc[NEURONS_L_TESTED]++;
        for (int k = 0; k < NEURONS_NTARGET; k++) {
            res->in[k][j] = res->p_adj[k][j] < o->alpha;
            res->count[k] += res->in[k][j];
            lc[k == NEURONS_BIAS ? NEURONS_L_BIAS : NEURONS_L_QUALITY] += res->in[k][j];
        }
        int both = res->in[NEURONS_BIAS][j] && res->in[NEURONS_QUALITY][j];
        res->both += (size_t)both;
        lc[NEURONS_L_BOTH] += (size_t)both;
    }
    /* Distinctness: under independent membership the 2x2 table is hypergeometric given its
     * margins; the overlap's expectation is |B| |Q| / n. */
    size_t nb = res->count[NEURONS_BIAS], nq = res->count[NEURONS_QUALITY], a = res->both;
    size_t n = res->tested;
    res->expected_both = n ? (double)nb * (double)nq / (double)n : NAN;
    res->jaccard = stats_jaccard(a, nb, nq);
    double eu = (double)nb + (double)nq - res->expected_both;
    res->jaccard_expected = eu > 0 ? res->expected_both / eu : NAN;
    unsigned long b = nb - a, c = nq - a, d = n - nb - nq + a;
    int st = stats_fisher2x2(a, b, c, d, &res->fisher);
    if (!st) st = stats_chisq2x2(a, b, c, d, 0, &res->chisq);
    if (!st) st = stats_chisq2x2(a, b, c, d, 1, &res->chisq_yates);
    return st;
}

/* ---- CSV tables ---- */

static int neurons_open(CsvLog **log, const char *dir, const char *kind, const RunInfo *ri,
                        const NeuronsOpts *o, const char *source, const char *pvalue)
{
    char path[4096];
    int st = paths_join(path, sizeof path, dir, kind);
    if (!st && strlen(path) + 4 < sizeof path) strcat(path, ".csv");
    if (!st) st = csvlog_open(log, path, kind, ri);
    if (st) return st;
    csvlog_meta(*log, "source", "%s", source ? source : "");
    csvlog_meta(*log, "pvalue", "%s", pvalue ? pvalue : "");
    csvlog_meta(*log, "alpha", "%g", o->alpha);
    csvlog_meta(*log, "correction", "%s", stats_adjust_names[o->correction]);
    return ERR_OK;
}

static const char *const per_neuron_cols[] = {
    "layer",         "unit",         "r_bias",     "p_r_bias",    "beta_bias",   "se_bias",
    "p_z_bias",      "p_t_bias",     "p_bias",     "p_adj_bias",  "in_bias",     "r_quality",
    "p_r_quality",   "beta_quality", "se_quality", "p_z_quality", "p_t_quality", "p_quality",
    "p_adj_quality", "in_quality",   "set"};
#define PER_NEURON_NCOL ((int)(sizeof per_neuron_cols / sizeof per_neuron_cols[0]))

static const char *const summary_cols[] = {"neurons",
                                           "tested",
                                           "layers",
                                           "alpha",
                                           "n_bias",
                                           "n_quality",
                                           "n_both",
                                           "n_neither",
                                           "expected_both",
                                           "overlap_ratio",
                                           "jaccard",
                                           "jaccard_expected",
                                           "odds_ratio",
                                           "fisher_p_less",
                                           "fisher_p_greater",
                                           "fisher_p_two_sided",
                                           "chisq",
                                           "chisq_p",
                                           "chisq_yates",
                                           "chisq_yates_p",
                                           "bonferroni_p_bias",
                                           "bonferroni_p_quality"};
#define SUMMARY_NCOL ((int)(sizeof summary_cols / sizeof summary_cols[0]))

static const char *const layer_cols[] = {"layer",     "neurons", "tested",       "n_bias",
                                         "n_quality", "n_both",  "expected_both"};
#define LAYER_NCOL ((int)(sizeof layer_cols / sizeof layer_cols[0]))

int neurons_write(const char *dir, const NeuronsTarget t[NEURONS_NTARGET], const NeuronsResult *res,
                  const NeuronsOpts *o, const char *source, const char *pvalue, const RunInfo *ri)
{
    CsvLog *log = NULL;
    int st = neurons_open(&log, dir, "neurons_per_neuron", ri, o, source, pvalue);
    if (st) return st;
    csvlog_meta(log, "set_codes", "0 neither, 1 bias only, 2 quality only, 3 both");
    if (!(st = csvlog_header(log, per_neuron_cols, PER_NEURON_NCOL))) {
        for (size_t j = 0; j < res->neurons && !st; j++) {
            double v[PER_NEURON_NCOL], *p = v;
            *p++ = (double)(j / res->layer_size + 1);
            *p++ = (double)(j % res->layer_size + 1);
            for (int k = 0; k < NEURONS_NTARGET; k++) {
                const NeuronsTarget *x = &t[k];
                const double row[] = {x->r[j],  x->p_r[j],        x->beta[j],
                                      x->se[j], x->p_z[j],        x->p_t[j],
                                      x->p[j],  res->p_adj[k][j], res->in[k][j]};
                memcpy(p, row, sizeof row);
                p += sizeof row / sizeof row[0];
            }
            *p++ = res->in[NEURONS_BIAS][j] + 2 * res->in[NEURONS_QUALITY][j];
            st = csvlog_row(log, v);
        }
    }
    int cst = csvlog_close(log, !st);
    if (st || cst) return st ? st : cst;

    if ((st = neurons_open(&log, dir, "neurons_summary", ri, o, source, pvalue))) return st;
    size_t nb = res->count[NEURONS_BIAS], nq = res->count[NEURONS_QUALITY], a = res->both;
    double v[SUMMARY_NCOL] = {
        (double)res->neurons,
        (double)res->tested,
        (double)res->layers,
        res->alpha,
        (double)nb,
        (double)nq,
        (double)a,
        (double)(res->tested - nb - nq + a),
        res->expected_both,
        res->expected_both > 0 ? (double)a / res->expected_both : NAN,
        res->jaccard,
        res->jaccard_expected,
        res->fisher.odds_ratio,
        res->fisher.p_less,
        res->fisher.p_greater,
        res->fisher.p_two_sided,
        res->chisq.stat,
        res->chisq.p,
        res->chisq_yates.stat,
        res->chisq_yates.p,
        res->bonferroni_p[NEURONS_BIAS],
        res->bonferroni_p[NEURONS_QUALITY],
    };
    if (!(st = csvlog_header(log, summary_cols, SUMMARY_NCOL))) st = csvlog_row(log, v);
    cst = csvlog_close(log, !st);
    if (st || cst) return st ? st : cst;

    if ((st = neurons_open(&log, dir, "neurons_layers", ri, o, source, pvalue))) return st;
    if (!(st = csvlog_header(log, layer_cols, LAYER_NCOL))) {
        for (size_t l = 0; l < res->layers && !st; l++) {
            const size_t *lc = res->layer_count + l * NEURONS_NLAYERCOL;
            double n = (double)lc[NEURONS_L_TESTED];
            double w[LAYER_NCOL] = {
                (double)(l + 1),
                (double)res->layer_size,
                n,
                (double)lc[NEURONS_L_BIAS],
                (double)lc[NEURONS_L_QUALITY],
                (double)lc[NEURONS_L_BOTH],
                n > 0 ? (double)lc[NEURONS_L_BIAS] * (double)lc[NEURONS_L_QUALITY] / n : NAN};
            st = csvlog_row(log, w);
        }
    }
    cst = csvlog_close(log, !st);
    return st ? st : cst;
}

/* ---- figures ---- */

int neurons_plot(const char *dir, const NeuronsResult *res, const char *ext)
{
    char per[4096], lay[4096], out[4200], alpha[64], bonf[64], title[128];
    int st = paths_join(per, sizeof per, dir, "neurons_per_neuron.csv");
    if (!st) st = paths_join(lay, sizeof lay, dir, "neurons_layers.csv");
    if (st) return st;
    snprintf(alpha, sizeof alpha, "%.17g", res->alpha);
    /* one Bonferroni line for both axes: alpha over the tested neurons */
    snprintf(bonf, sizeof bonf, "%.17g", res->tested ? res->alpha / (double)res->tested : 0.0);
    snprintf(title, sizeof title, "%zu neurons: %zu bias, %zu quality, %zu both (%.1f expected)",
             res->tested, res->count[NEURONS_BIAS], res->count[NEURONS_QUALITY], res->both,
             res->expected_both);
    static const char *const names[] = {"neurons_scatter", "neurons_pvalues", "neurons_layers"};
    for (int i = 0; i < 3 && !st; i++) {
        snprintf(out, sizeof out, "%s/%s.%s", dir, names[i], ext);
        const char *args[] = {i == 2 ? lay : per, out, title, alpha, bonf};
        st = plot_render(names[i], args, 5, 1);
    }
    return st;
}

static void neurons_run_clear(NeuronsRun *r)
{
    memset(r->t, 0, sizeof r->t);
    memset(&r->res, 0, sizeof r->res);
    r->dir[0] = r->pvalue[0] = '\0';
}

/* The shared tail: sets and tests, then the results folder, the tables and the figures. */
static int neurons_run_finish(NeuronsRun *r)
{
    int st = neurons_compare(&r->t[NEURONS_BIAS], &r->t[NEURONS_QUALITY], &r->opts, &r->res);
    if (!st) st = paths_results_dir(r->dir, sizeof r->dir, "neurons", r->output);
    if (!st) st = neurons_write(r->dir, r->t, &r->res, &r->opts, r->source, r->pvalue, r->run);
    if (!st && r->ext) st = neurons_plot(r->dir, &r->res, r->ext);
    return st;
}

int neurons_run_tables(NeuronsRun *r)
{
    neurons_run_clear(r);
    snprintf(r->pvalue, sizeof r->pvalue, "the tables' p_value (Newey-West, as released)");
    size_t layer_size = 0;
    int st = neurons_tables_read(r->source, r->t, &layer_size);
    if (st) return st;
    r->opts.layer_size = layer_size;
    return neurons_run_finish(r);
}

int neurons_run_models(NeuronsRun *r, const double *X, const double *bias, const double *quality,
                       size_t models, size_t neurons)
{
    neurons_run_clear(r);
    const NeuronsOpts *o = &r->opts;
    if (o->pvalue == NEURONS_P_PEARSON)
        snprintf(r->pvalue, sizeof r->pvalue, "Pearson r, t(%zu)", models >= 2 ? models - 2 : 0);
    else
        snprintf(r->pvalue, sizeof r->pvalue, "OLS slope, Newey-West lag %d, %s reference", o->lag,
                 o->pvalue == NEURONS_P_HAC_Z ? "normal" : "t(n-2)");
    int st = neurons_analyze(X, bias, models, neurons, o, &r->t[NEURONS_BIAS]);
    if (!st) st = neurons_analyze(X, quality, models, neurons, o, &r->t[NEURONS_QUALITY]);
    return st ? st : neurons_run_finish(r);
}

void neurons_run_release(NeuronsRun *r)
{
    if (!r) return;
    for (int k = 0; k < NEURONS_NTARGET; k++) neurons_target_release(&r->t[k]);
    neurons_result_release(&r->res);
}
