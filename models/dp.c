/* dp: rank 0 ships work to the serving ranks with broadcasts (a fixed header, then the slabs);
 * the ranks then run the same train_run / gen_blocks_many, which share rows or prompts through
 * dp_accumulate and gen_split_ranks. Ranks run the same binary: the header goes as raw bytes. */
#include "dp.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gpt2_train.h"
#include "par.h"
#include "xalloc.h"

enum { DP_STOP = 0, DP_TRAIN = 1, DP_GEN = 2 };

typedef struct DpHead {
    int cmd;
    Gpt2Config cfg;
    int B, T;            /* train: the model's activations */
    int has_opt;         /* train: an optimizer with state to continue */
    AdamWConfig acfg;
    long long opt_t;
    TrainOpts o;         /* train: callbacks cleared */
    size_t ndoc, ntok;   /* train: documents */
    GenOpts go;          /* gen */
    int S, maxT, R, block_len;
    GenWeights weights;
    size_t nart, ntitle, nbody; /* gen: articles, their title and body tokens */
} DpHead;

/* 1 while a data-parallel train_run runs (dp_accumulate then shares the rows). */
static int dp_split;

/* on_step on every rank: rank 0's callback decides, its status stops every rank. */
typedef struct DpStep {
    int (*fn)(void *ctx, const Gpt2 *m, const AdamW *opt, long step, long total, float loss);
    void *ctx;
} DpStep;

static int dp_on_step(void *ctx, const Gpt2 *m, const AdamW *opt, long step, long total,
                      float loss)
{
    DpStep *s = ctx;
    int st = s->fn ? s->fn(s->ctx, m, opt, step, total, loss) : ERR_OK;
    par_bcast(&st, sizeof st);
    return st;
}

int dp_accumulate(Gpt2 *m, const int *tokens, const int *targets, int B, int T, int K, int ntok,
                  double *loss_sum)
{
    long rows = (long)B * K, lo = 0, hi = rows;
    int split = dp_split && par_size() > 1;
    if (split) par_range(rows, &lo, &hi);
    *loss_sum = 0.0;
    /* one process: micro-batch k is rows [kB, kB + B); several: this rank's rows, <= B at once */
    for (long r = lo; r < hi; r += B) {
        int b = hi - r < B ? (int)(hi - r) : B;
        float loss;
        int rc = gpt2_forward(m, tokens + r * T, targets + r * T, b, T, &loss);
        if (rc) return rc;
        if (m->num_targets == 0) continue;
        *loss_sum += (double)loss * m->num_targets;
        rc = gpt2_backward(m, (float)m->num_targets / (float)ntok);
        if (rc) return rc;
    }
    if (split) {
        par_sum_float(m->grad_memory, m->num_params);
        par_sum_double(loss_sum, 1);
    }
    return ERR_OK;
}

/* ---- shipping ------------------------------------------------------------------------------ */

static void dp_bcast_docs(TrainDocs *d, size_t ndoc, size_t ntok)
{
    if (!par_is_root()) {
        d->n = ndoc;
        d->n_tok = d->cap_tok = ntok;
        d->cap = ndoc + 1;
        d->tok = xmalloc((ntok ? ntok : 1) * sizeof *d->tok);
        d->start = xmalloc((ndoc + 1) * sizeof *d->start);
    }
    par_bcast(d->tok, ntok * sizeof *d->tok);
    if (ndoc) par_bcast(d->start, (ndoc + 1) * sizeof *d->start);
}

int dp_train_run(Gpt2 *m, AdamW *opt, const TrainDocs *d, const TrainOpts *o, TrainStats *stats,
                 Progress *prog)
{
    if (par_size() == 1) return train_run(m, opt, d, o, stats, prog);
    DpHead h = {.cmd = DP_TRAIN, .cfg = m->config, .B = m->B, .T = m->T, .has_opt = opt != NULL,
                .o = *o, .ndoc = d->n, .ntok = d->n_tok};
    if (opt) h.acfg = opt->cfg, h.opt_t = opt->t;
    h.o.on_step = NULL;
    h.o.ctx = NULL;
    par_bcast_idle(&h, sizeof h);
    par_bcast(m->param_memory, m->num_params * sizeof *m->param_memory);
    if (opt) {
        par_bcast(opt->m, opt->n * sizeof *opt->m);
        par_bcast(opt->v, opt->n * sizeof *opt->v);
    }
    dp_bcast_docs((TrainDocs *)d, d->n, d->n_tok); /* rank 0 only reads */
    DpStep ds = {o->on_step, o->ctx};
    TrainOpts o2 = *o;
    o2.on_step = dp_on_step;
    o2.ctx = &ds;
    dp_split = 1;
    int st = train_run(m, opt, d, &o2, stats, prog);
    dp_split = 0;
    return st;
}

static int dp_serve_train(const DpHead *h)
{
    Gpt2 *m = NULL;
    AdamW *opt = NULL;
    TrainDocs d = {0};
    int st = gpt2_alloc(&m, &h->cfg, h->B, h->T);
    if (st) return st;
    par_bcast(m->param_memory, m->num_params * sizeof *m->param_memory);
    if (h->has_opt) {
        if ((st = adamw_alloc(&opt, m->num_params, &h->acfg))) goto done;
        par_bcast(opt->m, opt->n * sizeof *opt->m);
        par_bcast(opt->v, opt->n * sizeof *opt->v);
        opt->t = h->opt_t;
    }
    dp_bcast_docs(&d, h->ndoc, h->ntok);
    DpStep ds = {NULL, NULL};
    TrainOpts o = h->o;
    o.on_step = dp_on_step;
    o.ctx = &ds;
    dp_split = 1;
    st = train_run(m, opt, &d, &o, NULL, NULL);
    dp_split = 0;
done:
    train_docs_release(&d);
    adamw_free(opt);
    gpt2_free(m);
    return st;
}

