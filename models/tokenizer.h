/* tokenizer: GPT-2's byte-level BPE (encoder.json + vocab.bpe) in C, and BPE training that writes
 * the same two files. Ids must match OpenAI's encoder.py exactly; decode(encode(s)) == s for any
 * bytes. Thread safety: a Tokenizer is immutable after load/build, so any number of threads may
 * share it. The BPE cache is never shared: tokenizer_encode() uses a per-call cache,
 * tokenizer_encode_batch() one cache per OpenMP thread. No locks. */
#ifndef BIASAMP_TOKENIZER_H
#define BIASAMP_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct Tokenizer Tokenizer;

enum {
    TOKENIZER_GPT2_VOCAB = 50257,
    TOKENIZER_GPT2_EOT = 50256,   /* <|endoftext|> in GPT-2's vocabulary */
    TOKENIZER_ALLOW_EOT = 1u << 0 /* encode flag: the literal "<|endoftext|>" becomes the EOT id */
};
#define TOKENIZER_EOT_TEXT "<|endoftext|>"

/* A growable id vector. Caller-owned struct: zero-initialise ({0}), tokenizer_ids_release() frees
 * the array. Encoding appends, so one vector can collect many documents. */
typedef struct {
    int32_t *ids;
    size_t n, cap;
} TokenizerIds;
void tokenizer_ids_release(TokenizerIds *v);
void tokenizer_ids_push(TokenizerIds *v, int32_t id);

/* ---- Loading -------------------------------------------------------------------------------- */

/* Writes "$BIASAMP_CACHE/gpt2-bpe" (else "$HOME/.cache/biasamp/gpt2-bpe") into buf.
 * ERR_INVAL if neither variable is set or buf is too small. Does not check that it exists. */
int tokenizer_default_dir(char *buf, size_t n);

/* Loads encoder.json (a flat JSON object token -> id, keys in GPT-2's byte->unicode alphabet, ids
 * dense 0..V-1) and vocab.bpe ("#version..." first line, then one "left right" merge per line,
 * rank order). On success *out owns a new Tokenizer (free with tokenizer_free). Errors: ERR_IO if a
 * file cannot be read; ERR_INVAL naming file:line for malformed JSON, a non-integer or duplicate
 * id, a gap in the ids, a key outside the byte alphabet, a missing byte token, a missing version
 * line, or a merge line that is malformed, duplicated or names a token not in encoder.json. */
int tokenizer_load(Tokenizer **out, const char *encoder_json, const char *vocab_bpe);
/* tokenizer_load(dir/encoder.json, dir/vocab.bpe). */
int tokenizer_load_dir(Tokenizer **out, const char *dir);

/* Builds a tokenizer from memory: token i has bytes tok[i][0..len[i]) (i < V), merges[k] = {left,
 * right} ids in rank order (k < n_merges), and the merged token left‖right must exist in the
 * vocabulary. Every single byte must be a token. The token whose bytes are "<|endoftext|>", if any,
 * becomes the EOT id. Copies everything. ERR_INVAL (with the index) on any violation. */
int tokenizer_build(Tokenizer **out, const char *const *tok, const size_t *len, int V,
                    const int32_t (*merges)[2], int n_merges);

/* Writes dir/encoder.json (one "token": id per line, UTF-8) and dir/vocab.bpe ("#version: 0.2"),
 * which tokenizer_load_dir() reads back to an identical tokenizer. The directory must exist.
 * ERR_IO on write failure. */
int tokenizer_save_dir(const Tokenizer *tok, const char *dir);

void tokenizer_free(Tokenizer *tok); /* NULL is a no-op */

int tokenizer_vocab_size(const Tokenizer *tok);
int tokenizer_n_merges(const Tokenizer *tok);
int tokenizer_eot(
    const Tokenizer *tok); /* the <|endoftext|> id, or -1 if the vocabulary has none */
/* The raw bytes of token `id` (not NUL-terminated), length in *len; NULL if id is out of range. */
const char *tokenizer_token_bytes(const Tokenizer *tok, int32_t id, size_t *len);
/* The id of the token whose bytes are s[0..n), or -1. */
int32_t tokenizer_token_id(const Tokenizer *tok, const char *s, size_t n);
/* The merge of rank k as {left, right} ids; -1 if k is out of range. */
int tokenizer_merge(const Tokenizer *tok, int k, int32_t pair[2]);

/* ---- Encoding and decoding ------------------------------------------------------------------- */

/* Appends the ids of text[0..len) to *out. Any bytes are accepted: invalid UTF-8 is split off by
 * the pre-tokeniser and encoded as byte tokens, so it round-trips. With TOKENIZER_ALLOW_EOT each
 * literal "<|endoftext|>" becomes the EOT id (ERR_INVAL if the vocabulary has none); without it the
 * literal is ordinary text. Returns ERR_OK (out of memory is fatal). */
int tokenizer_encode(const Tokenizer *tok, const char *text, size_t len, unsigned flags,
                     TokenizerIds *out);

