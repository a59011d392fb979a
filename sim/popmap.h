/* popmap: the n = inf population map, theta = argmax sum_c pi_c E_{Q_c w_c}[log f(X; theta)]
 * over the blocks c of a training pool (real data, generations' outputs), each block's weighted
 * law normalised to its share pi_c. No sampling error: exact sums for discrete laws (Poisson
 * truncated where the tail is below e^-45 of the mode), a Gauss-Legendre node rule for 1-D
 * continuous laws (64 panels of 16 nodes over the window where Q w lives, geometrically graded at
 * finite ends of the support), and the families' closed forms (pop_stat) for multi-coordinate
 * laws. Allocates: never call inside a Monte Carlo replicate. */
#ifndef BIASAMP_POPMAP_H
#define BIASAMP_POPMAP_H

#include <stddef.h>

#include "family.h"
#include "weights.h"

typedef struct PopPart {
    const Dist *q;        /* the block's law */
    const double *theta;
    double pi;            /* its share of the training pool */
    int weighted;         /* 1 if the fit-time weight applies to this block */
} PopPart;

/* The weighted MLE in `fit` on the pool `parts` (shares summing to 1). ERR_NUMERIC if a
 * quadrature fails or a weighted law cannot be normalised, ERR_UNSUPPORTED for a combination
 * without a population map (simcfg rejects those up front). Non-convergence is data (fi). */
int pop_fit(const Dist *fit, const PopPart *parts, int nparts, const WeightType *wt,
            const WeightCtx *ctx, double *theta, FitInfo *fi);

/* For the closed forms: mean and variance of s ~ N(m, v) reweighted by pw->logw_s (on a node
 * rule of N(m, v)). */
int pop_stat_weight_moments(const PopWeight *pw, double m, double v, double *ew, double *vw);

/* Node rule of a 1-D law (dim 1): *x, *lmass (log Q(x) plus the log quadrature weight), *n;
 * pointwise weights wt (may be NULL) widen the window to where Q w matters. Caller frees. */
int pop_nodes(const Dist *q, const double *theta, const WeightType *wt, const WeightCtx *ctx,
              double **x, double **lmass, size_t *n);

/* 16-point Gauss-Legendre nodes and weights on [a, b] (no allocation). */
void pop_gl16(double a, double b, double *x, double *w);

#endif
