/* experiment_data: the experiment's inputs — Article-Bias-Prediction planned into sets, the
 * vocabulary (GPT-2's, a folder, or trained here), every article as a title prompt and a body,
 * the documents models train on, and the token files the generations leave behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "corpus.h"
#include "err.h"
#include "experiment_impl.h"
#include "paths.h"
#include "xalloc.h"

static int file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* "title: <title>\nbody:" and " <body>": together corpus_format's document. */
static void split_texts(const CorpusArticle *a, char **title, char **body)
{
    size_t lt = strlen(a->title), lb = strlen(a->body);
    *title = xmalloc(lt + 16);
    snprintf(*title, lt + 16, "title: %s\nbody:", a->title);
    *body = xmalloc(lb + 2);
    snprintf(*body, lb + 2, " %s", a->body);
}

/* Encodes the articles idx[0..n) into arts (title prompt and body token lists). */
static void encode_articles(const Tokenizer *tok, const Corpus *c, const size_t *idx, size_t n,
                            ExpArticle *arts)
{
    char **texts = xcalloc(2 * n + 1, sizeof *texts);
    size_t *lens = xcalloc(2 * n + 1, sizeof *lens);
    TokenizerIds *ids = xcalloc(2 * n + 1, sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        const CorpusArticle *a = corpus_get(c, idx[i]);
        split_texts(a, &texts[2 * i], &texts[2 * i + 1]);
        lens[2 * i] = strlen(texts[2 * i]);
        lens[2 * i + 1] = strlen(texts[2 * i + 1]);
        arts[i].bias = a->bias;
        arts[i].corpus_index = idx[i];
    }
    tokenizer_encode_batch(tok, (const char *const *)texts, lens, 2 * n, 0, 0, ids);
    for (size_t i = 0; i < n; i++) {
        arts[i].title = ids[2 * i];
        arts[i].body = ids[2 * i + 1];
        free(texts[2 * i]);
        free(texts[2 * i + 1]);
    }
    free(texts);
    free(lens);
    free(ids);
}

void exp_articles_release(ExpArticle *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tokenizer_ids_release(&a[i].title);
        tokenizer_ids_release(&a[i].body);
    }
    free(a);
}

/* An evenly spaced subset of k of the n indices (all when k == 0 or k >= n). */
static size_t *spaced(const CorpusSet *s, size_t k, size_t *out_n)
{
    size_t n = s->n;
    if (k == 0 || k > n) k = n;
    size_t *idx = xmalloc((k ? k : 1) * sizeof *idx);
    for (size_t i = 0; i < k; i++) idx[i] = s->idx[(size_t)((double)i * (double)n / (double)k)];
    *out_n = k;
    return idx;
}

static int load_vocab(ExpData *d, const ExpConfig *e, const char *dir, const Corpus *c,
                      const CorpusSet *pre, const ExpRunOpts *o)
{
    char path[4096];
    if (!strcmp(e->vocab, "gpt2")) {
        int st = tokenizer_default_dir(path, sizeof path);
        return st ? st : tokenizer_load_dir(&d->tok, path);
    }
    if (strcmp(e->vocab, "train")) return tokenizer_load_dir(&d->tok, e->vocab);
    int st = paths_join(path, sizeof path, dir, "vocab");
    if (st) return st;
    char enc[4200];
    snprintf(enc, sizeof enc, "%s/encoder.json", path);
    if (file_exists(enc)) return tokenizer_load_dir(&d->tok, path);
    exp_note(o, "training a %ld-token vocabulary on %zu pretraining articles", e->vocab_size,
             pre->n);
    char **texts = xcalloc(pre->n + 1, sizeof *texts);
    size_t *lens = xcalloc(pre->n + 1, sizeof *lens);
    for (size_t i = 0; i < pre->n; i++)
        texts[i] = corpus_format(corpus_get(c, pre->idx[i]), &lens[i]);
    TokenizerTrainOpts to = TOKENIZER_TRAIN_DEFAULTS;
    to.vocab_size = (int)e->vocab_size;
    st = tokenizer_train((const char *const *)texts, lens, pre->n, &to, &d->tok);
    for (size_t i = 0; i < pre->n; i++) free(texts[i]);
    free(texts);
    free(lens);
    if (!st) st = paths_mkdirs(path);
    if (!st) st = tokenizer_save_dir(d->tok, path);
    return st;
}

