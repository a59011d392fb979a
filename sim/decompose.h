/* decompose: the 2x2x2 experiment that separates bias amplification from model collapse —
 * weighting {off, on} x sampling error {n = inf, finite n} x functional form {well-specified,
 * misspecified}. Each cell is the base config with up to three keys switched through the config
 * table (sim.weight = none; sim.n = inf; data.* = the [decompose] truth), so every cell is a run
 * `biasamp sim` could make. Per cell: the bias b_{G-1}, the drift b_{G-1} - b_0 and the dispersion
 * ratio D_{G-1}/D* at the last generation, mean +- SE over replicates (SE = 0 at n = inf). The
 * library entry of `biasamp decompose`. */
#ifndef BIASAMP_DECOMPOSE_H
#define BIASAMP_DECOMPOSE_H

#include "cfg.h"
#include "conditions.h"
#include "csvlog.h"
#include "simcfg.h"

/* The base config's keys: simcfg_keys plus [decompose]. */
typedef struct DecomposeConfig {
    SimConfig sim;                  /* first: simcfg_keys' offsets hold */
    char data_family[CFG_STR_MAX];  /* decompose.data_family: the misspecified truth's family */
    long data_k;                    /* decompose.data_k */
    CfgDList data_params;           /* decompose.data_params */
    double z;                       /* decompose.z: significance threshold in SE */
} DecomposeConfig;

/* The key table (built once; NULL-terminated like every CfgKey table). */
const CfgKey *decompose_keys(void);

enum { DECOMPOSE_CELLS = 8 };

typedef struct DecomposeCell {
    int weighted, finite, misspecified; /* the three switches */
    long n, replicates;                 /* n = 0: inf */
    CondMcSummary s;                    /* last-generation bias, drift, dispersion ratio */
    int bias_sig;                       /* +1 / -1: |bias| > z SE (n = inf: > tol); 0: not */
    int collapse;                       /* D/D* significantly below 1 */
    CondVerdict necessary, sufficient;  /* the population verdicts of the cell's spec */
    CondPop pop;
    double *bias_g, *bias_g_se, *disp_g, *disp_g_se; /* per generation (owned) */
} DecomposeCell;

typedef struct DecomposeResult {
    int generations;
    double z;
    DecomposeCell cell[DECOMPOSE_CELLS]; /* index 4 finite + 2 misspecified + weighted */
} DecomposeResult;

typedef struct DecomposeOpts {
    const char *config;      /* the base config file (NULL: defaults) */
    char **overrides;        /* "section.key=value" applied after it */
    int noverrides;
    const char *dir;         /* results folder (exists) */
    const RunInfo *run;
    int plot;
    int progress;
} DecomposeOpts;

/* Validates the base (well-specified, a weight, finite n, a misspecified truth in [decompose])
 * and fills the eight cells' specs. ERR_INVAL with "FILE:LINE: key: message". */
int decompose_specs(const char *config, char **overrides, int noverrides,
                    SimSpec specs[DECOMPOSE_CELLS], DecomposeConfig *dc);

/* Runs the cells, writes decompose.csv (kind=decompose_cells), decompose_generations.csv
 * (kind=decompose_generations) and the figure decompose.<fmt> into o->dir. */
int decompose_run(const DecomposeOpts *o, DecomposeResult *res);
void decompose_release(DecomposeResult *res);

/* Cell names for tables: "off"/"on", "inf"/"finite", "well-specified"/"misspecified". */
int decompose_cell_index(int weighted, int finite, int misspecified);

#endif
