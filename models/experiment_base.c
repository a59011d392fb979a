/* experiment_base: the experiment's base model (pretrained here, with a resumable partial
 * checkpoint and the statistics that go with it, or loaded) and its classifiers (lean, TQI:
 * trained inline once, or loaded). Every file is written atomically, so a killed run resumes to the
 * same bytes an uninterrupted run writes. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "err.h"
#include "experiment_impl.h"
#include "gpt2_io.h"
#include "rng.h"
#include "xalloc.h"

#define EXP_RNG_PURPOSE_PRETRAIN UINT64_C(0x4578704261) /* base model init and data order */

static int file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* ---- the base model -------------------------------------------------------------------------- */

typedef struct SaveCtx {
    const char *path, *stats_path;
    long every;
    TrainStats acc, prev; /* the run's statistics now and at the previous save */
    long prev_step;
} SaveCtx;

/* One line of training statistics at a save point: step, then the TrainStats fields a resume
 * continues from (sums, not means, so nothing is lost). */
static void stats_line(FILE *f, long step, const TrainStats *s)
{
    fprintf(f, "%ld %ld %ld %.17g %.17g %.17g %ld %d %.17g\n", step, s->steps, s->tokens,
            s->loss_first, s->loss_sum, s->loss_sum_last, s->tokens_last, s->skipped, s->seconds);
}

/* The statistics of the pretraining's save points, written before each partial checkpoint, both
 * the previous and the new one: a kill between this file and the checkpoint leaves the line of
 * whichever checkpoint survived. Atomic (temporary file, fsync, rename). */
static int stats_save(SaveCtx *c, long step)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", c->stats_path);
    FILE *f = fopen(tmp, "w");
    if (!f) return err_set(ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    if (c->prev_step > 0) stats_line(f, c->prev_step, &c->prev);
    stats_line(f, step, &c->acc);
    int bad = fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, c->stats_path)) {
        unlink(tmp);
        return err_set(ERR_IO, "cannot write '%s'", c->stats_path);
    }
    c->prev = c->acc;
    c->prev_step = step;
    return ERR_OK;
}

/* The statistics saved at `step` (the partial checkpoint's), into *s; 0 if not found. */
static int stats_find(const char *path, long step, TrainStats *s)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        long at;
        TrainStats t = {0};
        if (sscanf(line, "%ld %ld %ld %lf %lf %lf %ld %d %lf", &at, &t.steps, &t.tokens,
                   &t.loss_first, &t.loss_sum, &t.loss_sum_last, &t.tokens_last, &t.skipped,
                   &t.seconds) == 9 && at == step) {
            *s = t;
            found = 1;
        }
    }
    fclose(f);
    return found;
}

static int base_on_step(void *ctx, const Gpt2 *m, const AdamW *opt, long step, long total,
                        float loss)
{
    SaveCtx *c = ctx;
    if (c->every > 0 && step % c->every == 0 && step < total) {
        int st = stats_save(c, step);
        return st ? st : checkpoint_save(c->path, m, opt);
    }
    return ERR_OK;
}

/* Writes base.txt (loss tokens seconds) atomically. */
static int base_stats_write(const char *path, const BaseStats *bs)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return err_set(ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    int bad = fprintf(f, "%.17g %.17g %.17g\n", bs->loss, bs->tokens, bs->seconds) < 0;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        unlink(tmp);
        return err_set(ERR_IO, "cannot write '%s'", path);
    }
    return ERR_OK;
}

