/* adamw: the AdamW optimizer (Loshchilov & Hutter; the update of torch.optim.AdamW) over a flat
 * parameter slab split into groups that are or are not weight-decayed. Elementwise and
 * OpenMP-parallel, hence deterministic for any thread count; moments live in their own slabs. */
#ifndef BIASAMP_ADAMW_H
#define BIASAMP_ADAMW_H

#include <stddef.h>

typedef struct AdamWConfig {
    float beta1, beta2; /* in [0, 1) */
    float eps;          /* > 0 */
    float weight_decay; /* >= 0, decoupled: applied to decayed groups only */
} AdamWConfig;

/* A contiguous range of the slab and whether it is weight-decayed. */
typedef struct AdamWGroup {
    size_t offset, n;
    int decay;
} AdamWGroup;

typedef struct AdamW {
    AdamWConfig cfg;
    size_t n;    /* slab length */
    float *m;    /* (n) first moments */
    float *v;    /* (n) second moments */
    long long t; /* steps taken */
} AdamW;

/* torch's defaults: betas (0.9, 0.999), eps 1e-8, weight_decay 0.01. */
AdamWConfig adamw_config_default(void);
/* ERR_INVAL naming the field when a hyperparameter is out of range. */
int adamw_config_check(const AdamWConfig *cfg);
/* Zeroed moments for a slab of n floats, t = 0. ERR_INVAL for a bad config. */
int adamw_alloc(AdamW **out, size_t n, const AdamWConfig *cfg);
void adamw_free(AdamW *o); /* NULL is a no-op */

/* One step at learning rate lr on every element of the groups (others untouched, moments too),
 * with the gradient taken as grad_scale * grads (gradient clipping without an extra pass):
 *   t += 1;  m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²
 *   θ = θ (1 - lr wd [decayed groups]) - lr/(1-β1^t) · m / (√v / √(1-β2^t) + eps)
 * Groups must lie inside the slab and not overlap (assert). */
void adamw_step(AdamW *o, float *params, const float *grads, const AdamWGroup *groups,
                int ngroups, float lr, float grad_scale);

#endif
