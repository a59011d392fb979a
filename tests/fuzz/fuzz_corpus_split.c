/* fuzz_corpus_split: corpus_split_load (ID<TAB>bias TSV, plain or gzip) on arbitrary bytes
 * against a fixed six-article corpus. Accepted sets hold distinct indices of matching bias. */
#include "corpus.h"
#include "err.h"
#include "fuzz_util.h"

static Corpus *corpus;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static const char jsonl[] =
        "{\"ID\":\"a1\",\"title\":\"T1\",\"content_original\":\"Body one.\",\"source\":\"s\",\"bias\":0}\n"
        "{\"ID\":\"a2\",\"title\":\"T2\",\"content_original\":\"Body two.\",\"source\":\"s\",\"bias\":1}\n"
        "{\"ID\":\"a3\",\"title\":\"T3\",\"content_original\":\"Body three.\",\"source\":\"s\",\"bias\":2}\n"
        "{\"ID\":\"b1\",\"title\":\"T4\",\"content_original\":\"Body four.\",\"source\":\"t\",\"bias\":0}\n"
        "{\"ID\":\"b2\",\"title\":\"T5\",\"content_original\":\"Body five.\",\"source\":\"t\",\"bias\":1}\n"
        "{\"ID\":\"ID\",\"title\":\"T6\",\"content_original\":\"Body six.\",\"source\":\"t\",\"bias\":2}\n";
    char path[512];
    fuzz_path(path, sizeof path, "articles.jsonl");
    fuzz_write(path, jsonl, sizeof jsonl - 1);
    int rc = corpus_load(&corpus, path);
    unlink(path);
    if (rc) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    fuzz_path(path, sizeof path, "split.tsv");
    fuzz_write(path, data, size);
    CorpusSet s = {0};
    int rc = corpus_split_load(corpus, path, &s);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    if (rc == ERR_OK) {
        char seen[8] = {0};
        for (size_t i = 0; i < s.n; i++) {
            FUZZ_CHECK(s.idx[i] < corpus_size(corpus) && !seen[s.idx[i]]);
            seen[s.idx[i]] = 1;
        }
        size_t counts[CORPUS_NCLASS];
        corpus_set_counts(corpus, &s, counts);
        FUZZ_CHECK(counts[0] + counts[1] + counts[2] == s.n);
    } else {
        FUZZ_CHECK(s.idx == NULL && s.n == 0);
    }
    corpus_set_release(&s);
    unlink(path);
    return 0;
}
