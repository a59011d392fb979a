/* cmd_tokenizer: `biasamp tokenizer encode|decode|train` — GPT-2 byte-level BPE from the command
 * line. encode/decode use the vocabulary in --vocab DIR (default: the `make deps` cache); train
 * writes a new encoder.json + vocab.bpe pair that --vocab then reads. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "err.h"
#include "tokenizer.h"
#include "xalloc.h"

int cmd_tokenizer(int argc, char **argv);

static void tokenizer_help(void)
{
    printf(
        "usage: biasamp tokenizer <encode|decode|train> [options] [FILE...]\n\n"
        "GPT-2's byte-level BPE (ids identical to OpenAI's encoder.py), and BPE training in the\n"
        "same encoder.json + vocab.bpe format.\n\n"
        "  encode   text -> ids (one line of ids per input)\n"
        "  decode   ids -> text\n"
        "  train    learn merges from text files or a JSONL field\n\n"
        "'biasamp tokenizer <subcommand> --help' shows its options. The default vocabulary is\n"
        "$BIASAMP_CACHE/gpt2-bpe (else ~/.cache/biasamp/gpt2-bpe), fetched by 'make deps'.\n");
}

static int load_vocab(const char *dir, Tokenizer **tok)
{
    char buf[4096];
    if (!dir) {
        int st = tokenizer_default_dir(buf, sizeof buf);
        if (st) return st;
        dir = buf;
    }
    return tokenizer_load_dir(tok, dir);
}

static int encode_main(int argc, char **argv)
{
    static const struct option opts[] = {{"vocab", required_argument, 0, 'v'},
                                         {"text", required_argument, 0, 't'},
                                         {"allow-eot", no_argument, 0, 'e'},
                                         {"count", no_argument, 0, 'c'},
                                         {"threads", required_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *vocab = NULL, *text = NULL;
    unsigned flags = 0;
    int count = 0, threads = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "v:t:ecj:h", opts, NULL)) != -1) {
        switch (c) {
        case 'v': vocab = optarg; break;
        case 't': text = optarg; break;
        case 'e': flags |= TOKENIZER_ALLOW_EOT; break;
        case 'c': count = 1; break;
        case 'j': threads = atoi(optarg); break;
        case 'h':
            printf("usage: biasamp tokenizer encode [options] [FILE...]\n\n"
                   "Encodes each FILE (or --text, or standard input) as one document and prints\n"
                   "its ids on one line, separated by spaces.\n\n"
                   "options:\n"
                   "  -v, --vocab DIR     encoder.json + vocab.bpe (default: GPT-2 in the cache)\n"
                   "  -t, --text STRING   encode STRING instead of files\n"
                   "  -e, --allow-eot     the literal <|endoftext|> becomes the EOT id\n"
                   "  -c, --count         print only the number of tokens per document\n"
                   "  -j, --threads N     threads for several files (default: all)\n"
                   "  -h, --help          this help\n");
            return 0;
        default:
            return cli_usage_error("tokenizer", "encode: unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    int n = text ? 1 : (argc - optind > 0 ? argc - optind : 1);
    char **docs = xcalloc((size_t)n, sizeof *docs);
    size_t *lens = xcalloc((size_t)n, sizeof *lens);
    TokenizerIds *ids = xcalloc((size_t)n, sizeof *ids);
    Tokenizer *tok = NULL;
    int st = ERR_OK;
    for (int i = 0; i < n && !st; i++) {
        if (text)
            docs[i] = xstrdup(text), lens[i] = strlen(text);
        else
            st = cli_slurp(argc > optind ? argv[optind + i] : "-", &docs[i], &lens[i]);
    }
    if (!st) st = load_vocab(vocab, &tok);
    if (!st)
        st = tokenizer_encode_batch(tok, (const char *const *)docs, lens, (size_t)n, flags, threads,
                                    ids);
    for (int i = 0; i < n && !st; i++) {
        if (count) {
            printf("%zu\n", ids[i].n);
            continue;
        }
        for (size_t k = 0; k < ids[i].n; k++) printf(k ? " %d" : "%d", (int)ids[i].ids[k]);
        putchar('\n');
    }
    for (int i = 0; i < n; i++) free(docs[i]), tokenizer_ids_release(&ids[i]);
    free(docs), free(lens), free(ids);
    tokenizer_free(tok);
    return st ? cli_fail("tokenizer", st) : 0;
}

/* Parses ids separated by white space, commas or brackets ("[15496, 995]" works). */
static int parse_ids(const char *name, const char *s, TokenizerIds *out)
{
    int line = 1;
    while (*s) {
        if (strchr(" \t\r\n,[]", *s)) {
            line += *s++ == '\n';
            continue;
        }
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno || v < 0 || v > INT32_MAX || !strchr(" \t\r\n,[]", *end))
            return err_set(ERR_INVAL, "%s:%d: not a token id: '%.20s'", name, line, s);
        tokenizer_ids_push(out, (int32_t)v);
        s = end;
    }
    return ERR_OK;
}