/* Encodes n documents in parallel (OpenMP, dynamic schedule, one BPE cache per thread);
 * out[i] receives document i (appended; caller-initialised). Results equal tokenizer_encode()'s
 * for any thread count. n_threads <= 0 means OpenMP's default. */
int tokenizer_encode_batch(const Tokenizer *tok, const char *const *texts, const size_t *lens,
                           size_t n, unsigned flags, int n_threads, TokenizerIds *out);

/* Decodes ids to bytes: *text is a new NUL-terminated buffer (caller frees with free()), *len its
 * length without the NUL (may contain NUL bytes). ERR_INVAL naming the position of an id out of
 * range. The EOT id decodes to "<|endoftext|>". */
int tokenizer_decode(const Tokenizer *tok, const int32_t *ids, size_t n, char **text, size_t *len);

/* ---- Pre-tokenisation and the byte alphabet (shared with training) ----------------------------
 */

/* Splits text[0..len) with GPT-2's pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (PCRE2, UTF + UCP + MATCH_INVALID_UTF) and calls fn(ctx, piece, n) for each piece in order. The
 * pieces tile the text exactly: each maximal run of bytes that is not valid UTF-8 (which the
 * pattern cannot match) is one piece of its own. Stops early and returns fn's status if fn returns
 * nonzero; otherwise ERR_OK. Thread-safe. */
typedef int (*TokenizerPieceFn)(void *ctx, const char *piece, size_t n);
int tokenizer_pretokenize(const char *text, size_t len, TokenizerPieceFn fn, void *ctx);

/* GPT-2's bytes_to_unicode(): the code point that stands for byte b in encoder.json / vocab.bpe,
 * and the inverse (-1 if code point cp stands for no byte). */
int tokenizer_byte_to_unicode(int b);
int tokenizer_unicode_to_byte(int cp);
/* Byte b's id in GPT-2's vocabulary (and in every vocabulary this module trains). */
int tokenizer_gpt2_byte_id(int b);

/* ---- BPE training (tokenizer_train.c) -------------------------------------------------------- */

/* Training learns merges from the pre-token counts of a corpus:
 *   vocabulary = 256 byte tokens (GPT-2's byte ids 0..255) + merges (id 256 + rank) + EOT last.
 * Each step merges the most frequent adjacent pair of the current segmentation, counted over unique
 * pre-tokens weighted by frequency. Ties: the pair whose left token's bytes compare smallest
 * (memcmp order, a prefix before its extensions), then the right token's bytes likewise. So the
 * result does not depend on document order, hashing or thread count. Training stops at
 * vocab_size, or earlier when the best pair occurs fewer than min_frequency times. If a merge
 * yields a byte string that is already a token, the merge reuses that id (no new token). */
typedef struct {
    int vocab_size;    /* target size including 256 bytes and EOT; >= 257 (e.g. 4096) */
    int min_frequency; /* a pair must occur at least this often to be merged; >= 1 (default 2) */
} TokenizerTrainOpts;
#define TOKENIZER_TRAIN_DEFAULTS                                                                   \
    {                                                                                              \
        4096, 2                                                                                    \
    }

/* Accumulates pre-token counts document by document, so corpora need not fit in memory. */
typedef struct TokenizerTrainer TokenizerTrainer;
TokenizerTrainer *tokenizer_trainer_alloc(void);
void tokenizer_trainer_free(TokenizerTrainer *tr); /* NULL is a no-op */
/* Pre-tokenises one document and adds its pieces' counts. */
void tokenizer_trainer_add(TokenizerTrainer *tr, const char *text, size_t len);
/* The same for n documents, pre-tokenised in parallel (same counts as n calls of _add). */
void tokenizer_trainer_add_batch(TokenizerTrainer *tr, const char *const *texts, const size_t *lens,
                                 size_t n);
/* Adds the text of a file, plain or gzip-compressed (detected): the whole file as one document, or,
 * with jsonl_field, the string field of each line as one document (at most max_docs of them).
 * *n_added (may be NULL) receives the number of documents added. ERR_IO if the file cannot be
 * opened; ERR_INVAL naming path:line for malformed JSON, a missing or non-string field, or a
 * corrupt gzip stream (documents before the bad line may already have been added). */
int tokenizer_trainer_add_file(TokenizerTrainer *tr, const char *path, const char *jsonl_field,
                               size_t max_docs, size_t *n_added);
/* Totals so far: documents, bytes, pieces (pre-tokens) and unique pieces. */
void tokenizer_trainer_stats(const TokenizerTrainer *tr, size_t *docs, size_t *bytes,
                             size_t *pieces, size_t *unique);
/* Runs the merges on the counts gathered so far; *out owns the new tokenizer. ERR_INVAL for bad
 * options. The trainer is left unchanged and may receive more documents and run again. */
int tokenizer_trainer_run(const TokenizerTrainer *tr, const TokenizerTrainOpts *opts,
                          Tokenizer **out);

/* One-call form for a corpus in memory. */
int tokenizer_train(const char *const *texts, const size_t *lens, size_t n,
                    const TokenizerTrainOpts *opts, Tokenizer **out);

#endif
