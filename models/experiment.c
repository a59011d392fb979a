/* experiment: the generation loop — units of work (the base model's texts, the shared and the
 * center-only generation 0, then one unit per setup and generation), each ending with its rows
 * appended to state.txt (rewritten atomically), so a killed run resumes at the unit it was in.
 * Work order is generation-major: a stopped run has comparable data for every setup. */
#include "experiment.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "checkpoint.h"
#include "err.h"
#include "experiment_impl.h"
#include "gpt2_io.h"
#include "kernels.h"
#include "lean.h"
#include "paths.h"
#include "plot.h"
#include "quality.h"
#include "rng.h"
#include "xalloc.h"

#define EXP_RNG_PURPOSE_TRAIN UINT64_C(0x4578705472) /* fine-tuning data order */
#define EXP_RNG_PURPOSE_PRESERVE UINT64_C(0x4578705072) /* preserved real articles */
#define EXP_RNG_PURPOSE_SAMPLE UINT64_C(0x4578705361)   /* sampled continuations (greedy = 0) */

static const char *const setup_names[EXP_NCODES] = {
    "replace", "accumulate", NULL, "preserve", NULL, "overfit", "center", "center_preserve"};

const char *experiment_setup_name(int code)
{
    return code >= 0 && code < EXP_NCODES ? setup_names[code] : NULL;
}

int experiment_setup_find(const char *name)
{
    if (!strcmp(name, "synthetic")) return EXP_REPLACE;
    for (int k = 0; k < EXP_NCODES; k++)
        if (setup_names[k] && !strcmp(setup_names[k], name)) return k;
    return -1;
}

const char *const experiment_columns[] = {
    "setup",     "generation", "share_left", "share_center", "share_right", "p_left_mean",
    "p_center_mean", "p_right_mean", "bias",  "tqi_mean",     "tqi_ci95",    "ppl_mean",
    "ppl_ci95",  "train_loss", "tokens",     "seconds",      "articles",    NULL};

static const char *const article_columns[] = {"setup",  "generation", "article", "class",
                                              "p_left", "p_center",   "p_right", "tqi",
                                              "ppl",    "new_tokens", NULL};
enum { ART_NCOLS = 10 };

void exp_note(const ExpRunOpts *o, const char *fmt, ...)
{
    if (!o->note) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    o->note(o->ctx, buf);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

static int prompt_set(int code) { return code == EXP_CENTER || code == EXP_CENTER_PRESERVE; }

/* ---- units ----------------------------------------------------------------------------------- */

typedef struct Unit {
    char key[32]; /* chain name: base, base_center, shared, center_shared, or the setup's */
    int gen, ps;  /* generation; prompt set (0 balanced, 1 center-only) */
    int setup;    /* the setup trained (g >= 1); -1 for the shared units */
    int rows[EXPCFG_MAX_SETUPS], nrows; /* setups whose row this unit writes */
} Unit;

static int plan_units(const ExpConfig *e, const int *setups, int ns, Unit **out)
{
    int G = (int)e->generations, n = 0, any[2] = {0, 0};
    Unit *u = xcalloc((size_t)(4 + ns * G), sizeof *u);
    for (int k = 0; k < ns; k++) any[prompt_set(setups[k])] = 1;
    for (int g = -1; g <= 0; g++)
        for (int ps = 0; ps < 2; ps++) {
            if (!any[ps]) continue;
            Unit *x = &u[n++];
            snprintf(x->key, sizeof x->key, "%s%s", g < 0 ? "base" : "shared",
                     ps ? "_center" : "");
            x->gen = g;
            x->ps = ps;
            x->setup = -1;
            for (int k = 0; k < ns; k++)
                if (prompt_set(setups[k]) == ps) x->rows[x->nrows++] = setups[k];
        }
    for (int g = 1; g < G; g++)
        for (int k = 0; k < ns; k++) {
            Unit *x = &u[n++];
            snprintf(x->key, sizeof x->key, "%s", setup_names[setups[k]]);
            x->gen = g;
            x->ps = prompt_set(setups[k]);
            x->setup = setups[k];
            x->rows[0] = setups[k];
            x->nrows = 1;
        }
    *out = u;
    return n;
}

/* The chain key whose generation g model / texts a unit of setup `code` builds on. */
static void chain_key(char *buf, size_t n, int code, int g)
{
    if (g < 0) snprintf(buf, n, "base%s", prompt_set(code) ? "_center" : "");
    else if (g == 0) snprintf(buf, n, "shared%s", prompt_set(code) ? "_center" : "");
    else snprintf(buf, n, "%s", setup_names[code]);
}

static void unit_path(char *buf, size_t n, const char *dir, const char *sub, const char *key,
                      int g, const char *ext)
{
    snprintf(buf, n, "%s/%s/%s_g%d%s", dir, sub, key, g, ext);
}

/* ---- state ----------------------------------------------------------------------------------- */

typedef struct State {
    double (*row)[EXP_NCOLS];
    int n, cap;
    int *emitted;
} State;

static void state_add(State *s, const double *r)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->row = xrealloc(s->row, (size_t)s->cap * sizeof *s->row);
        s->emitted = xrealloc(s->emitted, (size_t)s->cap * sizeof *s->emitted);
    }
    memcpy(s->row[s->n], r, sizeof s->row[0]);
    s->emitted[s->n++] = 0;
}

