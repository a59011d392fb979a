/* textfeat: words, sentences, hashing. Byte-level and locale-free; UTF-8 is decoded only to tell
 * letters from punctuation (curly quotes, dashes and ellipses separate words). */
#include "textfeat.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Decodes one UTF-8 code point at s[i] (i < n): returns its byte length and sets *cp, or returns 1
 * with *cp = -1 for an invalid or truncated sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, size_t i, long *cp)
{
    unsigned c = s[i];
    size_t len;
    long v;
    if (c < 0x80) return *cp = c, 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, v = c & 0x07;
    else
        return *cp = -1, 1;
    if (i + len > n) return *cp = -1, 1;
    for (size_t k = 1; k < len; k++) {
        if ((s[i + k] & 0xC0) != 0x80) return *cp = -1, 1;
        v = (v << 6) | (s[i + k] & 0x3F);
    }
    /* overlong forms and surrogates are invalid */
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return *cp = -1, 1;
    return *cp = v, len;
}

static int is_alnum_ascii(long c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Letters of the common scripts; punctuation, symbols, spaces and invalid bytes are not. */
static int is_word_cp(long c)
{
    if (c < 0x80) return is_alnum_ascii(c);
    if (c >= 0xC0 && c <= 0x2AF) return c != 0xD7 && c != 0xF7;
    return (c >= 0x370 && c <= 0x1FFF) || (c >= 0x2C00 && c <= 0x2DFF) ||
           (c >= 0x3040 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3) ||
           (c >= 0xF900 && c <= 0xFAFF);
}

static int is_apostrophe(long c) { return c == '\'' || c == 0x2019; }

int textfeat_next_word(const char *str, size_t n, size_t *pos, char w[TEXTFEAT_WORD_MAX],
                       size_t *start, size_t *end)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = *pos, len;
    long cp;
    /* skip to the first word character */
    while (i < n) {
        len = utf8_decode(s, n, i, &cp);
        if (is_word_cp(cp)) break;
        i += len;
    }
    if (i >= n) {
        *pos = n;
        return 0;
    }
    size_t k = 0;
    *start = i;
    while (i < n) {
        len = utf8_decode(s, n, i, &cp);
        if (is_apostrophe(cp)) {
            /* an apostrophe stays only between a word character and a letter: don't, Obama's */
            long next = -1;
            if (i + len < n) utf8_decode(s, n, i + len, &next);
            if (!is_word_cp(next) || (next >= '0' && next <= '9')) break;
            if (k + 1 < TEXTFEAT_WORD_MAX) w[k++] = '\'';
            i += len;
            continue;
        }
        if (!is_word_cp(cp)) break;
        if (cp < 0x80) {
            char c = (char)cp;
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            else if (c >= '0' && c <= '9')
                c = '0';
            if (k + 1 < TEXTFEAT_WORD_MAX) w[k++] = c;
        } else if (k + len < TEXTFEAT_WORD_MAX) {
            memcpy(w + k, s + i, len);
            k += len;
        }
        i += len;
    }
    w[k] = '\0';
    *end = *pos = i;
    return 1;
}

/* The 64-bit finaliser of MurmurHash3. */
static uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t textfeat_hash(const void *data, size_t n, uint64_t seed)
{
    /* FNV-1a over the bytes from a seeded basis, then a full-avalanche finaliser */
    const unsigned char *p = data;
    uint64_t h = 14695981039346656037ULL ^ fmix64(seed + 0x9e3779b97f4a7c15ULL);
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return fmix64(h ^ n);
}

uint64_t textfeat_hash_pair(uint64_t a, uint64_t b)
{
    return fmix64(a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL));
}

/* ---- sentences ---- */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Abbreviations that end with a period but rarely end a sentence (lower-case). */
static const char *const abbrevs[] = {
    "mr",     "mrs",  "ms",   "dr",   "prof", "sr",   "jr",  "st",   "mt",   "gen",
    "gov",    "sen",  "rep",  "rev",  "lt",   "col",  "sgt", "capt", "cmdr", "adm",
    "maj",    "pres", "supt", "vs",   "no",   "nos",  "jan", "feb",  "apr",  "jun",
    "jul",    "aug",  "sep",  "sept", "oct",  "nov",  "dec", "ft",   "ave",  "blvd",
    "approx", "dept", "est",  "fig",  "inc",  "corp", "ltd", "co",   "ph",   NULL};

