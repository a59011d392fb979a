/* corpus: loading and validating ABP, seeded set plans, token files. Determinism: each draw is a
 * shuffle with its own PCG64 stream (seed, RNG_PURPOSE_DATA_SPLIT, k) over indices in corpus
 * order, so the sets depend only on the file and the options, never on threads or hashing. */
#include "corpus.h"

#include <cJSON.h>
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "err.h"
#include "progress.h"
#include "rng.h"
#include "xalloc.h"

struct Corpus {
    CorpusArticle *a;
    size_t n, cap;
    uint32_t *slot; /* ID -> index + 1, open addressing */
    size_t mask;
};

/* ---- Loading --------------------------------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

long corpus_find(const Corpus *c, const char *id)
{
    if (!c->slot) return -1;
    for (size_t i = hash_str(id) & c->mask; c->slot[i]; i = (i + 1) & c->mask)
        if (strcmp(c->a[c->slot[i] - 1].id, id) == 0) return (long)c->slot[i] - 1;
    return -1;
}

static void index_put(Corpus *c, size_t k)
{
    size_t i = hash_str(c->a[k].id) & c->mask;
    while (c->slot[i]) i = (i + 1) & c->mask;
    c->slot[i] = (uint32_t)k + 1;
}

/* One line of any length into *buf; its length without '\n', or -1 at the end. */
static long gz_line(gzFile f, char **buf, size_t *cap)
{
    size_t n = 0;
    if (!*cap) *buf = xmalloc(*cap = 1 << 16);
    for (;;) {
        if (!gzgets(f, *buf + n, (int)(*cap - n))) return n ? (long)n : -1;
        n += strlen(*buf + n);
        if (n && (*buf)[n - 1] == '\n') {
            (*buf)[--n] = '\0';
            if (n && (*buf)[n - 1] == '\r') (*buf)[--n] = '\0';
            return (long)n;
        }
        if (n + 1 < *cap) return (long)n;
        *buf = xrealloc(*buf, *cap *= 2);
    }
}

static int gz_check(gzFile f, const char *path, long line)
{
    int err;
    const char *msg = gzerror(f, &err);
    if (err != Z_OK && err != Z_STREAM_END)
        return err_set(ERR_INVAL, "%s:%ld: corrupt gzip stream (%s)", path, line, msg);
    return ERR_OK;
}

static const char *field_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int parse_article(Corpus *c, const char *line, size_t n, const char *path, long lineno)
{
    static const char *names[] = {"ID", "title", "content_original", "source"};
    cJSON *o = cJSON_ParseWithLength(line, n);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return err_set(ERR_INVAL, "%s:%ld: malformed JSON (expected an object)", path, lineno);
    }
    const char *f[4];
    for (int k = 0; k < 4; k++)
        if (!(f[k] = field_str(o, names[k]))) {
            cJSON_Delete(o);
            return err_set(ERR_INVAL, "%s:%ld: missing or non-string field '%s'", path, lineno,
                           names[k]);
        }
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "bias");
    double bias = cJSON_IsNumber(b) ? b->valuedouble : -1;
    if (!(bias == 0 || bias == 1 || bias == 2)) {
        cJSON_Delete(o);
        return err_set(ERR_INVAL, "%s:%ld: field 'bias' must be 0, 1 or 2", path, lineno);
    }
    if (corpus_find(c, f[0]) >= 0) {
        int st = err_set(ERR_INVAL, "%s:%ld: duplicate ID '%s'", path, lineno, f[0]);
        cJSON_Delete(o);
        return st;
    }
    if (c->n == c->cap) c->a = xrealloc(c->a, (c->cap = 2 * c->cap + 1024) * sizeof *c->a);
    c->a[c->n] =
        (CorpusArticle){xstrdup(f[0]), xstrdup(f[1]), xstrdup(f[2]), xstrdup(f[3]), (int)bias};
    if (2 * (c->n + 1) > c->mask + 1) {
        free(c->slot);
        c->mask = c->mask ? 2 * c->mask + 1 : 4095;
        c->slot = xcalloc(c->mask + 1, sizeof *c->slot);
        for (size_t k = 0; k < c->n; k++) index_put(c, k);
    }
    index_put(c, c->n++);
    cJSON_Delete(o);
    return ERR_OK;
}