static const double *state_find(const State *s, int setup, int g)
{
    for (int i = 0; i < s->n; i++)
        if ((int)s->row[i][EXP_COL_SETUP] == setup && (int)s->row[i][EXP_COL_GENERATION] == g)
            return s->row[i];
    return NULL;
}

static int state_save(const State *s, const char *dir, uint64_t hash)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/state.txt", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return err_set(ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    fprintf(f, "# biasamp experiment state 1 config_hash=%016llx\n", (unsigned long long)hash);
    for (int i = 0; i < s->n; i++) {
        fprintf(f, "row");
        for (int c = 0; c < EXP_NCOLS; c++) fprintf(f, " %.17g", s->row[i][c]);
        fprintf(f, "\n");
    }
    int ok = fflush(f) == 0 && ferror(f) == 0;
    if (fclose(f) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return err_set(ERR_IO, "cannot write '%s'", path);
    }
    return ERR_OK;
}

static int state_load(State *s, const char *dir, uint64_t hash, int *found)
{
    char path[4200], line[2048];
    snprintf(path, sizeof path, "%s/state.txt", dir);
    *found = 0;
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? ERR_OK : err_set(ERR_IO, "cannot open '%s'", path);
    *found = 1;
    int st = ERR_OK, ln = 0;
    unsigned long long h = 0;
    while (fgets(line, sizeof line, f) && !st) {
        ln++;
        if (ln == 1) {
            if (sscanf(line, "# biasamp experiment state 1 config_hash=%llx", &h) != 1)
                st = err_set(ERR_INVAL, "%s:1: not an experiment state file", path);
            else if (h != hash)
                st = err_set(ERR_INVAL,
                             "%s: written by another configuration (config hash %016llx, "
                             "now %016llx); resume with the folder's config.ini",
                             path, h, (unsigned long long)hash);
            continue;
        }
        double r[EXP_NCOLS];
        char *p = line;
        if (strncmp(p, "row", 3)) {
            st = err_set(ERR_INVAL, "%s:%d: malformed line", path, ln);
            break;
        }
        p += 3;
        for (int c = 0; c < EXP_NCOLS && !st; c++) {
            char *end;
            r[c] = strtod(p, &end);
            if (end == p) st = err_set(ERR_INVAL, "%s:%d: malformed row", path, ln);
            p = end;
        }
        if (!st) state_add(s, r);
    }
    fclose(f);
    return st;
}

static void state_release(State *s)
{
    free(s->row);
    free(s->emitted);
    memset(s, 0, sizeof *s);
}

/* Emits, in state order, every row not yet written whose bias is known: the share of the base
 * model's majority lean (argmax of the setup's generation -1 shares) minus its generation 0
 * value. */
static int state_emit(State *s, CsvLog *log, int *written)
{
    for (int i = 0; i < s->n; i++) {
        if (s->emitted[i]) continue;
        int setup = (int)s->row[i][EXP_COL_SETUP], g = (int)s->row[i][EXP_COL_GENERATION];
        const double *b = state_find(s, setup, -1), *z = state_find(s, setup, 0);
        if (!b || !z) continue;
        int maj = 0;
        for (int k = 1; k < 3; k++)
            if (b[EXP_COL_SHARE_LEFT + k] > b[EXP_COL_SHARE_LEFT + maj]) maj = k;
        s->row[i][EXP_COL_BIAS] = s->row[i][EXP_COL_SHARE_LEFT + maj] - z[EXP_COL_SHARE_LEFT + maj];
        (void)g;
        int st = csvlog_row(log, s->row[i]);
        if (st) return st;
        s->emitted[i] = 1;
        (*written)++;
    }
    return ERR_OK;
}

/* ---- evaluation ------------------------------------------------------------------------------ */

/* Scores the generated part of each document (after the title prompt, before the EOT): lean
 * probabilities and TQI of the decoded text, perplexity of the whole document under the base
 * model. Fills the row's measurement columns and art (n x ART_NCOLS from column 2 on). */
