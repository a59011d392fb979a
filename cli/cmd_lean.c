/* cmd_lean: `biasamp lean train|eval|classify` — the Left/Center/Right classifier on
 * Article-Bias-Prediction: train (optionally sweeping lambda on the valid split), evaluate on
 * test splits (macro-F1, confusion matrices), classify text files. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csvlog.h"
#include "err.h"
#include "lean.h"
#include "paths.h"
#include "xalloc.h"

int cmd_lean(int argc, char **argv);

static const char *const class_names[3] = {"left", "center", "right"};

static void lean_help(void)
{
    printf("usage: biasamp lean <train|eval|classify> [options]\n\n"
           "Political-lean classifier: Left/Center/Right probabilities from softmax regression on\n"
           "hashed word uni+bigrams (sublinear tf, idf, l2-normalised), trained by L-BFGS on the\n"
           "Article-Bias-Prediction random split.\n\n"
           "  train     fit a model on SPLIT/train (optionally choose lambda on SPLIT/valid)\n"
           "  eval      macro-F1, accuracy and confusion matrices on test splits\n"
           "  classify  print L/C/R probabilities of text files (or standard input)\n\n"
           "'biasamp lean <subcommand> --help' shows its options. The data root is --data, else\n"
           "$BIASAMP_DATA, else ../shared/data.\n");
}

/* "1e-5,3e-5" -> values (at most max). Returns the count, 0 on a bad list. */
static int parse_list(const char *s, double *v, int max)
{
    int n = 0;
    char *copy = xstrdup(s), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n == max || !cli_parse_double(t, &v[n]) || v[n] < 0) {
            n = 0;
            break;
        }
        n++;
    }
    free(copy);
    return n;
}

static void print_metrics(const char *name, const LeanMetrics *mt)
{
    printf("%s: n=%zu macro_f1=%.4f accuracy=%.4f\n", name, mt->n, mt->macro_f1, mt->accuracy);
    printf("  %-8s %9s %7s %7s   confusion (rows true, columns predicted)\n", "class", "precision",
           "recall", "f1");
    for (int k = 0; k < 3; k++)
        printf("  %-8s %9.4f %7.4f %7.4f   %6ld %6ld %6ld\n", class_names[k], mt->precision[k],
               mt->recall[k], mt->f1[k], mt->confusion[k][0], mt->confusion[k][1],
               mt->confusion[k][2]);
}

