/* simcfg: the simulator's configuration keys (one table, defaults in code) and their translation
 * into a validated SimSpec. Cross-field errors name the key and where its value came from
 * ("FILE:LINE: key: message", ERR_INVAL, exit code 2). */
#ifndef BIASAMP_SIMCFG_H
#define BIASAMP_SIMCFG_H

#include "cfg.h"
#include "loop.h"

typedef struct SimConfig {
    int family;           /* sim.family: index into dist_names (the model family) */
    long k;               /* sim.k: size of the model family (0: its default) */
    double n;             /* sim.n: samples at generation 0, or inf */
    int schedule;         /* sim.schedule */
    double growth;        /* sim.growth */
    long generations;     /* sim.generations */
    long replicates;      /* sim.replicates */
    long seed;            /* sim.seed */
    int mode;             /* sim.mode */
    double rho;           /* sim.rho */
    double pool_n;        /* sim.pool_n */
    int weight;           /* sim.weight: index into weight_names */
    int scope;            /* sim.scope */
    double gamma;         /* sim.gamma */
    double lambda;        /* sim.lambda */
    double boost;         /* sim.boost */
    long best_of;         /* sim.best_of */
    int statistic;        /* sim.statistic */
    long coord;           /* sim.coord (1-based; 0: default) */
    long cls;             /* sim.class (1-based) */
    double quantile;      /* sim.quantile */
    double temperature;   /* sim.temperature */
    long ddof;            /* sim.ddof */
    int trajectories;     /* sim.trajectories: also write per-replicate rows */
    CfgDList snapshots;   /* sim.snapshots: generations drawn in the density figure */
    char class_names[CFG_STR_MAX]; /* sim.class_names */
    int data_family;      /* data.family */
    long data_k;          /* data.k */
    CfgDList data_params; /* data.params */
    CfgDList pre_params;  /* pretrained.params */
    double pre_n;         /* pretrained.n: draws the pretrained MLE is fitted to, or inf */
    char title[CFG_STR_MAX]; /* plot.title */
    int plot_format;      /* plot.format */
} SimConfig;

extern const CfgKey simcfg_keys[];
extern const char *const simcfg_formats[]; /* "png", "svg" */

/* Validates the cross-field constraints (sizes, parameter counts and ranges for the chosen
 * families, family compatibility, mode and weight options, snapshot generations in range,
 * integral counts) and fills spec (loop_prepare included). ERR_INVAL with
 * "FILE:LINE: key: message". */
int simcfg_spec(const Cfg *c, const SimConfig *sc, SimSpec *spec);

#endif
