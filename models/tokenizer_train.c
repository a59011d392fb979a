/* tokenizer_train: byte-level BPE training on GPT-2 pre-tokens, written in the same two-file
 * format. Counts run over unique pre-tokens weighted by frequency; each merge updates only the
 * words that contain the merged pair, and a lazy max-heap picks the next pair, so a merge costs
 * O(occurrences), not a recount. The tie rule (tokenizer.h) makes the result deterministic. */
#include "tokenizer.h"

#include <cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "err.h"
#include "xalloc.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- Pre-token counts ------------------------------------------------------------------------ */

typedef struct {
    uint64_t h;
    size_t off; /* into TokenizerTrainer.bytes */
    uint32_t len;
    int64_t freq;
} WordEnt;

struct TokenizerTrainer {
    uint32_t *slot; /* 0 empty, else word index + 1 */
    size_t mask;
    WordEnt *w;
    size_t n_w, cap_w;
    char *bytes;
    size_t n_bytes, cap_bytes;
    size_t docs, total_bytes, pieces;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, 64 bit */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

TokenizerTrainer *tokenizer_trainer_alloc(void)
{
    TokenizerTrainer *tr = xcalloc(1, sizeof *tr);
    tr->mask = 4095;
    tr->slot = xcalloc(tr->mask + 1, sizeof *tr->slot);
    return tr;
}

void tokenizer_trainer_free(TokenizerTrainer *tr)
{
    if (!tr) return;
    free(tr->slot), free(tr->w), free(tr->bytes), free(tr);
}

static void trainer_count(TokenizerTrainer *tr, const char *s, size_t n, int64_t freq)
{
    uint64_t h = hash_bytes(s, n);
    size_t i = h & tr->mask;
    for (; tr->slot[i]; i = (i + 1) & tr->mask) {
        WordEnt *e = &tr->w[tr->slot[i] - 1];
        if (e->h == h && e->len == n && memcmp(tr->bytes + e->off, s, n) == 0) {
            e->freq += freq;
            return;
        }
    }
    if (tr->n_w == tr->cap_w)
        tr->w = xrealloc(tr->w, (tr->cap_w = 2 * tr->cap_w + 1024) * sizeof *tr->w);
    if (tr->n_bytes + n > tr->cap_bytes) {
        while (tr->n_bytes + n > tr->cap_bytes) tr->cap_bytes = 2 * tr->cap_bytes + 65536;
        tr->bytes = xrealloc(tr->bytes, tr->cap_bytes);
    }
    memcpy(tr->bytes + tr->n_bytes, s, n);
    tr->w[tr->n_w] = (WordEnt){h, tr->n_bytes, (uint32_t)n, freq};
    tr->n_bytes += n;
    tr->slot[i] = (uint32_t)++tr->n_w;
    if (2 * tr->n_w > tr->mask + 1) { /* grow and rehash */
        free(tr->slot);
        tr->mask = 2 * (tr->mask + 1) - 1;
        tr->slot = xcalloc(tr->mask + 1, sizeof *tr->slot);
        for (size_t k = 0; k < tr->n_w; k++) {
            size_t j = tr->w[k].h & tr->mask;
            while (tr->slot[j]) j = (j + 1) & tr->mask;
            tr->slot[j] = (uint32_t)k + 1;
        }
    }
}

static int count_piece(void *ctx, const char *s, size_t n)
{
    TokenizerTrainer *tr = ctx;
    tr->pieces++;
    trainer_count(tr, s, n, 1);
    return 0;
}

void tokenizer_trainer_add(TokenizerTrainer *tr, const char *text, size_t len)
{
    tr->docs++;
    tr->total_bytes += len;
    tokenizer_pretokenize(text, len, count_piece, tr);
}

#ifdef _OPENMP
static void trainer_absorb(TokenizerTrainer *tr, const TokenizerTrainer *o)
{
    for (size_t k = 0; k < o->n_w; k++)
        trainer_count(tr, o->bytes + o->w[k].off, o->w[k].len, o->w[k].freq);
    tr->docs += o->docs, tr->total_bytes += o->total_bytes, tr->pieces += o->pieces;
}
#endif

void tokenizer_trainer_add_batch(TokenizerTrainer *tr, const char *const *texts, const size_t *lens,
                                 size_t n)
{
#ifdef _OPENMP
#pragma omp parallel
    {
        TokenizerTrainer *local = tokenizer_trainer_alloc();
#pragma omp for schedule(dynamic, 4)
        for (size_t i = 0; i < n; i++) tokenizer_trainer_add(local, texts[i], lens[i]);
#pragma omp critical(tokenizer_trainer_absorb)
        trainer_absorb(tr, local);
        tokenizer_trainer_free(local);
    }
#else
    for (size_t i = 0; i < n; i++) tokenizer_trainer_add(tr, texts[i], lens[i]);
#endif
}

void tokenizer_trainer_stats(const TokenizerTrainer *tr, size_t *docs, size_t *bytes,
                             size_t *pieces, size_t *unique)
{
    if (docs) *docs = tr->docs;
    if (bytes) *bytes = tr->total_bytes;
    if (pieces) *pieces = tr->pieces;
    if (unique) *unique = tr->n_w;
}

/* ---- Merge loop ------------------------------------------------------------------------------ */

typedef struct {
    int32_t a, b;
    int64_t count, before; /* before: count at the start of the current merge step */
    int32_t *words;        /* words that contain (or once contained) the pair */
    int32_t n_words, cap_words;
    int32_t stamp;
} Pair;

typedef struct {
    int64_t count;
    int32_t pair;
} HeapEnt;

typedef struct {
    /* tokens: bytes of id i at tok + off[i], length off[i+1] - off[i] */
    char *tok;
    size_t n_tok_bytes, cap_tok_bytes;
    size_t *off;
    int32_t n_tok, cap_tok;
    uint32_t *tslot; /* bytes -> id + 1, open addressing */
    size_t tmask;
    /* pairs: open addressing (a << 32 | b) -> index + 1 */
    Pair *pairs;
    int32_t n_pairs, cap_pairs;
    uint32_t *pslot;
    size_t pmask;
    HeapEnt *heap;
    size_t n_heap, cap_heap;
    /* words: symbols of word w at sym + woff[w], current length wlen[w] */
    int32_t *sym, *wlen, *wstamp;
    size_t *woff;
    int64_t *wfreq;
    int32_t n_words;
    int32_t *touched;
    size_t n_touched, cap_touched;
} Bpe;

static int tok_cmp(const Bpe *m, int32_t x, int32_t y)
{
    size_t nx = m->off[x + 1] - m->off[x], ny = m->off[y + 1] - m->off[y];
    int r = memcmp(m->tok + m->off[x], m->tok + m->off[y], nx < ny ? nx : ny);
    return r ? r : (nx > ny) - (nx < ny);
}

/* Heap order: higher count first; ties by the smaller left token's bytes, then the right's. */
static int heap_before(const Bpe *m, HeapEnt x, HeapEnt y)
{
    if (x.count != y.count) return x.count > y.count;
    const Pair *p = &m->pairs[x.pair], *q = &m->pairs[y.pair];
    int r = tok_cmp(m, p->a, q->a);
    return r ? r < 0 : tok_cmp(m, p->b, q->b) < 0;
}

static void heap_push(Bpe *m, int64_t count, int32_t pair)
{
    if (m->n_heap == m->cap_heap)
        m->heap = xrealloc(m->heap, (m->cap_heap = 2 * m->cap_heap + 1024) * sizeof *m->heap);
    HeapEnt x = {count, pair};
    size_t i = m->n_heap++;
    while (i > 0 && heap_before(m, x, m->heap[(i - 1) / 2]))
        m->heap[i] = m->heap[(i - 1) / 2], i = (i - 1) / 2;
    m->heap[i] = x;
}

static HeapEnt heap_pop(Bpe *m)
{
    HeapEnt top = m->heap[0], x = m->heap[--m->n_heap];
    size_t i = 0, n = m->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap_before(m, m->heap[c + 1], m->heap[c])) c++;
        if (!heap_before(m, m->heap[c], x)) break;
        m->heap[i] = m->heap[c], i = c;
    }
    m->heap[i] = x;
    return top;
}