static int evaluate(const Evaluators *ev, const ExpData *d, int ps, const TrainDocs *docs,
                    double *row, double *art)
{
    size_t n = d->n_prompts[ps];
    const ExpArticle *arts = d->prompts[ps];
    if (docs->n != n)
        return err_set(ERR_INVAL, "experiment: %zu generated texts for %zu prompts", docs->n, n);
    char **texts = xcalloc(n, sizeof *texts);
    const int **toks = xcalloc(n, sizeof *toks);
    int *lens = xcalloc(n, sizeof *lens);
    double (*p)[3] = xcalloc(n, sizeof *p), *tqi = xcalloc(n, sizeof *tqi);
    double *nll = xcalloc(n, sizeof *nll), *ppl = xcalloc(n, sizeof *ppl);
    long *cnt = xcalloc(n, sizeof *cnt);
    int st = ERR_OK;
    for (size_t i = 0; i < n && !st; i++) {
        const int *t = train_docs_get(docs, i);
        size_t len = train_docs_len(docs, i), nt = arts[i].title.n;
        if (len > 0 && t[len - 1] == d->eot) len--;
        if (nt > len) nt = len;
        int32_t *ids = xmalloc((len - nt + 1) * sizeof *ids);
        for (size_t k = nt; k < len; k++) ids[k - nt] = t[k];
        size_t tl;
        st = tokenizer_decode(d->tok, ids, len - nt, &texts[i], &tl);
        free(ids);
        toks[i] = t;
        lens[i] = (int)len;
        art[i * ART_NCOLS + 9] = (double)(len - nt);
    }
    if (!st) {
        lean_predict_batch(ev->lean, (const char *const *)texts, n, p, 0);
        quality_score_batch(ev->tqi, (const char *const *)texts, n, QUALITY_EXPECTED, tqi, 0);
        st = gen_nll(ev->base_gen, toks, lens, n, ev->stride, nll, cnt, NULL);
    }
    if (!st) {
        double pm[3] = {0, 0, 0};
        size_t cnt3[3] = {0, 0, 0};
        for (size_t i = 0; i < n; i++) {
            cnt3[lean_argmax(p[i])]++;
            for (int k = 0; k < 3; k++) pm[k] += p[i][k] / (double)n;
            ppl[i] = cnt[i] > 0 ? exp(nll[i] / (double)cnt[i]) : NAN;
            double *a = art + i * ART_NCOLS;
            a[2] = (double)i;
            a[3] = arts[i].bias;
            for (int k = 0; k < 3; k++) a[4 + k] = p[i][k];
            a[7] = tqi[i];
            a[8] = ppl[i];
        }
        for (int k = 0; k < 3; k++) {
            row[EXP_COL_SHARE_LEFT + k] = (double)cnt3[k] / (double)n;
            row[EXP_COL_P_LEFT + k] = pm[k];
        }
        quality_summary(tqi, n, &row[EXP_COL_TQI_MEAN], &row[EXP_COL_TQI_CI95]);
        quality_summary(ppl, n, &row[EXP_COL_PPL_MEAN], &row[EXP_COL_PPL_CI95]);
        row[EXP_COL_ARTICLES] = (double)n;
    }
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(toks);
    free(lens);
    free(p);
    free(tqi);
    free(nll);
    free(ppl);
    free(cnt);
    return st;
}

/* The per-article table of one unit (kind experiment_articles), one block of rows per setup. */
static int write_articles(const char *path, const RunInfo *ri, const Unit *u, const double *art,
                          size_t n)
{
    CsvLog *log;
    int st = csvlog_open(&log, path, "experiment_articles", ri);
    if (!st) st = csvlog_header(log, article_columns, ART_NCOLS);
    for (int r = 0; r < u->nrows && !st; r++)
        for (size_t i = 0; i < n && !st; i++) {
            double v[ART_NCOLS];
            memcpy(v, art + i * ART_NCOLS, sizeof v);
            v[0] = u->rows[r];
            v[1] = u->gen;
            st = csvlog_row(log, v);
        }
    int cst = csvlog_close(log, !st);
    return st ? st : cst;
}

