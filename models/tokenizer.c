/* tokenizer: GPT-2 byte-level BPE — byte alphabet, pre-tokeniser (PCRE2), vocabulary and merge
 * tables, encode (rank-ordered merges + per-thread cache) and decode. The file format is in
 * tokenizer_io.c, training in tokenizer_train.c. Merges must reproduce encoder.py's bpe() exactly,
 * including its "merge every occurrence of the best pair before looking again" passes. */
#include "tokenizer.h"
#include "tokenizer_impl.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <assert.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- Id vectors ------------------------------------------------------------------------------ */

void tokenizer_ids_release(TokenizerIds *v)
{
    if (!v) return;
    free(v->ids);
    v->ids = NULL;
    v->n = v->cap = 0;
}

static void ids_reserve(TokenizerIds *v, size_t extra)
{
    if (v->n + extra <= v->cap) return;
    size_t cap = v->cap ? v->cap : 64;
    while (cap < v->n + extra) cap *= 2;
    v->ids = xrealloc(v->ids, cap * sizeof *v->ids);
    v->cap = cap;
}

void tokenizer_ids_push(TokenizerIds *v, int32_t id)
{
    ids_reserve(v, 1);
    v->ids[v->n++] = id;
}

/* ---- Byte alphabet --------------------------------------------------------------------------- */

/* bytes_to_unicode() from OpenAI's encoder.py: printable Latin-1 bytes stand for themselves, the
 * other 68 bytes (controls, space, DEL, NBSP, soft hyphen) take code points 256.. in byte order.
 * A byte's GPT-2 id is its position in that list (printable ones first). */
static int b2u[256], u2b[324], byte_rank[256];
static pthread_once_t alphabet_once = PTHREAD_ONCE_INIT;

