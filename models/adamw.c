/* adamw: AdamW steps over groups of a parameter slab, in torch.optim.AdamW's operation order so
 * that a float64 replay (tests/check_adamw.c) matches step for step; the elementwise update is the
 * kernel set's adamw_update (vectorised). */
#include "adamw.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "err.h"
#include "kernels.h"
#include "xalloc.h"

AdamWConfig adamw_config_default(void)
{
    return (AdamWConfig){.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.01f};
}

int adamw_config_check(const AdamWConfig *cfg)
{
    if (!(cfg->beta1 >= 0.0f && cfg->beta1 < 1.0f))
        return err_set(ERR_INVAL, "adamw: beta1 must be in [0, 1) (got %g)", cfg->beta1);
    if (!(cfg->beta2 >= 0.0f && cfg->beta2 < 1.0f))
        return err_set(ERR_INVAL, "adamw: beta2 must be in [0, 1) (got %g)", cfg->beta2);
    if (!(cfg->eps > 0.0f && isfinite(cfg->eps)))
        return err_set(ERR_INVAL, "adamw: eps must be > 0 (got %g)", cfg->eps);
    if (!(cfg->weight_decay >= 0.0f && isfinite(cfg->weight_decay)))
        return err_set(ERR_INVAL, "adamw: weight_decay must be >= 0 (got %g)", cfg->weight_decay);
    return ERR_OK;
}

int adamw_alloc(AdamW **out, size_t n, const AdamWConfig *cfg)
{
    *out = NULL;
    int rc = adamw_config_check(cfg);
    if (rc) return rc;
    AdamW *o = xcalloc(1, sizeof *o);
    o->cfg = *cfg;
    o->n = n;
    o->m = xcalloc_aligned(n, sizeof(float));
    o->v = xcalloc_aligned(n, sizeof(float));
    *out = o;
    return ERR_OK;
}

void adamw_free(AdamW *o)
{
    if (!o) return;
    xfree_aligned(o->m);
    xfree_aligned(o->v);
    free(o);
}

void adamw_step(AdamW *o, float *params, const float *grads, const AdamWGroup *groups,
                int ngroups, float lr, float grad_scale)
{
    o->t++;
    /* bias corrections in double: β^t underflows gracefully, 1 - β^t stays accurate */
    KernelAdamW a = {.b1 = o->cfg.beta1, .b2 = o->cfg.beta2, .eps = o->cfg.eps,
                     .step_size = (float)(lr / (1.0 - pow(o->cfg.beta1, (double)o->t))),
                     .bc2_sqrt = (float)sqrt(1.0 - pow(o->cfg.beta2, (double)o->t)),
                     .grad_scale = grad_scale};
    const KernelSet *ks = kernels_get();
    for (int k = 0; k < ngroups; k++) {
        const AdamWGroup *gr = &groups[k];
        assert(gr->offset + gr->n <= o->n);
        a.shrink = gr->decay ? 1.0f - lr * o->cfg.weight_decay : 1.0f;
        size_t off = gr->offset;
        ks->adamw_update(params + off, grads + off, o->m + off, o->v + off, gr->n, &a);
    }
}
