/* fuzz_tokenizer_encode: tokenizer_encode / _encode_batch / _decode on arbitrary bytes with GPT-2's
 * vocabulary (from $BIASAMP_CACHE/gpt2-bpe, else ~/.cache/biasamp/gpt2-bpe, when present) and a
 * small vocabulary trained here. Properties: ids in range, decode(encode(s)) == s with and without
 * TOKENIZER_ALLOW_EOT, a batch equals one call per document; the input read as int32 ids decodes
 * or is refused with ERR_INVAL. */
#include "err.h"
#include "fuzz_util.h"
#include "tokenizer.h"

static Tokenizer *tok[2];
static int ntok;

static const char train_text[] =
    "The committee said that the bill would pass next week, according to officials. "
    "Prices for food and fuel went up again this year; the agency would review the policy.\n"
    "It's 2024 and we'll see: 3.14159 isn't 22/7 -- caf\xc3\xa9, na\xc3\xafve, \xe6\x97\xa5\xe6\x9c\xac.\n"
    "    indented    spaces\t\ttabs\r\nand <|endoftext|> markers";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char dir[4096];
    if (tokenizer_default_dir(dir, sizeof dir) == ERR_OK && tokenizer_load_dir(&tok[ntok], dir) == ERR_OK)
        ntok++;
    else
        fprintf(stderr, "fuzz_tokenizer_encode: no GPT-2 vocabulary (run make deps); trained one only\n");
    const char *texts[1] = {train_text};
    size_t lens[1] = {sizeof train_text - 1};
    TokenizerTrainOpts o = {320, 1};
    if (tokenizer_train(texts, lens, 1, &o, &tok[ntok]) != ERR_OK) abort();
    ntok++;
    return 0;
}

static void roundtrip(const Tokenizer *t, const char *s, size_t n, unsigned flags)
{
    TokenizerIds ids = {0};
    int rc = tokenizer_encode(t, s, n, flags, &ids);
    FUZZ_CHECK(rc == ERR_OK || (rc == ERR_INVAL && tokenizer_eot(t) < 0));
    if (rc) return;
    for (size_t i = 0; i < ids.n; i++) FUZZ_CHECK(ids.ids[i] >= 0 && ids.ids[i] < tokenizer_vocab_size(t));
    char *back;
    size_t m;
    FUZZ_CHECK(tokenizer_decode(t, ids.ids, ids.n, &back, &m) == ERR_OK);
    FUZZ_CHECK(m == n && memcmp(back, s, n) == 0 && back[m] == '\0');
    free(back);
    tokenizer_ids_release(&ids);
}

/* Documents = the input cut at '\n'; the batch must equal one tokenizer_encode per document. */
static void batch(const Tokenizer *t, const char *s, size_t n)
{
    enum { MAXDOC = 8 };
    const char *docs[MAXDOC];
    size_t lens[MAXDOC], nd = 0;
    for (const char *p = s; nd < MAXDOC;) {
        const char *e = memchr(p, '\n', (size_t)(s + n - p));
        docs[nd] = p;
        lens[nd++] = e ? (size_t)(e - p) : (size_t)(s + n - p);
        if (!e) break;
        p = e + 1;
    }
    TokenizerIds out[MAXDOC] = {{0}};
    FUZZ_CHECK(tokenizer_encode_batch(t, docs, lens, nd, 0, 1, out) == ERR_OK);
    for (size_t i = 0; i < nd; i++) {
        TokenizerIds one = {0};
        tokenizer_encode(t, docs[i], lens[i], 0, &one);
        FUZZ_CHECK(one.n == out[i].n && (one.n == 0 || memcmp(one.ids, out[i].ids, one.n * 4) == 0));
        tokenizer_ids_release(&one);
        tokenizer_ids_release(&out[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    for (int k = 0; k < ntok; k++) {
        roundtrip(tok[k], s, size, 0);
        roundtrip(tok[k], s, size, TOKENIZER_ALLOW_EOT);
        batch(tok[k], s, size);
        /* the bytes as ids */
        size_t n = size / 4;
        int32_t *ids = malloc(n * sizeof *ids + 1);
        FUZZ_CHECK(ids);
        if (n) memcpy(ids, data, n * sizeof *ids);
        int valid = 1;
        for (size_t i = 0; i < n; i++) valid &= ids[i] >= 0 && ids[i] < tokenizer_vocab_size(tok[k]);
        char *text;
        size_t len;
        int rc = tokenizer_decode(tok[k], ids, n, &text, &len);
        FUZZ_CHECK(rc == (valid ? ERR_OK : ERR_INVAL));
        if (rc == ERR_OK) free(text);
        free(ids);
    }
    return 0;
}
