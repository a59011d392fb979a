/* sim: one simulator run end to end: the Monte Carlo replicates (finite n), the population map
 * (n = inf) and closed forms, written as CSV tables into a results folder, figures rendered. The
 * library entry of `biasamp sim`. */
#ifndef BIASAMP_SIM_H
#define BIASAMP_SIM_H

#include "csvlog.h"
#include "mc.h"
#include "simcfg.h"

typedef struct SimRunOpts {
    const char *dir;       /* results folder (exists) */
    const RunInfo *run;    /* metadata for every table */
    int trajectories;      /* write trajectories.csv */
    int plot;              /* render figures */
    const char *format;    /* "png" or "svg" */
    const char *title;
    int progress;          /* show a progress line */
    const McHooks *hooks;  /* Monte Carlo checkpoints (sim/mcstate), or NULL */
} SimRunOpts;

typedef struct SimOutput {
    int generations, nmetric, nparam;
    int sampled;           /* 1 if Monte Carlo ran (finite n) */
    McResult mc;           /* finite n only */
    double *pop;           /* [generations][nmetric]: the population map (n = inf) */
    double *closed;        /* [generations][nparam] closed form, or NULL when unknown */
    int figures;           /* figures rendered */
} SimOutput;

/* Runs spec, writes generations.csv (and population.csv when n is finite, density.csv,
 * trajectories.csv on request) into o->dir and renders the figures. ERR_IO on write failure
 * (no table is left that looks complete); ERR_NUMERIC if the population map fails. */
int sim_run(const SimSpec *spec, const SimRunOpts *o, SimOutput *out);
void sim_output_release(SimOutput *out);

#endif
