/* textfeat: the text side shared by the lean and quality classifiers — word tokens, sentence
 * splitting, seeded hashing and hashed bags of word uni/bigrams.
 * The constraint: everything is a pure function of the bytes (no locale), so features and scores
 * are identical on every machine and thread. */
#ifndef BIASAMP_TEXTFEAT_H
#define BIASAMP_TEXTFEAT_H

#include <stddef.h>
#include <stdint.h>

/* Longest normalised word kept (bytes incl. the NUL); longer words are cut (and still hashed). */
#define TEXTFEAT_WORD_MAX 48

/* Finds the next word in s[*pos, n). A word is a run of ASCII letters and digits, non-ASCII
 * letters (UTF-8; general punctuation, symbols and invalid bytes separate words) and apostrophes
 * (' or U+2019) between letters; hyphens separate words. Returns 1 with w = the normalised word
 * (ASCII lower-case, every digit -> '0', U+2019 -> '\''), *start and *end its raw byte span, and
 * *pos = *end; returns 0 when no word is left. */
int textfeat_next_word(const char *s, size_t n, size_t *pos, char w[TEXTFEAT_WORD_MAX],
                       size_t *start, size_t *end);

/* 64-bit hash of n bytes with a seed (a murmur-style finaliser over 8-byte blocks); part of the
 * model-file contract: changing it invalidates saved models. */
uint64_t textfeat_hash(const void *s, size_t n, uint64_t seed);
/* Combines two hashes (order matters): the hash of a word bigram. */
uint64_t textfeat_hash_pair(uint64_t a, uint64_t b);

/* A byte range [start, end) of a text. */
typedef struct TextSpan {
    size_t start, end;
} TextSpan;

/* Splits s[0, n) into sentences: a line break always ends one; '.', '!', '?' or U+2026 (runs
 * allowed, then optional closing quotes or brackets) end one when white space and then an
 * upper-case letter, a digit, an opening quote or bracket follow, except after a known
 * abbreviation (Mr., Dr., Sen., Jan., ...), a single letter (an initial) or a dotted token (U.S.).
 * Spans are trimmed of white space; empty ones are dropped. *spans is (re)allocated with capacity
 * *cap (pass NULL/0 the first time; reuse to avoid allocation). Returns the number of sentences. */
size_t textfeat_sentences(const char *s, size_t n, TextSpan **spans, size_t *cap);

/* A sparse vector: sorted unique indices with values. Buffers grow and are reused. */
typedef struct TextBag {
    size_t n, cap;
    uint32_t *idx;
    float *val;
    uint64_t *tmp; /* scratch for sorting, [cap] */
} TextBag;

void textfeat_bag_release(TextBag *b);

/* Counts of hashed word unigrams and, if bigrams != 0, of adjacent-word bigrams (consecutive words
 * of the text, across line breaks) in 2^bits buckets: bag->idx ascending, bag->val = raw counts.
 * bits in 1..30. */
void textfeat_bag_ngrams(TextBag *bag, const char *s, size_t n, int bits, uint64_t seed,
                         int bigrams);

#endif
