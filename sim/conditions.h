/* conditions: the framework's conditions for bias amplification (paper/theory.md, section 3)
 * checked on a simulator spec. The population map (n = inf) gives the trajectory b_t and the
 * one-step push Delta_t = phi(T theta_t) - phi(theta_t); a Monte Carlo run at the spec's n says
 * whether the simulation agrees. Used by `biasamp theory`, `decompose`, `sweep` and the explorer.
 *
 * Contract: conditions_check is deterministic and cheap (one population map of G + 1 generations,
 * a few ms for 1-D families); it allocates r->gen (release with conditions_release). It never
 * runs Monte Carlo; conditions_compare adds the simulation's verdict from an McResult the caller
 * ran (mc_run on the same spec). */
#ifndef BIASAMP_CONDITIONS_H
#define BIASAMP_CONDITIONS_H

#include "loop.h"
#include "mc.h"

/* A verdict on one condition. */
typedef enum { COND_FAILS = 0, COND_HOLDS = 1, COND_NA = -1 } CondVerdict;

/* What the population map does to the bias over generations 0 .. G-1. */
typedef enum {
    COND_POP_NONE = 0,      /* the statistic does not move after generation 0 (|Delta_t| <= tol) */
    COND_POP_AMPLIFIED = 1, /* b_t keeps its sign and |b_t| grows, without a visible bound */
    COND_POP_BOUNDED = 2,   /* b_t keeps its sign and |b_t| grows toward a fixed point b_limit */
    COND_POP_SHRINKS = 3,   /* b_t keeps its sign and |b_t| decreases (the pull wins) */
    COND_POP_MIXED = 4      /* the sign of b_t changes, or |b_t| goes up and down */
} CondPop;

/* What the Monte Carlo replicates show (sign taken from the population map's last bias, or from
 * the Monte Carlo mean when the population bias is 0). */
typedef enum {
    COND_MC_NOT_RUN = -1,   /* n = inf, or not compared */
    COND_MC_NONE = 0,       /* no systematic drift: |mean(b_{G-1} - b_0)| <= z SE */
    COND_MC_AMPLIFIED = 1,  /* drift and last bias both significantly of the reference sign */
    COND_MC_SHRINKS = 2     /* drift significantly against the reference sign */
} CondMc;

/* One generation t of the population trajectory. */
typedef struct CondGen {
    double stat, bias;   /* phi(theta_t), b_t = phi(theta_t) - phi* */
    double delta;        /* Delta_t = b_{t+1} - b_t (the push the next fit applies) */
    double push;         /* selection term sum_c pi_c Cov_{Q_c}(w, s) / E_{Q_c}[w] over the
                          * weighted blocks c of the next training pool (nan if not computed) */
    double pull;         /* mixing/sampler term sum_c pi_c E_{Q_c}[s] - phi(theta_t) */
    double delta_cov;    /* push + pull where that form is exact (cov_form = 1), else nan */
    double dispersion;   /* the dispersion metric (sd; Gini-Simpson for categorical) */
    double bias_closed;  /* b_t from the closed-form library (theory.h), nan when unknown */
    int sign_ok;         /* the sufficient condition at t: Delta_t != 0 and Delta_t b_t >= 0 */
} CondGen;

/* Mean and standard error over replicates at the last generation G-1 (finite values only). */
typedef struct CondMcSummary {
    long replicates;             /* replicates with a finite last bias */
    double bias, bias_se;        /* b_{G-1} */
    double drift, drift_se;      /* b_{G-1} - b_0, paired per replicate (nan if G = 1) */
    double disp_ratio, disp_ratio_se; /* D_{G-1} / D* (the truth's dispersion) */
} CondMcSummary;

