/* family: the plug-in table of distribution families (GSL style: one const DistType per family,
 * one file each, one registry line in family.c). Fitting goes through averaged sufficient
 * statistics, so a weighted MLE on n samples and the n = inf population map share one solver. */
#ifndef BIASAMP_FAMILY_H
#define BIASAMP_FAMILY_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

#define DIST_PARAM_MAX 32
#define DIST_STAT_MAX 32

typedef struct FitInfo {
    int converged;  /* 1 if the solver met its tolerance */
    int iterations;
} FitInfo;

typedef struct DistType {
    const char *name;
    int nparam;
    const char *const *param_names; /* CSV column names of the parameters */
    int nstat;                      /* sufficient statistics per sample */
    int dim;                        /* doubles per sample (1 for scalar families) */
    int discrete;                   /* 1 if samples are integers (quadrature becomes a sum) */
    double lo, hi;                  /* support of 1-D families */

    /* ERR_OK if theta is a valid parameter vector, else ERR_INVAL with a message naming the
     * offending parameter (no file context; the caller prefixes it). */
    int (*check)(const double *theta);
    /* log f(x_i; theta) for n samples (batched so normalising constants are computed once). */
    void (*logpdf)(const double *theta, const double *x, size_t n, double *out);
    /* n independent draws into x (n * dim doubles). */
    void (*sample)(const double *theta, gsl_rng *r, size_t n, double *x);
    /* Sufficient statistics S(x) of one sample, nstat values. */
    void (*stat)(const double *x, double *s);
    /* The MLE from averaged statistics sbar = sum_i w_i S(x_i) / sum_i w_i (exponential families:
     * moment matching of E[S]). theta holds a starting point on entry. A failure to converge is
     * data: returns ERR_OK with fi->converged = 0 and theta set to nan. ERR_NUMERIC only when
     * sbar lies outside the family's statistic domain (e.g. E[log x] >= 0 for Beta). */
    int (*fit_stat)(const double *sbar, double *theta, FitInfo *fi);
    /* Mean and variance of the distribution. */
    void (*moments)(const double *theta, double *mean, double *var);
} DistType;

extern const DistType dist_beta;
extern const DistType dist_gaussian;

/* The family called `name`, or NULL. */
const DistType *dist_find(const char *name);
/* NULL-terminated list of the registered families' names (for config enums and --help). */
extern const char *const dist_names[];

#endif
