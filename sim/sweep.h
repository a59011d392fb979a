/* sweep: grids over one or two config keys. Every point is the base config with the keys set
 * through the config table (cfg_set_value), so a point is a run `biasamp sim` could make; per
 * point the last generation's metrics (Monte Carlo mean +- SE at finite n, the population map at
 * n = inf), the population verdicts of the conditions and the simulation's agreement go into one
 * tidy row of sweep.csv. A phase diagram (heatmap for two keys, a line for one) of a chosen
 * metric is drawn with the theory boundaries that exist for the keys: the sufficient condition's
 * change of sign, the selection-vs-drift line n s = 1 for a category weight, and the
 * preservation fixed point's level curves.
 *
 * Resumable: rows are appended whole to sweep.csv.part and fsync'ed at grid-point boundaries; a
 * killed sweep continues with --resume from the first missing point (a torn last line is cut),
 * and the finished file is byte-identical to an uninterrupted run's. Parallelism never nests:
 * n = inf points run in parallel over points (OpenMP), Monte Carlo points one after the other
 * with the replicates in parallel. On several MPI ranks the same holds across ranks (n = inf
 * points and replicates split, collected in order), every rank calls sweep_run and rank 0 alone
 * reads and writes the files, so the tables are byte-identical to one process's. */
#ifndef BIASAMP_SWEEP_H
#define BIASAMP_SWEEP_H

#include "cfg.h"
#include "csvlog.h"
#include "simcfg.h"

/* The base config's keys: simcfg_keys plus [sweep] (grid1, grid2, metric: defaults for -g/-m). */
typedef struct SweepConfig {
    SimConfig sim; /* first: simcfg_keys' offsets hold */
    char grid1[CFG_STR_MAX];
    char grid2[CFG_STR_MAX];
    char metric[CFG_STR_MAX];
} SweepConfig;

const CfgKey *sweep_keys(void);

#define SWEEP_STEPS_MAX 1000
#define SWEEP_VALUE_MAX 64

/* One swept key: "key=lo:hi:steps[:log]" (numbers; whole-number keys are rounded) or
 * "key=v1,v2,..." (any values the key accepts, e.g. weight names). */
typedef struct SweepAxis {
    char key[64];      /* "sim.n" */
    char col[64];      /* its CSV column: "sim_n" */
    char spec[CFG_STR_MAX]; /* as given */
    int steps, log, list;
    double *x;         /* [steps] the column values (list items: the number, else the index) */
    double *lo, *hi;   /* [steps] cell edges for the heatmap (geometric midpoints when log) */
    char (*text)[SWEEP_VALUE_MAX]; /* [steps] the values as set through the config table */
} SweepAxis;

/* Parses "key=..." against the key table (unknown key, bad range, steps outside
 * 1..SWEEP_STEPS_MAX, log with a bound <= 0: ERR_INVAL naming the grid). */
int sweep_axis_parse(SweepAxis *a, const char *grid, const CfgKey *keys);
void sweep_axis_release(SweepAxis *a);

typedef struct SweepOpts {
    const char *config;    /* base config file (NULL: defaults) */
    char **overrides;
    int noverrides;
    const char *grid[2];   /* both NULL: sweep.grid1/grid2 of the config; else these only */
    const char *metric;    /* NULL: sweep.metric */
    const char *dir;       /* results folder (exists) */
    const RunInfo *run;
    int resume;            /* continue DIR/sweep.csv.part */
    int plot;
    int progress;
    double z;              /* significance threshold for the simulation's verdict */
} SweepOpts;

typedef struct SweepResult {
    long points, computed; /* grid points; computed by this call (not resumed) */
    int already_done;      /* --resume found a complete sweep.csv */
    int nboundary[3];      /* boundary segments per kind (sign, ns1, fixed point) */
    int figures;
} SweepResult;

/* Validates every point (ERR_INVAL naming the point), then computes and appends the missing
 * rows, renames sweep.csv.part to sweep.csv, writes boundary.csv and the figure. */
int sweep_run(const SweepOpts *o, SweepResult *res);

#endif
