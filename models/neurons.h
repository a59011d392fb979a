/* neurons: which neurons track bias, which track generation quality, and whether the two sets
 * are distinct (paper sec. 4.4, Fig. 4). Per-neuron statistics come either from model versions
 * (neurons_analyze) or from precomputed tables (neurons_tables_read); both meet at neurons_compare,
 * so the set/overlap/test step is one code path. Neurons are indexed layer-major:
 * j = layer * layer_size + unit, 0-based; the CSV columns `layer`, `unit` are 1-based (the
 * paper's numbering). */
#ifndef BIASAMP_NEURONS_H
#define BIASAMP_NEURONS_H

#include <stddef.h>

#include "csvlog.h"
#include "stats.h"

enum { NEURONS_BIAS, NEURONS_QUALITY, NEURONS_NTARGET };
extern const char *const neurons_target_names[]; /* "bias", "quality" */

/* Which p-value of neurons_analyze defines membership of a set. */
enum { NEURONS_P_HAC_Z, NEURONS_P_HAC_T, NEURONS_P_PEARSON, NEURONS_NPVALUE };
extern const char *const neurons_pvalue_names[]; /* "hac-z", "hac-t", "pearson", NULL */

/* Per-neuron statistics against one target; every array has `neurons` entries, NAN where not
 * known (the released tables give r, beta and p only). Caller owns the struct:
 * neurons_target_init allocates (one slab, NAN-filled), neurons_target_release frees. */
typedef struct NeuronsTarget {
    size_t neurons;
    double *r, *p_r;   /* Pearson r of (neuron scalar, target) over the models, exact t(n-2) p */
    double *beta;      /* OLS slope of the target on the neuron scalar */
    double *se;        /* its Newey–West HAC standard error */
    double *p_z, *p_t; /* two-sided p of beta/se: normal and t(n-2) reference */
    double *p;         /* the p-value that defines membership (one of the above, or the table's) */
} NeuronsTarget;
void neurons_target_init(NeuronsTarget *t, size_t neurons);
void neurons_target_release(NeuronsTarget *t);

typedef struct NeuronsOpts {
    double alpha;      /* a neuron is in a set when its adjusted p < alpha; default 0.05 */
    int correction;    /* STATS_ADJUST_NONE (default, as the paper), _BONFERRONI, _BH */
    int lag;           /* Newey–West lag (Bartlett kernel); default 1 */
    int pvalue;        /* NEURONS_P_HAC_Z (default; see neurons_analyze) */
    size_t layer_size; /* neurons per layer for the per-layer counts; 0 = all in one layer */
} NeuronsOpts;
void neurons_opts_default(NeuronsOpts *o);

/* The model-version entry point. X is [models][neurons] (row m = one fine-tuned model version,
 * ordered by setup then generation: the HAC lag runs along that order), target is [models]
 * (a bias measure or TQI). Per neuron j: Pearson r and p of (X[.][j], target) and the OLS slope
 * of target on X[.][j] with its Newey–West SE and p-values; out->p is chosen by o->pvalue.
 * HAC-z is statsmodels' default for cov_type='HAC' and the reference the authors' released p-values
 * imply (see neurons_tables_read). A constant neuron gives NAN statistics (it is left out of
 * the sets). Initialises *out (release it, also on error). ERR_INVAL: models < 3,
 * lag outside [0, models), a non-finite entry (named by model and neuron). */
int neurons_analyze(const double *X, const double *target, size_t models, size_t neurons,
                    const NeuronsOpts *o, NeuronsTarget *out);

/* Sets, per-layer counts and the distinctness tests. Caller owns; release frees. */
typedef struct NeuronsResult {
    size_t neurons, layer_size, layers;
    size_t tested; /* neurons with a finite p for both targets */
    double alpha;
    int correction;
    double *p_adj[NEURONS_NTARGET];       /* [neurons] adjusted p (NAN where p is NAN) */
    unsigned char *in[NEURONS_NTARGET];   /* [neurons] 1 if tested and p_adj < alpha */
    size_t count[NEURONS_NTARGET], both;  /* |B|, |Q|, |B ∩ Q| among the tested */
    double bonferroni_p[NEURONS_NTARGET]; /* alpha / m: the Bonferroni cut on the raw p */
    double expected_both;                 /* |B| |Q| / tested: the overlap under independence */
    double jaccard, jaccard_expected;     /* observed, and at the expected overlap */
    StatsFisher fisher;                   /* table [[both, B only], [Q only, neither]] */
    StatsChisq chisq, chisq_yates;
    /* [layers][NEURONS_NLAYERCOL]: bias, quality, both, tested per layer */
    size_t *layer_count;
} NeuronsResult;
enum { NEURONS_L_BIAS, NEURONS_L_QUALITY, NEURONS_L_BOTH, NEURONS_L_TESTED, NEURONS_NLAYERCOL };

