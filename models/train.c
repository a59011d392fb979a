/* train: documents -> packed (B, T) rows -> gpt2_train_step, epoch after epoch. The packing is a
 * cursor over the epoch's document order, so nothing but the row buffers is allocated and a
 * resumed run (optimizer step t > 0) skips exactly the rows the first t steps consumed. */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corpus.h"
#include "err.h"
#include "gpt2_train.h"
#include "rng.h"
#include "xalloc.h"

/* The stream (seed, TRAIN_RNG_PURPOSE, epoch) orders an epoch's documents. */
#define TRAIN_RNG_PURPOSE UINT64_C(0x545241494e) /* "TRAIN" */

void train_docs_release(TrainDocs *d)
{
    free(d->tok);
    free(d->start);
    memset(d, 0, sizeof *d);
}

void train_docs_push(TrainDocs *d, const int *t, size_t len)
{
    if (d->n_tok + len > d->cap_tok) {
        size_t cap = d->cap_tok ? d->cap_tok : 4096;
        while (cap < d->n_tok + len) cap *= 2;
        d->tok = xrealloc(d->tok, cap * sizeof *d->tok);
        d->cap_tok = cap;
    }
    if (d->n + 2 > d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->start = xrealloc(d->start, d->cap * sizeof *d->start);
    }
    if (d->n == 0) d->start[0] = 0;
    if (len) memcpy(d->tok + d->n_tok, t, len * sizeof *t);
    d->n_tok += len;
    d->start[++d->n] = d->n_tok;
}

void train_docs_push_doc(TrainDocs *d, const TrainDocs *src, size_t i)
{
    train_docs_push(d, train_docs_get(src, i), train_docs_len(src, i));
}

int train_docs_read(TrainDocs *d, const char *path, int eot, size_t max_docs, size_t max_len,
                    int *vocab_size)
{
    TokenizerIds ids = {0};
    int V = 0, st = corpus_tokens_read(path, &ids, &V);
    if (st) goto done;
    if (eot >= V) {
        st = err_set(ERR_INVAL, "%s: EOT id %d outside the file's vocabulary of %d", path, eot, V);
        goto done;
    }
    int *buf = xmalloc((ids.n ? ids.n : 1) * sizeof *buf);
    size_t added = 0, a = 0;
    for (size_t i = 0; i < ids.n && (!max_docs || added < max_docs); i++) {
        if (ids.ids[i] != eot && i + 1 < ids.n) continue;
        size_t len = i + 1 - a;
        if (max_len && len > max_len) len = max_len;
        for (size_t k = 0; k < len; k++) buf[k] = ids.ids[a + k];
        train_docs_push(d, buf, len);
        added++;
        a = i + 1;
    }
    free(buf);
    if (vocab_size) *vocab_size = V;
done:
    tokenizer_ids_release(&ids);
    return st;
}

TrainOpts train_opts_default(void)
{
    return (TrainOpts){.B = 8,
                       .T = 128,
                       .grad_accum = 1,
                       .epochs = 1,
                       .max_steps = 0,
                       .lr = 5e-5f,
                       .lr_final = 0.0f,
                       .warmup_steps = 0,
                       .grad_clip = 1.0f,
                       .adamw = adamw_config_default(),
                       .shuffle = 1,
                       .eot = -1,
                       .seed = 1};
}

int train_opts_check(const TrainOpts *o, const Gpt2 *m)
{
    if (o->B < 1) return err_set(ERR_INVAL, "train: B must be >= 1 (got %d)", o->B);
    if (o->T < 2) return err_set(ERR_INVAL, "train: T must be >= 2 (got %d)", o->T);
    if (o->grad_accum < 1)
        return err_set(ERR_INVAL, "train: grad_accum must be >= 1 (got %d)", o->grad_accum);
    if (o->epochs < 1) return err_set(ERR_INVAL, "train: epochs must be >= 1 (got %d)", o->epochs);
    if (o->max_steps < 0)
        return err_set(ERR_INVAL, "train: max_steps must be >= 0 (got %ld)", o->max_steps);
    if (o->warmup_steps < 0)
        return err_set(ERR_INVAL, "train: warmup_steps must be >= 0 (got %d)", o->warmup_steps);
    if (!(o->lr > 0.0f && isfinite(o->lr)))
        return err_set(ERR_INVAL, "train: lr must be > 0 (got %g)", o->lr);
    if (!(o->lr_final >= 0.0f && o->lr_final <= o->lr))
        return err_set(ERR_INVAL, "train: lr_final must be in [0, lr] (got %g)", o->lr_final);
    if (!(o->grad_clip >= 0.0f && isfinite(o->grad_clip)))
        return err_set(ERR_INVAL, "train: grad_clip must be >= 0 (got %g)", o->grad_clip);
    int st = adamw_config_check(&o->adamw);
    if (st) return st;
    if (m) {
        if (o->T > m->T || o->B > m->B)
            return err_set(ERR_INVAL,
                           "train: batch (%d, %d) exceeds the model's activations (%d, %d)", o->B,
                           o->T, m->B, m->T);
        if (o->eot >= m->config.vocab_size)
            return err_set(ERR_INVAL, "train: eot %d outside the vocabulary (%d)", o->eot,
                           m->config.vocab_size);
    }
    return ERR_OK;
}