/* Is the '.' at s[i] the end of an abbreviation, an initial or a dotted token? */
static int is_abbrev_dot(const char *s, size_t lo, size_t i)
{
    size_t b = i;
    int dots = 0;
    while (b > lo && (is_alnum_ascii((unsigned char)s[b - 1]) || s[b - 1] == '.')) {
        b--;
        dots += s[b] == '.';
    }
    size_t len = i - b;
    if (len == 0) return 0;
    if (dots > 0) return 1;                                                          /* U.S. a.m. */
    if (len == 1) return ((unsigned char)s[b] >= 'A' && (unsigned char)s[b] <= 'Z'); /* initial */
    if (len > 6) return 0;
    char w[8];
    for (size_t k = 0; k < len; k++) {
        char c = s[b + k];
        w[k] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    w[len] = '\0';
    for (const char *const *a = abbrevs; *a; a++)
        if (strcmp(*a, w) == 0) return 1;
    return 0;
}

/* Does a sentence start at s[i]: an upper-case letter, a digit, an opening quote or bracket, or
 * a non-ASCII letter? */
static int starts_sentence(const char *str, size_t n, size_t i)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[i];
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '"' || c == '\'' || c == '(' ||
        c == '[')
        return 1;
    long cp;
    utf8_decode(s, n, i, &cp);
    return cp == 0x201C || cp == 0x2018 || (cp >= 0x80 && is_word_cp(cp));
}

static void push_span(const char *s, size_t a, size_t b, TextSpan **spans, size_t *cap, size_t *k)
{
    while (a < b && is_space((unsigned char)s[a])) a++;
    while (b > a && is_space((unsigned char)s[b - 1])) b--;
    if (a == b) return;
    if (*k == *cap) {
        *cap = *cap ? 2 * *cap : 32;
        *spans = xrealloc(*spans, *cap * sizeof **spans);
    }
    (*spans)[(*k)++] = (TextSpan){a, b};
}

size_t textfeat_sentences(const char *str, size_t n, TextSpan **spans, size_t *cap)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t k = 0, start = 0, i = 0;
    while (i < n) {
        long cp;
        size_t len = utf8_decode(s, n, i, &cp);
        if (cp == '\n') {
            push_span(str, start, i, spans, cap, &k);
            start = i = i + 1;
            continue;
        }
        if (cp != '.' && cp != '!' && cp != '?' && cp != 0x2026) {
            i += len;
            continue;
        }
        /* a run of terminators, then closing quotes and brackets */
        size_t j = i, first = i;
        int single_dot = 1, nterm = 0;
        while (j < n) {
            size_t l = utf8_decode(s, n, j, &cp);
            if (cp == '.' || cp == '!' || cp == '?' || cp == 0x2026) {
                single_dot &= cp == '.';
                nterm++;
                j += l;
            } else
                break;
        }
        single_dot &= nterm == 1;
        while (j < n) {
            size_t l = utf8_decode(s, n, j, &cp);
            if (cp == '"' || cp == '\'' || cp == ')' || cp == ']' || cp == 0x201D || cp == 0x2019 ||
                cp == 0xBB)
                j += l;
            else
                break;
        }
        size_t m = j;
        while (m < n && (s[m] == ' ' || s[m] == '\t' || s[m] == '\r')) m++;
        int boundary;
        if (m >= n || s[m] == '\n')
            boundary = 1;
        else if (m == j)
            boundary = 0; /* no white space: 3.5, U.S.A., "?!" inside a token */
        else
            boundary =
                starts_sentence(str, n, m) && !(single_dot && is_abbrev_dot(str, start, first));
        if (boundary) {
            push_span(str, start, j, spans, cap, &k);
            start = j;
        }
        i = j;
    }
    push_span(str, start, n, spans, cap, &k);
    return k;
}

/* ---- hashed bags ---- */

void textfeat_bag_release(TextBag *b)
{
    free(b->idx), free(b->val), free(b->tmp);
    memset(b, 0, sizeof *b);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void bag_reserve(TextBag *b, size_t need)
{
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    b->idx = xrealloc(b->idx, cap * sizeof *b->idx);
    b->val = xrealloc(b->val, cap * sizeof *b->val);
    b->tmp = xrealloc(b->tmp, cap * sizeof *b->tmp);
    b->cap = cap;
}

void textfeat_bag_ngrams(TextBag *bag, const char *s, size_t n, int bits, uint64_t seed,
                         int bigrams)
{
    assert(bits >= 1 && bits <= 30);
    uint64_t mask = (UINT64_C(1) << bits) - 1;
    char w[TEXTFEAT_WORD_MAX];
    size_t pos = 0, a, e, m = 0;
    uint64_t prev = 0;
    int have_prev = 0;
    while (textfeat_next_word(s, n, &pos, w, &a, &e)) {
        bag_reserve(bag, m + 2);
        uint64_t h = textfeat_hash(w, strlen(w), seed);
        bag->tmp[m++] = h & mask;
        if (bigrams && have_prev) bag->tmp[m++] = textfeat_hash_pair(prev, h) & mask;
        prev = h;
        have_prev = 1;
    }
    if (m > 1) qsort(bag->tmp, m, sizeof *bag->tmp, cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        if (k > 0 && bag->idx[k - 1] == (uint32_t)bag->tmp[i]) {
            bag->val[k - 1] += 1.0f;
            continue;
        }
        bag->idx[k] = (uint32_t)bag->tmp[i];
        bag->val[k++] = 1.0f;
    }
    bag->n = k;
}
