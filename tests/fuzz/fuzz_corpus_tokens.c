/* fuzz_corpus_tokens: corpus_tokens_read (the BIASTOK token file) on arbitrary bytes. An accepted
 * file yields exactly the tokens its header announces, all below its vocabulary size. */
#include "corpus.h"
#include "err.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    fuzz_path(path, sizeof path, "set.tok");
    fuzz_write(path, data, size);
    TokenizerIds ids = {0};
    tokenizer_ids_push(&ids, 7); /* reading appends */
    int V = -1;
    int rc = corpus_tokens_read(path, &ids, &V);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    if (rc == ERR_OK) {
        FUZZ_CHECK(V > 0 && size >= 32 && ids.ids[0] == 7);
        uint64_t n;
        memcpy(&n, data + 16, 8);
        FUZZ_CHECK(ids.n == n + 1);
        for (size_t i = 1; i < ids.n; i++) FUZZ_CHECK(ids.ids[i] >= 0 && ids.ids[i] < V);
    }
    tokenizer_ids_release(&ids);
    unlink(path);
    return 0;
}