static int byte_printable(int b)
{
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

static void alphabet_init(void)
{
    int n = 0, rank = 0;
    for (int cp = 0; cp < 324; cp++) u2b[cp] = -1;
    for (int b = 0; b < 256; b++)
        if (byte_printable(b)) b2u[b] = b, byte_rank[b] = rank++;
    for (int b = 0; b < 256; b++)
        if (!byte_printable(b)) b2u[b] = 256 + n++, byte_rank[b] = rank++;
    for (int b = 0; b < 256; b++) u2b[b2u[b]] = b;
}

int tokenizer_byte_to_unicode(int b)
{
    pthread_once(&alphabet_once, alphabet_init);
    return b >= 0 && b < 256 ? b2u[b] : -1;
}

int tokenizer_unicode_to_byte(int cp)
{
    pthread_once(&alphabet_once, alphabet_init);
    return cp >= 0 && cp < 324 ? u2b[cp] : -1;
}

int tokenizer_gpt2_byte_id(int b)
{
    pthread_once(&alphabet_once, alphabet_init);
    return b >= 0 && b < 256 ? byte_rank[b] : -1;
}

/* ---- Pre-tokeniser --------------------------------------------------------------------------- */

/* \s is spelt \p{White_Space}: PCRE2's UCP \s also matches U+180E, which Python's `regex` (that
 * OpenAI used) does not count as white space since Unicode 6.3. */
static const char GPT2_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+"
    "|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+";
static pcre2_code *gpt2_re;
static int gpt2_re_jit;
static pthread_once_t re_once = PTHREAD_ONCE_INIT;

static void re_init(void)
{
    int code;
    PCRE2_SIZE off;
    gpt2_re = pcre2_compile((PCRE2_SPTR)GPT2_PATTERN, PCRE2_ZERO_TERMINATED,
                            PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
    assert(gpt2_re && "GPT-2 pattern must compile (PCRE2 >= 10.34 with Unicode support)");
    gpt2_re_jit = pcre2_jit_compile(gpt2_re, PCRE2_JIT_COMPLETE) == 0;
}

static int tok_pretokenize_md(const char *text, size_t len, void *match_data, TokenizerPieceFn fn,
                              void *ctx)
{
    pcre2_match_data *md = match_data;
    size_t at = 0;
    while (at < len) {
        int rc = gpt2_re_jit ? pcre2_jit_match(gpt2_re, (PCRE2_SPTR)text, len, at, 0, md, NULL)
                             : pcre2_match(gpt2_re, (PCRE2_SPTR)text, len, at, 0, md, NULL);
        size_t s = len, e = len;
        if (rc > 0) {
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            s = ov[0], e = ov[1];
        }
        /* Every valid character matches some alternative, so a gap is invalid UTF-8. */
        if (s > at) {
            int st = fn(ctx, text + at, s - at);
            if (st) return st;
        }
        if (e > s) {
            int st = fn(ctx, text + s, e - s);
            if (st) return st;
        }
        assert(e > at);
        at = e;
    }
    return ERR_OK;
}

static void *tok_match_data_alloc(void)
{
    pthread_once(&re_once, re_init);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(gpt2_re, NULL);
    if (!md) abort(); /* out of memory */
    return md;
}

static void tok_match_data_free(void *md) { pcre2_match_data_free(md); }

int tokenizer_pretokenize(const char *text, size_t len, TokenizerPieceFn fn, void *ctx)
{
    void *md = tok_match_data_alloc();
    int st = tok_pretokenize_md(text, len, md, fn, ctx);
    tok_match_data_free(md);
    return st;
}

/* ---- Vocabulary and merge tables ------------------------------------------------------------- */

static uint64_t tok_hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, 64 bit */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static inline size_t pair_slot(uint64_t key, size_t mask)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 16;
    while (p < n) p *= 2;
    return p;
}

int32_t tok_lookup(const Tokenizer *t, const char *s, size_t n)
{
    for (size_t i = tok_hash_bytes(s, n) & t->map_mask;; i = (i + 1) & t->map_mask) {
        int32_t id = t->map[i];
        if (id < 0) return -1;
        if (t->off[id + 1] - t->off[id] == n && memcmp(t->bytes + t->off[id], s, n) == 0) return id;
    }
}

int tok_new_vocab(Tokenizer **out, const char *const *tok, const size_t *len, int V, int *bad)
{
    pthread_once(&alphabet_once, alphabet_init);
    *out = NULL;
    *bad = -1;
    if (V <= 0) return err_set(ERR_INVAL, "empty vocabulary");
    Tokenizer *t = xcalloc(1, sizeof *t);
    t->V = V;
    t->eot = -1;
    t->off = xmalloc(((size_t)V + 1) * sizeof *t->off);
    size_t total = 0;
    for (int i = 0; i < V; i++) {
        if (len[i] == 0 || len[i] > UINT32_MAX - total) {
            tokenizer_free(t);
            *bad = i;
            return err_set(ERR_INVAL, "token %d is empty", i);
        }
        total += len[i];
    }
    t->bytes = xmalloc(total + 1);
    total = 0;
    for (int i = 0; i < V; i++) {
        t->off[i] = (uint32_t)total;
        memcpy(t->bytes + total, tok[i], len[i]);
        total += len[i];
    }
    t->off[V] = (uint32_t)total;
    size_t cap = pow2_at_least(2 * (size_t)V);
    t->map_mask = cap - 1;
    t->map = xmalloc(cap * sizeof *t->map);
    memset(t->map, 0xff, cap * sizeof *t->map);
    for (int id = 0; id < V; id++) {
        const char *s = t->bytes + t->off[id];
        size_t n = t->off[id + 1] - t->off[id];
        int32_t other = tok_lookup(t, s, n);
        if (other >= 0) {
            tokenizer_free(t);
            *bad = id;
            return err_set(ERR_INVAL, "token %d has the same bytes as token %d", id, other);
        }
        size_t i = tok_hash_bytes(s, n) & t->map_mask;
        while (t->map[i] >= 0) i = (i + 1) & t->map_mask;
        t->map[i] = id;
    }
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        t->byte_id[b] = tok_lookup(t, &c, 1);
        if (t->byte_id[b] < 0) {
            tokenizer_free(t);
            return err_set(ERR_INVAL, "no token for byte 0x%02x", b);
        }
    }
    t->eot = tok_lookup(t, TOKENIZER_EOT_TEXT, strlen(TOKENIZER_EOT_TEXT));
    *out = t;
    return ERR_OK;
}

