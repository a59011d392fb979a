/* weights: fit-time weight functions (log scale, up to a constant). */
#include "weights.h"

#include <string.h>

static void weight_prev_logw(const WeightCtx *c, const double *x, size_t n, double *out)
{
    c->fam->logpdf(c->theta_prev, x, n, out);
    for (size_t i = 0; i < n; i++) out[i] *= c->gamma;
}

static void weight_pre_logw(const WeightCtx *c, const double *x, size_t n, double *out)
{
    c->fam->logpdf(c->theta_pre, x, n, out);
    for (size_t i = 0; i < n; i++) out[i] *= c->gamma;
}

static void weight_tilt_logw(const WeightCtx *c, const double *x, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++) out[i] = c->lambda * x[i * (size_t)c->fam->dim];
}

const WeightType weight_none = {"none", "w = 1 (plain maximum likelihood)", NULL};
const WeightType weight_prev_density = {
    "prev_density", "w = p_prev(x)^gamma, the previous model's density (the paper's scheme)",
    weight_prev_logw};
const WeightType weight_pre_density = {
    "pre_density", "w = p_pre(x)^gamma, the fixed pretrained model's density", weight_pre_logw};
const WeightType weight_tilt = {"tilt", "w = exp(lambda x), an exponential tilt",
                                weight_tilt_logw};

static const WeightType *const weight_registry[] = {&weight_none, &weight_prev_density,
                                                    &weight_pre_density, &weight_tilt};
const char *const weight_names[] = {"none", "prev_density", "pre_density", "tilt", NULL};

const WeightType *weight_find(const char *name)
{
    for (size_t i = 0; i < sizeof weight_registry / sizeof weight_registry[0]; i++)
        if (strcmp(weight_registry[i]->name, name) == 0) return weight_registry[i];
    return NULL;
}