static size_t pair_hash(int32_t a, int32_t b, size_t mask)
{
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

static int32_t pair_get(Bpe *m, int32_t a, int32_t b)
{
    size_t i = pair_hash(a, b, m->pmask);
    for (; m->pslot[i]; i = (i + 1) & m->pmask) {
        Pair *p = &m->pairs[m->pslot[i] - 1];
        if (p->a == a && p->b == b) return (int32_t)m->pslot[i] - 1;
    }
    if (m->n_pairs == m->cap_pairs)
        m->pairs =
            xrealloc(m->pairs, (size_t)(m->cap_pairs = 2 * m->cap_pairs + 4096) * sizeof *m->pairs);
    int32_t k = m->n_pairs++;
    m->pairs[k] = (Pair){.a = a, .b = b, .stamp = -1};
    m->pslot[i] = (uint32_t)k + 1;
    if (2 * (size_t)m->n_pairs > m->pmask + 1) {
        free(m->pslot);
        m->pmask = 2 * (m->pmask + 1) - 1;
        m->pslot = xcalloc(m->pmask + 1, sizeof *m->pslot);
        for (int32_t q = 0; q < m->n_pairs; q++) {
            size_t j = pair_hash(m->pairs[q].a, m->pairs[q].b, m->pmask);
            while (m->pslot[j]) j = (j + 1) & m->pmask;
            m->pslot[j] = (uint32_t)q + 1;
        }
    }
    return k;
}

/* Adds delta to a pair's count, remembering its count before this step; lists word w under the
 * pair when `list` is set. */
static void pair_add(Bpe *m, int32_t a, int32_t b, int64_t delta, int32_t w, int step, int list)
{
    int32_t k = pair_get(m, a, b); /* may move m->pairs */
    Pair *p = &m->pairs[k];
    if (p->stamp != step) {
        p->stamp = step;
        p->before = p->count;
        if (m->n_touched == m->cap_touched)
            m->touched = xrealloc(m->touched, (m->cap_touched = 2 * m->cap_touched + 1024) *
                                                  sizeof *m->touched);
        m->touched[m->n_touched++] = k;
    }
    p->count += delta;
    if (list && (p->n_words == 0 || p->words[p->n_words - 1] != w)) {
        if (p->n_words == p->cap_words)
            p->words = xrealloc(p->words,
                                (size_t)(p->cap_words = 2 * p->cap_words + 4) * sizeof *p->words);
        p->words[p->n_words++] = w;
    }
}

static void tmap_put(Bpe *m, int32_t id)
{
    size_t i = hash_bytes(m->tok + m->off[id], m->off[id + 1] - m->off[id]) & m->tmask;
    while (m->tslot[i]) i = (i + 1) & m->tmask;
    m->tslot[i] = (uint32_t)id + 1;
}

static int32_t token_add(Bpe *m, const char *s, size_t n)
{
    if (m->n_tok + 1 >= m->cap_tok)
        m->off = xrealloc(m->off, (size_t)(m->cap_tok = 2 * m->cap_tok + 512) * sizeof *m->off);
    if (m->n_tok_bytes + n > m->cap_tok_bytes)
        m->tok = xrealloc(m->tok, m->cap_tok_bytes = 2 * (m->n_tok_bytes + n) + 4096);
    memcpy(m->tok + m->n_tok_bytes, s, n);
    m->off[m->n_tok] = m->n_tok_bytes;
    m->n_tok_bytes += n;
    m->off[++m->n_tok] = m->n_tok_bytes;
    if (2 * (size_t)m->n_tok > m->tmask + 1) {
        free(m->tslot);
        m->tmask = m->tmask ? 2 * (m->tmask + 1) - 1 : 1023;
        m->tslot = xcalloc(m->tmask + 1, sizeof *m->tslot);
        for (int32_t i = 0; i < m->n_tok; i++) tmap_put(m, i);
    } else {
        tmap_put(m, m->n_tok - 1);
    }
    return m->n_tok - 1;
}

/* The id of bytes s[0..n) among the tokens so far, or -1. */
static int32_t token_find(const Bpe *m, const char *s, size_t n)
{
    for (size_t i = hash_bytes(s, n) & m->tmask; m->tslot[i]; i = (i + 1) & m->tmask) {
        int32_t id = (int32_t)m->tslot[i] - 1;
        if (m->off[id + 1] - m->off[id] == n && memcmp(m->tok + m->off[id], s, n) == 0) return id;
    }
    return -1;
}

static void bpe_release(Bpe *m)
{
    for (int32_t k = 0; k < m->n_pairs; k++) free(m->pairs[k].words);
    free(m->tok), free(m->off), free(m->tslot), free(m->pairs), free(m->pslot), free(m->heap);
    free(m->sym), free(m->wlen), free(m->wstamp), free(m->woff), free(m->wfreq), free(m->touched);
}

/* Replaces every (a, b) in word w by c, left to right, updating pair counts. */
static void merge_word(Bpe *m, int32_t w, int32_t a, int32_t b, int32_t c, int step)
{
    int32_t *s = m->sym + m->woff[w], n = m->wlen[w], j = 0;
    int64_t f = m->wfreq[w];
    int found = 0;
    for (int32_t i = 0; i + 1 < n && !found; i++) found = s[i] == a && s[i + 1] == b;
    if (!found) return; /* a stale entry in the pair's word list */
    for (int32_t i = 0; i + 1 < n; i++) pair_add(m, s[i], s[i + 1], -f, w, step, 0);
    for (int32_t i = 0; i < n;) {
        if (i + 1 < n && s[i] == a && s[i + 1] == b)
            s[j++] = c, i += 2;
        else
            s[j++] = s[i++];
    }
    m->wlen[w] = j;
    for (int32_t i = 0; i + 1 < j; i++)
        pair_add(m, s[i], s[i + 1], f, w, step, s[i] == c || s[i + 1] == c);
}

int tokenizer_trainer_run(const TokenizerTrainer *tr, const TokenizerTrainOpts *opts,
                          Tokenizer **out)
{
    *out = NULL;
    if (opts->vocab_size < 257)
        return err_set(ERR_INVAL, "vocab_size %d: must be at least 257 (256 bytes + EOT)",
                       opts->vocab_size);
    if (opts->min_frequency < 1)
        return err_set(ERR_INVAL, "min_frequency %d: must be at least 1", opts->min_frequency);
    Bpe m = {0};
    for (int id = 0; id < 256;
         id++) { /* GPT-2's byte ids: byte b has id tokenizer_gpt2_byte_id(b) */
        int b = 0;
        while (tokenizer_gpt2_byte_id(b) != id) b++;
        char c = (char)b;
        token_add(&m, &c, 1);
    }
    int32_t byte_id[256];
    for (int b = 0; b < 256; b++) byte_id[b] = tokenizer_gpt2_byte_id(b);

    /* Words with at least two bytes (single bytes have no pairs). */
    size_t n_sym = 0;
    for (size_t k = 0; k < tr->n_w; k++)
        if (tr->w[k].len > 1) n_sym += tr->w[k].len, m.n_words++;
    m.sym = xmalloc((n_sym + 1) * sizeof *m.sym);
    m.woff = xmalloc(((size_t)m.n_words + 1) * sizeof *m.woff);
    m.wlen = xmalloc(((size_t)m.n_words + 1) * sizeof *m.wlen);
    m.wstamp = xmalloc(((size_t)m.n_words + 1) * sizeof *m.wstamp);
    m.wfreq = xmalloc(((size_t)m.n_words + 1) * sizeof *m.wfreq);
    m.pmask = 65535;
    m.pslot = xcalloc(m.pmask + 1, sizeof *m.pslot);
    n_sym = 0;
    int32_t w = 0;
    for (size_t k = 0; k < tr->n_w; k++) {
        const WordEnt *e = &tr->w[k];
        if (e->len < 2) continue;
        m.woff[w] = n_sym;
        m.wlen[w] = (int32_t)e->len;
        m.wstamp[w] = -1;
        m.wfreq[w] = e->freq;
        for (uint32_t i = 0; i < e->len; i++)
            m.sym[n_sym++] = byte_id[(unsigned char)tr->bytes[e->off + i]];
        for (uint32_t i = 0; i + 1 < e->len; i++)
            pair_add(&m, m.sym[m.woff[w] + i], m.sym[m.woff[w] + i + 1], e->freq, w, 0, 1);
        w++;
    }
    for (int32_t k = 0; k < m.n_pairs; k++) heap_push(&m, m.pairs[k].count, k);
    m.n_touched = 0;

    int target = opts->vocab_size - 257, n_merges = 0;
    int32_t(*merges)[2] = xmalloc(((size_t)target + 1) * sizeof *merges);
    char *buf = NULL;
    size_t cap_buf = 0;
    for (int step = 1; n_merges < target && m.n_heap > 0; step++) {
        HeapEnt top = heap_pop(&m);
        Pair *p = &m.pairs[top.pair];
        if (p->count != top.count) { /* stale: re-queue at the current count if that is lower */
            if (p->count > 0 && p->count < top.count) heap_push(&m, p->count, top.pair);
            continue;
        }
        if (p->count < opts->min_frequency) break;
        int32_t a = p->a, b = p->b;
        size_t na = m.off[a + 1] - m.off[a], nb = m.off[b + 1] - m.off[b];
        if (na + nb > cap_buf) buf = xrealloc(buf, cap_buf = 2 * (na + nb));
        memcpy(buf, m.tok + m.off[a], na);
        memcpy(buf + na, m.tok + m.off[b], nb);
        int32_t c = token_find(&m, buf, na + nb);
        if (c < 0) c = token_add(&m, buf, na + nb);
        merges[n_merges][0] = a;
        merges[n_merges][1] = b;
        n_merges++;
        /* The list may grow while we walk it (pairs with c are appended, never (a, b)). */
        int32_t pi = top.pair, nw = p->n_words;
        for (int32_t k = 0; k < nw; k++) {
            int32_t wk = m.pairs[pi].words[k];
            if (m.wstamp[wk] == step) continue;
            m.wstamp[wk] = step;
            merge_word(&m, wk, a, b, c, step);
        }
        for (size_t k = 0; k < m.n_touched; k++) {
            Pair *q = &m.pairs[m.touched[k]];
            if (q->count > q->before) heap_push(&m, q->count, m.touched[k]);
            if (q->count == 0) free(q->words), q->words = NULL, q->n_words = q->cap_words = 0;
        }
        m.n_touched = 0;
    }
    free(buf);

    token_add(&m, TOKENIZER_EOT_TEXT, strlen(TOKENIZER_EOT_TEXT));
    const char **toks = xmalloc((size_t)m.n_tok * sizeof *toks);
    size_t *lens = xmalloc((size_t)m.n_tok * sizeof *lens);
    for (int32_t i = 0; i < m.n_tok; i++)
        toks[i] = m.tok + m.off[i], lens[i] = m.off[i + 1] - m.off[i];
    int st = tokenizer_build(out, toks, lens, m.n_tok, (const int32_t(*)[2])merges, n_merges);
    free(toks), free(lens), free(merges);
    bpe_release(&m);
    return st;
}

int tokenizer_train(const char *const *texts, const size_t *lens, size_t n,
                    const TokenizerTrainOpts *opts, Tokenizer **out)
{
    TokenizerTrainer *tr = tokenizer_trainer_alloc();
    tokenizer_trainer_add_batch(tr, texts, lens, n);
    int st = tokenizer_trainer_run(tr, opts, out);
    tokenizer_trainer_free(tr);
    return st;
}

/* ---- Reading training text from files -------------------------------------------------------- */

typedef struct {
    char **doc;
    size_t *len, n, cap;
} DocBatch;

static void batch_flush(TokenizerTrainer *tr, DocBatch *b)
{
    tokenizer_trainer_add_batch(tr, (const char *const *)b->doc, b->len, b->n);
    for (size_t i = 0; i < b->n; i++) free(b->doc[i]);
    b->n = 0;
}

static void batch_push(TokenizerTrainer *tr, DocBatch *b, char *doc, size_t len)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        b->doc = xrealloc(b->doc, b->cap * sizeof *b->doc);
        b->len = xrealloc(b->len, b->cap * sizeof *b->len);
    }
    b->doc[b->n] = doc;
    b->len[b->n++] = len;
    if (b->n == 1024) batch_flush(tr, b);
}

