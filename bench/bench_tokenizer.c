/* bench_tokenizer: GPT-2 encode throughput (MB/s, tokens/s) on real news articles, one thread vs
 * all threads, plus BPE training time. Reads the first N articles' content_original from
 * articles.jsonl.gz (argv[1], else $BIASAMP_DATA/abp/..., else ../shared/data/abp/...); falls back
 * to generated text if absent. Prints numbers only; no corpus text is ever written anywhere. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "tokenizer.h"
#include "xalloc.h"

enum { N_ARTICLES = 2000, REPEATS = 3 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Reads up to max documents (field content_original) into docs/lens; returns the count. */
static size_t read_articles(const char *path, size_t max, char **docs, size_t *lens)
{
    gzFile f = gzopen(path, "rb");
    if (!f) return 0;
    size_t cap = 1 << 20, n = 0;
    char *line = xmalloc(cap);
    while (n < max && gzgets(f, line, (int)cap)) {
        size_t k = strlen(line);
        while (k == cap - 1 && line[k - 1] != '\n') { /* a longer line: grow and read on */
            line = xrealloc(line, cap *= 2);
            if (!gzgets(f, line + k, (int)(cap - k))) break;
            k += strlen(line + k);
        }
        cJSON *o = cJSON_ParseWithLength(line, k);
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "content_original");
        if (cJSON_IsString(c)) {
            docs[n] = xstrdup(c->valuestring);
            lens[n] = strlen(docs[n]);
            n++;
        }
        cJSON_Delete(o);
    }
    free(line);
    gzclose(f);
    return n;
}

/* Generated stand-in: pseudo-words with spaces, digits and punctuation, ~5 kB per document. */
static size_t generate(size_t max, char **docs, size_t *lens)
{
    static const char *syl[] = {"the",  "pre", "si",   "dent", "said",  "on",
                                "tues", "day", "ing",  "con",  "gress", "vote",
                                "bill", "tax", "2016", ",",    ".",     "'s"};
    uint64_t x = 88172645463325252ull;
    for (size_t d = 0; d < max; d++) {
        size_t cap = 6000, n = 0;
        docs[d] = xmalloc(cap);
        while (n < 5000) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            n += (size_t)snprintf(docs[d] + n, cap - n, "%s%s", x % 3 ? " " : "", syl[x % 18]);
        }
        lens[d] = n;
    }
    return max;
}

/* Best of REPEATS wall times for encoding all documents with `threads` threads. */
static double time_encode(const Tokenizer *t, char **docs, size_t *lens, size_t n, int threads,
                          size_t *tokens)
{
    TokenizerIds *out = xcalloc(n, sizeof *out);
    double best = 1e30;
    for (int r = 0; r < REPEATS; r++) {
        for (size_t i = 0; i < n; i++) out[i].n = 0;
        double t0 = now();
        tokenizer_encode_batch(t, (const char *const *)docs, lens, n, 0, threads, out);
        double dt = now() - t0;
        if (dt < best) best = dt;
    }
    *tokens = 0;
    for (size_t i = 0; i < n; i++) *tokens += out[i].n, tokenizer_ids_release(&out[i]);
    free(out);
    return best;
}

int main(int argc, char **argv)
{
    char path[4096], dir[4096];
    const char *data = getenv("BIASAMP_DATA");
    if (argc > 1)
        snprintf(path, sizeof path, "%s", argv[1]);
    else
        snprintf(path, sizeof path, "%s/abp/articles.jsonl.gz", data ? data : "../shared/data");
    char **docs = xcalloc(N_ARTICLES, sizeof *docs);
    size_t *lens = xcalloc(N_ARTICLES, sizeof *lens);
    size_t n = read_articles(path, N_ARTICLES, docs, lens), bytes = 0;
    if (n) {
        printf("text: %zu articles (content_original) from %s\n", n, path);
    } else {
        n = generate(N_ARTICLES, docs, lens);
        printf("text: %s not readable; %zu generated documents instead\n", path, n);
    }
    for (size_t i = 0; i < n; i++) bytes += lens[i];
    Tokenizer *t = NULL;
    if (tokenizer_default_dir(dir, sizeof dir) || tokenizer_load_dir(&t, dir)) {
        printf("GPT-2 BPE files not loadable (%s); run 'make deps'. Skipping encode.\n", err_msg());
    } else {
        int all = 1;
#ifdef _OPENMP
        all = omp_get_max_threads();
#endif
        size_t tok1, tokn;
        double t1 = time_encode(t, docs, lens, n, 1, &tok1);
        double tn = time_encode(t, docs, lens, n, all, &tokn);
        double mb = (double)bytes / 1e6;
        printf("encode GPT-2: %.2f MB, %zu tokens (%.2f bytes/token), best of %d\n", mb, tok1,
               (double)bytes / (double)tok1, REPEATS);
        printf("  1 thread : %8.2f MB/s %12.0f tokens/s\n", mb / t1, (double)tok1 / t1);
        printf("  %d threads: %8.2f MB/s %12.0f tokens/s  speed-up %.2fx%s\n", all, mb / tn,
               (double)tokn / tn, t1 / tn, tokn == tok1 ? "" : "  TOKEN COUNTS DIFFER");
        tokenizer_free(t);
    }
    /* Training: pre-token counting (parallel) and the merge loop (serial), vocabulary 4096. */
    double t0 = now();
    TokenizerTrainer *tr = tokenizer_trainer_alloc();
    tokenizer_trainer_add_batch(tr, (const char *const *)docs, lens, n);
    double t_count = now() - t0;
    TokenizerTrainOpts o = TOKENIZER_TRAIN_DEFAULTS;
    Tokenizer *trained = NULL;
    t0 = now();
    int st = tokenizer_trainer_run(tr, &o, &trained);
    double t_merge = now() - t0;
    size_t pieces, unique;
    tokenizer_trainer_stats(tr, NULL, NULL, &pieces, &unique);
    if (st == ERR_OK)
        printf("train vocab %d: count %.3f s (%.2f MB/s, %zu pre-tokens, %zu unique), "
               "merges %.3f s (%d merges, %.0f merges/s); total %.0f input tokens/s\n",
               tokenizer_vocab_size(trained), t_count, (double)bytes / 1e6 / t_count, pieces,
               unique, t_merge, tokenizer_n_merges(trained), tokenizer_n_merges(trained) / t_merge,
               (double)pieces / (t_count + t_merge));
    tokenizer_free(trained);
    tokenizer_trainer_free(tr);
    for (size_t i = 0; i < n; i++) free(docs[i]);
    free(docs), free(lens);
    return st ? 1 : 0;
}