/* The articles as three slabs: title lengths and body lengths (n each), then every title's
 * tokens and every body's tokens, concatenated in article order. */
static void dp_bcast_articles(const DpHead *h, int *tl, int *bl, int *ttok, int *btok)
{
    par_bcast(tl, h->nart * sizeof *tl);
    par_bcast(bl, h->nart * sizeof *bl);
    par_bcast(ttok, h->ntitle * sizeof *ttok);
    par_bcast(btok, h->nbody * sizeof *btok);
}

int dp_gen_blocks_many(Gen *g, const int *const *titles, const int *title_lens,
                       const int *const *bodies, const int *body_lens, size_t n, int block_len,
                       const GenOpts *o, int **outs, int *out_lens, Progress *prog)
{
    if (par_size() == 1)
        return gen_blocks_many(g, titles, title_lens, bodies, body_lens, n, block_len, o, outs,
                               out_lens, prog);
    const Gpt2 *m = gen_model(g);
    DpHead h = {.cmd = DP_GEN, .cfg = m->config, .go = *o, .block_len = block_len, .nart = n};
    gen_shape(g, &h.S, &h.maxT, &h.R);
    h.weights = gen_weights(g);
    for (size_t i = 0; i < n; i++) {
        h.ntitle += (size_t)(title_lens[i] > 0 ? title_lens[i] : 0);
        h.nbody += (size_t)(body_lens[i] > 0 ? body_lens[i] : 0);
    }
    int *tl = xmalloc((n + 1) * sizeof *tl), *bl = xmalloc((n + 1) * sizeof *bl);
    int *ttok = xmalloc((h.ntitle + 1) * sizeof *ttok);
    int *btok = xmalloc((h.nbody + 1) * sizeof *btok);
    size_t at = 0, bt = 0;
    for (size_t i = 0; i < n; i++) {
        tl[i] = title_lens[i] > 0 ? title_lens[i] : 0;
        bl[i] = body_lens[i] > 0 ? body_lens[i] : 0;
        if (tl[i]) memcpy(ttok + at, titles[i], (size_t)tl[i] * sizeof *ttok);
        if (bl[i]) memcpy(btok + bt, bodies[i], (size_t)bl[i] * sizeof *btok);
        at += (size_t)tl[i];
        bt += (size_t)bl[i];
    }
    par_bcast_idle(&h, sizeof h);
    par_bcast(m->param_memory, m->num_params * sizeof *m->param_memory);
    dp_bcast_articles(&h, tl, bl, ttok, btok);
    free(tl);
    free(bl);
    free(ttok);
    free(btok);
    gen_split_ranks(g, 1);
    int st = gen_blocks_many(g, titles, title_lens, bodies, body_lens, n, block_len, o, outs,
                             out_lens, prog);
    gen_split_ranks(g, 0);
    return st;
}

static int dp_serve_gen(const DpHead *h)
{
    Gpt2 *m = NULL;
    Gen *g = NULL;
    size_t n = h->nart;
    int *tl = xmalloc((n + 1) * sizeof *tl), *bl = xmalloc((n + 1) * sizeof *bl);
    int *ttok = xmalloc((h->ntitle + 1) * sizeof *ttok);
    int *btok = xmalloc((h->nbody + 1) * sizeof *btok);
    const int **titles = xcalloc(n + 1, sizeof *titles), **bodies = xcalloc(n + 1, sizeof *bodies);
    int **outs = xcalloc(n + 1, sizeof *outs), *ol = xcalloc(n + 1, sizeof *ol);
    int st = gpt2_alloc(&m, &h->cfg, 1, 1);
    if (!st) par_bcast(m->param_memory, m->num_params * sizeof *m->param_memory);
    if (!st) dp_bcast_articles(h, tl, bl, ttok, btok);
    if (!st) st = gen_alloc(&g, m, h->S, h->maxT, h->R);
    if (!st && h->weights != GEN_F32) /* bfloat16: the same rounded weights as rank 0's */
        st = gen_set_weights(g, h->weights);
    if (!st) {
        size_t at = 0, bt = 0;
        for (size_t i = 0; i < n; i++) {
            titles[i] = ttok + at;
            bodies[i] = btok + bt;
            at += (size_t)tl[i];
            bt += (size_t)bl[i];
        }
        gen_split_ranks(g, 1);
        st = gen_blocks_many(g, titles, tl, bodies, bl, n, h->block_len, &h->go, outs, ol, NULL);
    }
    for (size_t i = 0; i < n; i++) free(outs[i]);
    free(outs);
    free(ol);
    free(titles);
    free(bodies);
    free(tl);
    free(bl);
    free(ttok);
    free(btok);
    gen_free(g);
    gpt2_free(m);
    return st;
}

/* ---- serving ------------------------------------------------------------------------------- */

int dp_serve(void)
{
    if (par_is_root()) return ERR_OK;
    for (;;) {
        DpHead h;
        par_bcast_idle(&h, sizeof h); /* rank 0 may evaluate for minutes: wait asleep */
        int st = h.cmd == DP_STOP    ? ERR_OK
                 : h.cmd == DP_TRAIN ? dp_serve_train(&h)
                 : h.cmd == DP_GEN   ? dp_serve_gen(&h)
                                     : err_set(ERR_RUNTIME, "dp: unknown request %d", h.cmd);
        if (st || h.cmd == DP_STOP) return st;
    }
}

void dp_release(void)
{
    if (par_size() == 1 || !par_is_root()) return;
    DpHead h = {.cmd = DP_STOP};
    par_bcast_idle(&h, sizeof h);
}