/* Reads one line (any length) into *buf; returns its length without '\n', or -1 at EOF. */
static long gz_line(gzFile f, char **buf, size_t *cap)
{
    size_t n = 0;
    if (!*cap) *buf = xmalloc(*cap = 65536);
    for (;;) {
        if (!gzgets(f, *buf + n, (int)(*cap - n))) return n ? (long)n : -1;
        n += strlen(*buf + n);
        if (n && (*buf)[n - 1] == '\n') return (long)n - 1;
        if (n + 1 < *cap) return (long)n; /* last line without '\n' */
        *buf = xrealloc(*buf, *cap *= 2);
    }
}

int tokenizer_trainer_add_file(TokenizerTrainer *tr, const char *path, const char *jsonl_field,
                               size_t max_docs, size_t *n_added)
{
    size_t added = 0;
    if (n_added) *n_added = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) return err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    gzbuffer(f, 1 << 17);
    DocBatch b = {0};
    char *line = NULL;
    size_t cap = 0;
    int st = ERR_OK, err;
    long n, lineno = 0;
    if (!jsonl_field) { /* the whole file is one document */
        size_t k = 0, dcap = 1 << 16;
        char *doc = xmalloc(dcap);
        int got;
        while ((got = gzread(f, doc + k, (unsigned)(dcap - k))) > 0)
            if ((k += (size_t)got) == dcap) doc = xrealloc(doc, dcap *= 2);
        if (got < 0) {
            free(doc);
            st = err_set(ERR_INVAL, "%s: %s", path, gzerror(f, &err));
            goto done;
        }
        batch_push(tr, &b, doc, k);
        added = 1;
    }
    while (jsonl_field && added < max_docs && (n = gz_line(f, &line, &cap)) >= 0) {
        lineno++;
        if (n == 0) continue;
        cJSON *obj = cJSON_ParseWithLength(line, (size_t)n);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, jsonl_field);
        if (!obj || !cJSON_IsString(v)) {
            st = obj ? err_set(ERR_INVAL, "%s:%ld: no string field '%s'", path, lineno, jsonl_field)
                     : err_set(ERR_INVAL, "%s:%ld: malformed JSON", path, lineno);
            cJSON_Delete(obj);
            goto done;
        }
        batch_push(tr, &b, xstrdup(v->valuestring), strlen(v->valuestring));
        added++;
        cJSON_Delete(obj);
    }
    gzerror(f, &err);
    if (err != Z_OK && err != Z_STREAM_END)
        st = err_set(ERR_INVAL, "%s:%ld: corrupt gzip stream (%s)", path, lineno + 1,
                     gzerror(f, &err));
done:
    if (!st) batch_flush(tr, &b);
    for (size_t i = 0; i < b.n; i++) free(b.doc[i]);
    free(b.doc), free(b.len), free(line);
    gzclose(f);
    if (n_added && !st) *n_added = added;
    return st;
}
