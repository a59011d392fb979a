/* cmd_quality: `biasamp quality train|eval|score` — the Text Quality Index: train the sentence
 * level classifier on Article-Bias-Prediction sentences and their corruptions, measure it on
 * held-out articles, score text files (per-sentence levels, article TQI, mean +- 95% CI). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lean.h"
#include "err.h"
#include "paths.h"
#include "quality.h"
#include "xalloc.h"

int cmd_quality(int argc, char **argv);

static const char *const level_names[4] = {"noise", "salad", "mild", "clean"};

static void quality_help(void)
{
    printf("usage: biasamp quality <train|eval|score> [options]\n\n"
           "Text Quality Index: each sentence gets a level 0 noise, 1 word salad, 2 mild\n"
           "gibberish, 3 clean from a softmax classifier on dictionary, corpus-bigram and\n"
           "repetition features; a text's TQI is the mean sentence score (expected level).\n\n"
           "  train   build the language model and train the classifier on ABP sentences and\n"
           "          controlled corruptions of them; report held-out accuracy\n"
           "  eval    accuracy and confusion matrix on corruptions of another split part\n"
           "  score   TQI of text files (or standard input), with a mean and 95%% CI\n\n"
           "'biasamp quality <subcommand> --help' shows its options.\n");
}

static void print_eval(const char *what, const QualityEval *ev)
{
    printf("%s: %zu examples, accuracy %.4f\n", what, ev->n, ev->accuracy);
    printf("  %-6s %10s %11s   confusion (rows true level, columns predicted 0..3)\n", "level",
           "mean_score", "mean_p_true");
    for (int l = 0; l < 4; l++)
        printf("  %d %-4s %10.3f %11.3f   %6ld %6ld %6ld %6ld\n", l, level_names[l],
               ev->mean_score[l], ev->mean_p_true[l], ev->confusion[l][0], ev->confusion[l][1],
               ev->confusion[l][2], ev->confusion[l][3]);
}

static void root_of(const char *data, char *root, size_t n)
{
    if (data)
        snprintf(root, n, "%s", data);
    else
        paths_data_root(root, n);
}

static int train_main(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"data", required_argument, 0, 'd'},
                                         {"exclude", required_argument, 0, 'x'},
                                         {"lm-part", required_argument, 0, 'L'},
                                         {"lm-max", required_argument, 0, 'M'},
                                         {"part", required_argument, 0, 'p'},
                                         {"train-max", required_argument, 0, 'n'},
                                         {"test-max", required_argument, 0, 't'},
                                         {"sentences", required_argument, 0, 'S'},
                                         {"dict", required_argument, 0, 'D'},
                                         {"seed", required_argument, 0, 's'},
                                         {"lambda", required_argument, 0, 'l'},
                                         {"threads", required_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    QualityOpts o = QUALITY_OPTS_DEFAULTS;
    const char *out = NULL, *data = NULL, *exclude = NULL, *lm_part = "random/train",
               *part = "random/valid";
    long lm_max = 5000, train_max = 3000, test_max = 1000, v;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:d:x:L:M:p:n:t:S:D:s:l:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'd': data = optarg; break;
        case 'x': exclude = optarg; break;
        case 'L': lm_part = optarg; break;
        case 'p': part = optarg; break;
        case 'D': o.dict_path = optarg; break;
        case 'M':
        case 'n':
        case 't':
            if (!cli_parse_long(optarg, c == 't' ? 0 : 1, 10000000, &v))
                return cli_usage_error("quality", "train: --%s must be a count",
                                       c == 'M'   ? "lm-max"
                                       : c == 'n' ? "train-max"
                                                  : "test-max");
            *(c == 'M' ? &lm_max : c == 'n' ? &train_max : &test_max) = v;
            break;
        case 'S':
            if (!cli_parse_long(optarg, 1, 1000, &v))
                return cli_usage_error("quality", "train: --sentences must be in 1..1000");
            o.sentences_per_text = (int)v;
            break;
        case 's':
            if (!cli_parse_long(optarg, 0, INT64_MAX, &v))
                return cli_usage_error("quality", "train: --seed must be an integer >= 0");
            o.seed = (uint64_t)v;
            break;
        case 'l':
            if (!cli_parse_double(optarg, &o.lambda) || o.lambda < 0)
                return cli_usage_error("quality", "train: --lambda must be a number >= 0");
            break;
        case 'j':
            if (!cli_parse_long(optarg, 1, 1024, &v))
                return cli_usage_error("quality", "train: --threads must be in 1..1024");
            o.threads = (int)v;
            break;
        case 'h':
            printf(
                "usage: biasamp quality train -o MODEL [options]\n\n"
                "Counts word unigrams/bigrams of the first --lm-max articles of --lm-part (the\n"
                "language model), then trains the level classifier on up to --sentences\n"
                "sentences (4..60 words) from each of the first --train-max articles of --part,\n"
                "each at all four levels: random characters (0), shuffled or random words (1),\n"
                "small swaps / repeats / substitutions / drops (2), the original (3). The next\n"
                "--test-max articles of --part give the held-out accuracy.\n\n"
                "options:\n"
                "  -o, --out MODEL        model file to write (required)\n"
                "  -d, --data ROOT        data root holding abp/\n"
                "  -x, --exclude FILE     article IDs to leave out, one per line (e.g. the\n"
                "                         finetune.ids of biasamp corpus)\n"
                "  -L, --lm-part P        language-model articles: SPLIT/PART or @IDFILE\n"
                "                         (default random/train)\n"
                "  -M, --lm-max N         at most N of them (default 5000)\n"
                "  -p, --part P           classifier articles (default random/valid; e.g.\n"
                "                         @quality.ids from biasamp corpus)\n"
                "  -n, --train-max N      training articles (default 3000)\n"
                "  -t, --test-max N       held-out articles after them (default 1000)\n"
                "  -S, --sentences N      sentences per article (default %d)\n"
                "  -D, --dict PATH        word list (default %s; if missing, corpus words\n"
                "                         seen >= 3 times)\n"
                "  -s, --seed N           corruption seed (default 1)\n"
                "  -l, --lambda X         L2 strength (default %g)\n"
                "  -j, --threads N        threads (default: all)\n"
                "  -h, --help             this help\n",
                o.sentences_per_text, QUALITY_DICT_DEFAULT, o.lambda);
            return 0;
        default:
            return cli_usage_error("quality", "train: unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (!out) return cli_usage_error("quality", "train: --out MODEL is required");
    if (optind < argc)
        return cli_usage_error("quality", "train: unexpected argument '%s'", argv[optind]);
    char root[4096];
    root_of(data, root, sizeof root);
    LeanTexts parts[2];
    const char *names[2] = {lm_part, part};
    int st = ERR_OK, same = strcmp(lm_part, part) == 0, loaded = 0;
    /* one part for both roles: LM articles come after the classifier's */
    size_t cls_n = (size_t)(train_max + test_max);
    if (!st)
        st = lean_texts_load(parts, names, same ? 1 : 2, root, exclude,
                             same ? cls_n + (size_t)lm_max
                                  : (size_t)(lm_max > (long)cls_n ? lm_max : (long)cls_n));
    loaded = !st;
    QualityModel *m = NULL;
    QualityTrainInfo info;
    QualityEval ev;
    if (!st) {
        LeanTexts *cp = same ? &parts[0] : &parts[1];
        char **lm_t = same ? cp->text + (cp->n < cls_n ? cp->n : cls_n) : parts[0].text;
        size_t lm_n = same ? (cp->n > cls_n ? cp->n - cls_n : 0) : parts[0].n;
        if (lm_n > (size_t)lm_max) lm_n = (size_t)lm_max;
        size_t tr_n = cp->n < (size_t)train_max ? cp->n : (size_t)train_max;
        size_t te_n = cp->n - tr_n < (size_t)test_max ? cp->n - tr_n : (size_t)test_max;
        printf(
            "language model: %zu articles of %s; classifier: %zu + %zu held-out articles of %s\n",
            lm_n, lm_part, tr_n, te_n, part);
        st = quality_train(&m, &o, (const char *const *)lm_t, lm_n, (const char *const *)cp->text,
                           tr_n, &info);
        if (!st) {
            printf("%zu LM tokens; dictionary: %zu words from %s; %zu training sentences x 4 "
                   "levels; L-BFGS %d iterations (converged=%d), objective %.4f, train accuracy "
                   "%.4f; %.1f s\n",
                   info.lm_tokens, info.dict_words,
                   info.dict_from_corpus ? "the corpus (word list missing)" : o.dict_path,
                   info.train_sentences, info.iters, info.converged, info.f, info.train_accuracy,
                   info.seconds);
            if (te_n) st = quality_evaluate(m, &o, (const char *const *)cp->text + tr_n, te_n, &ev);
            if (!st && te_n) print_eval("held-out", &ev);
        }
        if (!st) st = quality_save(m, out);
        if (!st) printf("model %s\n", out);
    }
    if (loaded)
        for (int k = 0; k < (same ? 1 : 2); k++) lean_texts_release(&parts[k]);
    quality_free(m);
    return st ? cli_fail("quality", st) : 0;
}