int corpus_load(Corpus **out, const char *path)
{
    *out = NULL;
    gzFile f = gzopen(path, "rb");
    if (!f) return err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    gzbuffer(f, 1 << 17);
    Corpus *c = xcalloc(1, sizeof *c);
    char *line = NULL;
    size_t cap = 0;
    long n, lineno = 0;
    int st = ERR_OK;
    while (!st && (n = gz_line(f, &line, &cap)) >= 0) {
        lineno++;
        if (n > 0) st = parse_article(c, line, (size_t)n, path, lineno);
        /* a line cut by a truncated or corrupt stream: the stream is the problem */
        if (st && gz_check(f, path, lineno)) st = ERR_INVAL;
    }
    if (!st) st = gz_check(f, path, lineno + 1);
    free(line);
    gzclose(f);
    if (st)
        corpus_free(c);
    else
        *out = c;
    return st;
}

void corpus_free(Corpus *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        CorpusArticle *a = &c->a[i];
        free((char *)a->id), free((char *)a->title), free((char *)a->body), free((char *)a->source);
    }
    free(c->a), free(c->slot), free(c);
}

size_t corpus_size(const Corpus *c) { return c->n; }
const CorpusArticle *corpus_get(const Corpus *c, size_t i) { return i < c->n ? &c->a[i] : NULL; }

char *corpus_format(const CorpusArticle *a, size_t *len)
{
    size_t n = strlen(a->title) + strlen(a->body) + 16;
    char *s = xmalloc(n);
    *len = (size_t)snprintf(s, n, "title: %s\nbody: %s", a->title, a->body);
    return s;
}

/* ---- Sets and splits ------------------------------------------------------------------------- */

void corpus_set_release(CorpusSet *s)
{
    if (!s) return;
    free(s->idx);
    s->idx = NULL;
    s->n = 0;
}

void corpus_set_counts(const Corpus *c, const CorpusSet *s, size_t counts[CORPUS_NCLASS])
{
    for (int k = 0; k < CORPUS_NCLASS; k++) counts[k] = 0;
    for (size_t i = 0; i < s->n; i++) counts[c->a[s->idx[i]].bias]++;
}

int corpus_split_load(const Corpus *c, const char *tsv, CorpusSet *out)
{
    out->idx = NULL;
    out->n = 0;
    gzFile f = gzopen(tsv, "rb");
    if (!f) return err_set(ERR_IO, "cannot open '%s': %s", tsv, strerror(errno));
    char *line = NULL, *seen = xcalloc(c->n + 1, 1);
    size_t cap = 0, cap_idx = 0;
    long n, lineno = 0;
    int st = ERR_OK;
    while (!st && (n = gz_line(f, &line, &cap)) >= 0) {
        if (++lineno == 1) {
            if (strcmp(line, "ID\tbias") != 0)
                st = err_set(ERR_INVAL, "%s:1: expected the header 'ID<TAB>bias'", tsv);
            continue;
        }
        if (n == 0) continue;
        char *tab = strchr(line, '\t'), *end;
        long bias = tab ? strtol(tab + 1, &end, 10) : -1;
        if (!tab || end == tab + 1 || *end || bias < 0 || bias > 2) {
            st = err_set(ERR_INVAL, "%s:%ld: expected 'ID<TAB>bias' with bias 0, 1 or 2", tsv,
                         lineno);
            break;
        }
        *tab = '\0';
        long k = corpus_find(c, line);
        if (k < 0)
            st = err_set(ERR_INVAL, "%s:%ld: ID '%s' is not in the corpus", tsv, lineno, line);
        else if (c->a[k].bias != bias)
            st = err_set(ERR_INVAL, "%s:%ld: ID '%s' has bias %ld here but %d in the corpus", tsv,
                         lineno, line, bias, c->a[k].bias);
        else if (seen[k])
            st = err_set(ERR_INVAL, "%s:%ld: ID '%s' repeated", tsv, lineno, line);
        if (st) break;
        seen[k] = 1;
        if (out->n == cap_idx)
            out->idx = xrealloc(out->idx, (cap_idx = 2 * cap_idx + 1024) * sizeof *out->idx);
        out->idx[out->n++] = (size_t)k;
    }
    if (!st) st = gz_check(f, tsv, lineno + 1);
    if (!st && lineno == 0) st = err_set(ERR_INVAL, "%s: empty file", tsv);
    free(line), free(seen);
    gzclose(f);
    if (st) corpus_set_release(out);
    return st;
}