/* Activation means over the probe (real fine-tuning articles) -> activations/SETUP_gG.csv. */
static int capture(Gen *g, const Gpt2 *m, const ExpData *d, const ExpConfig *e, const Unit *u,
                   const char *dir, const RunInfo *ri)
{
    size_t n = d->n_prompts[u->ps] < (size_t)e->probe ? d->n_prompts[u->ps] : (size_t)e->probe;
    TrainDocs probe = {0};
    for (size_t i = 0; i < n; i++) exp_real_doc(&probe, &d->prompts[u->ps][i], e, 1, d->eot, 0);
    const int **t = xcalloc(n, sizeof *t);
    int *len = xcalloc(n, sizeof *len);
    for (size_t i = 0; i < n; i++) {
        t[i] = train_docs_get(&probe, i);
        len[i] = (int)train_docs_len(&probe, i) - 1; /* without the EOT */
    }
    int L = m->config.num_layers, C = m->config.channels;
    double *bm = xcalloc((size_t)L * C, sizeof *bm), *mm = xcalloc((size_t)L * 4 * C, sizeof *mm);
    int st = gen_capture(g, t, len, n, bm, mm);
    static const char *const cols[] = {"kind", "layer", "unit", "mean"};
    for (int r = 0; r < u->nrows && !st; r++) {
        char path[4400];
        unit_path(path, sizeof path, dir, "activations", setup_names[u->rows[r]], u->gen, ".csv");
        CsvLog *log;
        if ((st = csvlog_open(&log, path, "experiment_activations", ri))) break;
        csvlog_meta(log, "setup", "%d", u->rows[r]);
        csvlog_meta(log, "generation", "%d", u->gen);
        csvlog_meta(log, "probe_articles", "%zu", n);
        csvlog_meta(log, "kind_codes", "block=0,mlp=1");
        st = csvlog_header(log, cols, 4);
        for (int kind = 0; kind < 2 && !st; kind++) {
            int U = kind ? 4 * C : C;
            for (int l = 0; l < L && !st; l++)
                for (int j = 0; j < U && !st; j++) {
                    double v[4] = {kind, l, j, (kind ? mm : bm)[(size_t)l * U + j]};
                    st = csvlog_row(log, v);
                }
        }
        int cst = csvlog_close(log, !st);
        if (!st) st = cst;
    }
    free(bm);
    free(mm);
    free(t);
    free(len);
    train_docs_release(&probe);
    return st;
}

/* ---- training -------------------------------------------------------------------------------- */

static TrainOpts finetune_opts(const ExpConfig *e, int setup, int g, int ctx, int eot)
{
    TrainOpts o = train_opts_default();
    o.B = (int)e->batch;
    o.T = (int)(e->seq < ctx ? e->seq : ctx);
    o.grad_accum = (int)e->accum;
    o.epochs = (int)e->epochs;
    o.lr = (float)e->lr;
    o.lr_final = (float)e->lr_final;
    o.warmup_steps = (int)e->warmup;
    o.grad_clip = (float)e->grad_clip;
    o.adamw.weight_decay = (float)e->weight_decay;
    o.eot = eot;
    if (g >= 1 && setup == EXP_OVERFIT) {
        o.epochs = (int)e->overfit_epochs;
        o.adamw.weight_decay = (float)e->overfit_weight_decay;
    }
    if (g >= 1 && setup == EXP_ACCUMULATE && e->accumulate_epochs > 0)
        o.epochs = (int)e->accumulate_epochs;
    o.seed = rng_hash3((uint64_t)e->seed, EXP_RNG_PURPOSE_TRAIN,
                       (uint64_t)(setup + 1) * 100000u + (uint64_t)(g + 1));
    return o;
}

static int read_synth(TrainDocs *d, const char *dir, const char *key, int g, int eot, size_t n)
{
    char path[4400];
    unit_path(path, sizeof path, dir, "synth", key, g, ".tok");
    int st = train_docs_read(d, path, eot, 0, 0, NULL);
    if (!st && d->n != n)
        st = err_set(ERR_INVAL, "%s: %zu texts, expected %zu", path, d->n, n);
    return st;
}

/* The documents generation g >= 0 of setup `code` (or the shared generation 0) trains on. */
static int training_docs(TrainDocs *docs, const ExpData *d, const ExpConfig *e, const Unit *u,
                         const char *dir)
{
    const ExpArticle *arts = d->prompts[u->ps];
    size_t n = d->n_prompts[u->ps];
    if (u->gen == 0) {
        for (size_t i = 0; i < n; i++) exp_real_doc(docs, &arts[i], e, 1, d->eot, 0);
        return ERR_OK;
    }
    char prev[32];
    chain_key(prev, sizeof prev, u->setup, u->gen - 1);
    TrainDocs last = {0};
    int st = read_synth(&last, dir, prev, u->gen - 1, d->eot, n);
    if (st) goto done;
    switch (u->setup) {
    case EXP_ACCUMULATE:
        for (size_t i = 0; i < n; i++) exp_real_doc(docs, &arts[i], e, 1, d->eot, 0);
        for (int k = 0; k < u->gen && !st; k++) {
            TrainDocs s = {0};
            chain_key(prev, sizeof prev, u->setup, k);
            st = read_synth(&s, dir, prev, k, d->eot, n);
            for (size_t i = 0; i < s.n && !st; i++) train_docs_push_doc(docs, &s, i);
            train_docs_release(&s);
        }
        break;
    case EXP_PRESERVE:
    case EXP_CENTER_PRESERVE: {
        /* a fraction rho of the texts replaced by their real articles, redrawn each generation
         * from the stream (seed + g, purpose, setup) */
        size_t k = (size_t)llround(e->rho * (double)n);
        char *real = xcalloc(n ? n : 1, 1);
        gsl_rng *r = rng_stream_alloc(rng_pcg64, (uint64_t)e->seed + (uint64_t)u->gen,
                                      EXP_RNG_PURPOSE_PRESERVE, (uint64_t)u->setup);
        for (size_t j = 0, picked = 0; j < n && picked < k; j++) /* selection sampling */
            if (gsl_rng_uniform(r) * (double)(n - j) < (double)(k - picked)) {
                real[j] = 1;
                picked++;
            }
        gsl_rng_free(r);
        for (size_t i = 0; i < n; i++) {
            if (real[i]) exp_real_doc(docs, &arts[i], e, 1, d->eot, 0);
            else train_docs_push_doc(docs, &last, i);
        }
        free(real);
        break;
    }
    default: /* replace, overfit, center */
        for (size_t i = 0; i < n; i++) train_docs_push_doc(docs, &last, i);
    }
done:
    train_docs_release(&last);
    return st;
}

