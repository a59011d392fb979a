/* cmd_corpus: `biasamp corpus [CONFIG] [-o DIR] [-s key=value]...` — builds the paper's data sets
 * from Article-Bias-Prediction (fine-tuning, center-only, quality, pretraining with a class mix,
 * classifier splits) into a results folder through corpus_build, and prints the counts table. */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "corpus.h"
#include "csvlog.h"
#include "err.h"
#include "paths.h"
#include "tokenizer.h"

int cmd_corpus(int argc, char **argv);

#define CORPUS_MAX_OVERRIDES 64

typedef struct {
    char data_root[CFG_STR_MAX]; /* corpus.data_root ("" = $BIASAMP_DATA, else ../shared/data) */
    char vocab[CFG_STR_MAX];     /* corpus.vocab ("gpt2" = the make-deps cache) */
    char output[CFG_STR_MAX];    /* corpus.output ("" = results/corpus_<stamp>) */
    long seed, per_class, center_only, quality;
    CfgDList mix;
} CorpusConfig;

#define F(field) offsetof(CorpusConfig, field)
static const CfgKey corpus_keys[] = {
    {"corpus.data_root", CFG_STRING, F(data_root), "", 0, 0, 0, NULL,
     "data root holding abp/ (empty: $BIASAMP_DATA, else ../shared/data)"},
    {"corpus.vocab", CFG_STRING, F(vocab), "gpt2", 0, 0, 0, NULL,
     "gpt2 (the make-deps cache) or a folder with encoder.json + vocab.bpe"},
    {"corpus.output", CFG_STRING, F(output), "", 0, 0, 0, NULL,
     "output folder (empty: results/corpus_<UTC stamp>; -o wins)"},
    {"corpus.seed", CFG_INT, F(seed), "42", 0, 9.2e18, 0, NULL, "seed of every set draw"},
    {"corpus.per_class", CFG_INT, F(per_class), "506", 0, 1e8, 0, NULL,
     "balanced fine-tuning set: articles per class (paper: 506)"},
    {"corpus.center_only", CFG_INT, F(center_only), "1518", 0, 1e8, 0, NULL,
     "center-only fine-tuning set size (contains the balanced set's center articles)"},
    {"corpus.quality", CFG_INT, F(quality), "1000", 0, 1e8, 0, NULL,
     "articles held out for text-quality training"},
    {"corpus.mix", CFG_DLIST, F(mix), "0.10 0.45 0.45", 0, 1, 0, NULL,
     "pretraining class shares left center right (sum 1)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL}};
#undef F

static void corpus_help(void)
{
    printf("usage: biasamp corpus [options] [CONFIG.ini]\n\n"
           "Builds the paper's data sets from Article-Bias-Prediction (DATA_ROOT/abp): the\n"
           "balanced fine-tuning set (per_class articles of each class, formatted\n"
           "\"title: <title>\\nbody: <body>\"), its center-only variant, a held-out text-quality\n"
           "set, a pretraining corpus subsampled to the class mix, and the random and media\n"
           "classifier splits without any fine-tuning article. Test-split articles are never\n"
           "used for fine-tuning, quality or pretraining. For every set it writes NAME.ids (one\n"
           "article ID per line) and NAME.tok (tokens, each document followed by <|endoftext|>),\n"
           "then summary.csv (articles and tokens per set and class) and config.ini, and prints\n"
           "the counts. Sets are a function of the corpus file, the options and the seed.\n\n"
           "options:\n"
           "  -o, --output DIR     results folder (default results/corpus_<UTC stamp>)\n"
           "  -s, --set KEY=VALUE  override a config key, e.g. -s corpus.seed=7 (repeatable)\n"
           "  -j, --threads N      encoding threads (default: OpenMP's, OMP_NUM_THREADS)\n"
           "  -q, --quiet          print nothing but errors\n"
           "  -h, --help           this help\n\n"
           "config keys:\n");
    cfg_print_keys(corpus_keys, stdout);
    printf("\nToken files (little-endian): a 32-byte header \"BIASTOK\\0\", uint32 version = 1,\n"
           "uint32 vocab_size, uint64 n_tokens, uint32 dtype (2 = uint16, 4 = uint32), uint32 0,\n"
           "then n_tokens tokens of dtype bytes each.\n");
}

/* Cross-field checks and the resolved paths. The effective config records the data root used. */
static int corpus_options(Cfg *cfg, CorpusConfig *cc, CorpusBuildOpts *o, char *abp, size_t nabp,
                          char *vocab, size_t nvocab)
{
    if (cc->mix.n != CORPUS_NCLASS)
        return cfg_error(cfg, "corpus.mix", "expected 3 shares (left center right), got %d",
                         cc->mix.n);
    double sum = cc->mix.v[0] + cc->mix.v[1] + cc->mix.v[2];
    if (sum < 1 - 1e-6 || sum > 1 + 1e-6)
        return cfg_error(cfg, "corpus.mix", "the shares sum to %g, not 1", sum);
    int st;
    if (!cc->data_root[0]) {
        char root[CFG_STR_MAX * 2];
        paths_data_root(root, sizeof root);
        const char *from = getenv("BIASAMP_DATA") ? "$BIASAMP_DATA" : "default";
        if ((st = cfg_set_value(cfg, "corpus.data_root", root, from))) return st;
    }
    if ((st = paths_join(abp, nabp, cc->data_root, "abp"))) return st;
    if (strcmp(cc->vocab, "gpt2") == 0) {
        if ((st = tokenizer_default_dir(vocab, nvocab))) return st;
    } else if (snprintf(vocab, nvocab, "%s", cc->vocab) >= (int)nvocab) {
        return cfg_error(cfg, "corpus.vocab", "path too long");
    }
    o->abp_dir = abp;
    o->vocab_dir = vocab;
    o->plan = (CorpusPlanOpts){.seed = (uint64_t)cc->seed,
                               .per_class = (int)cc->per_class,
                               .center_only = (int)cc->center_only,
                               .quality = (int)cc->quality,
                               .mix = {cc->mix.v[0], cc->mix.v[1], cc->mix.v[2]}};
    return ERR_OK;
}

static void corpus_print(const CorpusBuildResult *r, const CorpusBuildOpts *o, const char *dir)
{
    printf("corpus: %zu articles (left %zu, center %zu, right %zu) from %s\n", r->n_articles,
           r->by_class[0], r->by_class[1], r->by_class[2], o->abp_dir);
    printf("vocabulary: %d tokens from %s; seed %llu, mix %.2f %.2f %.2f\n\n", r->vocab_size,
           o->vocab_dir, (unsigned long long)o->plan.seed, o->plan.mix[0], o->plan.mix[1],
           o->plan.mix[2]);
    printf("%-16s %7s %7s %7s %7s | %10s %10s %10s %11s\n", "set", "left", "center", "right",
           "total", "tok_left", "tok_center", "tok_right", "tokens");
    for (int k = 0; k < CORPUS_NSETS; k++) {
        uint64_t a = 0, t = 0;
        printf("%-16s", corpus_set_name(k));
        for (int c = 0; c < CORPUS_NCLASS; c++)
            printf(" %7llu", (unsigned long long)r->summary[k][c][0]), a += r->summary[k][c][0];
        printf(" %7llu |", (unsigned long long)a);
        for (int c = 0; c < CORPUS_NCLASS; c++)
            printf(" %10llu", (unsigned long long)r->summary[k][c][1]), t += r->summary[k][c][1];
        printf(" %11llu\n", (unsigned long long)t);
    }
    printf("\n(tokens include one <|endoftext|> per article) load %.1f s, tokenise + write %.1f s\n"
           "sets in %s/: NAME.ids, NAME.tok, summary.csv, config.ini\n",
           r->load_s, r->write_s, dir);
}

/* Removes what this run wrote into `dir` when it fails (summary.csv is never left half-written). */
static void corpus_cleanup(const char *dir, int created)
{
    char path[4096], name[64];
    if (paths_join(path, sizeof path, dir, "config.ini") == ERR_OK) unlink(path);
    for (int k = 0; k < CORPUS_NSETS; k++)
        for (int e = 0; e < 2; e++) {
            snprintf(name, sizeof name, "%s.%s", corpus_set_name(k), e ? "tok" : "ids");
            if (paths_join(path, sizeof path, dir, name) == ERR_OK) unlink(path);
        }
    if (created) rmdir(dir); /* only if empty */
}

int cmd_corpus(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},  {"set", required_argument, 0, 's'},
        {"threads", required_argument, 0, 'j'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char *outdir = NULL;
    char *overrides[CORPUS_MAX_OVERRIDES], *end;
    int noverrides = 0, quiet = 0, c;
    long threads = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:s:j:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 's':
            if (noverrides == CORPUS_MAX_OVERRIDES) return cli_usage_error("corpus", "too many -s");
            overrides[noverrides++] = optarg;
            break;
        case 'j':
            threads = strtol(optarg, &end, 10);
            if (end == optarg || *end || threads < 1 || threads > 4096)
                return cli_usage_error("corpus", "--threads must be an integer in [1, 4096]");
            break;
        case 'q': quiet = 1; break;
        case 'h': corpus_help(); return 0;
        default:
            return cli_usage_error("corpus", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1) return cli_usage_error("corpus", "at most one CONFIG expected");
    const char *config = optind < argc ? argv[optind] : NULL;

    CorpusConfig cc;
    Cfg cfg;
    cfg_init(&cfg, corpus_keys, &cc);
    CorpusBuildOpts o = {0};
    CorpusBuildResult r;
    char abp[4096], vocab[4096], dir[4096];
    int created = 0, made_dir = 0;
    int st = cli_load_config(&cfg, config, overrides, noverrides);
    if (!st) st = corpus_options(&cfg, &cc, &o, abp, sizeof abp, vocab, sizeof vocab);
    if (st) goto done;
    if (!outdir && cc.output[0]) outdir = cc.output;
    struct stat sb;
    created = !(outdir && stat(outdir, &sb) == 0);
    if ((st = paths_results_dir(dir, sizeof dir, "corpus", outdir))) goto done;
    made_dir = 1;
    if ((st = paths_write_config(dir, &cfg))) goto done;
    RunInfo ri;
    runinfo_init(&ri, cli_argc, cli_argv);
    if (threads > 0) ri.threads = (int)threads;
    ri.seed = (uint64_t)cc.seed;
    ri.config_hash = cfg_hash(&cfg);
    o.out_dir = dir;
    o.write = (CorpusWriteOpts){.run = &ri, .threads = (int)threads, .progress = !quiet};
    st = corpus_build(&o, &r);
    if (!st && !quiet) corpus_print(&r, &o, dir);
done:
    if (st && made_dir) corpus_cleanup(dir, created);
    cfg_release(&cfg);
    return st ? cli_fail("corpus", st) : 0;
}