const char *corpus_set_name(int k)
{
    static const char *names[CORPUS_NSETS] = {
        "finetune",     "finetune_center", "quality",     "pretrain",    "random_train",
        "random_valid", "random_test",     "media_train", "media_valid", "media_test"};
    return k >= 0 && k < CORPUS_NSETS ? names[k] : "?";
}

/* Seeded permutation of the indices i (corpus order) with keep[i] and bias class (or any class if
 * cls < 0). Stream k of (seed, RNG_PURPOSE_DATA_SPLIT). Returns the count; *perm is new. */
static size_t shuffled(const Corpus *c, const char *keep, int cls, uint64_t seed, uint64_t k,
                       size_t **perm)
{
    size_t n = 0;
    *perm = xmalloc((c->n + 1) * sizeof **perm);
    for (size_t i = 0; i < c->n; i++)
        if (keep[i] && (cls < 0 || c->a[i].bias == cls)) (*perm)[n++] = i;
    gsl_rng *r = gsl_rng_alloc(rng_pcg64);
    rng_seed_stream(r, seed, rng_hash3(seed, RNG_PURPOSE_DATA_SPLIT, k));
    if (n > 1) gsl_ran_shuffle(r, *perm, n, sizeof **perm);
    gsl_rng_free(r);
    return n;
}

/* The set {i : mark[i] == v} in corpus order. */
static void collect(const Corpus *c, const char *mark, char v, CorpusSet *s)
{
    s->n = 0;
    s->idx = xmalloc((c->n + 1) * sizeof *s->idx);
    for (size_t i = 0; i < c->n; i++)
        if (mark[i] == v) s->idx[s->n++] = i;
}

enum { FREE = 0, RESERVED, FT, FT_CENTER, QUALITY, PRETRAIN };
static const char *const class_name[CORPUS_NCLASS] = {"left", "center", "right"};