int exp_data_load(ExpData *d, const ExpConfig *e, const char *dir, const ExpRunOpts *o)
{
    memset(d, 0, sizeof *d);
    char root[4096], abp[4200], files[7][4400];
    if (e->root[0]) snprintf(root, sizeof root, "%s", e->root);
    else paths_data_root(root, sizeof root);
    snprintf(abp, sizeof abp, "%s/abp", root);
    snprintf(d->root, sizeof d->root, "%s", root);
    for (int k = 0; k < 7; k++)
        snprintf(files[k], sizeof files[k], "%s/%s", abp, corpus_abp_files[k]);
    CorpusSet splits[6] = {{0}};
    CorpusPlanOpts po = CORPUS_PLAN_DEFAULTS;
    po.seed = (uint64_t)e->corpus_seed;
    po.per_class = (int)e->per_class;
    po.center_only = (int)e->center_only;
    po.quality = (int)e->quality;
    for (int k = 0; k < 3; k++) po.mix[k] = e->mix.v[k];
    int st = corpus_load(&d->corpus, files[0]);
    for (int k = 0; k < 6 && !st; k++) st = corpus_split_load(d->corpus, files[k + 1], &splits[k]);
    if (!st) st = corpus_plan(d->corpus, splits, &po, &d->plan);
    for (int k = 0; k < 6; k++) corpus_set_release(&splits[k]);
    if (st) return st;
    d->have_plan = 1;
    size_t npre;
    size_t *pre = spaced(&d->plan.set[CORPUS_SET_PRETRAIN], (size_t)e->base_docs, &npre);
    CorpusSet pre_set = {.idx = pre, .n = npre};
    if ((st = load_vocab(d, e, dir, d->corpus, &pre_set, o))) goto done;
    d->V = tokenizer_vocab_size(d->tok);
    d->eot = tokenizer_eot(d->tok);
    if (d->eot < 0) {
        st = err_set(ERR_INVAL, "data.vocab: the vocabulary has no <|endoftext|> token");
        goto done;
    }
    const CorpusSet *F = &d->plan.set[CORPUS_SET_FINETUNE],
                    *C = &d->plan.set[CORPUS_SET_FINETUNE_CENTER];
    d->n_prompts[0] = F->n;
    d->prompts[0] = xcalloc(F->n, sizeof(ExpArticle));
    encode_articles(d->tok, d->corpus, F->idx, F->n, d->prompts[0]);
    d->n_prompts[1] = C->n;
    d->prompts[1] = xcalloc(C->n, sizeof(ExpArticle));
    encode_articles(d->tok, d->corpus, C->idx, C->n, d->prompts[1]);
    if (!e->base_model[0]) {
        d->n_pre = npre;
        d->pre = xcalloc(npre ? npre : 1, sizeof(ExpArticle));
        encode_articles(d->tok, d->corpus, pre, npre, d->pre);
    }
done:
    free(pre);
    return st;
}

void exp_data_release(ExpData *d)
{
    for (int k = 0; k < 2; k++) exp_articles_release(d->prompts[k], d->n_prompts[k]);
    exp_articles_release(d->pre, d->n_pre);
    tokenizer_free(d->tok);
    if (d->have_plan) corpus_plan_release(&d->plan);
    corpus_free(d->corpus);
    memset(d, 0, sizeof *d);
}

/* Body tokens kept: max_blocks blocks (all when 0). */
static size_t body_keep(const ExpArticle *a, long max_blocks, long block)
{
    size_t n = a->body.n;
    if (max_blocks > 0 && n > (size_t)(max_blocks * block)) n = (size_t)(max_blocks * block);
    return n;
}