static int decode_main(int argc, char **argv)
{
    static const struct option opts[] = {{"vocab", required_argument, 0, 'v'},
                                         {"ids", required_argument, 0, 'i'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *vocab = NULL, *inline_ids = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "v:i:h", opts, NULL)) != -1) {
        switch (c) {
        case 'v': vocab = optarg; break;
        case 'i': inline_ids = optarg; break;
        case 'h':
            printf("usage: biasamp tokenizer decode [options] [FILE]\n\n"
                   "Reads token ids (separated by spaces, commas or brackets) from FILE, --ids or\n"
                   "standard input and writes the decoded bytes to standard output.\n\n"
                   "options:\n"
                   "  -v, --vocab DIR     encoder.json + vocab.bpe (default: GPT-2 in the cache)\n"
                   "  -i, --ids LIST      decode LIST, e.g. \"15496 995\"\n"
                   "  -h, --help          this help\n");
            return 0;
        default:
            return cli_usage_error("tokenizer", "decode: unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (argc - optind > 1) return cli_usage_error("tokenizer", "decode: expected at most one FILE");
    const char *name = inline_ids ? "--ids" : argc > optind ? argv[optind] : "-";
    char *buf = NULL, *text = NULL;
    size_t n = 0, len = 0;
    TokenizerIds ids = {0};
    Tokenizer *tok = NULL;
    int st = inline_ids ? (buf = xstrdup(inline_ids), ERR_OK) : cli_slurp(name, &buf, &n);
    if (!st) st = parse_ids(name, buf, &ids);
    if (!st) st = load_vocab(vocab, &tok);
    if (!st) st = tokenizer_decode(tok, ids.ids, ids.n, &text, &len);
    if (!st && fwrite(text, 1, len, stdout) != len) st = err_set(ERR_IO, "cannot write output");
    free(buf), free(text);
    tokenizer_ids_release(&ids);
    tokenizer_free(tok);
    return st ? cli_fail("tokenizer", st) : 0;
}

static int train_main(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"vocab-size", required_argument, 0, 'n'},
                                         {"min-frequency", required_argument, 0, 'm'},
                                         {"jsonl", required_argument, 0, 'f'},
                                         {"max-docs", required_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    TokenizerTrainOpts to = TOKENIZER_TRAIN_DEFAULTS;
    const char *out = NULL, *field = NULL;
    long max_docs = -1;
    int c;
    char *end;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:n:m:f:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'n':
            to.vocab_size = (int)strtol(optarg, &end, 10);
            if (*end || to.vocab_size < 257)
                return cli_usage_error("tokenizer",
                                       "train: --vocab-size must be an integer >= 257");
            break;
        case 'm':
            to.min_frequency = (int)strtol(optarg, &end, 10);
            if (*end || to.min_frequency < 1)
                return cli_usage_error("tokenizer",
                                       "train: --min-frequency must be an integer >= 1");
            break;
        case 'f': field = optarg; break;
        case 'd':
            max_docs = strtol(optarg, &end, 10);
            if (*end || max_docs < 1)
                return cli_usage_error("tokenizer", "train: --max-docs must be an integer >= 1");
            break;
        case 'h':
            printf(
                "usage: biasamp tokenizer train -o DIR [options] FILE...\n\n"
                "Learns byte-level BPE merges (GPT-2 pre-tokenisation) and writes\n"
                "DIR/encoder.json and DIR/vocab.bpe: 256 byte tokens (GPT-2's byte ids), the\n"
                "merges, then <|endoftext|> last. Each FILE (plain or .gz) is one document, or\n"
                "with --jsonl each line's FIELD is. Ties between equally frequent pairs go to\n"
                "the pair whose left token's bytes sort first, then the right token's, so runs\n"
                "are reproducible.\n\n"
                "options:\n"
                "  -o, --out DIR           output folder (created if missing)\n"
                "  -n, --vocab-size N      target vocabulary size incl. bytes and EOT (4096)\n"
                "  -m, --min-frequency N   stop when the best pair occurs fewer times (2)\n"
                "  -f, --jsonl FIELD       read JSON lines, one document per line's FIELD\n"
                "  -d, --max-docs N        at most N documents per JSONL file\n"
                "  -h, --help              this help\n");
            return 0;
        default:
            return cli_usage_error("tokenizer", "train: unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (!out) return cli_usage_error("tokenizer", "train: --out DIR is required");
    if (optind >= argc) return cli_usage_error("tokenizer", "train: expected at least one FILE");
    if (mkdir(out, 0777) != 0 && errno != EEXIST)
        return cli_fail("tokenizer",
                        err_set(ERR_IO, "cannot create '%s': %s", out, strerror(errno)));
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    TokenizerTrainer *tr = tokenizer_trainer_alloc();
    Tokenizer *tok = NULL;
    int st = ERR_OK;
    for (int i = optind; i < argc && !st; i++)
        st = tokenizer_trainer_add_file(tr, argv[i], field,
                                        max_docs > 0 ? (size_t)max_docs : SIZE_MAX, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!st) st = tokenizer_trainer_run(tr, &to, &tok);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (!st) st = tokenizer_save_dir(tok, out);
    if (!st) {
        size_t docs, bytes, pieces, unique;
        tokenizer_trainer_stats(tr, &docs, &bytes, &pieces, &unique);
        double count_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        double merge_s = (double)(t2.tv_sec - t1.tv_sec) + 1e-9 * (double)(t2.tv_nsec - t1.tv_nsec);
        printf("trained vocab_size=%d merges=%d from docs=%zu bytes=%zu pretokens=%zu unique=%zu\n"
               "read+count %.2f s, merges %.2f s -> %s/encoder.json, %s/vocab.bpe\n",
               tokenizer_vocab_size(tok), tokenizer_n_merges(tok), docs, bytes, pieces, unique,
               count_s, merge_s, out, out);
    }
    tokenizer_trainer_free(tr);
    tokenizer_free(tok);
    return st ? cli_fail("tokenizer", st) : 0;
}

int cmd_tokenizer(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("tokenizer", "expected a subcommand: encode, decode or train");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        tokenizer_help();
        return 0;
    }
    if (strcmp(argv[1], "encode") == 0) return encode_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "decode") == 0) return decode_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "train") == 0) return train_main(argc - 1, argv + 1);
    return cli_usage_error("tokenizer", "unknown subcommand '%s' (encode, decode, train)", argv[1]);
}