int exp_base_prepare(Gpt2 **out, BaseStats *bs, const ExpData *d, const ExpConfig *e,
                     const char *dir, const ExpRunOpts *o)
{
    char path[4200], part[4200], stats[4200], pstats[4200];
    *bs = (BaseStats){NAN, 0, 0};
    if (e->base_model[0]) {
        int st = gpt2_load_any(out, e->base_model, 1, 1);
        if (!st && (*out)->config.vocab_size != d->V)
            st = err_set(ERR_INVAL, "base.model: %s has a vocabulary of %d, data.vocab %d",
                         e->base_model, (*out)->config.vocab_size, d->V);
        return st;
    }
    snprintf(path, sizeof path, "%s/base.ckpt", dir);
    snprintf(part, sizeof part, "%s/base.partial.ckpt", dir);
    snprintf(stats, sizeof stats, "%s/base.txt", dir);
    snprintf(pstats, sizeof pstats, "%s/base.partial.txt", dir);
    Gpt2Config cfg = {.max_seq_len = (int)e->context, .vocab_size = d->V,
                      .num_layers = (int)e->layers, .num_heads = (int)e->heads,
                      .channels = (int)e->channels};
    int st = gpt2_config_check(&cfg);
    if (st) return st;
    if (file_exists(path) && file_exists(stats)) {
        FILE *f = fopen(stats, "r");
        if (!f || fscanf(f, "%lf %lf %lf", &bs->loss, &bs->tokens, &bs->seconds) != 3)
            st = err_set(ERR_INVAL, "%s: malformed", stats);
        if (f) fclose(f);
        if (!st) st = gpt2_alloc(out, &cfg, 1, 1);
        if (!st) st = checkpoint_load(path, *out, NULL);
        if (!st) { /* a kill after base.txt, before the partial state was removed */
            remove(part);
            remove(pstats);
        }
        return st;
    }
    TrainDocs docs = {0};
    Gpt2 *m = NULL;
    AdamW *opt = NULL;
    for (size_t i = 0; i < d->n_pre; i++)
        exp_real_doc(&docs, &d->pre[i], e, 0, d->eot, (size_t)e->base_max_tokens);
    TrainOpts to = train_opts_default();
    to.B = (int)e->base_batch;
    to.T = (int)e->context;
    to.grad_accum = (int)e->base_accum;
    to.epochs = (int)e->base_epochs;
    to.max_steps = e->base_steps;
    to.lr = (float)e->base_lr;
    to.lr_final = (float)e->base_lr_final;
    to.warmup_steps = (int)e->base_warmup;
    to.adamw.weight_decay = (float)e->base_wd;
    to.eot = d->eot;
    to.seed = rng_hash3((uint64_t)e->seed, EXP_RNG_PURPOSE_PRETRAIN, 1);
    SaveCtx sc = {.path = part, .stats_path = pstats, .every = e->base_save_every};
    to.on_step = base_on_step;
    to.ctx = &sc;
    to.acc = &sc.acc;
    if ((st = gpt2_alloc(&m, &cfg, to.B, to.T))) goto done;
    if ((st = adamw_alloc(&opt, m->num_params, &to.adamw))) goto done;
    long rows, spe;
    train_plan(&docs, &to, &rows, &spe);
    long total = to.max_steps > 0 ? to.max_steps : spe * to.epochs;
    if (o->resume && file_exists(part)) {
        if ((st = checkpoint_load(part, m, opt))) goto done;
        /* the statistics so far, so that the base row reports the whole pretraining */
        if (stats_find(pstats, (long)opt->t, &sc.acc)) {
            sc.prev = sc.acc;
            sc.prev_step = (long)opt->t;
        }
        exp_note(o, "resuming the pretraining at step %lld of %ld", opt->t, total);
    } else {
        gpt2_init_random(m, rng_hash3((uint64_t)e->seed, EXP_RNG_PURPOSE_PRETRAIN, 0));
    }
    exp_note(o, "pretraining the base model (%zu parameters, mix %.2f/%.2f/%.2f): %zu articles, "
                "%zu tokens, %ld steps of %d x %d",
             gpt2_config_num_params(&cfg), e->mix.v[0], e->mix.v[1], e->mix.v[2], docs.n,
             docs.n_tok, total, to.B * to.grad_accum, to.T);
    Progress prog;
    progress_start(&prog, "pretrain", total);
    if (!o->progress) prog.enabled = 0;
    TrainStats ts;
    st = dp_train_run(m, opt, &docs, &to, &ts, &prog);
    progress_end(&prog);
    if (st) goto done;
    if ((st = checkpoint_save(path, m, NULL))) goto done;
    /* the whole pretraining's statistics (carried across a resume by base.partial.txt) */
    *bs = (BaseStats){ts.loss_last, (double)ts.tokens, ts.seconds};
    if ((st = base_stats_write(stats, bs))) goto done;
    remove(part);
    remove(pstats);
    exp_note(o, "base model: loss %.4f (first %.4f) after %ld steps, %.0f s", ts.loss_last,
             ts.loss_first, ts.steps, ts.seconds);
done:
    train_docs_release(&docs);
    adamw_free(opt);
    if (st) gpt2_free(m);
    else *out = m;
    return st;
}

