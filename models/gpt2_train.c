/* gpt2_train: the training step on top of gpt2 and adamw. The one constraint: no allocation and
 * no thread-count dependence (the gradient norm sums a fixed partition of the slab in order). */
#include "gpt2_train.h"

#include <math.h>

#include "dp.h"
#include "err.h"
#include "kernels.h"

int gpt2_train_config_check(const Gpt2TrainConfig *tc)
{
    if (!(tc->lr > 0.0f && isfinite(tc->lr)))
        return err_set(ERR_INVAL, "train: lr must be > 0 (got %g)", tc->lr);
    if (!(tc->lr_final >= 0.0f && tc->lr_final <= tc->lr))
        return err_set(ERR_INVAL, "train: lr_final must be in [0, lr] (got %g)", tc->lr_final);
    if (tc->warmup_steps < 0)
        return err_set(ERR_INVAL, "train: warmup_steps must be >= 0 (got %d)", tc->warmup_steps);
    if (tc->total_steps < 0 || (tc->total_steps > 0 && tc->total_steps < tc->warmup_steps))
        return err_set(ERR_INVAL, "train: total_steps must be 0 or >= warmup_steps (got %d)",
                       tc->total_steps);
    if (!(tc->grad_clip >= 0.0f && isfinite(tc->grad_clip)))
        return err_set(ERR_INVAL, "train: grad_clip must be >= 0 (got %g)", tc->grad_clip);
    if (tc->grad_accum < 1)
        return err_set(ERR_INVAL, "train: grad_accum must be >= 1 (got %d)", tc->grad_accum);
    return ERR_OK;
}

float gpt2_train_lr(const Gpt2TrainConfig *tc, long long step)
{
    if (step < tc->warmup_steps) return tc->lr * (float)(step + 1) / (float)tc->warmup_steps;
    if (tc->total_steps <= 0) return tc->lr;
    if (step >= tc->total_steps) return tc->lr_final;
    long long span = tc->total_steps - tc->warmup_steps;
    if (span <= 0) return tc->lr_final;
    double frac = (double)(step - tc->warmup_steps) / (double)span;
    return (float)(tc->lr + frac * (tc->lr_final - tc->lr));
}

double gpt2_grad_norm(const Gpt2 *m)
{
    enum { PARTS = 256 };
    double part[PARTS];
    size_t n = m->num_params, len = (n + PARTS - 1) / PARTS;
    const float *g = m->grad_memory;
    KERNELS_OMP(parallel for schedule(static))
    for (int k = 0; k < PARTS; k++) {
        size_t lo = (size_t)k * len < n ? (size_t)k * len : n, hi = lo + len < n ? lo + len : n;
        double s8[8] = {0}; /* eight independent chains, summed in a fixed order */
        size_t i = lo;
        for (; i + 8 <= hi; i += 8)
            for (int j = 0; j < 8; j++) s8[j] += (double)g[i + j] * g[i + j];
        for (; i < hi; i++) s8[0] += (double)g[i] * g[i];
        part[k] = ((s8[0] + s8[1]) + (s8[2] + s8[3])) + ((s8[4] + s8[5]) + (s8[6] + s8[7]));
    }
    double s = 0.0;
    for (int k = 0; k < PARTS; k++) s += part[k];
    return sqrt(s);
}

void gpt2_adamw_groups(const Gpt2 *m, AdamWGroup *groups)
{
    for (int i = 0; i < gpt2_tensor_count(); i++) {
        Gpt2Tensor t = gpt2_tensor(m, i);
        groups[i] = (AdamWGroup){.offset = t.offset, .n = t.size, .decay = t.decay};
    }
}

int gpt2_train_step(Gpt2 *m, AdamW *opt, const Gpt2TrainConfig *tc, const int *tokens,
                    const int *targets, int B, int T, Gpt2StepStats *stats)
{
    Gpt2StepStats st = {.loss = NAN, .grad_norm = NAN, .lr = 0.0f, .tokens = 0};
    if (stats) *stats = st;
    int rc = gpt2_train_config_check(tc);
    if (rc) return rc;
    if (opt->n != m->num_params)
        return err_set(ERR_INVAL, "train: optimizer holds %zu floats, the model %zu", opt->n,
                       m->num_params);
    size_t BT = (size_t)B * T, K = (size_t)tc->grad_accum;
    for (size_t i = 0; i < K * BT; i++) st.tokens += targets[i] >= 0;
    gpt2_zero_grad(m);
    double loss_sum = 0.0; /* the micro-batches (this rank's share of them under models/dp) */
    rc = dp_accumulate(m, tokens, targets, B, T, (int)K, st.tokens, &loss_sum);
    if (rc) return rc;
    st.loss = st.tokens ? (float)(loss_sum / st.tokens) : NAN;
    st.grad_norm = (float)gpt2_grad_norm(m);
    st.lr = gpt2_train_lr(tc, opt->t);
    if (stats) *stats = st;
    if (st.tokens == 0) return ERR_OK; /* nothing to learn from: no update, t unchanged */
    if (!isfinite(st.loss) || !isfinite(st.grad_norm))
        return err_set(ERR_NUMERIC, "train: step %lld: loss %g, gradient norm %g (not finite)",
                       opt->t, st.loss, st.grad_norm);
    double bound = GPT2_TRAIN_DIVERGED_LOSS * log((double)m->config.vocab_size);
    if (st.loss > bound)
        return err_set(ERR_NUMERIC, "train: step %lld: loss %g above %g x ln V = %g (diverged)",
                       opt->t, st.loss, GPT2_TRAIN_DIVERGED_LOSS, bound);
    /* torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is < 1 */
    float scale = 1.0f;
    if (tc->grad_clip > 0.0f) {
        float c = tc->grad_clip / (st.grad_norm + 1e-6f);
        if (c < 1.0f) scale = c;
    }
    AdamWGroup groups[32];
    gpt2_adamw_groups(m, groups);
    adamw_step(opt, m->param_memory, m->grad_memory, groups, gpt2_tensor_count(), st.lr, scale);
    return ERR_OK;
}
