/* weights: the plug-in table of fit-time weight functions w(x). The weighted MLE maximises
 * sum_i w(x_i) log f(x_i; theta); only ratios of weights matter, so every function returns
 * log w up to an additive constant. */
#ifndef BIASAMP_WEIGHTS_H
#define BIASAMP_WEIGHTS_H

#include <stddef.h>

#include "family.h"

typedef struct WeightCtx {
    const DistType *fam;      /* the model family */
    const double *theta_prev; /* the previous model (the pretrained model at generation 0) */
    const double *theta_pre;  /* the fixed pretrained model */
    double gamma;             /* exponent on densities: w = p^gamma */
    double lambda;            /* tilt strength: w = exp(lambda x) */
} WeightCtx;

typedef struct WeightType {
    const char *name;
    const char *help;
    /* log w(x_i) for n samples into out; NULL means w = 1 (plain MLE). */
    void (*logw)(const WeightCtx *ctx, const double *x, size_t n, double *out);
} WeightType;

extern const WeightType weight_none;         /* plain MLE */
extern const WeightType weight_prev_density; /* p_{theta_{t-1}}(x)^gamma: the paper's scheme */
extern const WeightType weight_pre_density;  /* p_{theta_pre}(x)^gamma: a fixed pretrained model */
extern const WeightType weight_tilt;         /* exp(lambda x) */

const WeightType *weight_find(const char *name);
extern const char *const weight_names[]; /* NULL-terminated */

#endif