/* ---- classifiers ----------------------------------------------------------------------------- */

static char **format_set(const Corpus *c, const CorpusSet *s, size_t max, size_t *n, int **y)
{
    *n = max && max < s->n ? max : s->n;
    char **t = xcalloc(*n ? *n : 1, sizeof *t);
    if (y) *y = xcalloc(*n ? *n : 1, sizeof **y);
    for (size_t i = 0; i < *n; i++) {
        /* evenly spaced when capped, so that every part of the corpus order is represented */
        size_t j = (size_t)((double)i * (double)s->n / (double)*n);
        size_t len;
        t[i] = corpus_format(corpus_get(c, s->idx[j]), &len);
        if (y) (*y)[i] = corpus_get(c, s->idx[j])->bias;
    }
    return t;
}

static void free_texts(char **t, size_t n)
{
    for (size_t i = 0; i < n; i++) free(t[i]);
    free(t);
}

int exp_classifiers(Evaluators *ev, ClassifierInfo *ci, const ExpData *d, const ExpConfig *e,
                    const char *dir, const ExpRunOpts *o)
{
    char path[4200];
    int st;
    *ci = (ClassifierInfo){NAN, NAN, NAN};
    const Corpus *c = d->corpus;
    snprintf(path, sizeof path, "%s/lean.bin", dir);
    if (e->lean_model[0]) st = lean_load(&ev->lean, e->lean_model);
    else if (file_exists(path)) st = lean_load(&ev->lean, path);
    else {
        size_t n;
        int *y;
        char **t =
            format_set(c, &d->plan.set[CORPUS_SET_RANDOM_TRAIN], (size_t)e->lean_max, &n, &y);
        exp_note(o, "training the lean classifier on %zu random_train articles", n);
        LeanOpts lo = LEAN_OPTS_DEFAULTS;
        LeanTrainInfo info;
        st = lean_train(&ev->lean, &lo, (const char *const *)t, y, n, &info);
        if (!st) st = lean_save(ev->lean, path);
        free_texts(t, n);
        free(y);
    }
    if (st) return st;
    {
        size_t n;
        int *y;
        char **t = format_set(c, &d->plan.set[CORPUS_SET_RANDOM_TEST], 0, &n, &y);
        LeanMetrics mt;
        lean_evaluate(ev->lean, (const char *const *)t, y, n, 0, &mt);
        ci->lean_macro_f1 = mt.macro_f1;
        ci->lean_accuracy = mt.accuracy;
        exp_note(o, "lean classifier on random_test: macro-F1 %.4f, accuracy %.4f (%zu articles)",
                 mt.macro_f1, mt.accuracy, n);
        free_texts(t, n);
        free(y);
    }
    snprintf(path, sizeof path, "%s/tqi.bin", dir);
    if (e->quality_model[0]) return quality_load(&ev->tqi, e->quality_model);
    /* trained here, or by the killed run this one resumes: the held-out accuracy either way */
    int have = file_exists(path);
    size_t nl = 0, nq;
    char **lm = have ? NULL
                     : format_set(c, &d->plan.set[CORPUS_SET_RANDOM_TRAIN], (size_t)e->quality_lm,
                                  &nl, NULL);
    char **q = format_set(c, &d->plan.set[CORPUS_SET_QUALITY], 0, &nq, NULL);
    size_t ntr = nq < (size_t)e->quality_train ? nq : (size_t)e->quality_train;
    QualityOpts qo = QUALITY_OPTS_DEFAULTS;
    qo.dict_path = e->dict;
    if (have) {
        st = quality_load(&ev->tqi, path);
    } else {
        exp_note(o, "training the text-quality classifier: LM %zu articles, classifier %zu, "
                    "held out %zu", nl, ntr, nq - ntr);
        QualityTrainInfo qi;
        st = quality_train(&ev->tqi, &qo, (const char *const *)lm, nl, (const char *const *)q,
                           ntr, &qi);
    }
    if (!st && nq > ntr) {
        QualityEval qe;
        st = quality_evaluate(ev->tqi, &qo, (const char *const *)q + ntr, nq - ntr, &qe);
        if (!st) {
            ci->tqi_accuracy = qe.accuracy;
            exp_note(o, "text-quality classifier: held-out accuracy %.4f", qe.accuracy);
        }
    }
    if (!st && !have) st = quality_save(ev->tqi, path);
    if (lm) free_texts(lm, nl);
    free_texts(q, nq);
    return st;
}

