/* fit: weighted maximum likelihood, argmax_theta sum_i w(x_i) log f(x_i; theta), on samples and
 * on a whole population (n = inf: no sampling error). Both reduce to the family's solver on the
 * weighted mean of the sufficient statistics. */
#ifndef BIASAMP_FIT_H
#define BIASAMP_FIT_H

#include <stddef.h>

#include "family.h"
#include "weights.h"

/* Weighted MLE on n samples x (n * dim doubles) with log-weights logw (NULL = unweighted).
 * theta holds a starting point on entry (may be nan). Writes Kish's effective sample size
 * (sum w)^2 / sum w^2 to *n_eff when n_eff is not NULL. Non-convergence is data (fi->converged
 * = 0, theta nan); returns ERR_OK then. */
int fit_wmle(const DistType *fam, const double *x, const double *logw, size_t n, double *theta,
             FitInfo *fi, double *n_eff);

/* Population map for 1-D families: the weighted MLE in `fam` when the data are the law
 * Q = qfam(theta_q) itself, weighted by wt (ctx supplies its parameters):
 * theta = argmax E_Q[w(X) log f(X; theta)]. Expectations by adaptive quadrature (GSL QAGS) over
 * the region where Q w is not negligible. ERR_NUMERIC if the weighted law cannot be normalised. */
int fit_population(const DistType *fam, const DistType *qfam, const double *theta_q,
                   const WeightType *wt, const WeightCtx *ctx, double *theta, FitInfo *fi);

#endif