/* The same measurements on the real articles (the kept body blocks, as the generated part), so that
 * the classifiers' view of real text of this length is on record beside the generations. */
typedef struct RealRef {
    int have[2];
    double share[2][3], tqi[2], ppl[2];
} RealRef;

static int real_reference(RealRef *rr, const Evaluators *ev, const ExpData *d, const ExpConfig *e)
{
    memset(rr, 0, sizeof *rr);
    int st = ERR_OK;
    for (int ps = 0; ps < 2 && !st; ps++) {
        size_t n = d->n_prompts[ps];
        if (!n) continue;
        TrainDocs docs = {0};
        for (size_t i = 0; i < n; i++) exp_real_doc(&docs, &d->prompts[ps][i], e, 1, d->eot, 0);
        double *row = xcalloc(EXP_NCOLS, sizeof *row), *art = xcalloc(n * ART_NCOLS, sizeof *art);
        st = evaluate(ev, d, ps, &docs, row, art);
        if (!st) {
            rr->have[ps] = 1;
            for (int k = 0; k < 3; k++) rr->share[ps][k] = row[EXP_COL_SHARE_LEFT + k];
            rr->tqi[ps] = row[EXP_COL_TQI_MEAN];
            rr->ppl[ps] = row[EXP_COL_PPL_MEAN];
        }
        free(row);
        free(art);
        train_docs_release(&docs);
    }
    return st;
}

/* ---- the run --------------------------------------------------------------------------------- */

static int open_table(CsvLog **log, const char *dir, const RunInfo *ri, const ExpConfig *e,
                      const ExpData *d, const Gpt2 *base, const ClassifierInfo *ci,
                      const RealRef *rr)
{
    char path[4200], codes[256] = "";
    snprintf(path, sizeof path, "%s/generations.csv", dir);
    int st = csvlog_open(log, path, "experiment_generations", ri);
    if (st) return st;
    for (int k = 0; k < EXP_NCODES; k++)
        if (setup_names[k])
            snprintf(codes + strlen(codes), sizeof codes - strlen(codes), "%s%s=%d",
                     codes[0] ? "," : "", setup_names[k], k);
    CsvLog *l = *log;
    csvlog_meta(l, "setup_codes", "%s", codes);
    csvlog_meta(l, "generation_codes", "base=-1,first_finetune=0");
    const Gpt2Config *c = &base->config;
    csvlog_meta(l, "model", "L=%d,NH=%d,C=%d,context=%d,V=%d,params=%zu", c->num_layers,
                c->num_heads, c->channels, c->max_seq_len, c->vocab_size,
                gpt2_config_num_params(c));
    csvlog_meta(l, "base", "%s", e->base_model[0] ? e->base_model : "pretrained here");
    csvlog_meta(l, "mix", "%g %g %g", e->mix.v[0], e->mix.v[1], e->mix.v[2]);
    csvlog_meta(l, "vocab", "%s", e->vocab);
    csvlog_meta(l, "articles", "balanced=%zu,center=%zu", d->n_prompts[0], d->n_prompts[1]);
    csvlog_meta(l, "protocol", "block=%ld,new_tokens=%ld,max_blocks=%ld,greedy=%d,temperature=%g,"
                "top_k=%ld,top_p=%g", e->block, e->new_tokens, e->max_blocks, e->greedy,
                e->temperature, e->top_k, e->top_p);
    csvlog_meta(l, "finetune", "epochs=%ld,overfit_epochs=%ld,lr=%g,weight_decay=%g,batch=%ld",
                e->epochs, e->overfit_epochs, e->lr, e->weight_decay, e->batch);
    csvlog_meta(l, "rho", "%g", e->rho);
    csvlog_meta(l, "lean_test_macro_f1", "%.4f", ci->lean_macro_f1);
    csvlog_meta(l, "tqi_heldout_accuracy", "%.4f", ci->tqi_accuracy);
    for (int ps = 0; ps < 2; ps++) {
        if (!rr->have[ps]) continue;
        csvlog_meta(l, ps ? "real_center_shares" : "real_balanced_shares", "%.4f %.4f %.4f",
                    rr->share[ps][0], rr->share[ps][1], rr->share[ps][2]);
        csvlog_meta(l, ps ? "real_center_tqi_ppl" : "real_balanced_tqi_ppl", "%.4f %.4f",
                    rr->tqi[ps], rr->ppl[ps]);
    }
    csvlog_meta(l, "real", "the same measurements on the real articles' kept body blocks "
                           "(ppl: title + blocks under the base model)");
    csvlog_meta(l, "bias", "share of the base model's majority lean minus its generation-0 value");
    csvlog_meta(l, "ppl", "perplexity of each generated document under the base model");
    return csvlog_header(l, experiment_columns, EXP_NCOLS);
}

