/* fuzz_trainer_file: tokenizer_trainer_add_file (whole file, or the "text" field of each JSON
 * line; plain or gzip) on arbitrary bytes, then a short BPE training run on what was read; the
 * trained vocabulary must round-trip the input. */
#include "err.h"
#include "fuzz_util.h"
#include "tokenizer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    fuzz_path(path, sizeof path, "train.jsonl");
    fuzz_write(path, data, size);
    TokenizerTrainer *tr = tokenizer_trainer_alloc();
    size_t added = 0;
    int rc = tokenizer_trainer_add_file(tr, path, "text", 100, &added);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    rc = tokenizer_trainer_add_file(tr, path, NULL, 0, &added);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    TokenizerTrainOpts o = {300, 1};
    Tokenizer *t = NULL;
    FUZZ_CHECK(tokenizer_trainer_run(tr, &o, &t) == ERR_OK);
    FUZZ_CHECK(tokenizer_vocab_size(t) <= 300);
    TokenizerIds ids = {0};
    FUZZ_CHECK(tokenizer_encode(t, (const char *)data, size, 0, &ids) == ERR_OK);
    char *back;
    size_t n;
    FUZZ_CHECK(tokenizer_decode(t, ids.ids, ids.n, &back, &n) == ERR_OK);
    FUZZ_CHECK(n == size && memcmp(back, data, n) == 0);
    free(back);
    tokenizer_ids_release(&ids);
    tokenizer_free(t);
    tokenizer_trainer_free(tr);
    unlink(path);
    return 0;
}