void exp_real_doc(TrainDocs *out, const ExpArticle *a, const ExpConfig *e, int blocks, int eot,
                  size_t max_len)
{
    size_t nb = blocks ? body_keep(a, e->max_blocks, e->block) : a->body.n, nt = a->title.n;
    size_t n = nt + nb;
    if (max_len && n > max_len) n = max_len;
    int *t = xmalloc((n + 1) * sizeof *t);
    for (size_t k = 0; k < n; k++) t[k] = k < nt ? a->title.ids[k] : a->body.ids[k - nt];
    t[n] = eot;
    train_docs_push(out, t, n + 1);
    free(t);
}

int exp_generate(Gen *g, const ExpArticle *arts, size_t n, const ExpConfig *e, int eot,
                 uint64_t seed, TrainDocs *out, Progress *prog)
{
    const int **titles = xcalloc(n, sizeof *titles), **bodies = xcalloc(n, sizeof *bodies);
    int *tl = xcalloc(n, sizeof *tl), *bl = xcalloc(n, sizeof *bl),
        **outs = xcalloc(n, sizeof *outs);
    int *ol = xcalloc(n, sizeof *ol);
    int block = (int)e->block;
    for (size_t i = 0; i < n; i++) {
        /* the title prompt is one block: its last `block` tokens when longer */
        int len = (int)arts[i].title.n, skip = len > block ? len - block : 0;
        titles[i] = arts[i].title.ids + skip;
        tl[i] = len - skip;
        bodies[i] = arts[i].body.ids;
        bl[i] = (int)body_keep(&arts[i], e->max_blocks, e->block);
    }
    GenOpts go = gen_opts_default();
    go.max_new = (int)e->new_tokens;
    go.greedy = e->greedy;
    go.temperature = (float)e->temperature;
    go.top_k = (int)e->top_k;
    go.top_p = (float)e->top_p;
    go.eot = eot;
    go.seed = seed;
    int st = dp_gen_blocks_many(g, titles, tl, bodies, bl, n, block, &go, outs, ol, prog);
    if (!st) {
        for (size_t i = 0; i < n; i++) {
            size_t nt = arts[i].title.n, len = nt + (size_t)ol[i];
            int *t = xmalloc((len + 1) * sizeof *t);
            for (size_t k = 0; k < nt; k++) t[k] = arts[i].title.ids[k];
            for (int k = 0; k < ol[i]; k++) t[nt + (size_t)k] = outs[i][k];
            t[len] = eot;
            train_docs_push(out, t, len + 1);
            free(t);
        }
    }
    for (size_t i = 0; i < n; i++) free(outs[i]);
    free(titles);
    free(bodies);
    free(tl);
    free(bl);
    free(outs);
    free(ol);
    return st;
}

int exp_docs_write(const char *path, const TrainDocs *d, int V)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return err_set(ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    unsigned char h[32] = {0};
    memcpy(h, CORPUS_TOKENS_MAGIC, 8);
    uint32_t ver = CORPUS_TOKENS_VERSION, vs = (uint32_t)V, dt = V <= 65536 ? 2 : 4;
    uint64_t n = d->n_tok;
    memcpy(h + 8, &ver, 4); /* little-endian hosts only, as models/checkpoint */
    memcpy(h + 12, &vs, 4);
    memcpy(h + 16, &n, 8);
    memcpy(h + 24, &dt, 4);
    int ok = fwrite(h, 1, 32, f) == 32;
    for (size_t i = 0; i < d->n_tok && ok; i++) {
        uint32_t t = (uint32_t)d->tok[i];
        if (dt == 2) {
            uint16_t s = (uint16_t)t;
            ok = fwrite(&s, 2, 1, f) == 1;
        } else {
            ok = fwrite(&t, 4, 1, f) == 1;
        }
    }
    if (fclose(f) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return err_set(ERR_IO, "cannot write '%s'", path);
    }
    return ERR_OK;
}
