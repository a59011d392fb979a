/* gpt2: slabs, initialisation, forward and backward of the GPT-2 model (after llm.c's
 * train_gpt2.c). The one constraint: no allocation after gpt2_alloc — every buffer a step needs
 * is a view into the parameter, gradient or activation slabs. */
#include "gpt2.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kernels.h"
#include "layers.h"
#include "rng.h"
#include "xalloc.h"

static size_t align16(size_t n) { return (n + 15) & ~(size_t)15; }

Gpt2Config gpt2_config_124m(void)
{
    return (Gpt2Config){.max_seq_len = 1024, .vocab_size = 50257, .num_layers = 12,
                        .num_heads = 12, .channels = 768};
}

int gpt2_config_check(const Gpt2Config *cfg)
{
    if (!cfg) return err_set(ERR_INVAL, "gpt2: no config");
    const struct {
        const char *name;
        int value, max;
    } f[] = {{"max_seq_len", cfg->max_seq_len, LAYERS_MAX_T},
             {"vocab_size", cfg->vocab_size, 1 << 24},
             {"num_layers", cfg->num_layers, 1024},
             {"num_heads", cfg->num_heads, 1024},
             {"channels", cfg->channels, 1 << 16}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].value < 1 || f[i].value > f[i].max)
            return err_set(ERR_INVAL, "gpt2 config: %s must be in [1, %d] (got %d)", f[i].name,
                           f[i].max, f[i].value);
    if (cfg->channels % cfg->num_heads != 0)
        return err_set(ERR_INVAL, "gpt2 config: channels (%d) must be divisible by num_heads (%d)",
                       cfg->channels, cfg->num_heads);
    double n = (double)cfg->num_layers * 12.0 * cfg->channels * cfg->channels +
               ((double)cfg->vocab_size + cfg->max_seq_len) * cfg->channels;
    if (n > 4e10) /* 160 GB of float parameters: certainly a typo */
        return err_set(ERR_INVAL, "gpt2 config: %.3g parameters is too many", n);
    return ERR_OK;
}

static int padded_vocab(int V)
{
    return (V + GPT2_VOCAB_PAD - 1) / GPT2_VOCAB_PAD * GPT2_VOCAB_PAD;
}

/* Visits the parameter tensors in storage order; returns the slab size in floats. With base,
 * also points the views of p into it. */
static size_t params_layout(const Gpt2Config *cfg, Gpt2Params *p, float *base)
{
    size_t L = cfg->num_layers, C = cfg->channels, maxT = cfg->max_seq_len;
    size_t Vp = padded_vocab(cfg->vocab_size), off = 0;
    (void)L, (void)Vp, (void)maxT;
#define X(name, per_layer, rows, cols, decay)                                                      \
    if (base) p->name = base + off;                                                                \
    off += align16((per_layer ? L : 1) * ((rows) != 0 ? (size_t)(rows) : 1) * (size_t)(cols));
    GPT2_PARAMS(X)
#undef X
    return off;
}

size_t gpt2_config_num_params(const Gpt2Config *cfg)
{
    size_t L = cfg->num_layers, C = cfg->channels, maxT = cfg->max_seq_len;
    size_t Vp = cfg->vocab_size, n = 0; /* the real vocabulary: no padding counted */
#define X(name, per_layer, rows, cols, decay)                                                      \
    n += (per_layer ? L : 1) * ((rows) != 0 ? (size_t)(rows) : 1) * (size_t)(cols);
    GPT2_PARAMS(X)
#undef X
    return n;
}

int gpt2_tensor_count(void)
{
    int n = 0;
#define X(name, per_layer, rows, cols, decay) n++;
    GPT2_PARAMS(X)
#undef X
    return n;
}