static int32_t tok_pair_find(const Tokenizer *t, int32_t a, int32_t b, int32_t *merged)
{
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    for (size_t i = pair_slot(key, t->pair_mask);; i = (i + 1) & t->pair_mask) {
        if (t->pair_key[i] == key) {
            *merged = t->pair_merged[i];
            return t->pair_rank[i];
        }
        if (t->pair_key[i] == UINT64_MAX) return -1;
    }
}

int tok_add_merges(Tokenizer *t, const int32_t (*merges)[2], int n, int *bad)
{
    *bad = -1;
    size_t cap = pow2_at_least(2 * (size_t)n + 2);
    t->pair_mask = cap - 1;
    t->pair_key = xmalloc(cap * sizeof *t->pair_key);
    t->pair_rank = xmalloc(cap * sizeof *t->pair_rank);
    t->pair_merged = xmalloc(cap * sizeof *t->pair_merged);
    memset(t->pair_key, 0xff, cap * sizeof *t->pair_key);
    t->merges = xmalloc(((size_t)n + 1) * sizeof *t->merges);
    char *buf = NULL;
    size_t cap_buf = 0;
    int st = ERR_OK;
    for (int k = 0; k < n; k++) {
        int32_t a = merges[k][0], b = merges[k][1], m;
        if (a < 0 || a >= t->V || b < 0 || b >= t->V) {
            *bad = k;
            st = err_set(ERR_INVAL, "merge %d names an unknown token id", k);
            goto fail;
        }
        int32_t prev = tok_pair_find(t, a, b, &m);
        if (prev >= 0) {
            *bad = k;
            st = err_set(ERR_INVAL, "merge %d repeats merge %d", k, prev);
            goto fail;
        }
        size_t na = t->off[a + 1] - t->off[a], nb = t->off[b + 1] - t->off[b];
        if (na + nb > cap_buf) buf = xrealloc(buf, cap_buf = 2 * (na + nb));
        memcpy(buf, t->bytes + t->off[a], na);
        memcpy(buf + na, t->bytes + t->off[b], nb);
        m = tok_lookup(t, buf, na + nb);
        if (m < 0) {
            *bad = k;
            st = err_set(ERR_INVAL, "merge %d: the merged token is not in the vocabulary", k);
            goto fail;
        }
        uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
        size_t i = pair_slot(key, t->pair_mask);
        while (t->pair_key[i] != UINT64_MAX) i = (i + 1) & t->pair_mask;
        t->pair_key[i] = key;
        t->pair_rank[i] = k;
        t->pair_merged[i] = m;
        t->merges[k][0] = a;
        t->merges[k][1] = b;
    }
    t->n_merges = n;
    free(buf);
    return ERR_OK;
fail:
    free(buf);
    return st;
}

int tokenizer_build(Tokenizer **out, const char *const *tok, const size_t *len, int V,
                    const int32_t (*merges)[2], int n_merges)
{
    int bad;
    Tokenizer *t;
    *out = NULL;
    int st = tok_new_vocab(&t, tok, len, V, &bad);
    if (st) return st;
    if (n_merges < 0) n_merges = 0;
    st = tok_add_merges(t, merges, n_merges, &bad);
    if (st) {
        tokenizer_free(t);
        return st;
    }
    *out = t;
    return ERR_OK;
}

void tokenizer_free(Tokenizer *t)
{
    if (!t) return;
    free(t->bytes);
    free(t->off);
    free(t->map);
    free(t->merges);
    free(t->pair_key);
    free(t->pair_rank);
    free(t->pair_merged);
    free(t);
}

int tokenizer_vocab_size(const Tokenizer *t) { return t->V; }
int tokenizer_n_merges(const Tokenizer *t) { return t->n_merges; }
int tokenizer_eot(const Tokenizer *t) { return t->eot; }