int corpus_plan(const Corpus *c, const CorpusSet splits[6], const CorpusPlanOpts *o,
                CorpusPlan *out)
{
    memset(out, 0, sizeof *out);
    double sum = 0;
    for (int k = 0; k < CORPUS_NCLASS; k++) {
        if (!(o->mix[k] >= 0))
            return err_set(ERR_INVAL, "mix[%d] = %g: must be >= 0", k, o->mix[k]);
        sum += o->mix[k];
    }
    if (fabs(sum - 1) > 1e-6) return err_set(ERR_INVAL, "the class mix sums to %g, not 1", sum);
    if (o->per_class < 0 || o->center_only < 0 || o->quality < 0)
        return err_set(ERR_INVAL, "per_class, center_only and quality must be >= 0");
    char *mark = xcalloc(c->n + 1, 1), *keep = xcalloc(c->n + 1, 1);
    size_t *perm = NULL, m;
    int st = ERR_OK;
    for (int k = 0; k < 6; k += 3) /* random/test and media/test (indices 2 and 5) */
        for (size_t i = 0; i < splits[k + 2].n; i++) mark[splits[k + 2].idx[i]] = RESERVED;
    for (size_t i = 0; i < c->n; i++) keep[i] = mark[i] == FREE;
    char *center = xcalloc(c->n + 1, 1); /* the center-only set */
    for (int cls = 0; cls < CORPUS_NCLASS && !st; cls++) {
        size_t want = (size_t)o->per_class;
        if (cls == CORPUS_CENTER && (size_t)o->center_only > want) want = (size_t)o->center_only;
        m = shuffled(c, keep, cls, o->seed, (uint64_t)cls, &perm);
        if (m < want)
            st = err_set(ERR_INVAL, "class %d (%s) has %zu usable articles; fine-tuning needs %zu",
                         cls, class_name[cls], m, want);
        for (size_t i = 0; !st && i < want; i++) {
            mark[perm[i]] = i < (size_t)o->per_class ? FT : FT_CENTER;
            if (cls == CORPUS_CENTER) center[perm[i]] = i < (size_t)o->center_only;
        }
        free(perm);
    }
    if (!st) {
        collect(c, center, 1, &out->set[CORPUS_SET_FINETUNE_CENTER]);
        for (size_t i = 0; i < c->n; i++) keep[i] = mark[i] == FREE;
        m = shuffled(c, keep, -1, o->seed, 3, &perm);
        if (m < (size_t)o->quality)
            st = err_set(ERR_INVAL, "%zu articles left; the quality set needs %d", m, o->quality);
        for (size_t i = 0; !st && i < (size_t)o->quality; i++) mark[perm[i]] = QUALITY;
        free(perm);
    }
    if (!st) { /* pretraining: the largest N with floor(mix[c] N) <= available[c] for all c */
        size_t avail[CORPUS_NCLASS] = {0};
        for (size_t i = 0; i < c->n; i++) avail[c->a[i].bias] += mark[i] == FREE;
        double N = INFINITY;
        for (int k = 0; k < CORPUS_NCLASS; k++)
            if (o->mix[k] > 0 && (double)avail[k] / o->mix[k] < N) N = (double)avail[k] / o->mix[k];
        for (size_t i = 0; i < c->n; i++) keep[i] = mark[i] == FREE;
        for (int k = 0; k < CORPUS_NCLASS; k++) {
            size_t take = (size_t)floor(o->mix[k] * N + 1e-9);
            if (take > avail[k]) take = avail[k];
            shuffled(c, keep, k, o->seed, 4 + (uint64_t)k, &perm);
            for (size_t i = 0; i < take; i++) mark[perm[i]] = PRETRAIN;
            free(perm);
        }
    }
    if (!st) {
        collect(c, mark, FT, &out->set[CORPUS_SET_FINETUNE]);
        collect(c, mark, QUALITY, &out->set[CORPUS_SET_QUALITY]);
        collect(c, mark, PRETRAIN, &out->set[CORPUS_SET_PRETRAIN]);
        char *drop = xcalloc(c->n + 1, 1);
        for (size_t i = 0; i < c->n; i++) drop[i] = mark[i] == FT || center[i];
        for (int k = 0; k < 6; k++) {
            CorpusSet *s = &out->set[CORPUS_SET_RANDOM_TRAIN + k];
            char *in = xcalloc(c->n + 1, 1);
            for (size_t i = 0; i < splits[k].n; i++) in[splits[k].idx[i]] = !drop[splits[k].idx[i]];
            collect(c, in, 1, s);
            free(in);
        }
        free(drop);
    }
    free(mark), free(keep), free(center);
    if (st) corpus_plan_release(out);
    return st;
}

void corpus_plan_release(CorpusPlan *p)
{
    for (int k = 0; k < CORPUS_NSETS; k++) corpus_set_release(&p->set[k]);
}

/* ---- Token files ----------------------------------------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* Encoded documents in token-file layout: article i's tokens (its formatted text, then EOT) are
 * bytes [off[i], off[i + 1]) of tok, each token dtype bytes little-endian. The sets of a plan
 * overlap (about 2.3 encodings per article with the default plan), so corpus_write_plan encodes
 * each article once into one cache and writes every set from it. */
typedef struct {
    unsigned char *tok;
    size_t *off; /* n_articles + 1 offsets; an article not encoded has an empty range */
    size_t cap;
    uint32_t dtype;
    int V;
} TokCache;

/* Encodes the articles with want[i] in corpus order, CHUNK at a time in parallel. Progress counts
 * articles. ERR_INVAL if the vocabulary has no EOT. */