typedef struct ConditionReport {
    int generations;      /* G */
    CondGen *gen;         /* [G], owned */
    double *popmap;       /* [G][nmetric]: the population map's metric rows (owned) */
    double tol;           /* |x| <= tol counts as 0 (absolute, in units of the statistic) */
    double truth_stat, truth_dispersion;
    int well_specified;   /* data family = model family (the framework's setting) */
    int cov_form;         /* 1: Delta_t = push + pull exactly (moment-matching fit of s) */
    const char *cov_note; /* static text: why the covariance form does or does not apply */

    CondVerdict necessary;  /* HOLDS iff some Delta_t != 0 (the map moves the statistic) */
    const char *source;     /* static: "weight", "sampler/mixing", "weight+mixing", "none", or
                             * "the population map" (multi-coordinate: push/pull not split) */
    CondVerdict sufficient; /* HOLDS iff sign_ok for every t = 0 .. G-1 */
    int first_break;        /* first t with sign_ok = 0, -1 if none */
    CondPop pop;
    double b_limit;         /* the fixed point of a bounded trajectory, else nan */
    double disp_ratio;      /* population D_{G-1} / D* */
    int collapse;           /* population dispersion falls: D_{G-1} < D_0 (1 - 1e-6) */

    /* conditions_compare */
    CondMc mc;
    CondMcSummary mcs;
    double z;               /* significance threshold in standard errors */
    int agrees;             /* 1 agree, 0 disagree, -1 not compared; a mixed population
                             * trajectory agrees when the Monte Carlo net drift b_{G-1} - b_0 is
                             * significant with the population's sign */
} ConditionReport;

/* The population verdicts of spec s (prepared by simcfg_spec). ERR_NUMERIC when the population
 * map fails (message set); r is then released. */
int conditions_check(const SimSpec *s, ConditionReport *r);

/* Adds the simulation's verdict from mc (mc_run on s): fills r->mcs, r->mc, r->z, r->agrees. */
void conditions_compare(const SimSpec *s, const McResult *mc, double z, ConditionReport *r);

/* Last-generation summary of a Monte Carlo result (used by compare, decompose and sweep). */
void conditions_mc_summary(const SimSpec *s, const McResult *mc, CondMcSummary *out);

/* The truth's dispersion D* on the scale of the dispersion metric. */
double conditions_truth_dispersion(const SimSpec *s);

void conditions_release(ConditionReport *r);

/* Names for tables and messages: "holds"/"fails"/"n/a"; "none", "amplified", "bounded",
 * "shrinks", "mixed"; "not run", "no drift", "amplified", "shrinks". */
const char *conditions_verdict_name(CondVerdict v);
const char *conditions_pop_name(CondPop p);
const char *conditions_mc_name(CondMc m);

/* ---- `biasamp theory`: the whole report into a results folder (conditions_run.c) ---------- */

typedef struct CondRunOpts {
    const char *dir;       /* results folder (exists) */
    const struct RunInfo *run; /* metadata for every table */
    int simulate;          /* run the Monte Carlo replicates (finite n only) */
    double z;              /* significance threshold in standard errors */
    int plot;              /* render figures */
    const char *format;    /* "png" or "svg" */
    const char *title;
    int progress;
} CondRunOpts;

typedef struct CondRunOutput {
    ConditionReport rep;
    int simulated;         /* 1 if Monte Carlo ran */
    McResult mc;
    double *pop;           /* [G][nmetric] population map */
    int nforms;
    struct TheoryApplied *forms;  /* the closed forms that apply */
    struct TheoryCompare *cmp;    /* [nforms] their comparison with the runs */
    int figures;
} CondRunOutput;

/* Checks the conditions, runs the replicates (o->simulate and finite n), compares every
 * applicable closed form, and writes theory.csv, verdicts.csv, forms.csv and the figures
 * (trajectory, forms) into o->dir. ERR_IO on write failure (no complete-looking table is left),
 * ERR_NUMERIC if the population map fails. */
int conditions_run(const SimSpec *s, const CondRunOpts *o, CondRunOutput *out);
void conditions_run_release(CondRunOutput *out);

#endif
