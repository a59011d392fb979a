/* theory: closed forms of the population map (n = inf) where the weighted law stays in the model
 * family (conjugate cases). They are the independent check of the quadrature path and the
 * "closed form" column of `biasamp sim`. */
#ifndef BIASAMP_THEORY_H
#define BIASAMP_THEORY_H

#include "loop.h"

/* If theta_g of the population map has a closed form for this spec, writes it and returns 1;
 * otherwise returns 0. Known cases (replace mode, data family = model family, weight scope all):
 *   weight none:          theta_g = theta*  (MLE is consistent); categorical at temperature tau:
 *                         p_g proportional to p*^(tau^-g)
 *   Beta, prev_density:   theta_0 - 1 = theta* - 1 + gamma (theta_pre - 1),
 *                         theta_g - 1 = (1+gamma)^g (theta_0 - 1)   (the paper: 1 + 3*2^g, 1 +
 * 2*2^g) Beta, pre_density:    theta_g = theta* + (g+1) gamma (theta_pre - 1) Gaussian,
 * prev_density: precision tau_0 = 1/s*^2 + gamma/s_pre^2, mean by precision weights, then tau_g =
 * (1+gamma)^g tau_0 with the mean fixed Gaussian, pre_density: tau_g = tau_{g-1} + gamma/s_pre^2,
 * precision-weighted means Gaussian, tilt:       mu_g = mu* + (g+1) lambda sigma*^2, sigma fixed
 *   Poisson, tilt:        lambda_g = lambda* e^{(g+1) lambda}
 *   categorical, tilt / category on class c: p_g proportional to p* (e^lambda or 1+boost)^{(g+1)
 *                         [x = c]} */
int theory_closed_form(const SimSpec *s, int g, double *theta);

#endif
