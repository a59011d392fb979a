/* fuzz_corpus: corpus_load on arbitrary bytes (articles.jsonl, plain or gzip: zlib detects which);
 * every article of an accepted corpus is found by its ID and formats. */
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
    fuzz_path(path, sizeof path, "articles.jsonl.gz");
    fuzz_write(path, data, size);
    Corpus *c = NULL;
    int rc = corpus_load(&c, path);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    if (rc == ERR_OK) {
        for (size_t i = 0; i < corpus_size(c); i++) {
            const CorpusArticle *a = corpus_get(c, i);
            FUZZ_CHECK(a && a->bias >= 0 && a->bias < CORPUS_NCLASS);
            FUZZ_CHECK(corpus_find(c, a->id) == (long)i);
            size_t len;
            free(corpus_format(a, &len));
        }
        corpus_free(c);
    }
    unlink(path);
    return 0;
}