/* Concatenates the per-unit article tables into articles.csv (kind experiment_articles). */
static int merge_articles(const char *dir, const Unit *u, int nu, const RunInfo *ri)
{
    char path[4200], line[4096];
    snprintf(path, sizeof path, "%s/articles.csv", dir);
    CsvLog *log;
    int st = csvlog_open(&log, path, "experiment_articles", ri);
    if (!st) st = csvlog_header(log, article_columns, ART_NCOLS);
    for (int k = 0; k < nu && !st; k++) {
        char p[4400];
        unit_path(p, sizeof p, dir, "articles", u[k].key, u[k].gen, ".csv");
        FILE *f = fopen(p, "r");
        if (!f) {
            st = err_set(ERR_IO, "cannot open '%s'", p);
            break;
        }
        int header = 0;
        while (fgets(line, sizeof line, f) && !st) {
            if (line[0] == '#') continue;
            if (!header++) continue;
            double v[ART_NCOLS];
            char *q = line;
            for (int c = 0; c < ART_NCOLS; c++) {
                char *end;
                v[c] = strtod(q, &end);
                q = *end == ',' ? end + 1 : end;
            }
            st = csvlog_row(log, v);
        }
        fclose(f);
    }
    int cst = csvlog_close(log, !st);
    return st ? st : cst;
}

static void figures(const char *dir, const ExpConfig *e, const ExpData *d, const ExpRunOpts *o)
{
    if (!plot_available()) {
        exp_note(o, "gnuplot not found: no figures");
        return;
    }
    char refdir[4200], ref[4300], refart[4400], gen[4200], art[4200], out[4300];
    if (e->reference[0]) snprintf(refdir, sizeof refdir, "%s", e->reference);
    else snprintf(refdir, sizeof refdir, "%s/paper-reference", d->root);
    snprintf(ref, sizeof ref, "%s/published_summary.csv", refdir);
    snprintf(refart, sizeof refart, "%s/Bias_Performance_and_Generation_Quality/"
             "Synthetic_Generation_Quality.csv", refdir);
    int have_ref = file_exists(ref), have_art = file_exists(refart);
    if (!have_ref)
        exp_note(o, "no published reference at %s: figures without the paper's curves", ref);
    snprintf(gen, sizeof gen, "%s/generations.csv", dir);
    snprintf(art, sizeof art, "%s/articles.csv", dir);
    static const char *const scripts[] = {"experiment_shares", "experiment_quality",
                                          "experiment_ppl", "experiment_tqi_dist"};
    const char *fmt = expcfg_formats[e->plot_format];
    for (int k = 0; k < 4; k++) {
        snprintf(out, sizeof out, "%s/%s.%s", dir, scripts[k], fmt);
        int with = k < 3 ? have_ref : have_art;
        const char *args[3] = {k == 3 ? art : gen, out, k == 3 ? refart : ref};
        int st = plot_render(scripts[k], args, with ? 3 : 2, with ? 3 : 2);
        if (st) exp_note(o, "figure %s: %s", scripts[k], err_msg());
    }
}

