/* simcfg: the simulator's configuration keys (one table, defaults in code) and their translation
 * into a validated SimSpec. Cross-field errors name the key and where its value came from. */
#ifndef BIASAMP_SIMCFG_H
#define BIASAMP_SIMCFG_H

#include "cfg.h"
#include "loop.h"

typedef struct SimConfig {
    int family;           /* sim.family: index into dist_names (the model family) */
    double n;             /* sim.n: samples per generation, or inf */
    long generations;     /* sim.generations */
    long replicates;      /* sim.replicates */
    long seed;            /* sim.seed */
    int weight;           /* sim.weight: index into weight_names */
    double gamma;         /* sim.gamma */
    double lambda;        /* sim.lambda */
    int mode;             /* sim.mode */
    int trajectories;     /* sim.trajectories: also write per-replicate rows */
    CfgDList snapshots;   /* sim.snapshots: generations drawn in the density figure */
    int data_family;      /* data.family */
    CfgDList data_params; /* data.params */
    CfgDList pre_params;  /* pretrained.params */
    double pre_n;         /* pretrained.n: draws the pretrained MLE is fitted to, or inf */
    char title[CFG_STR_MAX]; /* plot.title */
    int plot_format;      /* plot.format */
} SimConfig;

extern const CfgKey simcfg_keys[];
extern const char *const simcfg_formats[]; /* "png", "svg" */

/* Validates the cross-field constraints (parameter counts and ranges for the chosen families,
 * snapshot generations in range, integral n) and fills spec. ERR_INVAL with
 * "FILE:LINE: key: message". */
int simcfg_spec(const Cfg *c, const SimConfig *sc, SimSpec *spec);

#endif