/* The set/overlap/test step on per-neuron p-values (bias->p, quality->p, same length).
 * Adjustment counts the finite p-values of each target as its m. ERR_INVAL: lengths differ,
 * alpha outside (0, 1), layer_size not dividing the neuron count, a p outside [0, 1]. */
int neurons_compare(const NeuronsTarget *bias, const NeuronsTarget *quality, const NeuronsOpts *o,
                    NeuronsResult *res);
void neurons_result_release(NeuronsResult *res);

/* Writes DIR/neurons_per_neuron.csv, DIR/neurons_summary.csv and DIR/neurons_layers.csv (kinds
 * of the same names; columns in README). `source` (e.g. the tables folder) and `pvalue` (what
 * defined the sets) go into the metadata with alpha and the correction. ERR_IO on failure; no
 * partial file is left. */
int neurons_write(const char *dir, const NeuronsTarget t[NEURONS_NTARGET], const NeuronsResult *res,
                  const NeuronsOpts *o, const char *source, const char *pvalue, const RunInfo *ri);

/* Renders DIR/neurons_scatter.EXT (r_bias vs r_quality by set, Fig. 4), neurons_pvalues.EXT
 * (-log10 p with the alpha and Bonferroni lines) and neurons_layers.EXT from the CSVs above,
 * EXT = "png" or "svg". ERR_IO if gnuplot fails or is missing. */
int neurons_plot(const char *dir, const NeuronsResult *res, const char *ext);

/* The authors' released tables in DIR (paper-reference/Mechanistic_Interpretation): four CSVs,
 * Pearson r per neuron for bias and TQI, and Newey–West regressions (beta_coefficient, p_value)
 * for bias and generation quality. Columns are found by header name (the two regression files
 * order layer/neuron_id differently and are sorted differently); rows are joined on
 * (layer, neuron_id) into layer-major order. Fills t[] (r, beta, p; the rest NAN — the tables
 * give no SE, so their reference distribution is undocumented; their extreme p-values, down to
 * 1.9e-238, imply z ~ 33 under N(0,1) but t ~ 7e4 under t(64), i.e. the normal reference) and
 * *layer_size (the largest neuron_id). Initialises t[] (release them, also on error).
 * ERR_INVAL naming file:line: missing file or column, a bad number, r outside [-1, 1], p outside
 * [0, 1], a duplicate or missing (layer, neuron), a row count or grid that differs between the
 * files. */
int neurons_tables_read(const char *dir, NeuronsTarget t[NEURONS_NTARGET], size_t *layer_size);

/* A whole run: per-neuron statistics (from tables or from model versions), the sets and tests,
 * the CSV tables and figures. The caller fills the inputs (opts from neurons_opts_default) and
 * releases the struct, also after an error. The results folder is created only once the analysis
 * has succeeded, so bad input leaves nothing behind. */
typedef struct NeuronsRun {
    const char *source; /* the tables folder, or the experiment (CSV metadata `source`) */
    const char *output; /* results folder (created; may exist); NULL: results/neurons_<stamp> */
    const char *ext;    /* figures: "png" or "svg"; NULL: CSV tables only */
    const RunInfo *run; /* CSV metadata; may be NULL */
    NeuronsOpts opts;
    char dir[4096];                   /* out: the results folder used */
    char pvalue[96];                  /* out: what defined the sets, for people and metadata */
    NeuronsTarget t[NEURONS_NTARGET]; /* out: per-neuron statistics */
    NeuronsResult res;                /* out: sets and tests */
} NeuronsRun;

/* `biasamp neurons --tables DIR`: neurons_tables_read(r->source), then the shared tail
 * (compare, write, plot); opts.layer_size comes from the tables. */
int neurons_run_tables(NeuronsRun *r);

/* `biasamp neurons EXPERIMENT_DIR`, the plug-in point for the GPT-2 engine: X [models][neurons]
 * per-neuron scalars (layer-major neurons, opts.layer_size per layer, e.g. 768), bias and quality
 * [models] targets, models ordered by setup then generation. neurons_analyze for each target,
 * then the same tail as neurons_run_tables. */
int neurons_run_models(NeuronsRun *r, const double *X, const double *bias, const double *quality,
                       size_t models, size_t neurons);
void neurons_run_release(NeuronsRun *r);

/* The inputs of neurons_run_models from a `biasamp experiment` folder: every fine-tuned model
 * version (generation >= 0; a model shared by setups counts once), ordered by setup then
 * generation; X [models][neurons] the captured activation means of `kind` (0 the residual stream
 * after each block, 1 the MLP hidden units), layer-major; bias = the generations.csv column
 * `share_col` (e.g. "share_right"), quality = tqi_mean. Arrays are malloc'd (free()). ERR_INVAL
 * naming the file for missing or malformed tables, or fewer than 4 distinct models. */
int neurons_experiment_read(const char *dir, int kind, const char *share_col, double **X,
                            double **bias, double **quality, size_t *models, size_t *neurons,
                            size_t *layer_size);

#endif
