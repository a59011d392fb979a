/* fit: weighted maximum likelihood on samples, argmax_theta sum_i w(x_i) log f(x_i; theta):
 * the family's solver on the weighted mean of the sufficient statistics, or its fit hook (EM).
 * The population (n = inf) twin is popmap.h. */
#ifndef BIASAMP_FIT_H
#define BIASAMP_FIT_H

#include <stddef.h>

#include "family.h"

/* Weighted MLE on n samples x (n * dim doubles) with log-weights logw (NULL = unweighted; any
 * additive constant). theta holds a starting point on entry (may be nan). Writes Kish's effective
 * sample size (sum w)^2 / sum w^2 to *n_eff when n_eff is not NULL. No allocation.
 * Non-convergence is data (fi->converged = 0, theta nan); returns ERR_OK then. */
int fit_wmle(const Dist *fam, const double *x, const double *logw, size_t n, double *theta,
             FitInfo *fi, double *n_eff);

#endif