/* ---- memory ---------------------------------------------------------------------------------- */

/* KV cache and decoding activations of gen_alloc(m, slots, ctx, rows), approximately. */
static double gen_bytes(const Gpt2Config *c, double slots, double rows)
{
    double L = c->num_layers, C = c->channels, T = c->max_seq_len;
    double Vp = ceil(c->vocab_size / (double)GPT2_VOCAB_PAD) * GPT2_VOCAB_PAD;
    return 4 * (L * slots * T * 2 * C + rows * (16 * C + 2 * Vp));
}

int experiment_check_memory(const ExpConfig *e)
{
    Gpt2Config c = {.max_seq_len = (int)e->context, .vocab_size = (int)e->vocab_size,
                    .num_layers = (int)e->layers, .num_heads = (int)e->heads,
                    .channels = (int)e->channels};
    if (!strcmp(e->vocab, "gpt2")) c.vocab_size = 50257;
    int pretrain = !e->base_model[0];
    if (!pretrain) {
        CheckpointInfo info;
        if (checkpoint_peek(e->base_model, &info) != ERR_OK) return ERR_OK; /* not estimated */
        c = info.config;
    }
    double slots = (double)e->slots, rows = slots > 2048 ? slots : 2048;
    int T = (int)(e->seq < c.max_seq_len ? e->seq : c.max_seq_len);
    Gpt2Memory base = gpt2_memory(&c, 1, 1, 0), tune = gpt2_memory(&c, (int)e->batch, T, 1);
    double gen = gen_bytes(&c, slots, rows);
    double need = base.params + base.acts + gen + tune.total + gen, pre = 0;
    if (pretrain) pre = gpt2_memory(&c, (int)e->base_batch, c.max_seq_len, 1).total;
    char est[512];
    if (pre > need) {
        Gpt2Memory p = gpt2_memory(&c, (int)e->base_batch, c.max_seq_len, 1);
        snprintf(est, sizeof est, "pretraining: weights %.3g GB + gradients %.3g GB + AdamW "
                 "moments %.3g GB + activations for base.batch %ld x base.context %d %.3g GB",
                 p.params / 1e9, p.grads / 1e9, p.moments / 1e9, e->base_batch, c.max_seq_len,
                 p.acts / 1e9);
        need = pre;
    } else {
        snprintf(est, sizeof est, "fine-tuning: the base model %.3g GB + the trained model %.3g "
                 "GB with AdamW and activations for train.batch %ld x %d + 2 KV caches of "
                 "generate.slots %ld %.3g GB", (base.params + base.acts) / 1e9, tune.total / 1e9,
                 e->batch, T, e->slots, 2 * gen / 1e9);
    }
    return xalloc_check(need, "experiment", est);
}
