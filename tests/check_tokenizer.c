/* check_tokenizer: GPT-2 ids against OpenAI's encoder.py, round trips over random UTF-8 and random
 * bytes, the fast BPE against a naive transliteration of encoder.py's bpe(), training (hand-derived
 * merges, determinism, save/load) and every loader error path. The GPT-2 case needs the files from
 * `make deps` and is skipped, with a printed notice, when they are absent. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "err.h"
#include "tokenizer.h"

/* ---- Helpers --------------------------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void) /* splitmix64: fixed seeds, no dependency on other modules */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t put_utf8(char *s, unsigned cp)
{
    if (cp < 0x80) return s[0] = (char)cp, 1;
    if (cp < 0x800) return s[0] = (char)(0xC0 | cp >> 6), s[1] = (char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000) {
        s[0] = (char)(0xE0 | cp >> 12), s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    s[0] = (char)(0xF0 | cp >> 18), s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    s[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), s[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Random valid UTF-8 of up to max_cp code points drawn from mixed scripts, white space (incl.
 * U+0085, U+00A0, U+2028, U+3000), contraction letters and emoji. Returns the byte length. */
static size_t rand_utf8(char *s, size_t max_cp)
{
    static const unsigned ws[] = {'\t', '\n', '\r', ' ', ' ', ' ', 0x85, 0xA0, 0x2028, 0x3000};
    size_t n = 0, k = 1 + rnd() % max_cp;
    for (size_t i = 0; i < k; i++) {
        unsigned cp;
        switch (rnd() % 8) {
        case 0: cp = ws[rnd() % 10]; break;
        case 1: cp = (unsigned)"'sdtmlrve0123 .,"[rnd() % 16]; break;
        case 2: cp = 0xA0 + rnd() % 0x1B0; break;   /* Latin-1 and Latin Extended */
        case 3: cp = 0x400 + rnd() % 0x100; break;  /* Cyrillic */
        case 4: cp = 0x4E00 + rnd() % 0x200; break; /* CJK */
        case 5: cp = 0x1F600 + rnd() % 0x50; break; /* emoji */
        default: cp = 0x20 + rnd() % 0x5F; break;   /* ASCII */
        }
        n += put_utf8(s + n, cp);
    }
    return n;
}

static void ck_ids(const TokenizerIds *v, const int32_t *want, size_t n)
{
    ck_assert_uint_eq(v->n, n);
    for (size_t i = 0; i < n; i++) ck_assert_int_eq(v->ids[i], want[i]);
}

static void ck_round_trip(const Tokenizer *t, const char *s, size_t n)
{
    TokenizerIds v = {0};
    char *back;
    size_t bn;
    ck_assert_int_eq(tokenizer_encode(t, s, n, 0, &v), ERR_OK);
    ck_assert_int_eq(tokenizer_decode(t, v.ids, v.n, &back, &bn), ERR_OK);
    ck_assert_uint_eq(bn, n);
    ck_assert(memcmp(back, s, n) == 0);
    free(back);
    tokenizer_ids_release(&v);
}

/* A naive transliteration of encoder.py's bpe() on ids: find the lowest-rank adjacent pair, merge
 * all its occurrences left to right, repeat. O(n^2) per piece; merges found by binary search. */
typedef struct {
    int32_t a, b, rank;
} RefMerge;
typedef struct {
    const Tokenizer *t;
    RefMerge *m;
    int n;
    TokenizerIds *out;
} RefBpe;

static int ref_cmp(const void *x, const void *y)
{
    const RefMerge *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

static void ref_init(RefBpe *r, const Tokenizer *t)
{
    r->t = t;
    r->n = tokenizer_n_merges(t);
    r->m = malloc(((size_t)r->n + 1) * sizeof *r->m);
    for (int k = 0; k < r->n; k++) {
        int32_t p[2];
        tokenizer_merge(t, k, p);
        r->m[k] = (RefMerge){p[0], p[1], k};
    }
    qsort(r->m, (size_t)r->n, sizeof *r->m, ref_cmp);
}

static int ref_piece(void *ctx, const char *s, size_t n)
{
    RefBpe *r = ctx;
    int32_t *w = malloc(n * sizeof *w);
    char buf[4096];
    for (size_t i = 0; i < n; i++) w[i] = tokenizer_gpt2_byte_id((unsigned char)s[i]);
    if (tokenizer_token_id(r->t, "!", 1) != tokenizer_gpt2_byte_id('!')) /* not GPT-2's order */
        for (size_t i = 0; i < n; i++) w[i] = tokenizer_token_id(r->t, s + i, 1);
    for (;;) {
        const RefMerge *best = NULL;
        for (size_t i = 0; i + 1 < n; i++) {
            RefMerge key = {w[i], w[i + 1], 0};
            const RefMerge *f = bsearch(&key, r->m, (size_t)r->n, sizeof key, ref_cmp);
            if (f && (!best || f->rank < best->rank)) best = f;
        }
        if (!best) break;
        size_t la, lb, j = 0;
        const char *pa = tokenizer_token_bytes(r->t, best->a, &la);
        const char *pb = tokenizer_token_bytes(r->t, best->b, &lb);
        ck_assert_uint_lt(la + lb, sizeof buf);
        memcpy(buf, pa, la), memcpy(buf + la, pb, lb);
        int32_t c = tokenizer_token_id(r->t, buf, la + lb);
        for (size_t i = 0; i < n;) {
            if (i + 1 < n && w[i] == best->a && w[i + 1] == best->b)
                w[j++] = c, i += 2;
            else
                w[j++] = w[i++];
        }
        n = j;
    }
    for (size_t i = 0; i < n; i++) tokenizer_ids_push(r->out, w[i]);
    free(w);
    return 0;
}

static void ck_matches_ref(RefBpe *r, const char *s, size_t n)
{
    TokenizerIds fast = {0}, slow = {0};
    ck_assert_int_eq(tokenizer_encode(r->t, s, n, 0, &fast), ERR_OK);
    r->out = &slow;
    tokenizer_pretokenize(s, n, ref_piece, r);
    ck_ids(&fast, slow.ids, slow.n);
    tokenizer_ids_release(&fast);
    tokenizer_ids_release(&slow);
}

static char tmpdir[64];
static void tmp_setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/check_tok_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}
static void tmp_teardown(void)
{
    static const char *names[] = {"encoder.json", "vocab.bpe", "a.jsonl", "a.jsonl.gz", "doc.txt"};
    char p[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
        unlink(p);
    }
    rmdir(tmpdir);
}
static const char *tmp_path(const char *name)
{
    static char p[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}
static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(tmp_path(name), "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* ---- GPT-2 (needs `make deps`) --------------------------------------------------------------- */

static Tokenizer *gpt2;
static char gpt2_dir[4096];

static void gpt2_setup(void)
{
    if (tokenizer_load_dir(&gpt2, gpt2_dir)) gpt2 = NULL;
}
static void gpt2_teardown(void) { tokenizer_free(gpt2); }

START_TEST(test_gpt2_loads)
{
    ck_assert_msg(gpt2, "cannot load GPT-2 from %s: %s", gpt2_dir, err_msg());
    ck_assert_int_eq(tokenizer_vocab_size(gpt2), TOKENIZER_GPT2_VOCAB);
    ck_assert_int_eq(tokenizer_n_merges(gpt2), 50000);
    ck_assert_int_eq(tokenizer_eot(gpt2), TOKENIZER_GPT2_EOT);
    size_t n;
    const char *s = tokenizer_token_bytes(gpt2, 262, &n); /* "Ġthe" */
    ck_assert_uint_eq(n, 4);
    ck_assert(memcmp(s, " the", 4) == 0);
}
END_TEST

START_TEST(test_gpt2_issue_ids)
{
    static const int32_t hello[] = {15496, 995};
    static const int32_t fox[] = {383, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13};
    TokenizerIds v = {0};
    tokenizer_encode(gpt2, "Hello world", 11, 0, &v);
    ck_ids(&v, hello, 2);
    v.n = 0;
    const char *s = " The quick brown fox jumps over the lazy dog.";
    tokenizer_encode(gpt2, s, strlen(s), 0, &v);
    ck_ids(&v, fox, 10);
    char *text;
    size_t n;
    ck_assert_int_eq(tokenizer_decode(gpt2, fox, 10, &text, &n), ERR_OK);
    ck_assert_str_eq(text, s);
    free(text);
    tokenizer_ids_release(&v);
}
END_TEST

/* Expected ids from OpenAI's encoder.py logic (Python `regex` + GPT-2's encoder.json/vocab.bpe),
 * run once at development time; the same strings also agree with node's gpt-3-encoder 1.1.4. */
static const struct {
    const char *text;
    size_t n;
    int32_t ids[48];
} gpt2_cases[] = {
    {"I'm sure they'll say it's fine, but we've seen what you'd do.",
     19,
     {40, 1101, 1654, 484, 1183, 910, 340, 338, 3734, 11, 475, 356, 1053, 1775, 644, 345, 1549, 466,
      13}},
    {"Numbers: 1234567 3.14159 -42 1,000,000 2024-05-01",
     21,
     {49601, 25, 17031, 2231, 3134, 513,   13, 1415, 19707, 532, 3682,
      352,   11, 830,   11,   830,  48609, 12, 2713, 12,    486}},
    {"Multiple   spaces\x09\x09tabs\x0a\x0anewlines \x0a end  ",
     17,
     {31217, 220, 220, 9029, 197, 197, 8658, 82, 198, 198, 3605, 6615, 220, 198, 886, 220, 220}},
    {"Emoji \xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd and "
     "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 family",
     22,
     {36,    5908, 7285, 30325, 222,   41840, 235, 8582, 237,   121, 290,
      50169, 101,  447,  235,   41840, 102,   447, 235,  41840, 100, 1641}},
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe4\xb8\xad\xe6\x96\x87 " /* Japanese, Chinese */
     "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 "                          /* Korean */
     "\xd0\xa0\xd1\x83\xd1\x81\xd1\x81\xd0\xba\xd0\xb8\xd0\xb9 "  /* Russian */
     "\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9 "  /* Arabic */
     "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6\xe0\xa5\x80", /* Hindi */
     46,
     {33768, 98,    17312, 105, 45739, 252,   220,   40792, 23877, 229,   220,   47991,
      250,   166,   113,   255, 168,   244,   112,   12466, 254,   35072, 21727, 21727,
      31583, 18849, 140,   117, 28981, 44690, 26897, 39848, 22654, 45632, 28225, 117,
      11976, 123,   11976, 101, 24231, 235,   11976, 99,    24231, 222}},
    {"    indented code:\x0a\x09if (x) { return y; }\x0a",
     19,
     {220, 220, 220, 773, 4714, 2438, 25, 198, 197, 361, 357, 87, 8, 1391, 1441, 331, 26, 1782,
      198}},
    {"don't DON'T 'tis 're've", 10, {9099, 470, 23917, 6, 51, 705, 48010, 705, 260, 1053}},
    {"caf\xc3\xa9 na\xc3\xafve fa\xc3\xa7"
     "ade \xc2\xbd \xc2\xb5",
     9,
     {66, 1878, 2634, 41492, 24685, 16175, 671, 25208, 31324}},
    {" \xc2\xa0non-breaking\xe2\x80\x83"
     "em space",
     9,
     {220, 1849, 13159, 12, 13395, 447, 225, 368, 2272}},
};

START_TEST(test_gpt2_reference_ids)
{
    TokenizerIds v = {0};
    tokenizer_encode(gpt2, gpt2_cases[_i].text, strlen(gpt2_cases[_i].text), 0, &v);
    ck_ids(&v, gpt2_cases[_i].ids, gpt2_cases[_i].n);
    tokenizer_ids_release(&v);
    ck_round_trip(gpt2, gpt2_cases[_i].text, strlen(gpt2_cases[_i].text));
}
END_TEST

START_TEST(test_gpt2_eot_only_when_allowed)
{
    static const int32_t allowed[] = {64, 50256, 65};
    static const int32_t plain[] = {64, 27, 91, 437, 1659, 5239, 91, 29, 65}; /* encoder.py */
    TokenizerIds v = {0};
    tokenizer_encode(gpt2, "a<|endoftext|>b", 15, TOKENIZER_ALLOW_EOT, &v);
    ck_ids(&v, allowed, 3);
    v.n = 0;
    tokenizer_encode(gpt2, "a<|endoftext|>b", 15, 0, &v);
    ck_ids(&v, plain, 9);
    char *text;
    size_t n;
    ck_assert_int_eq(tokenizer_decode(gpt2, allowed, 3, &text, &n), ERR_OK);
    ck_assert_str_eq(text, "a<|endoftext|>b");
    free(text);
    int32_t bad[] = {15496, 50257};
    ck_assert_int_eq(tokenizer_decode(gpt2, bad, 2, &text, &n), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "token 1"));
    tokenizer_ids_release(&v);
}
END_TEST

START_TEST(test_gpt2_fuzz_utf8)
{
    RefBpe r;
    ref_init(&r, gpt2);
    char s[4 * 200];
    rng_state = 12345;
    for (int k = 0; k < 400; k++) {
        size_t n = rand_utf8(s, 200);
        ck_round_trip(gpt2, s, n);
        ck_matches_ref(&r, s, n);
    }
    free(r.m);
}
END_TEST

START_TEST(test_gpt2_fuzz_bytes)
{
    RefBpe r;
    ref_init(&r, gpt2);
    char s[300];
    rng_state = 777;
    for (int k = 0; k < 400; k++) {
        size_t n = rnd() % sizeof s;
        for (size_t i = 0; i < n; i++) /* half ASCII, half any byte: lots of invalid UTF-8 */
            s[i] = (char)(rnd() % 2 ? 0x20 + rnd() % 0x5F : rnd() % 256);
        ck_round_trip(gpt2, s, n);
        ck_matches_ref(&r, s, n);
    }
    ck_round_trip(gpt2, "\xff\xfe\x00\x80 a\xc3", 7);
    free(r.m);
}
END_TEST

START_TEST(test_gpt2_long_pieces)
{
    RefBpe r;
    ref_init(&r, gpt2);
    size_t n = 30000;
    char *s = malloc(n);
    memset(s, 'a', 12000);                                  /* one 12 kB letter piece */
    memset(s + 12000, ' ', 6000);                           /* long white space */
    for (size_t i = 18000; i < n; i++) s[i] = "=-+"[i % 3]; /* long punctuation */
    ck_round_trip(gpt2, s, n);
    ck_matches_ref(&r, s, n);
    free(s);
    free(r.m);
}
END_TEST

START_TEST(test_gpt2_batch_equals_single)
{
    enum { N = 40 };
    char *docs[N];
    size_t lens[N];
    TokenizerIds batch[N] = {{0}};
    rng_state = 99;
    for (int i = 0; i < N; i++) {
        docs[i] = malloc(4 * 300);
        lens[i] = rand_utf8(docs[i], 300);
    }
    ck_assert_int_eq(tokenizer_encode_batch(gpt2, (const char *const *)docs, lens, N, 0, 2, batch),
                     ERR_OK);
    for (int i = 0; i < N; i++) {
        TokenizerIds one = {0};
        tokenizer_encode(gpt2, docs[i], lens[i], 0, &one);
        ck_ids(&batch[i], one.ids, one.n);
        tokenizer_ids_release(&one);
        tokenizer_ids_release(&batch[i]);
        free(docs[i]);
    }
}
END_TEST

START_TEST(test_gpt2_save_reload)
{
    Tokenizer *t2;
    tmp_setup();
    ck_assert_int_eq(tokenizer_save_dir(gpt2, tmpdir), ERR_OK);
    ck_assert_int_eq(tokenizer_load_dir(&t2, tmpdir), ERR_OK);
    ck_assert_int_eq(tokenizer_vocab_size(t2), TOKENIZER_GPT2_VOCAB);
    ck_assert_int_eq(tokenizer_eot(t2), TOKENIZER_GPT2_EOT);
    for (int k = 0; k < tokenizer_n_merges(gpt2); k++) {
        int32_t p[2], q[2];
        tokenizer_merge(gpt2, k, p);
        tokenizer_merge(t2, k, q);
        ck_assert(p[0] == q[0] && p[1] == q[1]);
    }
    TokenizerIds v = {0};
    tokenizer_encode(t2, gpt2_cases[0].text, strlen(gpt2_cases[0].text), 0, &v);
    ck_ids(&v, gpt2_cases[0].ids, gpt2_cases[0].n);
    tokenizer_ids_release(&v);
    tokenizer_free(t2);
    tmp_teardown();
}
END_TEST

/* ---- Loader error paths (tiny vocabularies written here) ------------------------------------- */

/* Writes encoder.json for the 256 byte tokens (GPT-2's byte ids), "ab" = 256 and <|endoftext|> =
 * 257, one per line (the byte with id k is on line k + 2), with one line replaced by `bad` if
 * bad_id >= 0. Writes vocab.bpe as `merges` (one per line, after "#version: 0.2" unless omitted).
 */
static void write_tiny(int bad_id, const char *bad, const char *merges)
{
    FILE *f = fopen(tmp_path("encoder.json"), "wb");
    ck_assert_ptr_nonnull(f);
    fputs("{", f);
    for (int id = 0; id < 258; id++) {
        fputs(id ? ",\n" : "\n", f);
        if (id == bad_id) {
            fputs(bad, f);
            continue;
        }
        if (id == 256) {
            fputs("\"ab\": 256", f);
        } else if (id == 257) {
            fputs("\"<|endoftext|>\": 257", f);
        } else {
            int b = 0;
            while (tokenizer_gpt2_byte_id(b) != id) b++;
            char u[8];
            size_t n = put_utf8(u, (unsigned)tokenizer_byte_to_unicode(b));
            fprintf(f, "\"%s%.*s\": %d", (b == '"' || b == '\\') ? "\\" : "", (int)n, u, id);
        }
    }
    fputs("\n}\n", f);
    fclose(f);
    write_text("vocab.bpe", merges);
}

static int load_tiny(Tokenizer **t)
{
    return tokenizer_load(t, tmp_path("encoder.json"), tmp_path("vocab.bpe"));
}

START_TEST(test_load_tiny_ok)
{
    Tokenizer *t;
    tmp_setup();
    write_tiny(-1, NULL, "#version: 0.2\na b\n");
    ck_assert_msg(load_tiny(&t) == ERR_OK, "%s", err_msg());
    ck_assert_int_eq(tokenizer_vocab_size(t), 258);
    ck_assert_int_eq(tokenizer_eot(t), 257);
    TokenizerIds v = {0};
    tokenizer_encode(t, "abc", 3, 0, &v);
    static const int32_t want[] = {256, 66}; /* "ab", "c" (GPT-2's id of 'c' is 66) */
    ck_ids(&v, want, 2);
    tokenizer_ids_release(&v);
    tokenizer_free(t);
    tmp_teardown();
}
END_TEST

/* Regression (fuzz_tokenizer_encode): an empty document in a batch did pointer arithmetic and
 * memcpy on NULL id arrays (UB; caught by UBSan). */
START_TEST(test_batch_empty_documents)
{
    Tokenizer *t;
    tmp_setup();
    write_tiny(-1, NULL, "#version: 0.2\na b\n");
    ck_assert_msg(load_tiny(&t) == ERR_OK, "%s", err_msg());
    const char *texts[3] = {"", "abc", ""};
    size_t lens[3] = {0, 3, 0};
    TokenizerIds out[3] = {{0}};
    ck_assert_int_eq(tokenizer_encode_batch(t, texts, lens, 3, 0, 1, out), ERR_OK);
    ck_assert_uint_eq(out[0].n, 0);
    ck_assert_ptr_null(out[0].ids);
    ck_assert_uint_eq(out[1].n, 2);
    ck_assert_uint_eq(out[2].n, 0);
    for (int i = 0; i < 3; i++) tokenizer_ids_release(&out[i]);
    tokenizer_free(t);
    tmp_teardown();
}
END_TEST

static void ck_load_fails(int st_want, const char *where, const char *what)
{
    Tokenizer *t = (Tokenizer *)1;
    int st = load_tiny(&t);
    ck_assert_int_eq(st, st_want);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(err_msg(), where) && strstr(err_msg(), what), "message: %s", err_msg());
}

START_TEST(test_load_errors)
{
    Tokenizer *t;
    tmp_setup();
    ck_assert_int_eq(tokenizer_load_dir(&t, "/nonexistent/biasamp"), ERR_IO);
    ck_assert_ptr_nonnull(strstr(err_msg(), "/nonexistent/biasamp/encoder.json"));

    write_tiny(-1, NULL, "#version: 0.2\na b\n");
    write_text("encoder.json", "{\n\"a\": 0,\n\"b\": \n}\n");
    ck_load_fails(ERR_INVAL, "encoder.json:4:", "malformed JSON");
    write_text("encoder.json", "[1, 2]");
    ck_load_fails(ERR_INVAL, "encoder.json:1:", "JSON object");

    write_tiny(40, "\"x\": 39", "#version: 0.2\n"); /* id 39 twice, 40 missing */
    ck_load_fails(ERR_INVAL, "encoder.json:42:", "duplicate id");
    write_tiny(40, "\"x\": 4.5", "#version: 0.2\n");
    ck_load_fails(ERR_INVAL, "encoder.json:42:", "not an integer");
    write_tiny(40, "\"x\": 999", "#version: 0.2\n");
    ck_load_fails(ERR_INVAL, "encoder.json:42:", "not an integer in [0");
    write_tiny(40, "\"\\u4e00\": 40", "#version: 0.2\n");
    ck_load_fails(ERR_INVAL, "encoder.json:42:", "byte alphabet");
    write_tiny(256, "\"!\": 256", "#version: 0.2\n"); /* the token "!" twice */
    ck_load_fails(ERR_INVAL, "encoder.json:258:", "same bytes");

    write_tiny(-1, NULL, "a b\n");
    ck_load_fails(ERR_INVAL, "vocab.bpe:1:", "#version");
    write_tiny(-1, NULL, "#version: 0.2\nab\n");
    ck_load_fails(ERR_INVAL, "vocab.bpe:2:", "left right");
    write_tiny(-1, NULL, "#version: 0.2\na b\na zz\n");
    ck_load_fails(ERR_INVAL, "vocab.bpe:3:", "not in the vocabulary");
    write_tiny(-1, NULL, "#version: 0.2\na b\na b\n");
    ck_load_fails(ERR_INVAL, "vocab.bpe:3:", "repeats");
    write_tiny(-1, NULL, "#version: 0.2\na b\nb a\n");
    ck_load_fails(ERR_INVAL, "vocab.bpe:3:", "merged token");
    tmp_teardown();
}
END_TEST

/* encoder.py merges every occurrence of the best pair before looking again. With ("ab","a") ranked
 * before ("a","b"), "abab" must give [ab, ab]; merging the new pair (ab, a) as soon as it appears
 * would give [aba, b]. */
START_TEST(test_bpe_pass_semantics)
{
    const char *tok[259];
    size_t len[259];
    static char bytes[256];
    for (int b = 0; b < 256; b++) bytes[b] = (char)b, tok[b] = &bytes[b], len[b] = 1;
    tok[256] = "ab", len[256] = 2;
    tok[257] = "aba", len[257] = 3;
    tok[258] = TOKENIZER_EOT_TEXT, len[258] = strlen(TOKENIZER_EOT_TEXT);
    const int32_t merges[2][2] = {{256, 'a'}, {'a', 'b'}};
    Tokenizer *t;
    ck_assert_int_eq(tokenizer_build(&t, tok, len, 259, merges, 2), ERR_OK);
    ck_assert_int_eq(tokenizer_eot(t), 258);
    static const int32_t want[] = {256, 256};
    TokenizerIds v = {0};
    tokenizer_encode(t, "abab", 4, 0, &v);
    ck_ids(&v, want, 2);
    RefBpe r;
    ref_init(&r, t);
    ck_matches_ref(&r, "abab", 4);
    ck_matches_ref(&r, "ababa abaab", 11);
    free(r.m);
    tokenizer_ids_release(&v);
    tokenizer_free(t);
}
END_TEST

START_TEST(test_build_errors)
{
    const char *tok[2] = {"a", "b"};
    size_t len[2] = {1, 1};
    Tokenizer *t;
    ck_assert_int_eq(tokenizer_build(&t, tok, len, 2, NULL, 0), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "no token for byte"));
    char small[4]; /* not gpt2_dir: with CK_FORK=no the GPT-2 case would then load from "/ro" */
    ck_assert_int_eq(tokenizer_default_dir(small, sizeof small), ERR_INVAL); /* too small */
}
END_TEST

/* ---- Training -------------------------------------------------------------------------------- */

static Tokenizer *train_words(const char *const *words, const int *counts, int n, int vocab,
                              int min_freq)
{
    TokenizerTrainer *tr = tokenizer_trainer_alloc();
    for (int i = 0; i < n; i++)
        for (int k = 0; k < counts[i]; k++) tokenizer_trainer_add(tr, words[i], strlen(words[i]));
    TokenizerTrainOpts o = {vocab, min_freq};
    Tokenizer *t = NULL;
    ck_assert_int_eq(tokenizer_trainer_run(tr, &o, &t), ERR_OK);
    tokenizer_trainer_free(tr);
    return t;
}

static void ck_merge(const Tokenizer *t, int k, const char *left, const char *right)
{
    int32_t p[2];
    size_t na, nb;
    ck_assert_int_eq(tokenizer_merge(t, k, p), 0);
    const char *a = tokenizer_token_bytes(t, p[0], &na), *b = tokenizer_token_bytes(t, p[1], &nb);
    ck_assert_msg(na == strlen(left) && memcmp(a, left, na) == 0 && nb == strlen(right) &&
                      memcmp(b, right, nb) == 0,
                  "merge %d: got '%.*s' '%.*s', want '%s' '%s'", k, (int)na, a, (int)nb, b, left,
                  right);
}

/* Hand count (each word is a document, so a pre-token): hug x10, pug x5, pun x12, bun x4, hugs x5.
 * Pairs: ug 20, pu 17, un 16, hu 15 -> (u,g). Then un 16 -> (u,n); h-ug 15; p-un 12; then
 * hug-s 5 and p-ug 5 tie: left "hug" < "p" -> (hug,s) before (p,ug); last b-un 4. */
START_TEST(test_train_hand_derived)
{
    static const char *words[] = {"hug", "pug", "pun", "bun", "hugs"};
    static const int counts[] = {10, 5, 12, 4, 5};
    Tokenizer *t = train_words(words, counts, 5, 1000, 2);
    ck_assert_int_eq(tokenizer_n_merges(t), 7);
    ck_assert_int_eq(tokenizer_vocab_size(t), 256 + 7 + 1);
    ck_assert_int_eq(tokenizer_eot(t), 263);
    ck_merge(t, 0, "u", "g");
    ck_merge(t, 1, "u", "n");
    ck_merge(t, 2, "h", "ug");
    ck_merge(t, 3, "p", "un");
    ck_merge(t, 4, "hug", "s");
    ck_merge(t, 5, "p", "ug");
    ck_merge(t, 6, "b", "un");
    size_t n;
    ck_assert(memcmp(tokenizer_token_bytes(t, 256, &n), "ug", 2) == 0 && n == 2);
    ck_assert_int_eq(tokenizer_token_id(t, "u", 1), tokenizer_gpt2_byte_id('u'));
    TokenizerIds v = {0};
    tokenizer_encode(t, "hugs", 4, 0, &v);
    ck_assert_uint_eq(v.n, 1);
    ck_assert_int_eq(v.ids[0], 260); /* the fifth merge's token */
    tokenizer_ids_release(&v);
    tokenizer_free(t);

    /* Equal counts and equal left tokens: the right token decides ("b" < "c"). min_frequency
     * stops before pairs seen once; vocab_size caps the merges. */
    static const char *w2[] = {"ac", "ab", "xy"};
    static const int c2[] = {3, 3, 1};
    t = train_words(w2, c2, 3, 1000, 2);
    ck_assert_int_eq(tokenizer_n_merges(t), 2);
    ck_merge(t, 0, "a", "b");
    ck_merge(t, 1, "a", "c");
    tokenizer_free(t);
    t = train_words(w2, c2, 3, 1000, 1);
    ck_assert_int_eq(tokenizer_n_merges(t), 3);
    tokenizer_free(t);
    t = train_words(w2, c2, 3, 258, 1);
    ck_assert_int_eq(tokenizer_n_merges(t), 1);
    tokenizer_free(t);
}
END_TEST

/* A synthetic corpus: sentences of Zipf-ish random words with spaces, digits and punctuation. */
enum { CORPUS_DOCS = 300 };
static char *corpus[CORPUS_DOCS];
static size_t corpus_len[CORPUS_DOCS];

static void corpus_setup(void)
{
    static const char *syl[] = {"the", "an", "ka", "ri", "po", "lu", "mes", "tra", "on", "ing",
                                "qu",  "ez", "ba", "ne", "s",  "t",  "'s",  "42",  ",",  "."};
    char word[64];
    rng_state = 2024;
    for (int d = 0; d < CORPUS_DOCS; d++) {
        size_t cap = 4096, n = 0;
        corpus[d] = malloc(cap);
        int words = 20 + (int)(rnd() % 120);
        for (int w = 0; w < words; w++) {
            size_t k = 0;
            int parts = 1 + (int)(rnd() % 3);
            for (int p = 0; p < parts; p++) {
                uint64_t r = rnd() % 400; /* roughly Zipf: small indices far more often */
                const char *s = syl[(r * r / 8000) % 20];
                k += (size_t)snprintf(word + k, sizeof word - k, "%s", s);
            }
            n += (size_t)snprintf(corpus[d] + n, cap - n, "%s%s", w ? " " : "", word);
        }
        if (d % 7 == 0)
            n += (size_t)snprintf(corpus[d] + n, cap - n, "\n\n caf\xc3\xa9 \xe6\x97\xa5");
        corpus_len[d] = n;
    }
}
static void corpus_teardown(void)
{
    for (int d = 0; d < CORPUS_DOCS; d++) free(corpus[d]);
}

static void ck_same_merges(const Tokenizer *a, const Tokenizer *b)
{
    ck_assert_int_eq(tokenizer_n_merges(a), tokenizer_n_merges(b));
    for (int k = 0; k < tokenizer_n_merges(a); k++) {
        int32_t p[2], q[2];
        tokenizer_merge(a, k, p);
        tokenizer_merge(b, k, q);
        ck_assert_msg(p[0] == q[0] && p[1] == q[1], "merge %d differs", k);
    }
}

START_TEST(test_train_deterministic)
{
    TokenizerTrainOpts o = {600, 2};
    Tokenizer *a, *b, *c;
    ck_assert_int_eq(tokenizer_train((const char *const *)corpus, corpus_len, CORPUS_DOCS, &o, &a),
                     ERR_OK);
    ck_assert_int_eq(tokenizer_vocab_size(a), 600);
    /* Reversed document order, one at a time (serial counting): the same merges. */
    TokenizerTrainer *tr = tokenizer_trainer_alloc();
    for (int d = CORPUS_DOCS - 1; d >= 0; d--) tokenizer_trainer_add(tr, corpus[d], corpus_len[d]);
    ck_assert_int_eq(tokenizer_trainer_run(tr, &o, &b), ERR_OK);
    ck_same_merges(a, b);
    size_t docs, pieces, unique;
    tokenizer_trainer_stats(tr, &docs, NULL, &pieces, &unique);
    ck_assert_uint_eq(docs, CORPUS_DOCS);
    ck_assert_uint_gt(pieces, unique);
    /* Running again on the same trainer gives the same result. */
    ck_assert_int_eq(tokenizer_trainer_run(tr, &o, &c), ERR_OK);
    ck_same_merges(a, c);
    TokenizerTrainOpts bad = {256, 2};
    Tokenizer *none;
    ck_assert_int_eq(tokenizer_trainer_run(tr, &bad, &none), ERR_INVAL);
    bad = (TokenizerTrainOpts){600, 0};
    ck_assert_int_eq(tokenizer_trainer_run(tr, &bad, &none), ERR_INVAL);
    tokenizer_trainer_free(tr);
    tokenizer_free(a), tokenizer_free(b), tokenizer_free(c);
}
END_TEST

START_TEST(test_train_save_load_round_trip)
{
    TokenizerTrainOpts o = {500, 2};
    Tokenizer *t, *t2;
    tmp_setup();
    ck_assert_int_eq(tokenizer_train((const char *const *)corpus, corpus_len, CORPUS_DOCS, &o, &t),
                     ERR_OK);
    ck_assert_int_eq(tokenizer_save_dir(t, tmpdir), ERR_OK);
    ck_assert_msg(tokenizer_load_dir(&t2, tmpdir) == ERR_OK, "%s", err_msg());
    ck_assert_int_eq(tokenizer_vocab_size(t2), 500);
    ck_assert_int_eq(tokenizer_eot(t2), 499);
    ck_same_merges(t, t2);
    RefBpe r;
    ref_init(&r, t2);
    for (int d = 0; d < 40; d++) {
        ck_round_trip(t2, corpus[d], corpus_len[d]);
        ck_matches_ref(&r, corpus[d], corpus_len[d]);
    }
    char s[4 * 100];
    rng_state = 5;
    for (int k = 0; k < 100; k++) {
        size_t n = rand_utf8(s, 100);
        ck_round_trip(t2, s, n);
        ck_matches_ref(&r, s, n);
    }
    /* Training compresses its own corpus: fewer tokens than bytes by a wide margin. */
    TokenizerIds v = {0};
    tokenizer_encode(t2, corpus[0], corpus_len[0], 0, &v);
    ck_assert_uint_lt(2 * v.n, corpus_len[0]);
    tokenizer_ids_release(&v);
    free(r.m);
    tokenizer_free(t), tokenizer_free(t2);
    tmp_teardown();
}
END_TEST

START_TEST(test_train_files)
{
    TokenizerTrainer *tr = tokenizer_trainer_alloc();
    size_t added, docs, bytes;
    tmp_setup();
    write_text("a.jsonl", "{\"text\": \"hello there\", \"id\": 1}\n\n{\"text\": \"again\"}\n"
                          "{\"text\": \"third\"}");
    ck_assert_int_eq(tokenizer_trainer_add_file(tr, tmp_path("a.jsonl"), "text", 100, &added),
                     ERR_OK);
    ck_assert_uint_eq(added, 3);
    ck_assert_int_eq(tokenizer_trainer_add_file(tr, tmp_path("a.jsonl"), "text", 2, &added),
                     ERR_OK);
    ck_assert_uint_eq(added, 2);
    write_text("doc.txt", "one whole document\n");
    ck_assert_int_eq(tokenizer_trainer_add_file(tr, tmp_path("doc.txt"), NULL, 0, &added), ERR_OK);
    tokenizer_trainer_stats(tr, &docs, &bytes, NULL, NULL);
    ck_assert_uint_eq(docs, 6);
    ck_assert_uint_eq(bytes, 11 + 5 + 5 + 11 + 5 + 19);

    gzFile g = gzopen(tmp_path("a.jsonl.gz"), "wb");
    for (int i = 0; i < 2000; i++) gzprintf(g, "{\"text\": \"line %d of a gzip file\"}\n", i);
    gzclose(g);
    ck_assert_int_eq(
        tokenizer_trainer_add_file(tr, tmp_path("a.jsonl.gz"), "text", SIZE_MAX, &added), ERR_OK);
    ck_assert_uint_eq(added, 2000);

    ck_assert_int_eq(tokenizer_trainer_add_file(tr, tmp_path("missing"), "text", 9, NULL), ERR_IO);
    write_text("a.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"broken}\n");
    ck_assert_int_eq(tokenizer_trainer_add_file(tr, tmp_path("a.jsonl"), "text", 9, NULL),
                     ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "a.jsonl:2: malformed JSON"));
    write_text("a.jsonl", "{\"text\": \"ok\"}\n\n{\"body\": \"no text\"}\n");
    ck_assert_int_eq(tokenizer_trainer_add_file(tr, tmp_path("a.jsonl"), "text", 9, NULL),
                     ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "a.jsonl:3: no string field 'text'"));

    /* Corrupt the middle of the gzip stream: an error, not a crash or silent success. */
    FILE *f = fopen(tmp_path("a.jsonl.gz"), "r+b");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size / 2, SEEK_SET);
    for (int i = 0; i < 16; i++) fputc(0x5A ^ i, f);
    fclose(f);
    ck_assert_int_eq(tokenizer_trainer_add_file(tr, tmp_path("a.jsonl.gz"), "text", SIZE_MAX, NULL),
                     ERR_INVAL);
    ck_assert_msg(strstr(err_msg(), "a.jsonl.gz:"), "%s", err_msg());
    tokenizer_trainer_free(tr);
    tmp_teardown();
}
END_TEST