const char *tokenizer_token_bytes(const Tokenizer *t, int32_t id, size_t *len)
{
    if (id < 0 || id >= t->V) return NULL;
    *len = t->off[id + 1] - t->off[id];
    return t->bytes + t->off[id];
}

int32_t tokenizer_token_id(const Tokenizer *t, const char *s, size_t n)
{
    return n ? tok_lookup(t, s, n) : -1;
}

int tokenizer_merge(const Tokenizer *t, int k, int32_t pair[2])
{
    if (k < 0 || k >= t->n_merges) return -1;
    pair[0] = t->merges[k][0];
    pair[1] = t->merges[k][1];
    return 0;
}

/* ---- BPE of one pre-token -------------------------------------------------------------------- */

/* Per-thread state: scratch for the merge loop, a cache piece -> ids, PCRE2 match data. */
typedef struct {
    uint64_t h;
    uint32_t koff, klen, voff, vlen;
} CacheEnt;

typedef struct {
    const Tokenizer *t;
    TokenizerIds *out;
    /* merge scratch, sized to the longest piece so far */
    int32_t *sym, *prev, *next;
    uint64_t *heap, *pend;
    size_t cap;
    /* cache: open addressing over entries; keys and values in arenas */
    uint32_t *slot; /* 0 empty, else entry index + 1 */
    size_t mask;
    CacheEnt *ent;
    size_t n_ent, cap_ent;
    char *key;
    size_t n_key, cap_key;
    int32_t *val;
    size_t n_val, cap_val;
    void *md;
} Enc;

enum { CACHE_MAX_PIECE = 64, CACHE_MAX_SLOTS = 1 << 18 };

static void enc_init(Enc *e, const Tokenizer *t)
{
    memset(e, 0, sizeof *e);
    e->t = t;
    e->mask = 1023;
    e->slot = xcalloc(e->mask + 1, sizeof *e->slot);
    e->md = tok_match_data_alloc();
}

static void enc_release(Enc *e)
{
    free(e->sym), free(e->prev), free(e->next), free(e->heap), free(e->pend);
    free(e->slot), free(e->ent), free(e->key), free(e->val);
    tok_match_data_free(e->md);
}

/* Binary min-heap of (rank << 32 | position): the lowest rank first, then left to right. */
static void heap_push(uint64_t *h, size_t *n, uint64_t x)
{
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > x) h[i] = h[(i - 1) / 2], i = (i - 1) / 2;
    h[i] = x;
}

static uint64_t heap_pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0], x = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1] < h[c]) c++;
        if (h[c] >= x) break;
        h[i] = h[c], i = c;
    }
    h[i] = x;
    return top;
}

/* Merges piece s[0..n) and appends its ids to e->out. encoder.py repeatedly takes the lowest-rank
 * adjacent pair and merges all its occurrences left to right; here a heap of (rank, position)
 * visits the same occurrences in the same order. Pairs created during a pass wait in `pend` until
 * the pass ends (a new pair could in principle rank below the current one), and a popped entry is
 * valid only if its position still holds a pair of exactly that rank (ranks are unique per pair).
 * O(n log n) even for pathological pieces such as 100 kB without a space. */