/* ---- the packed stream ----------------------------------------------------------------------- */

static int needs_eot(const TrainDocs *d, size_t i, int eot)
{
    size_t len = train_docs_len(d, i);
    return eot >= 0 && (len == 0 || train_docs_get(d, i)[len - 1] != eot);
}

static long long stream_len(const TrainDocs *d, int eot)
{
    long long n = 0;
    for (size_t i = 0; i < d->n; i++) n += (long long)train_docs_len(d, i) + needs_eot(d, i, eot);
    return n;
}

void train_plan(const TrainDocs *d, const TrainOpts *o, long *rows, long *steps_per_epoch)
{
    long long L = stream_len(d, o->eot);
    long r = L > 1 ? (long)((L - 1 + o->T - 1) / o->T) : 0;
    long per = (long)o->B * o->grad_accum;
    *rows = r;
    *steps_per_epoch = (r + per - 1) / per;
}

/* A cursor over one epoch's stream: documents in `order`, each followed by eot if needed. */
typedef struct Cursor {
    const TrainDocs *d;
    const size_t *order;
    int eot;
    size_t doc, pos; /* next token: document order[doc], offset pos (pos == len: the eot) */
} Cursor;

/* Next token of the stream, or -1 at its end. */
static int cursor_next(Cursor *c)
{
    while (c->doc < c->d->n) {
        size_t i = c->order ? c->order[c->doc] : c->doc, len = train_docs_len(c->d, i);
        if (c->pos < len) return train_docs_get(c->d, i)[c->pos++];
        if (c->pos == len && needs_eot(c->d, i, c->eot)) {
            c->pos++;
            return c->eot;
        }
        c->doc++;
        c->pos = 0;
    }
    return -1;
}

/* Fills row (T inputs, T targets) from the cursor; *carry is the previous row's last target (the
 * row's first input; -1 at the stream's start, then read from the stream). Returns the number of
 * real targets (0: the stream is exhausted; the row is then all padding). */