static int eval_main(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"data", required_argument, 0, 'd'},
                                         {"part", required_argument, 0, 'p'},
                                         {"max", required_argument, 0, 'n'},
                                         {"exclude", required_argument, 0, 'x'},
                                         {"sentences", required_argument, 0, 'S'},
                                         {"seed", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    QualityOpts o = QUALITY_OPTS_DEFAULTS;
    const char *model = NULL, *data = NULL, *part = "random/test", *exclude = NULL;
    long max = 1000, v;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "m:d:p:n:x:S:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 'p': part = optarg; break;
        case 'x': exclude = optarg; break;
        case 'n':
            if (!cli_parse_long(optarg, 1, 10000000, &max))
                return cli_usage_error("quality", "eval: --max must be a positive integer");
            break;
        case 'S':
            if (!cli_parse_long(optarg, 1, 1000, &v))
                return cli_usage_error("quality", "eval: --sentences must be in 1..1000");
            o.sentences_per_text = (int)v;
            break;
        case 's':
            if (!cli_parse_long(optarg, 0, INT64_MAX, &v))
                return cli_usage_error("quality", "eval: --seed must be an integer >= 0");
            o.seed = (uint64_t)v;
            break;
        case 'h':
            printf(
                "usage: biasamp quality eval -m MODEL [options]\n\n"
                "Builds the four levels from sentences of other articles (as in training,\n"
                "seeded) and reports accuracy, the confusion matrix and the mean score per\n"
                "true level.\n\n"
                "options:\n"
                "  -m, --model MODEL      model file (required)\n"
                "  -d, --data ROOT        data root holding abp/\n"
                "  -p, --part P           articles: SPLIT/PART or @IDFILE (default random/test)\n"
                "  -n, --max N            at most N articles (default 1000)\n"
                "  -x, --exclude FILE     article IDs to leave out, one per line\n"
                "  -S, --sentences N      sentences per article (default %d)\n"
                "  -s, --seed N           corruption seed (default 1)\n"
                "  -h, --help             this help\n",
                o.sentences_per_text);
            return 0;
        default:
            return cli_usage_error("quality", "eval: unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (!model) return cli_usage_error("quality", "eval: --model MODEL is required");
    if (optind < argc)
        return cli_usage_error("quality", "eval: unexpected argument '%s'", argv[optind]);
    char root[4096];
    root_of(data, root, sizeof root);
    QualityModel *m = NULL;
    LeanTexts p;
    QualityEval ev;
    int st = quality_load(&m, model), loaded = 0;
    if (!st) st = lean_texts_load(&p, &part, 1, root, exclude, (size_t)max);
    loaded = !st;
    if (!st) st = quality_evaluate(m, &o, (const char *const *)p.text, p.n, &ev);
    if (!st) {
        char what[96];
        snprintf(what, sizeof what, "%s (%zu articles)", part, p.n);
        print_eval(what, &ev);
    }
    if (loaded) lean_texts_release(&p);
    quality_free(m);
    return st ? cli_fail("quality", st) : 0;
}

static int score_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"lines", no_argument, 0, 'L'},
        {"sentences", no_argument, 0, 'S'},   {"argmax", no_argument, 0, 'a'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    const char *model = NULL;
    int lines = 0, sentences = 0, mode = QUALITY_EXPECTED, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "m:LSah", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'L': lines = 1; break;
        case 'S': sentences = 1; break;
        case 'a': mode = QUALITY_ARGMAX_PROB; break;
        case 'h':
            printf(
                "usage: biasamp quality score -m MODEL [options] [FILE...]\n\n"
                "Prints for each FILE (or standard input) a line 'tqi sentences NAME', then\n"
                "'texts=N tqi_mean=M ci95=H' over all texts (t-based 95%% CI).\n\n"
                "options:\n"
                "  -m, --model MODEL      model file (required)\n"
                "  -L, --lines            each input line is one text (NAME = file:line)\n"
                "  -S, --sentences        also print every sentence: level, p0..p3, score, text\n"
                "  -a, --argmax           sentence score = argmax level x its probability (the\n"
                "                         paper's variant) instead of the expected level\n"
                "  -h, --help             this help\n");
            return 0;
        default:
            return cli_usage_error("quality", "score: unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (!model) return cli_usage_error("quality", "score: --model MODEL is required");
    QualityModel *m = NULL;
    int st = quality_load(&m, model), nf = argc - optind > 0 ? argc - optind : 1;
    QualityScore qs;
    quality_score_init(&qs);
    qs.mode = mode;
    double *tqi = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < nf && !st; i++) {
        const char *path = argc > optind ? argv[optind + i] : "-";
        char *buf = NULL;
        st = cli_slurp(path, &buf, NULL);
        if (st) break;
        char *s = buf;
        long ln = 0;
        while (s) {
            char *nl = lines ? strchr(s, '\n') : NULL;
            if (nl) *nl = '\0';
            ln++;
            if (!lines || *s) {
                quality_score_text(m, s, &qs);
                if (n == cap) tqi = xrealloc(tqi, (cap = cap ? 2 * cap : 64) * sizeof *tqi);
                tqi[n++] = qs.tqi;
                if (lines)
                    printf("%.4f %zu %s:%ld\n", qs.tqi, qs.n, path, ln);
                else
                    printf("%.4f %zu %s\n", qs.tqi, qs.n, path);
                for (size_t k = 0; sentences && k < qs.n; k++) {
                    const double *p = qs.p + 4 * k;
                    int len = (int)(qs.span[k].end - qs.span[k].start);
                    printf("  %d %.3f %.3f %.3f %.3f %.3f  %.*s\n", qs.level[k], p[0], p[1], p[2],
                           p[3], qs.score[k], len, s + qs.span[k].start);
                }
            }
            s = nl ? nl + 1 : NULL;
        }
        free(buf);
    }
    if (!st) {
        double mean, ci;
        quality_summary(tqi, n, &mean, &ci);
        printf("texts=%zu tqi_mean=%.4f ci95=%.4f\n", n, mean, ci);
    }
    free(tqi);
    quality_score_release(&qs);
    quality_free(m);
    return st ? cli_fail("quality", st) : 0;
}

int cmd_quality(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error("quality", "expected a subcommand: train, eval or score");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        quality_help();
        return 0;
    }
    if (strcmp(argv[1], "train") == 0) return train_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "eval") == 0) return eval_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "score") == 0) return score_main(argc - 1, argv + 1);
    return cli_usage_error("quality", "unknown subcommand '%s' (train, eval, score)", argv[1]);
}