static void bpe_piece(Enc *e, const unsigned char *s, size_t n)
{
    const Tokenizer *t = e->t;
    if (n > e->cap) {
        e->cap = n + n / 2;
        e->sym = xrealloc(e->sym, e->cap * sizeof *e->sym);
        e->prev = xrealloc(e->prev, e->cap * sizeof *e->prev);
        e->next = xrealloc(e->next, e->cap * sizeof *e->next);
        e->heap = xrealloc(e->heap, 2 * e->cap * sizeof *e->heap);
        e->pend = xrealloc(e->pend, 2 * e->cap * sizeof *e->pend);
    }
    int32_t *sym = e->sym, *prev = e->prev, *next = e->next, m, unused;
    size_t nh = 0, np = 0;
    for (size_t i = 0; i < n; i++) {
        sym[i] = t->byte_id[s[i]];
        prev[i] = (int32_t)i - 1;
        next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        int32_t r = tok_pair_find(t, sym[i], sym[i + 1], &m);
        if (r >= 0) heap_push(e->heap, &nh, (uint64_t)r << 32 | i);
    }
    int64_t pass = -1;
    for (;;) {
        if (np && (nh == 0 || (int64_t)(e->heap[0] >> 32) != pass)) {
            for (size_t k = 0; k < np; k++) heap_push(e->heap, &nh, e->pend[k]);
            np = 0;
        }
        if (nh == 0) break;
        uint64_t top = heap_pop(e->heap, &nh);
        int32_t rank = (int32_t)(top >> 32), i = (int32_t)(uint32_t)top, j;
        if (sym[i] < 0 || (j = next[i]) < 0) continue;
        if (tok_pair_find(t, sym[i], sym[j], &m) != rank) continue;
        pass = rank;
        sym[i] = m;
        sym[j] = -1;
        next[i] = next[j];
        if (next[j] >= 0) prev[next[j]] = i;
        if (prev[i] >= 0 && (rank = tok_pair_find(t, sym[prev[i]], m, &unused)) >= 0)
            e->pend[np++] = (uint64_t)rank << 32 | (uint32_t)prev[i];
        if (next[i] >= 0 && (rank = tok_pair_find(t, m, sym[next[i]], &unused)) >= 0)
            e->pend[np++] = (uint64_t)rank << 32 | (uint32_t)i;
    }
    for (int32_t i = 0; i >= 0; i = next[i]) tokenizer_ids_push(e->out, sym[i]);
}

static void *arena_grow(void *p, size_t *cap, size_t need, size_t elt)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    *cap = c;
    return xrealloc(p, c * elt);
}

static void cache_clear(Enc *e)
{
    memset(e->slot, 0, (e->mask + 1) * sizeof *e->slot);
    e->n_ent = e->n_key = e->n_val = 0;
}

static void cache_insert(Enc *e, uint64_t h, const char *s, size_t n, const int32_t *ids,
                         size_t nid)
{
    if (2 * (e->n_ent + 1) > e->mask + 1) {
        if (e->mask + 1 >= CACHE_MAX_SLOTS) {
            cache_clear(e); /* bounded memory: start over rather than evict */
        } else {
            free(e->slot);
            e->mask = 2 * (e->mask + 1) - 1;
            e->slot = xcalloc(e->mask + 1, sizeof *e->slot);
            for (size_t k = 0; k < e->n_ent; k++) {
                size_t i = e->ent[k].h & e->mask;
                while (e->slot[i]) i = (i + 1) & e->mask;
                e->slot[i] = (uint32_t)k + 1;
            }
        }
    }
    e->ent = arena_grow(e->ent, &e->cap_ent, e->n_ent + 1, sizeof *e->ent);
    e->key = arena_grow(e->key, &e->cap_key, e->n_key + n, 1);
    e->val = arena_grow(e->val, &e->cap_val, e->n_val + nid, sizeof *e->val);
    CacheEnt *c = &e->ent[e->n_ent];
    *c = (CacheEnt){h, (uint32_t)e->n_key, (uint32_t)n, (uint32_t)e->n_val, (uint32_t)nid};
    memcpy(e->key + e->n_key, s, n);
    memcpy(e->val + e->n_val, ids, nid * sizeof *ids);
    e->n_key += n;
    e->n_val += nid;
    size_t i = h & e->mask;
    while (e->slot[i]) i = (i + 1) & e->mask;
    e->slot[i] = (uint32_t)++e->n_ent;
}