static int fill_row(Cursor *c, int *carry, int *in, int *tg, int T)
{
    if (*carry < 0) *carry = cursor_next(c);
    int k = 0;
    if (*carry >= 0) {
        in[0] = *carry;
        for (; k < T; k++) {
            int t = cursor_next(c);
            if (t < 0) break;
            tg[k] = t;
            if (k + 1 < T) in[k + 1] = t;
            *carry = t;
        }
    }
    if (k == 0) in[0] = 0;
    for (int j = k; j < T; j++) {
        tg[j] = -1;
        if (j + 1 < T) in[j + 1] = 0;
    }
    return k;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void epoch_order(size_t *order, size_t n, const TrainOpts *o, long epoch)
{
    for (size_t i = 0; i < n; i++) order[i] = i;
    if (!o->shuffle || n < 2) return;
    gsl_rng *r = rng_stream_alloc(rng_pcg64, o->seed, TRAIN_RNG_PURPOSE, (uint64_t)epoch);
    for (size_t i = n - 1; i > 0; i--) { /* Fisher–Yates */
        size_t j = (size_t)gsl_rng_uniform_int(r, i + 1);
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    gsl_rng_free(r);
}

int train_run(Gpt2 *m, AdamW *opt, const TrainDocs *d, const TrainOpts *o, TrainStats *stats,
              Progress *prog)
{
    TrainStats s = {.loss_first = NAN, .loss_last = NAN, .loss_mean = NAN};
    if (stats) *stats = s;
    if (o->acc && o->acc->steps + o->acc->skipped > 0) s = *o->acc; /* a resumed run's so far */
    int st = train_opts_check(o, m);
    if (st) return st;
    long rows, spe;
    train_plan(d, o, &rows, &spe);
    if (rows == 0) return err_set(ERR_INVAL, "train: no data (fewer than 2 tokens)");
    long total = o->max_steps > 0 ? o->max_steps : spe * (long)o->epochs;
    Gpt2TrainConfig tc = {.lr = o->lr,
                          .lr_final = o->lr_final,
                          .warmup_steps = o->warmup_steps < total ? o->warmup_steps : (int)total,
                          .total_steps = (int)total,
                          .grad_clip = o->grad_clip,
                          .grad_accum = o->grad_accum};
    AdamW *own = NULL;
    if (!opt) {
        if ((st = adamw_alloc(&own, m->num_params, &o->adamw))) return st;
        opt = own;
    } else if (opt->n != m->num_params) {
        return err_set(ERR_INVAL, "train: optimizer holds %zu floats, the model %zu", opt->n,
                       m->num_params);
    }
    int B = o->B, T = o->T, K = o->grad_accum;
    size_t BT = (size_t)B * T;
    int *in = xmalloc((size_t)K * BT * sizeof *in), *tg = xmalloc((size_t)K * BT * sizeof *tg);
    size_t *order = xmalloc((d->n ? d->n : 1) * sizeof *order);
    long step = (long)opt->t; /* a resume continues the schedule and the data where it stopped */
    double t0 = now_s() - s.seconds, sum_all = s.loss_sum, sum_last = s.loss_sum_last;
    long tok_all = s.tokens, tok_last = s.tokens_last;
    int bad_run = 0; /* consecutive non-finite steps */
    double last_finite = NAN;
    long last_epoch = (total - 1) / spe;
    while (step < total && !st) {
        long epoch = step / spe, first = epoch * spe;
        epoch_order(order, d->n, o, epoch);
        Cursor c = {.d = d, .order = order, .eot = o->eot};
        int carry = -1;
        /* skip the rows of the steps already taken in this epoch */
        for (long r = 0; r < (step - first) * B * K; r++) fill_row(&c, &carry, in, tg, T);
        for (long k = step - first; k < spe && step < total; k++, step++) {
            for (int r = 0; r < B * K; r++) fill_row(&c, &carry, in + r * T, tg + r * T, T);
            Gpt2StepStats ss;
            st = gpt2_train_step(m, opt, &tc, in, tg, B, T, &ss);
            if (st == ERR_NUMERIC) { /* a refused step: parameters unchanged; count it */
                st = ERR_OK;
                s.skipped++;
                bad_run++;
                opt->t++; /* keep the schedule and the data position in step */
                if (bad_run >= TRAIN_DIVERGED_STEPS)
                    st = err_set(ERR_NUMERIC, "train: diverged at step %ld of %ld: loss %g (%d "
                                 "consecutive steps with a non-finite loss or gradient or a loss "
                                 "above %g ln V; last good loss %g); stopped, the model is not "
                                 "saved", step + 1, total, (double)ss.loss, bad_run,
                                 GPT2_TRAIN_DIVERGED_LOSS, last_finite);
                else if (s.skipped * 10 > total)
                    st = err_set(ERR_NUMERIC, "train: %d of %ld steps had a non-finite loss or "
                                 "gradient (step %ld: loss %g); stopped", s.skipped, total,
                                 step + 1, (double)ss.loss);
                if (st) {
                    step++;
                    break;
                }
                continue;
            }
            if (st) break;
            bad_run = 0;
            last_finite = ss.loss;
            s.steps++;
            if (ss.tokens > 0) {
                if (s.steps == 1) s.loss_first = ss.loss;
                sum_all += (double)ss.loss * ss.tokens;
                tok_all += ss.tokens;
                if (epoch == last_epoch) {
                    sum_last += (double)ss.loss * ss.tokens;
                    tok_last += ss.tokens;
                }
            }
            if (prog) progress_update(prog, step + 1);
            if (o->acc) {
                *o->acc = s;
                o->acc->tokens = tok_all;
                o->acc->tokens_last = tok_last;
                o->acc->loss_sum = sum_all;
                o->acc->loss_sum_last = sum_last;
                o->acc->seconds = now_s() - t0;
            }
            if (o->on_step && (st = o->on_step(o->ctx, m, opt, step + 1, total, ss.loss))) {
                step++;
                break;
            }
        }
    }
    s.tokens = tok_all;
    s.tokens_last = tok_last;
    s.loss_sum = sum_all;
    s.loss_sum_last = sum_last;
    s.loss_mean = tok_all ? sum_all / tok_all : NAN;
    s.loss_last = tok_last ? sum_last / tok_last : NAN;
    s.seconds = now_s() - t0;
    if (stats) *stats = s;
    if (o->acc) *o->acc = s;
    free(in);
    free(tg);
    free(order);
    adamw_free(own);
    return st;
}

int train_eval_loss(Gpt2 *m, const TrainDocs *d, int B, int T, int eot, double *loss, long *tokens)
{
    *loss = NAN;
    if (tokens) *tokens = 0;
    if (B < 1 || T < 2 || B > m->B || T > m->T)
        return err_set(ERR_INVAL,
                       "train: evaluation batch (%d, %d) does not fit the model (%d, %d)", B, T,
                       m->B, m->T);
    size_t BT = (size_t)B * T;
    int *in = xmalloc(BT * sizeof *in), *tg = xmalloc(BT * sizeof *tg);
    Cursor c = {.d = d, .eot = eot};
    int carry = -1, st = ERR_OK;
    double sum = 0;
    long n = 0;
    for (;;) {
        int got = 0;
        for (int r = 0; r < B; r++) got += fill_row(&c, &carry, in + r * T, tg + r * T, T);
        if (!got) break;
        float l;
        if ((st = gpt2_forward(m, in, tg, B, T, &l))) break;
        sum += (double)l * m->num_targets;
        n += m->num_targets;
    }
    if (!st && n) *loss = sum / (double)n;
    if (tokens) *tokens = n;
    free(in);
    free(tg);
    return st;
}