int experiment_run(const ExpConfig *e, const int *setups, int nsetups, const ExpRunOpts *o,
                   ExpResult *res)
{
    double t_start = now_s();
    memset(res, 0, sizeof *res);
    for (int k = 0; k < 3; k++) res->base_share[k] = NAN;
    ExpData d;
    memset(&d, 0, sizeof d);
    Evaluators ev = {0};
    ClassifierInfo ci;
    BaseStats bs;
    State s = {0};
    Unit *units = NULL;
    CsvLog *log = NULL;
    Gpt2 *m = NULL;
    Gen *g = NULL;
    int nu = 0, found = 0, written = 0;
    uint64_t hash = o->run ? o->run->config_hash : 0;
    int st = state_load(&s, o->dir, hash, &found);
    if (st) return st;
    if (found && !o->resume) {
        state_release(&s);
        return err_set(ERR_INVAL, "%s holds an experiment already (state.txt); continue it with "
                                  "--resume or choose another folder", o->dir);
    }
    res->rows_resumed = s.n;
    char sub[4200];
    static const char *const subs[] = {"ckpt", "synth", "articles", "activations"};
    for (int k = 0; k < 4 && !st; k++) {
        snprintf(sub, sizeof sub, "%s/%s", o->dir, subs[k]);
        st = paths_mkdirs(sub);
    }
    if (st) goto done;
    exp_note(o, "loading Article-Bias-Prediction and the vocabulary");
    if ((st = exp_data_load(&d, e, o->dir, o))) goto done;
    exp_note(o, "sets: %zu balanced fine-tuning articles, %zu center-only, %zu pretraining; "
                "vocabulary %d",
             d.n_prompts[0], d.n_prompts[1], d.n_pre, d.V);
    if ((st = exp_base_prepare(&ev.base, &bs, &d, e, o->dir, o))) goto done;
    int ctx = ev.base->config.max_seq_len;
    if (e->block + e->new_tokens > ctx) {
        st =
            err_set(ERR_INVAL, "generate: block %ld + new_tokens %ld exceed the model's context %d",
                    e->block, e->new_tokens, ctx);
        goto done;
    }
    ev.stride = e->stride > 0 ? (int)e->stride : (ctx / 2 > 0 ? ctx / 2 : 1);
    int slots = (int)e->slots, rows = slots > 2048 ? slots : 2048;
    if ((st = gen_alloc(&ev.base_gen, ev.base, slots, ctx, rows))) goto done;
    if ((st = exp_classifiers(&ev, &ci, &d, e, o->dir, o))) goto done;
    RealRef rr;
    if ((st = real_reference(&rr, &ev, &d, e))) goto done;
    for (int ps = 0; ps < 2; ps++)
        if (rr.have[ps])
            exp_note(o, "real %s articles: L/C/R %.3f %.3f %.3f  tqi %.3f  ppl %.2f under the base",
                     ps ? "center-only" : "balanced", rr.share[ps][0], rr.share[ps][1],
                     rr.share[ps][2], rr.tqi[ps], rr.ppl[ps]);
    if ((st = open_table(&log, o->dir, o->run, e, &d, ev.base, &ci, &rr))) goto done;
    /* rows of an earlier run in the order an uninterrupted run emitted them: unit by unit (a
     * unit's rows are contiguous in state.txt, one generation and prompt set), each emission
     * seeing only the units finished so far */
    for (int i = 0, full = s.n; i < full && !st;) {
        int j = i + 1;
        while (j < full && s.row[j][EXP_COL_GENERATION] == s.row[i][EXP_COL_GENERATION] &&
               prompt_set((int)s.row[j][EXP_COL_SETUP]) == prompt_set((int)s.row[i][EXP_COL_SETUP]))
            j++;
        s.n = j;
        st = state_emit(&s, log, &written);
        s.n = full;
        i = j;
    }
    if (st) goto done;
    nu = plan_units(e, setups, nsetups, &units);
    Progress prog;
    progress_start(&prog, "experiment", nu);
    if (!o->progress) prog.enabled = 0;
    double spent = 0;
    int ran = 0;
    for (int k = 0; k < nu && !st; k++) {
        Unit *u = &units[k];
        int done_rows = 0;
        for (int r = 0; r < u->nrows; r++) done_rows += state_find(&s, u->rows[r], u->gen) != NULL;
        if (done_rows == u->nrows) continue;
        if (done_rows) { /* a unit's rows are saved together; anything else is not our state */
            st = err_set(ERR_INVAL, "%s/state.txt: unit %s_g%d is half recorded", o->dir, u->key,
                         u->gen);
            break;
        }
        double t0 = now_s(), row[EXP_NCOLS];
        for (int c = 0; c < EXP_NCOLS; c++) row[c] = NAN;
        row[EXP_COL_GENERATION] = u->gen;
        char path[4400];
        Gpt2 *model = ev.base;
        if (u->gen < 0) {
            row[EXP_COL_TRAIN_LOSS] = bs.loss;
            row[EXP_COL_TOKENS] = bs.tokens;
        } else {
            TrainDocs docs = {0};
            char prev[32];
            int code = u->setup >= 0 ? u->setup : u->rows[0];
            TrainOpts to = finetune_opts(e, u->setup, u->gen, ctx, d.eot);
            if ((st = training_docs(&docs, &d, e, u, o->dir))) {
                train_docs_release(&docs);
                break;
            }
            st = gpt2_alloc(&m, &ev.base->config, to.B, to.T);
            if (!st && u->gen == 0) { /* generation 0 starts from the base model */
                memcpy(m->param_memory, ev.base->param_memory, m->num_params * sizeof(float));
            } else if (!st) {
                chain_key(prev, sizeof prev, code, u->gen - 1);
                unit_path(path, sizeof path, o->dir, "ckpt", prev, u->gen - 1, ".ckpt");
                st = checkpoint_load(path, m, NULL);
            }
            TrainStats ts;
            if (!st) st = dp_train_run(m, NULL, &docs, &to, &ts, NULL);
            train_docs_release(&docs);
            if (st) break;
            unit_path(path, sizeof path, o->dir, "ckpt", u->key, u->gen, ".ckpt");
            if ((st = checkpoint_save(path, m, NULL))) break;
            row[EXP_COL_TRAIN_LOSS] = ts.loss_last;
            row[EXP_COL_TOKENS] = (double)ts.tokens;
            model = m;
        }
        double t_train = now_s() - t0;
        /* the texts this model produces from the real prompts */
        TrainDocs synth = {0};
        size_t n = d.n_prompts[u->ps];
        double *art = xcalloc(n * ART_NCOLS, sizeof *art);
        st = gen_alloc(&g, model, slots, ctx, rows);
        /* sampling streams: (seed, purpose, unit) -> per prompt (that seed, GENERATE, prompt) */
        uint64_t gseed = rng_hash3((uint64_t)e->seed, EXP_RNG_PURPOSE_SAMPLE,
                                   (uint64_t)(u->setup + 2) * 100000u +
                                       (uint64_t)(u->gen + 1) * 2u + (uint64_t)u->ps);
        if (!st) st = exp_generate(g, d.prompts[u->ps], n, e, d.eot, gseed, &synth, NULL);
        double t_gen = now_s() - t0 - t_train;
        if (!st) {
            unit_path(path, sizeof path, o->dir, "synth", u->key, u->gen, ".tok");
            st = exp_docs_write(path, &synth, d.V);
        }
        if (!st && e->capture) st = capture(g, model, &d, e, u, o->dir, o->run);
        if (!st) st = evaluate(&ev, &d, u->ps, &synth, row, art);
        if (!st) {
            unit_path(path, sizeof path, o->dir, "articles", u->key, u->gen, ".csv");
            st = write_articles(path, o->run, u, art, n);
        }
        free(art);
        train_docs_release(&synth);
        gen_free(g);
        g = NULL;
        gpt2_free(m);
        m = NULL;
        if (st) break;
        row[EXP_COL_SECONDS] = now_s() - t0;
        for (int r = 0; r < u->nrows; r++) {
            row[EXP_COL_SETUP] = u->rows[r];
            state_add(&s, row);
        }
        if ((st = state_save(&s, o->dir, hash))) break;
        if ((st = state_emit(&s, log, &written))) break;
        spent += row[EXP_COL_SECONDS];
        ran++;
        int left = nu - k - 1;
        exp_note(o, "gen %2d %-15s loss %6.3f  L/C/R %.3f %.3f %.3f  tqi %.3f  ppl %7.2f  "
                    "(train %.0f s, generate %.0f s, total %.0f s; eta %.1f min)",
                 u->gen, u->key, row[EXP_COL_TRAIN_LOSS], row[EXP_COL_SHARE_LEFT],
                 row[EXP_COL_SHARE_CENTER], row[EXP_COL_SHARE_RIGHT], row[EXP_COL_TQI_MEAN],
                 row[EXP_COL_PPL_MEAN], t_train, t_gen, row[EXP_COL_SECONDS],
                 left * spent / ran / 60.0);
        progress_update(&prog, k + 1);
    }
    progress_end(&prog);
    if (st) goto done;
    if ((st = merge_articles(o->dir, units, nu, o->run))) goto done;
    res->rows = written;
    {
        const double *b = state_find(&s, EXP_REPLACE, -1);
        for (int r = 0; r < s.n && !b; r++)
            if ((int)s.row[r][EXP_COL_GENERATION] == -1 &&
                !prompt_set((int)s.row[r][EXP_COL_SETUP]))
                b = s.row[r];
        for (int k = 0; k < 3 && b; k++) res->base_share[k] = b[EXP_COL_SHARE_LEFT + k];
    }
    st = csvlog_close(log, 1);
    log = NULL;
    if (!st && o->plot) figures(o->dir, e, &d, o);
done:
    exp_data_release(&d);
    if (log) csvlog_close(log, 0);
    gen_free(g);
    gen_free(ev.base_gen);
    gpt2_free(m);
    gpt2_free(ev.base);
    lean_free(ev.lean);
    quality_free(ev.tqi);
    state_release(&s);
    free(units);
    res->seconds = now_s() - t_start;
    return st;
}
