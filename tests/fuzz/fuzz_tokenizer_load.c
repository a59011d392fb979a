/* fuzz_tokenizer_load: tokenizer_load on an encoder.json / vocab.bpe pair. The input is split at
 * its first "#version": the bytes before are encoder.json, the rest vocab.bpe (so a valid pair
 * concatenated is a valid input). A vocabulary that loads must encode and decode a text back to
 * itself, and save and reload to the same tokens and merges. */
#include <sys/stat.h>

#include "err.h"
#include "fuzz_util.h"
#include "tokenizer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

static void check_usable(const Tokenizer *t)
{
    static const char text[] = "Hello world, it's 2024: caf\xc3\xa9 \xff\xfe <|endoftext|> ok\n\n";
    TokenizerIds ids = {0};
    FUZZ_CHECK(tokenizer_encode(t, text, sizeof text - 1, 0, &ids) == ERR_OK);
    char *back;
    size_t n;
    FUZZ_CHECK(tokenizer_decode(t, ids.ids, ids.n, &back, &n) == ERR_OK);
    FUZZ_CHECK(n == sizeof text - 1 && memcmp(back, text, n) == 0);
    free(back);
    tokenizer_ids_release(&ids);
    /* save and reload */
    char sub[512];
    fuzz_path(sub, sizeof sub, "saved");
    FUZZ_CHECK(mkdir(sub, 0700) == 0);
    FUZZ_CHECK(tokenizer_save_dir(t, sub) == ERR_OK);
    Tokenizer *u = NULL;
    FUZZ_CHECK(tokenizer_load_dir(&u, sub) == ERR_OK);
    FUZZ_CHECK(tokenizer_vocab_size(u) == tokenizer_vocab_size(t));
    FUZZ_CHECK(tokenizer_n_merges(u) == tokenizer_n_merges(t));
    FUZZ_CHECK(tokenizer_eot(u) == tokenizer_eot(t));
    for (int32_t id = 0; id < tokenizer_vocab_size(t); id++) {
        size_t a, b;
        const char *x = tokenizer_token_bytes(t, id, &a), *y = tokenizer_token_bytes(u, id, &b);
        FUZZ_CHECK(a == b && memcmp(x, y, a) == 0);
    }
    for (int k = 0; k < tokenizer_n_merges(t); k++) {
        int32_t p[2], q[2];
        tokenizer_merge(t, k, p);
        tokenizer_merge(u, k, q);
        FUZZ_CHECK(p[0] == q[0] && p[1] == q[1]);
    }
    tokenizer_free(u);
    char f[600];
    snprintf(f, sizeof f, "%s/encoder.json", sub);
    unlink(f);
    snprintf(f, sizeof f, "%s/vocab.bpe", sub);
    unlink(f);
    rmdir(sub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char mark[] = "#version";
    const uint8_t *split = memmem(data, size, mark, sizeof mark - 1);
    size_t n_enc = split ? (size_t)(split - data) : size;
    char enc[512], bpe[512];
    fuzz_path(enc, sizeof enc, "encoder.json");
    fuzz_path(bpe, sizeof bpe, "vocab.bpe");
    fuzz_write(enc, data, n_enc);
    fuzz_write(bpe, data + n_enc, size - n_enc);
    Tokenizer *t = NULL;
    int rc = tokenizer_load(&t, enc, bpe);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    unlink(enc);
    unlink(bpe);
    if (rc == ERR_OK) {
        check_usable(t);
        tokenizer_free(t);
    }
    return 0;
}