Gpt2Tensor gpt2_tensor(const Gpt2 *m, int i)
{
    size_t L = m->config.num_layers, C = m->config.channels, maxT = m->config.max_seq_len;
    size_t Vp = m->Vp, V = m->config.vocab_size, off = 0;
    int k = 0;
    Gpt2Tensor t = {0};
#define X(nm, per_layer, rows, cols, dec)                                                          \
    {                                                                                              \
        size_t r = (rows) != 0 ? (size_t)(rows) : 1;                                               \
        size_t sz = (per_layer ? L : 1) * r * (size_t)(cols);                                      \
        if (k++ == i) {                                                                            \
            t.name = #nm;                                                                          \
            t.offset = off;                                                                        \
            t.size = sz;                                                                           \
            t.decay = dec;                                                                         \
            if (per_layer) t.shape[t.ndim++] = (int)L;                                             \
            if ((rows) != 0) t.shape[t.ndim++] = (int)(strcmp(#nm, "wte") == 0 ? V : r);           \
            t.shape[t.ndim++] = (int)(cols);                                                       \
            t.numel = 1;                                                                           \
            for (int d = 0; d < t.ndim; d++) t.numel *= (size_t)t.shape[d];                        \
        }                                                                                          \
        off += align16(sz);                                                                        \
    }
    GPT2_PARAMS(X)
#undef X
    return t;
}

static size_t acts_layout(const Gpt2 *m, int B_, int T_, Gpt2Acts *a, float *base)
{
    size_t L = m->config.num_layers, C = m->config.channels, NH = m->config.num_heads;
    size_t Vp = m->Vp, B = B_, T = T_, off = 0;
#define X(name, size)                                                                              \
    if (base) a->name = base + off;                                                                \
    off += align16(size);
    GPT2_ACTS(X)
#undef X
    return off;
}

static size_t gacts_layout(const Gpt2 *m, int B_, int T_, Gpt2GradActs *g, float *base)
{
    size_t C = m->config.channels, B = B_, T = T_, off = 0;
#define X(name, size)                                                                              \
    if (base) g->name = base + off;                                                                \
    off += align16(size);
    GPT2_GRAD_ACTS(X)
#undef X
    return off;
}

static double align16d(double n) { return ceil(n / 16) * 16; }

Gpt2Memory gpt2_memory(const Gpt2Config *cfg, int B_, int T_, int optimizer)
{
    /* the layouts above in doubles (the same X-macros) */
    double L = cfg->num_layers, C = cfg->channels, NH = cfg->num_heads, maxT = cfg->max_seq_len;
    double Vp = padded_vocab(cfg->vocab_size), B = B_, T = T_, np = 0, na = 0, ng = 0;
    (void)maxT;
#define X(name, per_layer, rows, cols, decay)                                                      \
    np += align16d((per_layer ? L : 1) * ((rows) != 0 ? (double)(rows) : 1) * (double)(cols));
    GPT2_PARAMS(X)
#undef X
#define X(name, size) na += align16d(size);
    GPT2_ACTS(X)
#undef X
#define X(name, size) ng += align16d(size);
    GPT2_GRAD_ACTS(X)
#undef X
    Gpt2Memory mem = {.params = 4 * np, .grads = 4 * np, .moments = optimizer ? 8 * np : 0,
                      .acts = 4 * (na + ng) + 8 * B * T};
    mem.total = mem.params + mem.grads + mem.moments + mem.acts;
    return mem;
}

int gpt2_alloc(Gpt2 **out, const Gpt2Config *cfg, int B, int T)
{
    *out = NULL;
    int rc = gpt2_config_check(cfg);
    if (rc) return rc;
    if (B < 1 || T < 1 || T > cfg->max_seq_len || (double)B * T > 1e8)
        return err_set(ERR_INVAL, "gpt2: batch shape B=%d, T=%d invalid (need B >= 1, "
                       "1 <= T <= max_seq_len = %d)", B, T, cfg->max_seq_len);
    Gpt2 *m = xcalloc(1, sizeof *m);
    m->config = *cfg;
    m->Vp = padded_vocab(cfg->vocab_size);
    m->B = B;
    m->T = T;
    m->num_params = params_layout(cfg, NULL, NULL);
    m->param_memory = xcalloc_aligned(m->num_params, sizeof(float));
    m->grad_memory = xcalloc_aligned(m->num_params, sizeof(float));
    params_layout(cfg, &m->params, m->param_memory);
    params_layout(cfg, &m->grads, m->grad_memory);
    m->act_memory = xcalloc_aligned(acts_layout(m, B, T, NULL, NULL), sizeof(float));
    m->gact_memory = xcalloc_aligned(gacts_layout(m, B, T, NULL, NULL), sizeof(float));
    acts_layout(m, B, T, &m->acts, m->act_memory);
    gacts_layout(m, B, T, &m->gacts, m->gact_memory);
    m->tokens = xcalloc((size_t)B * T, sizeof(int));
    m->targets = xcalloc((size_t)B * T, sizeof(int));
    m->mean_loss = NAN;
    *out = m;
    return ERR_OK;
}

void gpt2_free(Gpt2 *m)
{
    if (!m) return;
    xfree_aligned(m->param_memory);
    xfree_aligned(m->grad_memory);
    xfree_aligned(m->act_memory);
    xfree_aligned(m->gact_memory);
    free(m->tokens);
    free(m->targets);
    free(m);
}

void gpt2_init_random(Gpt2 *m, uint64_t seed)
{
    gsl_rng *r = rng_stream_alloc(rng_pcg64, seed, RNG_PURPOSE_MODEL, 0);
    double resid_std = 0.02 / sqrt(2.0 * m->config.num_layers);
    memset(m->param_memory, 0, m->num_params * sizeof(float));
    for (int i = 0; i < gpt2_tensor_count(); i++) {
        Gpt2Tensor t = gpt2_tensor(m, i);
        float *x = m->param_memory + t.offset;
        if (!t.decay) { /* biases 0, LayerNorm weights 1 */
            float v = (t.name[0] == 'l' && t.name[strlen(t.name) - 1] == 'w') ? 1.0f : 0.0f;
            for (size_t j = 0; j < t.numel; j++) x[j] = v;
            continue;
        }
        int resid = strcmp(t.name, "attprojw") == 0 || strcmp(t.name, "fcprojw") == 0;
        double sd = resid ? resid_std : 0.02;
        for (size_t j = 0; j < t.numel; j++) x[j] = (float)gsl_ran_gaussian_ziggurat(r, sd);
    }
    gsl_rng_free(r);
}

/* memset in 256 KiB chunks over the threads: one core does not saturate memory bandwidth. */
static void zero(float *x, size_t n)
{
    size_t chunk = 1 << 16;
    if (n <= chunk) {
        memset(x, 0, n * sizeof(float));
        return;
    }
    long long nchunks = (long long)((n + chunk - 1) / chunk);
    KERNELS_OMP(parallel for schedule(static))
    for (long long c = 0; c < nchunks; c++) {
        size_t lo = (size_t)c * chunk, len = n - lo < chunk ? n - lo : chunk;
        memset(x + lo, 0, len * sizeof(float));
    }
}

void gpt2_zero_grad(Gpt2 *m) { zero(m->grad_memory, m->num_params); }

/* Per-layer views of the parameters: base + l * (size of one layer's slice). */
typedef struct Layer {
    float *ln1w, *ln1b, *qkvw, *qkvb, *attprojw, *attprojb, *ln2w, *ln2b, *fcw, *fcb, *fcprojw,
        *fcprojb;
} Layer;

static Layer layer_params(const Gpt2Params *p, int l, size_t C)
{
    return (Layer){.ln1w = p->ln1w + l * C,
                   .ln1b = p->ln1b + l * C,
                   .qkvw = p->qkvw + l * 3 * C * C,
                   .qkvb = p->qkvb + l * 3 * C,
                   .attprojw = p->attprojw + l * C * C,
                   .attprojb = p->attprojb + l * C,
                   .ln2w = p->ln2w + l * C,
                   .ln2b = p->ln2b + l * C,
                   .fcw = p->fcw + l * 4 * C * C,
                   .fcb = p->fcb + l * 4 * C,
                   .fcprojw = p->fcprojw + l * 4 * C * C,
                   .fcprojb = p->fcprojb + l * C};
}

/* Per-layer views of the activations for batch shape (B, T). */
typedef struct LayerActs {
    float *ln1, *ln1_mean, *ln1_rstd, *qkv, *atty, *att, *residual2, *ln2, *ln2_mean, *ln2_rstd,
        *fch, *fch_gelu, *residual3;
} LayerActs;

static LayerActs layer_acts(const Gpt2Acts *a, int l, size_t BT, size_t C, size_t NHTT)
{
    return (LayerActs){.ln1 = a->ln1 + l * BT * C,
                       .ln1_mean = a->ln1_mean + l * BT,
                       .ln1_rstd = a->ln1_rstd + l * BT,
                       .qkv = a->qkv + l * BT * 3 * C,
                       .atty = a->atty + l * BT * C,
                       .att = a->att + l * NHTT,
                       .residual2 = a->residual2 + l * BT * C,
                       .ln2 = a->ln2 + l * BT * C,
                       .ln2_mean = a->ln2_mean + l * BT,
                       .ln2_rstd = a->ln2_rstd + l * BT,
                       .fch = a->fch + l * BT * 4 * C,
                       .fch_gelu = a->fch_gelu + l * BT * 4 * C,
                       .residual3 = a->residual3 + l * BT * C};
}

int gpt2_forward(Gpt2 *m, const int *tokens, const int *targets, int B, int T, float *loss)
{
    if (loss) *loss = NAN;
    m->have_targets = 0;
    m->cur_B = m->cur_T = 0;
    if (B < 1 || B > m->B || T < 1 || T > m->T)
        return err_set(ERR_INVAL, "gpt2_forward: batch B=%d, T=%d exceeds the allocated %d x %d",
                       B, T, m->B, m->T);
    int V = m->config.vocab_size, Vp = m->Vp, L = m->config.num_layers;
    int C = m->config.channels, NH = m->config.num_heads;
    size_t BT = (size_t)B * T;
    for (size_t i = 0; i < BT; i++) {
        if (tokens[i] < 0 || tokens[i] >= V)
            return err_set(ERR_INVAL, "gpt2_forward: token %d at position %zu is outside [0, %d)",
                           tokens[i], i, V);
        if (targets && (targets[i] < -1 || targets[i] >= V))
            return err_set(ERR_INVAL, "gpt2_forward: target %d at position %zu is outside [-1, %d)",
                           targets[i], i, V);
    }
    memcpy(m->tokens, tokens, BT * sizeof(int));
    if (targets) memcpy(m->targets, targets, BT * sizeof(int));

    const KernelSet *ks = kernels_get();
    const Gpt2Params *p = &m->params;
    const Gpt2Acts *a = &m->acts;
    encoder_forward(a->encoded, tokens, p->wte, p->wpe, B, T, C);
    for (int l = 0; l < L; l++) {
        const float *residual = l == 0 ? a->encoded : a->residual3 + (l - 1) * BT * C;
        Layer w = layer_params(p, l, C);
        LayerActs x = layer_acts(a, l, BT, C, (size_t)B * NH * T * T);
        layernorm_forward(x.ln1, x.ln1_mean, x.ln1_rstd, residual, w.ln1w, w.ln1b, (int)BT, C);
        ks->matmul_forward(x.qkv, x.ln1, w.qkvw, w.qkvb, (int)BT, C, 3 * C);
        attention_forward(x.atty, x.att, x.qkv, B, T, C, NH);
        ks->matmul_forward(x.residual2, x.atty, w.attprojw, w.attprojb, (int)BT, C, C);
        residual_forward(x.residual2, residual, x.residual2, BT * C);
        layernorm_forward(x.ln2, x.ln2_mean, x.ln2_rstd, x.residual2, w.ln2w, w.ln2b, (int)BT, C);
        ks->matmul_forward(x.fch, x.ln2, w.fcw, w.fcb, (int)BT, C, 4 * C);
        gelu_forward(x.fch_gelu, x.fch, BT * 4 * C);
        ks->matmul_forward(x.residual3, x.fch_gelu, w.fcprojw, w.fcprojb, (int)BT, 4 * C, C);
        residual_forward(x.residual3, x.residual2, x.residual3, BT * C);
    }
    const float *last = a->residual3 + (L - 1) * BT * C;
    layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd, last, p->lnfw, p->lnfb, (int)BT, C);
    ks->matmul_forward(a->logits, a->lnf, p->wte, NULL, (int)BT, C, Vp); /* tied LM head */
    crossentropy_softmax_forward(a->probs, a->logits, (int)BT, V, Vp);
    m->cur_B = B;
    m->cur_T = T;
    m->mean_loss = NAN;
    if (!targets) return ERR_OK;
    crossentropy_forward(a->losses, a->probs, targets, (int)BT, Vp);
    double sum = 0.0;
    int count = 0;
    for (size_t i = 0; i < BT; i++)
        if (targets[i] >= 0) {
            sum += a->losses[i];
            count++;
        }
    m->num_targets = count;
    m->have_targets = 1;
    m->mean_loss = count ? (float)(sum / count) : NAN;
    if (loss) *loss = m->mean_loss;
    return ERR_OK;
}

/* One residual-stream gradient dres runs down the stack: it starts as d(residual3 of the last
 * layer) and each layernorm backward adds its branch, turning it into the gradient of the
 * stream below (residual2, then the layer's input) with no copies and no residual_backward. */
int gpt2_backward(Gpt2 *m, float scale)
{
    if (!m->have_targets)
        return err_set(ERR_INVAL, "gpt2_backward: the last forward had no targets");
    if (m->num_targets == 0) return ERR_OK; /* every position ignored: the gradient is zero */
    int B = m->cur_B, T = m->cur_T, V = m->config.vocab_size, Vp = m->Vp;
    int L = m->config.num_layers, C = m->config.channels, NH = m->config.num_heads;
    size_t BT = (size_t)B * T;
    const KernelSet *ks = kernels_get();
    const Gpt2Params *p = &m->params, *g = &m->grads;
    const Gpt2Acts *a = &m->acts;
    const Gpt2GradActs *d = &m->gacts;

    float dl = scale / (float)m->num_targets; /* d(mean loss)/d(loss_i) */
    for (size_t i = 0; i < BT; i++) d->dlosses[i] = m->targets[i] >= 0 ? dl : 0.0f;
    float *dlogits = a->logits; /* the logits are not needed any more */
    zero(dlogits, BT * Vp);
    crossentropy_softmax_backward(dlogits, d->dlosses, a->probs, m->targets, (int)BT, V, Vp);
    zero(d->dln, BT * C);
    ks->matmul_backward(d->dln, g->wte, NULL, dlogits, a->lnf, p->wte, (int)BT, C, Vp);
    zero(d->dres, BT * C);
    const float *last = a->residual3 + (L - 1) * BT * C;
    layernorm_backward(d->dres, g->lnfw, g->lnfb, d->dln, last, p->lnfw, a->lnf_mean, a->lnf_rstd,
                       (int)BT, C);
    for (int l = L - 1; l >= 0; l--) {
        const float *residual = l == 0 ? a->encoded : a->residual3 + (l - 1) * BT * C;
        Layer w = layer_params(p, l, C), dw = layer_params(g, l, C);
        LayerActs x = layer_acts(a, l, BT, C, (size_t)B * NH * T * T);
        /* MLP: residual3 = residual2 + fcproj(gelu(fc(ln2(residual2)))) */
        zero(d->dfch_gelu, BT * 4 * C);
        ks->matmul_backward(d->dfch_gelu, dw.fcprojw, dw.fcprojb, d->dres, x.fch_gelu, w.fcprojw,
                            (int)BT, 4 * C, C);
        zero(d->dfch, BT * 4 * C);
        gelu_backward(d->dfch, x.fch, d->dfch_gelu, BT * 4 * C);
        zero(d->dln, BT * C);
        ks->matmul_backward(d->dln, dw.fcw, dw.fcb, d->dfch, x.ln2, w.fcw, (int)BT, C, 4 * C);
        layernorm_backward(d->dres, dw.ln2w, dw.ln2b, d->dln, x.residual2, w.ln2w, x.ln2_mean,
                           x.ln2_rstd, (int)BT, C);
        /* attention: residual2 = residual + attproj(attention(qkv(ln1(residual)))) */
        zero(d->datty, BT * C);
        ks->matmul_backward(d->datty, dw.attprojw, dw.attprojb, d->dres, x.atty, w.attprojw,
                            (int)BT, C, C);
        zero(d->dqkv, BT * 3 * C);
        attention_backward(d->dqkv, d->datty, x.qkv, x.att, B, T, C, NH);
        zero(d->dln, BT * C);
        ks->matmul_backward(d->dln, dw.qkvw, dw.qkvb, d->dqkv, x.ln1, w.qkvw, (int)BT, C, 3 * C);
        layernorm_backward(d->dres, dw.ln1w, dw.ln1b, d->dln, residual, w.ln1w, x.ln1_mean,
                           x.ln1_rstd, (int)BT, C);
    }
    encoder_backward(g->wte, g->wpe, d->dres, m->tokens, B, T, C);
    return ERR_OK;
}