/* ---- Pre-tokeniser and alphabet -------------------------------------------------------------- */

static int collect(void *ctx, const char *s, size_t n)
{
    char *out = ctx;
    strncat(out, s, n);
    strcat(out, "|");
    return 0;
}

START_TEST(test_pretokenize_and_alphabet)
{
    char out[256] = "";
    const char *s = "I'm  here\xff\xfe 42x  \n";
    tokenizer_pretokenize(s, strlen(s), collect, out);
    ck_assert_str_eq(out, "I|'m| | here|\xff\xfe| 42|x|  \n|"); /* as Python regex */
    ck_assert_int_eq(tokenizer_byte_to_unicode(' '), 0x120);    /* 'Ġ' */
    ck_assert_int_eq(tokenizer_byte_to_unicode('A'), 'A');
    ck_assert_int_eq(tokenizer_unicode_to_byte(0x120), ' ');
    ck_assert_int_eq(tokenizer_unicode_to_byte(0x4E00), -1);
    ck_assert_int_eq(tokenizer_gpt2_byte_id('!'), 0);
    ck_assert_int_eq(tokenizer_gpt2_byte_id(' '), 220);
    ck_assert_int_eq(tokenizer_gpt2_byte_id('\n'), 198);
}
END_TEST

Suite *suite_tokenizer(void);
Suite *suite_tokenizer(void)
{
    Suite *s = suite_create("tokenizer");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, test_pretokenize_and_alphabet);
    tcase_add_test(tc, test_load_tiny_ok);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_batch_empty_documents);
    tcase_add_test(tc, test_build_errors);
    tcase_add_test(tc, test_bpe_pass_semantics);
    suite_add_tcase(s, tc);

    tc = tcase_create("train");
    tcase_set_timeout(tc, 30);
    tcase_add_unchecked_fixture(tc, corpus_setup, corpus_teardown);
    tcase_add_test(tc, test_train_hand_derived);
    tcase_add_test(tc, test_train_deterministic);
    tcase_add_test(tc, test_train_save_load_round_trip);
    tcase_add_test(tc, test_train_files);
    suite_add_tcase(s, tc);

    char enc[4200];
    int have = tokenizer_default_dir(gpt2_dir, sizeof gpt2_dir) == ERR_OK;
    snprintf(enc, sizeof enc, "%s/vocab.bpe", gpt2_dir);
    have = have && access(enc, R_OK) == 0;
    snprintf(enc, sizeof enc, "%s/encoder.json", gpt2_dir);
    have = have && access(enc, R_OK) == 0;
    if (!have) {
        printf("tokenizer: SKIPPING the GPT-2 test case: no encoder.json/vocab.bpe in '%s' "
               "(run 'make deps')\n",
               gpt2_dir);
        return s;
    }
    tc = tcase_create("gpt2");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, gpt2_setup, gpt2_teardown);
    tcase_add_test(tc, test_gpt2_loads);
    tcase_add_test(tc, test_gpt2_issue_ids);
    tcase_add_loop_test(tc, test_gpt2_reference_ids, 0,
                        (int)(sizeof gpt2_cases / sizeof gpt2_cases[0]));
    tcase_add_test(tc, test_gpt2_eot_only_when_allowed);
    tcase_add_test(tc, test_gpt2_fuzz_utf8);
    tcase_add_test(tc, test_gpt2_fuzz_bytes);
    tcase_add_test(tc, test_gpt2_long_pieces);
    tcase_add_test(tc, test_gpt2_batch_equals_single);
    tcase_add_test(tc, test_gpt2_save_reload);
    suite_add_tcase(s, tc);
    return s;
}