static int cache_encode(TokCache *tc, const Tokenizer *tok, const Corpus *c, const char *want,
                        int threads, Progress *pr)
{
    enum { CHUNK = 512 };
    int eot = tokenizer_eot(tok);
    tc->V = tokenizer_vocab_size(tok);
    tc->dtype = tc->V <= 65536 ? 2 : 4;
    tc->tok = NULL;
    tc->off = NULL;
    tc->cap = 0;
    if (eot < 0) return err_set(ERR_INVAL, "the vocabulary has no " TOKENIZER_EOT_TEXT);
    tc->off = xcalloc(c->n + 1, sizeof *tc->off);
    char *docs[CHUNK];
    size_t lens[CHUNK], used = 0, i = 0;
    TokenizerIds ids[CHUNK];
    long done = 0;
    while (i < c->n) { /* a chunk: articles [first, i) of which n are wanted */
        size_t n = 0, first = i;
        for (; i < c->n && n < CHUNK; i++)
            if (want[i]) {
                docs[n] = corpus_format(&c->a[i], &lens[n]);
                ids[n++] = (TokenizerIds){0};
            }
        tokenizer_encode_batch(tok, (const char *const *)docs, lens, n, 0, threads, ids);
        for (size_t j = first, d = 0; j < i; j++) {
            tc->off[j] = used;
            if (!want[j]) continue;
            tokenizer_ids_push(&ids[d], eot);
            size_t need = used + ids[d].n * tc->dtype;
            if (need > tc->cap) tc->tok = xrealloc(tc->tok, tc->cap = 2 * need + (1 << 20));
            unsigned char *p = tc->tok + used;
            for (size_t k = 0; k < ids[d].n; k++, p += tc->dtype) {
                uint32_t t = (uint32_t)ids[d].ids[k];
                p[0] = (unsigned char)t, p[1] = (unsigned char)(t >> 8);
                if (tc->dtype == 4)
                    p[2] = (unsigned char)(t >> 16), p[3] = (unsigned char)(t >> 24);
            }
            used = need;
            free(docs[d]);
            tokenizer_ids_release(&ids[d++]);
        }
        if (pr) progress_update(pr, done += (long)n);
    }
    tc->off[c->n] = used;
    return ERR_OK;
}

static void cache_release(TokCache *tc)
{
    free(tc->tok), free(tc->off);
    tc->tok = NULL, tc->off = NULL;
}