static int enc_piece(void *ctx, const char *s, size_t n)
{
    Enc *e = ctx;
    if (n == 1) {
        tokenizer_ids_push(e->out, e->t->byte_id[(unsigned char)*s]);
        return 0;
    }
    if (n > CACHE_MAX_PIECE) {
        bpe_piece(e, (const unsigned char *)s, n);
        return 0;
    }
    uint64_t h = tok_hash_bytes(s, n);
    for (size_t i = h & e->mask; e->slot[i]; i = (i + 1) & e->mask) {
        const CacheEnt *c = &e->ent[e->slot[i] - 1];
        if (c->h == h && c->klen == n && memcmp(e->key + c->koff, s, n) == 0) {
            ids_reserve(e->out, c->vlen);
            memcpy(e->out->ids + e->out->n, e->val + c->voff, c->vlen * sizeof(int32_t));
            e->out->n += c->vlen;
            return 0;
        }
    }
    size_t before = e->out->n;
    bpe_piece(e, (const unsigned char *)s, n);
    cache_insert(e, h, s, n, e->out->ids + before, e->out->n - before);
    return 0;
}

/* ---- Encode and decode ----------------------------------------------------------------------- */

static int enc_text(Enc *e, const char *text, size_t len, unsigned flags, TokenizerIds *out)
{
    e->out = out;
    if (!(flags & TOKENIZER_ALLOW_EOT)) return tok_pretokenize_md(text, len, e->md, enc_piece, e);
    if (e->t->eot < 0) return err_set(ERR_INVAL, "the vocabulary has no " TOKENIZER_EOT_TEXT);
    const size_t ne = strlen(TOKENIZER_EOT_TEXT);
    for (;;) {
        const char *hit = memmem(text, len, TOKENIZER_EOT_TEXT, ne);
        size_t seg = hit ? (size_t)(hit - text) : len;
        tok_pretokenize_md(text, seg, e->md, enc_piece, e);
        if (!hit) return ERR_OK;
        tokenizer_ids_push(out, e->t->eot);
        text += seg + ne;
        len -= seg + ne;
    }
}

int tokenizer_encode(const Tokenizer *t, const char *text, size_t len, unsigned flags,
                     TokenizerIds *out)
{
    Enc e;
    enc_init(&e, t);
    int st = enc_text(&e, text, len, flags, out);
    enc_release(&e);
    return st;
}

int tokenizer_encode_batch(const Tokenizer *t, const char *const *texts, const size_t *lens,
                           size_t n, unsigned flags, int n_threads, TokenizerIds *out)
{
    if ((flags & TOKENIZER_ALLOW_EOT) && t->eot < 0)
        return err_set(ERR_INVAL, "the vocabulary has no " TOKENIZER_EOT_TEXT);
#ifdef _OPENMP
    if (n_threads <= 0) n_threads = omp_get_max_threads();
#pragma omp parallel num_threads(n_threads)
#endif
    {
        Enc e;
        TokenizerIds tmp = {0}; /* out[i] are adjacent: pushing there would false-share */
        enc_init(&e, t);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (size_t i = 0; i < n; i++) {
            tmp.n = 0;
            enc_text(&e, texts[i], lens[i], flags, &tmp);
            if (tmp.n == 0) continue; /* an empty document: ids may still be NULL */
            ids_reserve(&out[i], tmp.n);
            memcpy(out[i].ids + out[i].n, tmp.ids, tmp.n * sizeof *tmp.ids);
            out[i].n += tmp.n;
        }
        tokenizer_ids_release(&tmp);
        enc_release(&e);
    }
    return ERR_OK;
}

int tokenizer_decode(const Tokenizer *t, const int32_t *ids, size_t n, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= t->V)
            return err_set(ERR_INVAL, "token %zu: id %d is outside the vocabulary [0, %d)", i,
                           (int)ids[i], t->V);
        total += t->off[ids[i] + 1] - t->off[ids[i]];
    }
    char *s = xmalloc(total + 1), *p = s;
    for (size_t i = 0; i < n; i++) {
        size_t k = t->off[ids[i] + 1] - t->off[ids[i]];
        memcpy(p, t->bytes + t->off[ids[i]], k);
        p += k;
    }
    *p = '\0';
    *text = s;
    *len = total;
    return ERR_OK;
}
