/* theory: closed forms. (1) The population map (n = inf) where the weighted law stays in the model
 * family (conjugate cases): the independent check of the quadrature path and the "closed form"
 * column of `biasamp sim`. (2) The library of named closed forms and bounds (theory_forms.c):
 * issue 3's validation formulas, the constant-push results, and published results (Taori &
 * Hashimoto 2023, Dohmatob et al. 2024, Gerstgrasser et al. 2024, Kimura 1962), each callable by
 * name, with the specs it applies to and the simulator observable it predicts. Derivations are in
 * paper/theory.md, sources in theory_forms.c. */
#ifndef BIASAMP_THEORY_H
#define BIASAMP_THEORY_H

#include "loop.h"
#include "mc.h"

/* If theta_g of the population map has a closed form for this spec, writes it and returns 1;
 * otherwise returns 0. Known cases (replace mode, data family = model family, weight scope all):
 *   weight none:          theta_g = theta* (MLE is consistent); categorical at temperature tau:
 *                         p_g proportional to p*^(tau^-g)
 *   Beta, prev_density:   theta_0 - 1 = theta* - 1 + gamma (theta_pre - 1),
 *                         theta_g - 1 = (1+gamma)^g (theta_0 - 1) (the paper: 1 + 3*2^g, 1 + 2*2^g)
 *   Beta, pre_density:    theta_g = theta* + (g+1) gamma (theta_pre - 1)
 *   Gaussian, prev_density: precision tau_0 = 1/s*^2 + gamma/s_pre^2, mean by precision weights,
 *                         then tau_g = (1+gamma)^g tau_0 with the mean fixed
 *   Gaussian, pre_density: tau_g = tau_{g-1} + gamma/s_pre^2, precision-weighted means
 *   Gaussian, tilt:       mu_g = mu* + (g+1) lambda sigma*^2, sigma fixed
 *   Poisson, tilt:        lambda_g = lambda* e^{(g+1) lambda}
 *   categorical, tilt / category on class c: p_g proportional to p* (e^lambda or 1+boost)^{(g+1)
 *                         [x = c]} */
int theory_closed_form(const SimSpec *s, int g, double *theta);

/* ---- the library of named closed forms ------------------------------------------------------ */

#define THEORY_ARG_MAX (4 + DIST_PARAM_MAX)

typedef enum {
    THEORY_MC = 0, /* an expectation over sampling error at finite n (Monte Carlo mean) */
    THEORY_POP,    /* the population map (n = inf) */
    THEORY_BOUND,  /* an upper bound on an expectation over sampling error */
    THEORY_LIMIT   /* a value as t -> inf */
} TheoryKind;
extern const char *const theory_kind_names[]; /* "mc", "pop", "bound", "limit" */

/* Every form is a function of t = the number of fits (t = generation + 1: fit 1 is generation 0,
 * on real data) and of its arguments. */
typedef struct TheoryForm {
    const char *name;
    TheoryKind kind;
    const char *quantity; /* what it predicts, e.g. "E[sigma_t^2]" */
    const char *formula;  /* plain text */
    const char *source;   /* where it comes from */
    const char *args;     /* argument names in order, space-separated */
    int nargs_min, nargs_max;
    /* The value at t fits; nan where it is not defined (e.g. a one-generation formula at t > 1). */
    double (*eval)(const double *a, int na, double t);
    /* Fills a[0..*na) from a spec and returns 1 when the form applies to it; NULL: the form has
     * no simulator counterpart (published results for other models, callable by name). */
    int (*applies)(const SimSpec *s, double *a, int *na);
    /* The observable of one metric row (a loop_metrics row) whose expectation (THEORY_MC,
     * THEORY_BOUND, THEORY_LIMIT) or population value (THEORY_POP) the form gives. */
    double (*observe)(const SimSpec *s, const double *a, int na, const double *row);
    const char *column;   /* the metric column the observable is (drawn on it), or NULL */
    int exact;            /* 1: exact where it applies; 0: an approximation (see formula) */
} TheoryForm;

/* The forms, in a fixed order, ending with a {NULL} entry. */
extern const TheoryForm theory_forms[];

/* The form called `name`, or NULL. */
const TheoryForm *theory_find(const char *name);

/* Evaluates form `name` with na arguments at t fits. ERR_INVAL for an unknown name or a wrong
 * argument count (message names the expected arguments). */
int theory_eval(const char *name, const double *a, int na, double t, double *out);

/* A form applied to a spec: its arguments. */
typedef struct TheoryApplied {
    const TheoryForm *form;
    int na;
    double a[THEORY_ARG_MAX];
} TheoryApplied;

/* The forms that apply to s, at most max of them, into list; returns their number. */
int theory_applicable(const SimSpec *s, TheoryApplied *list, int max);

/* Per generation g (t = g + 1): the prediction, and the observable over the Monte Carlo
 * replicates (mean, standard error, 5 % and 95 % quantiles over finite values) and on the
 * population map. Arrays of G values each. */
typedef struct TheoryCompare {
    double *pred, *mc, *mc_se, *q05, *q95, *pop;
    /* at the last generation with a finite prediction: z = (mc - pred) / se for MC forms,
     * (mc - pred) / se for bounds (agree when z <= zmax), pop - pred for population forms */
    int g_check;
    double z, pop_err;
    int agrees; /* 1 agrees, 0 not, -1 nothing to compare */
} TheoryCompare;

/* Compares an applied form with a population table pop ([G][nmetric], may be NULL) and a Monte
 * Carlo result (may be NULL). zmax: agreement threshold in standard errors; population forms
 * agree within 1e-6 relative (5 % when the form is approximate: O(delta^2) effects). Release with
 * theory_compare_release. */
void theory_compare(const SimSpec *s, const TheoryApplied *ap, const double *pop,
                    const McResult *mc, double zmax, TheoryCompare *c);
void theory_compare_release(TheoryCompare *c);

/* Harmonic numbers H_k = 1 + 1/2 + ... + 1/k and H2_k = sum 1/i^2 (0 for k <= 0; k real: its
 * floor). */
double theory_harmonic(double k);
double theory_harmonic2(double k);

#endif