static int train_main(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"data", required_argument, 0, 'd'},
                                         {"split", required_argument, 0, 's'},
                                         {"exclude", required_argument, 0, 'x'},
                                         {"max", required_argument, 0, 'n'},
                                         {"lambda", required_argument, 0, 'l'},
                                         {"tune", required_argument, 0, 't'},
                                         {"hash-bits", required_argument, 0, 'b'},
                                         {"no-bigrams", no_argument, 0, 'B'},
                                         {"no-idf", no_argument, 0, 'I'},
                                         {"max-iter", required_argument, 0, 'i'},
                                         {"tol", required_argument, 0, 'T'},
                                         {"threads", required_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    LeanOpts o = LEAN_OPTS_DEFAULTS;
    const char *out = NULL, *data = NULL, *split = "random", *exclude = NULL, *tune = NULL;
    long max = 0, v;
    double lambdas[32];
    int nl = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:d:s:x:n:l:t:b:BIi:T:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'd': data = optarg; break;
        case 's': split = optarg; break;
        case 'x': exclude = optarg; break;
        case 'n':
            if (!cli_parse_long(optarg, 1, 100000000, &max))
                return cli_usage_error("lean", "train: --max must be a positive integer");
            break;
        case 'l':
            if (!cli_parse_double(optarg, &o.lambda) || o.lambda < 0)
                return cli_usage_error("lean", "train: --lambda must be a number >= 0");
            break;
        case 't': tune = optarg; break;
        case 'b':
            if (!cli_parse_long(optarg, 10, 26, &v))
                return cli_usage_error("lean", "train: --hash-bits must be an integer in 10..26");
            o.hash_bits = (int)v;
            break;
        case 'B': o.bigrams = 0; break;
        case 'I': o.idf = 0; break;
        case 'i':
            if (!cli_parse_long(optarg, 0, 100000, &v))
                return cli_usage_error("lean", "train: --max-iter must be an integer in 0..100000");
            o.max_iter = (int)v;
            break;
        case 'T':
            if (!cli_parse_double(optarg, &o.tol) || o.tol < 0)
                return cli_usage_error("lean", "train: --tol must be a number >= 0");
            break;
        case 'j':
            if (!cli_parse_long(optarg, 1, 1024, &v))
                return cli_usage_error("lean", "train: --threads must be an integer in 1..1024");
            o.threads = (int)v;
            break;
        case 'h':
            printf(
                "usage: biasamp lean train -o MODEL [options]\n\n"
                "Trains on SPLIT/train of Article-Bias-Prediction minus the --exclude IDs (each\n"
                "article as 'title: <title>\\nbody: <body>', the fine-tuning format) and saves\n"
                "MODEL. With --tune, one model per lambda is fitted (warm-started, largest first)\n"
                "and the one with the best macro-F1 on SPLIT/valid kept.\n\n"
                "options:\n"
                "  -o, --out MODEL        model file to write (required)\n"
                "  -d, --data ROOT        data root holding abp/ (default $BIASAMP_DATA or\n"
                "                         ../shared/data)\n"
                "  -s, --split NAME       random (default) or media\n"
                "  -x, --exclude FILE     article IDs to leave out, one per line (e.g. the\n"
                "                         finetune.ids and finetune_center.ids of biasamp corpus)\n"
                "  -n, --max N            use at most N training (and validation) articles\n"
                "  -l, --lambda X         L2 strength (default %g)\n"
                "  -t, --tune LIST        comma-separated lambdas to choose from on SPLIT/valid\n"
                "  -b, --hash-bits B      2^B feature buckets (default %d)\n"
                "      --no-bigrams       unigrams only\n"
                "      --no-idf           no idf weighting\n"
                "  -i, --max-iter N       L-BFGS iterations (default %d)\n"
                "  -T, --tol X            stop at this relative decrease (default %g)\n"
                "  -j, --threads N        threads (default: all; the model does not depend on it)\n"
                "  -h, --help             this help\n",
                o.lambda, o.hash_bits, o.max_iter, o.tol);
            return 0;
        default:
            return cli_usage_error("lean", "train: unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (!out) return cli_usage_error("lean", "train: --out MODEL is required");
    if (optind < argc)
        return cli_usage_error("lean", "train: unexpected argument '%s'", argv[optind]);
    if (tune && !(nl = parse_list(tune, lambdas, 32)))
        return cli_usage_error("lean", "train: --tune needs 1..32 comma-separated numbers >= 0");
    char root[4096], tr_name[32], va_name[32];
    if (data)
        snprintf(root, sizeof root, "%s", data);
    else
        paths_data_root(root, sizeof root);
    snprintf(tr_name, sizeof tr_name, "%s/train", split);
    snprintf(va_name, sizeof va_name, "%s/valid", split);
    const char *names[2] = {tr_name, va_name};
    LeanTexts sets[2];
    LeanModel *m = NULL;
    LeanTrainInfo info;
    LeanTuneRow rows[32];
    int st = lean_texts_load(sets, names, nl ? 2 : 1, root, exclude, (size_t)max);
    if (st) return cli_fail("lean", st);
    printf("training on %s: %zu articles%s%s\n", tr_name, sets[0].n,
           exclude ? " without those in " : "", exclude ? exclude : "");
    if (nl)
        st = lean_tune(&m, &o, lambdas, nl, (const char *const *)sets[0].text, sets[0].y, sets[0].n,
                       (const char *const *)sets[1].text, sets[1].y, sets[1].n, rows, &info);
    else
        st = lean_train(&m, &o, (const char *const *)sets[0].text, sets[0].y, sets[0].n, &info);
    if (!st && nl) {
        printf("lambda sweep on %s (%zu articles):\n  %-10s %8s %8s %6s %9s %8s\n", va_name,
               sets[1].n, "lambda", "macro_f1", "accuracy", "iters", "converged", "train_s");
        for (int k = 0; k < nl; k++)
            printf("  %-10g %8.4f %8.4f %6d %9d %8.1f\n", rows[k].lambda, rows[k].valid_macro_f1,
                   rows[k].valid_accuracy, rows[k].iters, rows[k].converged, rows[k].train_s);
    }
    if (!st) st = lean_save(m, out);
    if (!st) {
        LeanOpts mo = lean_opts(m);
        printf("model %s: hash_bits=%d bigrams=%d idf=%d lambda=%g; %zu features stored;\n"
               "L-BFGS %d iterations (%d evaluations, converged=%d), objective %.6f, |grad| %.3g;\n"
               "features %.1f s, training %.1f s\n",
               out, mo.hash_bits, mo.bigrams, mo.idf, mo.lambda, info.nnz, info.iters, info.evals,
               info.converged, info.f, info.gnorm, info.featurize_s, info.train_s);
    }
    for (int k = 0; k < (nl ? 2 : 1); k++) lean_texts_release(&sets[k]);
    lean_free(m);
    return st ? cli_fail("lean", st) : 0;
}

static int eval_main(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"data", required_argument, 0, 'd'},
                                         {"parts", required_argument, 0, 'p'},
                                         {"exclude", required_argument, 0, 'x'},
                                         {"max", required_argument, 0, 'n'},
                                         {"csv", required_argument, 0, 'c'},
                                         {"threads", required_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *model = NULL, *data = NULL, *parts = "random/test", *exclude = NULL, *csv = NULL;
    long max = 0, v;
    int threads = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "m:d:p:x:n:c:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 'p': parts = optarg; break;
        case 'x': exclude = optarg; break;
        case 'c': csv = optarg; break;
        case 'n':
            if (!cli_parse_long(optarg, 1, 100000000, &max))
                return cli_usage_error("lean", "eval: --max must be a positive integer");
            break;
        case 'j':
            if (!cli_parse_long(optarg, 1, 1024, &v))
                return cli_usage_error("lean", "eval: --threads must be an integer in 1..1024");
            threads = (int)v;
            break;
        case 'h':
            printf(
                "usage: biasamp lean eval -m MODEL [options]\n\n"
                "Scores MODEL on Article-Bias-Prediction split parts: macro-F1, accuracy,\n"
                "per-class precision/recall/F1 and the confusion matrix (rows true class).\n\n"
                "options:\n"
                "  -m, --model MODEL      model file (required)\n"
                "  -d, --data ROOT        data root holding abp/\n"
                "  -p, --parts LIST       comma-separated SPLIT/PART or @IDFILE (default\n"
                "                         random/test)\n"
                "  -x, --exclude FILE     article IDs to leave out, one per line\n"
                "  -n, --max N            at most N articles per part\n"
                "  -c, --csv FILE         also write the table (kind=lean_eval): one row per part\n"
                "                         and true class; the parts are named in the metadata\n"
                "  -j, --threads N        threads (default: all)\n"
                "  -h, --help             this help\n");
            return 0;
        default:
            return cli_usage_error("lean", "eval: unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (!model) return cli_usage_error("lean", "eval: --model MODEL is required");
    if (optind < argc)
        return cli_usage_error("lean", "eval: unexpected argument '%s'", argv[optind]);
    char *names[16], *copy = xstrdup(parts), *save = NULL;
    int np = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (np == 16) {
            free(copy);
            return cli_usage_error("lean", "eval: at most 16 parts");
        }
        names[np++] = t;
    }
    if (!np) {
        free(copy);
        return cli_usage_error("lean", "eval: --parts is empty");
    }
    char root[4096];
    if (data)
        snprintf(root, sizeof root, "%s", data);
    else
        paths_data_root(root, sizeof root);
    LeanModel *m = NULL;
    LeanTexts sets[16];
    LeanMetrics mt[16];
    int st = lean_load(&m, model), loaded = 0;
    if (!st) st = lean_texts_load(sets, (const char *const *)names, np, root, exclude, (size_t)max);
    loaded = !st;
    for (int k = 0; k < np && !st; k++) {
        lean_evaluate(m, (const char *const *)sets[k].text, sets[k].y, sets[k].n, threads, &mt[k]);
        print_metrics(sets[k].name, &mt[k]);
    }
    if (!st && csv) {
        static const char *const cols[] = {"part",        "true_class", "n",         "pred_left",
                                           "pred_center", "pred_right", "precision", "recall",
                                           "f1",          "macro_f1",   "accuracy"};
        RunInfo ri;
        CsvLog *log = NULL;
        runinfo_init(&ri, cli_argc, cli_argv);
        st = csvlog_open(&log, csv, "lean_eval", &ri);
        if (!st) st = csvlog_meta(log, "model", "%s", model);
        for (int k = 0; k < np && !st; k++) {
            char key[16];
            snprintf(key, sizeof key, "part%d", k);
            st = csvlog_meta(log, key, "%s", sets[k].name);
        }
        if (!st) st = csvlog_meta(log, "classes", "0=left 1=center 2=right");
        if (!st) st = csvlog_header(log, cols, 11);
        for (int k = 0; k < np && !st; k++)
            for (int t = 0; t < 3 && !st; t++) {
                const long *row = mt[k].confusion[t];
                double vals[11] = {k,
                                   t,
                                   (double)(row[0] + row[1] + row[2]),
                                   (double)row[0],
                                   (double)row[1],
                                   (double)row[2],
                                   mt[k].precision[t],
                                   mt[k].recall[t],
                                   mt[k].f1[t],
                                   mt[k].macro_f1,
                                   mt[k].accuracy};
                st = csvlog_row(log, vals);
            }
        int cst = csvlog_close(log, !st);
        if (!st) st = cst;
    }
    if (loaded)
        for (int k = 0; k < np; k++) lean_texts_release(&sets[k]);
    free(copy);
    lean_free(m);
    return st ? cli_fail("lean", st) : 0;
}

static int classify_main(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"lines", no_argument, 0, 'L'},
                                         {"threads", required_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *model = NULL;
    int lines = 0, threads = 0, c;
    long v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "m:Lj:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'L': lines = 1; break;
        case 'j':
            if (!cli_parse_long(optarg, 1, 1024, &v))
                return cli_usage_error("lean", "classify: --threads must be an integer in 1..1024");
            threads = (int)v;
            break;
        case 'h':
            printf("usage: biasamp lean classify -m MODEL [options] [FILE...]\n\n"
                   "Prints, for each FILE (or standard input), one line\n"
                   "  p_left p_center p_right LABEL NAME\n"
                   "with LABEL the most probable class.\n\n"
                   "options:\n"
                   "  -m, --model MODEL      model file (required)\n"
                   "  -L, --lines            each input line is one text (NAME = file:line)\n"
                   "  -j, --threads N        threads (default: all)\n"
                   "  -h, --help             this help\n");
            return 0;
        default:
            return cli_usage_error("lean", "classify: unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (!model) return cli_usage_error("lean", "classify: --model MODEL is required");
    int nf = argc - optind > 0 ? argc - optind : 1;
    LeanModel *m = NULL;
    int st = lean_load(&m, model);
    size_t n = 0, cap = 0;
    char **texts = NULL, **names = NULL, **bufs = xcalloc((size_t)nf, sizeof *bufs);
    for (int i = 0; i < nf && !st; i++) {
        const char *path = argc > optind ? argv[optind + i] : "-";
        st = cli_slurp(path, &bufs[i], NULL);
        if (st) break;
        char *s = bufs[i];
        long ln = 0;
        while (s) {
            char *nl = lines ? strchr(s, '\n') : NULL;
            if (nl) *nl = '\0';
            ln++;
            if (!lines || *s) {
                if (n == cap) {
                    cap = cap ? 2 * cap : 64;
                    texts = xrealloc(texts, cap * sizeof *texts);
                    names = xrealloc(names, cap * sizeof *names);
                }
                char name[4200];
                if (lines)
                    snprintf(name, sizeof name, "%s:%ld", path, ln);
                else
                    snprintf(name, sizeof name, "%s", path);
                texts[n] = s;
                names[n++] = xstrdup(name);
            }
            s = nl ? nl + 1 : NULL;
        }
    }
    if (!st) {
        double(*p)[3] = xmalloc((n ? n : 1) * sizeof *p);
        lean_predict_batch(m, (const char *const *)texts, n, p, threads);
        for (size_t i = 0; i < n; i++)
            printf("%.6f %.6f %.6f %s %s\n", p[i][0], p[i][1], p[i][2],
                   class_names[lean_argmax(p[i])], names[i]);
        free(p);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    for (int i = 0; i < nf; i++) free(bufs[i]);
    free(bufs), free(texts), free(names);
    lean_free(m);
    return st ? cli_fail("lean", st) : 0;
}

int cmd_lean(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error("lean", "expected a subcommand: train, eval or classify");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        lean_help();
        return 0;
    }
    if (strcmp(argv[1], "train") == 0) return train_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "eval") == 0) return eval_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "classify") == 0) return classify_main(argc - 1, argv + 1);
    return cli_usage_error("lean", "unknown subcommand '%s' (train, eval, classify)", argv[1]);
}