/* Writes the set's documents from the cache (every one must have been encoded). */
static int cache_write(const TokCache *tc, const char *path, const Corpus *c, const CorpusSet *s,
                       uint64_t tokens[CORPUS_NCLASS])
{
    FILE *f = fopen(path, "wb");
    if (!f) return err_set(ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    unsigned char hdr[32] = CORPUS_TOKENS_MAGIC;
    uint64_t total = 0, per[CORPUS_NCLASS] = {0};
    for (size_t i = 0; i < s->n; i++) {
        size_t k = s->idx[i], bytes = tc->off[k + 1] - tc->off[k];
        total += bytes / tc->dtype;
        per[c->a[k].bias] += bytes / tc->dtype;
    }
    put_u32(hdr + 8, CORPUS_TOKENS_VERSION);
    put_u32(hdr + 12, (uint32_t)tc->V);
    put_u64(hdr + 16, total);
    put_u32(hdr + 24, tc->dtype);
    fwrite(hdr, 1, sizeof hdr, f);
    for (size_t i = 0; i < s->n; i++) {
        size_t k = s->idx[i];
        fwrite(tc->tok + tc->off[k], 1, tc->off[k + 1] - tc->off[k], f);
    }
    if (ferror(f) | fclose(f)) return err_set(ERR_IO, "cannot write '%s'", path);
    if (tokens)
        for (int k = 0; k < CORPUS_NCLASS; k++) tokens[k] = per[k];
    return ERR_OK;
}

int corpus_tokens_write(const char *path, const Tokenizer *tok, const Corpus *c, const CorpusSet *s,
                        uint64_t tokens[CORPUS_NCLASS])
{
    char *want = xcalloc(c->n + 1, 1);
    for (size_t i = 0; i < s->n; i++) want[s->idx[i]] = 1;
    TokCache tc;
    int st = cache_encode(&tc, tok, c, want, 0, NULL);
    if (!st) st = cache_write(&tc, path, c, s, tokens);
    cache_release(&tc);
    free(want);
    return st;
}

int corpus_tokens_read(const char *path, TokenizerIds *out, int *vocab_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    unsigned char hdr[32], b[4];
    int st = ERR_OK;
    if (fread(hdr, 1, 32, f) != 32 || memcmp(hdr, CORPUS_TOKENS_MAGIC, 8) != 0) {
        st = err_set(ERR_INVAL, "%s: not a token file (bad magic or short header)", path);
        goto done;
    }
    uint64_t version = get_le(hdr + 8, 4), V = get_le(hdr + 12, 4), n = get_le(hdr + 16, 8);
    uint64_t dtype = get_le(hdr + 24, 4);
    if (version != CORPUS_TOKENS_VERSION || (dtype != 2 && dtype != 4) || V == 0 || V > INT32_MAX) {
        st = err_set(ERR_INVAL, "%s: unsupported version %llu, dtype %llu or vocab size %llu", path,
                     (unsigned long long)version, (unsigned long long)dtype, (unsigned long long)V);
        goto done;
    }
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1; /* n * dtype could wrap: divide */
    if (size < 32 || (uint64_t)(size - 32) % dtype != 0 || (uint64_t)(size - 32) / dtype != n) {
        st = err_set(ERR_INVAL, "%s: header says %llu tokens but the file size disagrees", path,
                     (unsigned long long)n);
        goto done;
    }
    fseek(f, 32, SEEK_SET);
    for (uint64_t i = 0; i < n; i++) {
        if (fread(b, 1, dtype, f) != dtype) {
            st = err_set(ERR_IO, "cannot read '%s'", path);
            goto done;
        }
        uint64_t t = get_le(b, (int)dtype);
        if (t >= V) {
            st = err_set(ERR_INVAL, "%s: token %llu is %llu, outside the vocabulary", path,
                         (unsigned long long)i, (unsigned long long)t);
            goto done;
        }
        tokenizer_ids_push(out, (int32_t)t);
    }
    if (vocab_size) *vocab_size = (int)V;
done:
    fclose(f);
    return st;
}

/* summary.csv: one row per (set, class), numeric codes; names in the metadata. */
static int write_summary(const char *path, const CorpusWriteOpts *o, int V,
                         uint64_t sum[CORPUS_NSETS][CORPUS_NCLASS][2])
{
    static const char *const cols[] = {"set", "class", "articles", "tokens"};
    char codes[512];
    size_t k = 0;
    CsvLog *log;
    int st = csvlog_open(&log, path, "corpus_summary", o->run);
    if (st) return st;
    for (int j = 0; j < CORPUS_NSETS; j++)
        k += (size_t)snprintf(codes + k, sizeof codes - k, "%s%d:%s", j ? " " : "", j,
                              corpus_set_name(j));
    csvlog_meta(log, "set_codes", "%s", codes);
    csvlog_meta(log, "class_codes", "0:%s 1:%s 2:%s", class_name[0], class_name[1], class_name[2]);
    if (o->plan) {
        const CorpusPlanOpts *p = o->plan;
        csvlog_meta(log, "plan_seed", "%llu", (unsigned long long)p->seed);
        csvlog_meta(log, "per_class", "%d", p->per_class);
        csvlog_meta(log, "center_only", "%d", p->center_only);
        csvlog_meta(log, "quality", "%d", p->quality);
        csvlog_meta(log, "mix", "%.17g %.17g %.17g", p->mix[0], p->mix[1], p->mix[2]);
    }
    const char *where[2][2] = {{"data", o->data}, {"vocab", o->vocab}};
    for (int j = 0; j < 2; j++)
        if (where[j][1]) { /* a path is user input: keep the metadata one line */
            char *v = xstrdup(where[j][1]);
            for (char *q = v; *q; q++)
                if (*q == '\n' || *q == '\r') *q = ' ';
            csvlog_meta(log, where[j][0], "%s", v);
            free(v);
        }
    csvlog_meta(log, "vocab_size", "%d", V);
    csvlog_meta(log, "token_dtype_bytes", "%d", V <= 65536 ? 2 : 4);
    csvlog_meta(log, "eot_per_document", "1");
    st = csvlog_header(log, cols, 4);
    for (int j = 0; !st && j < CORPUS_NSETS; j++)
        for (int c = 0; !st && c < CORPUS_NCLASS; c++)
            st = csvlog_row(log, (double[]){j, c, (double)sum[j][c][0], (double)sum[j][c][1]});
    int st2 = csvlog_close(log, !st);
    return st ? st : st2;
}

int corpus_write_plan(const char *dir, const Tokenizer *tok, const Corpus *c, const CorpusPlan *p,
                      const CorpusWriteOpts *o, uint64_t summary[CORPUS_NSETS][CORPUS_NCLASS][2])
{
    static const CorpusWriteOpts none = {0};
    if (!o) o = &none;
    size_t n = strlen(dir) + 64;
    char *path = xmalloc(n);
    int st = ERR_OK;
    uint64_t sum[CORPUS_NSETS][CORPUS_NCLASS][2] = {{{0}}};
    char *want = xcalloc(c->n + 1, 1);
    long total = 0;
    for (int k = 0; k < CORPUS_NSETS; k++)
        for (size_t i = 0; i < p->set[k].n; i++) want[p->set[k].idx[i]] = 1;
    for (size_t i = 0; i < c->n; i++) total += want[i];
    Progress pr;
    TokCache tc;
    if (o->progress) progress_start(&pr, "tokenising articles", total);
    st = cache_encode(&tc, tok, c, want, o->threads, o->progress ? &pr : NULL);
    if (o->progress) progress_end(&pr);
    for (int k = 0; k < CORPUS_NSETS && !st; k++) {
        const CorpusSet *s = &p->set[k];
        snprintf(path, n, "%s/%s.ids", dir, corpus_set_name(k));
        FILE *f = fopen(path, "w");
        if (!f) {
            st = err_set(ERR_IO, "cannot create '%s': %s", path, strerror(errno));
            break;
        }
        for (size_t i = 0; i < s->n; i++) fprintf(f, "%s\n", c->a[s->idx[i]].id);
        if (ferror(f) | fclose(f)) st = err_set(ERR_IO, "cannot write '%s'", path);
        size_t counts[CORPUS_NCLASS];
        uint64_t tokens[CORPUS_NCLASS];
        corpus_set_counts(c, s, counts);
        snprintf(path, n, "%s/%s.tok", dir, corpus_set_name(k));
        if (!st) st = cache_write(&tc, path, c, s, tokens);
        for (int cls = 0; !st && cls < CORPUS_NCLASS; cls++)
            sum[k][cls][0] = counts[cls], sum[k][cls][1] = tokens[cls];
    }
    cache_release(&tc);
    free(want);
    if (!st) {
        snprintf(path, n, "%s/summary.csv", dir);
        st = write_summary(path, o, tokenizer_vocab_size(tok), sum);
    }
    if (summary) memcpy(summary, sum, sizeof sum);
    free(path);
    return st;
}

/* ---- One call ------------------------------------------------------------------------------- */

const char *const corpus_abp_files[7] = {"articles.jsonl.gz",       "splits/random/train.tsv",
                                         "splits/random/valid.tsv", "splits/random/test.tsv",
                                         "splits/media/train.tsv",  "splits/media/valid.tsv",
                                         "splits/media/test.tsv"};

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int corpus_build(const CorpusBuildOpts *o, CorpusBuildResult *r)
{
    memset(r, 0, sizeof *r);
    double t0 = wall();
    size_t n = strlen(o->abp_dir) + 64;
    char *path = xmalloc(n);
    Corpus *c = NULL;
    Tokenizer *tok = NULL;
    CorpusSet sp[6] = {{0}};
    CorpusPlan plan = {{{0}}};
    int st = tokenizer_load_dir(&tok, o->vocab_dir); /* first: it fails fast */
    if (!st && tokenizer_eot(tok) < 0)
        st = err_set(ERR_INVAL, "%s: the vocabulary has no %s token", o->vocab_dir,
                     TOKENIZER_EOT_TEXT);
    snprintf(path, n, "%s/%s", o->abp_dir, corpus_abp_files[0]);
    if (!st) st = corpus_load(&c, path);
    for (int k = 0; k < 6 && !st; k++) {
        snprintf(path, n, "%s/%s", o->abp_dir, corpus_abp_files[k + 1]);
        st = corpus_split_load(c, path, &sp[k]);
    }
    if (!st) st = corpus_plan(c, sp, &o->plan, &plan);
    if (!st) {
        r->n_articles = c->n;
        for (size_t i = 0; i < c->n; i++) r->by_class[c->a[i].bias]++;
        r->vocab_size = tokenizer_vocab_size(tok);
        r->load_s = wall() - t0;
        CorpusWriteOpts w = o->write;
        w.plan = &o->plan, w.vocab = o->vocab_dir, w.data = o->abp_dir;
        t0 = wall();
        st = corpus_write_plan(o->out_dir, tok, c, &plan, &w, r->summary);
        r->write_s = wall() - t0;
    }
    corpus_plan_release(&plan);
    for (int k = 0; k < 6; k++) corpus_set_release(&sp[k]);
    tokenizer_free(tok);
    corpus_free(c);
    free(path);
    return st;
}
