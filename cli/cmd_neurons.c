/* cmd_neurons: `biasamp neurons --tables DIR [options]` — parse, call neurons_run_tables, print
 * the sets, their overlap against independence and the distinctness tests. The model-version
 * path (`biasamp neurons EXPERIMENT_DIR`) reads a `biasamp experiment` folder. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "neurons.h"
#include "plot.h"
#include "stats.h"

int cmd_neurons(int argc, char **argv);

static void neurons_help(void)
{
    printf("usage: biasamp neurons --tables DIR [options]\n"
           "       biasamp neurons EXPERIMENT_DIR [--activation block|mlp] [--class right] [options]\n\n"
           "Which neurons track bias, which track generation quality, and are the two sets\n"
           "distinct? A neuron is in a set when its (adjusted) p-value is below alpha. The\n"
           "overlap is compared with its expectation under independent membership by Fisher's\n"
           "exact test (one- and two-sided), the chi-square test and the Jaccard index, overall\n"
           "and per layer. Writes neurons_per_neuron.csv, neurons_summary.csv and\n"
           "neurons_layers.csv, and the figures neurons_scatter, neurons_pvalues and\n"
           "neurons_layers, into the results folder.\n\n"
           "--tables DIR re-analyses precomputed per-neuron tables: the paper authors' four CSVs\n"
           "(e.g. ../shared/data/paper-reference/Mechanistic_Interpretation); the sets use their\n"
           "Newey-West p_value columns, the scatter their Pearson r.\n\n"
           "options:\n"
           "  -t, --tables DIR         per-neuron tables to re-analyse\n"
           "  -o, --output DIR         results folder (default results/neurons_<UTC stamp>)\n"
           "  -a, --alpha A            significance level, 0 < A < 1 (default 0.05, the paper's)\n"
           "  -c, --correction NAME    none (default, the paper's), bonferroni or bh\n"
           "                           (Benjamini-Hochberg)\n"
           "  -l, --lag L              Newey-West lag for model versions (default 1); tables\n"
           "                           carry their own p-values\n"
           "  -p, --p-value NAME       for model versions: hac-z (default), hac-t or pearson\n"
           "      --format png|svg     figure format (default png)\n"
           "      --no-plot            write the CSV tables only\n"
           "  -q, --quiet              print nothing but errors\n"
           "  -h, --help               this help\n");
}

/* Parses a double in (lo, hi) or an int in [lo, hi]; -1 on failure. */
static int neurons_parse_double(const char *s, double lo, double hi, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return *s && !*end && *v > lo && *v < hi ? 0 : -1;
}

static int neurons_parse_int(const char *s, long lo, long hi, int *v)
{
    char *end;
    long x = strtol(s, &end, 10);
    if (!*s || *end || x < lo || x > hi) return -1;
    *v = (int)x;
    return 0;
}

static void neurons_print(const NeuronsRun *r, int lag_given)
{
    const NeuronsResult *res = &r->res;
    size_t nb = res->count[NEURONS_BIAS], nq = res->count[NEURONS_QUALITY], a = res->both;
    size_t n = res->tested;
    double pct = n ? 100.0 / (double)n : NAN;
    printf("%zu neurons (%zu layers x %zu) from %s\n", res->neurons, res->layers, res->layer_size,
           r->source);
    if (lag_given)
        printf("note: --lag applies to model versions; the tables carry their own p-values\n");
    printf("sets: %s < %g, correction %s", r->pvalue, res->alpha,
           stats_adjust_names[res->correction]);
    if (res->correction == STATS_ADJUST_BONFERRONI)
        printf(" (raw p < %.3g bias, %.3g quality)", res->bonferroni_p[NEURONS_BIAS],
               res->bonferroni_p[NEURONS_QUALITY]);
    printf("\n  bias      %6zu  (%.1f %%)\n", nb, (double)nb * pct);
    printf("  quality   %6zu  (%.1f %%)\n", nq, (double)nq * pct);
    printf("  both      %6zu  expected %.1f if membership were independent (ratio %.3f)\n", a,
           res->expected_both, res->expected_both > 0 ? (double)a / res->expected_both : NAN);
    printf("  neither   %6zu\n", n - nb - nq + a);
    printf("  Jaccard   %.4f  (%.4f at the expected overlap)\n", res->jaccard,
           res->jaccard_expected);
    printf("distinctness, table [[%zu, %zu], [%zu, %zu]]:\n", a, nb - a, nq - a, n - nb - nq + a);
    printf("  Fisher exact  odds ratio %.4f  p(overlap smaller) %.4g  p(larger) %.4g  "
           "p(two-sided) %.4g\n",
           res->fisher.odds_ratio, res->fisher.p_less, res->fisher.p_greater,
           res->fisher.p_two_sided);
    printf("  chi-square    %.4f (p %.4g); with Yates %.4f (p %.4g)\n", res->chisq.stat,
           res->chisq.p, res->chisq_yates.stat, res->chisq_yates.p);
    if (res->fisher.p_less < res->alpha)
        printf("  reading: the overlap is smaller than independence predicts (p %.3g < %g): the\n"
               "           sets are more separate than chance would make them\n",
               res->fisher.p_less, res->alpha);
    else if (res->fisher.p_greater < res->alpha)
        printf("  reading: the overlap is larger than independence predicts (p %.3g < %g): no\n"
               "           evidence of distinct sets; they share neurons beyond chance\n",
               res->fisher.p_greater, res->alpha);
    else
        printf("  reading: the overlap is what independent membership gives (p %.3g, %.3g): the\n"
               "           sets are no more distinct than two unrelated selections\n",
               res->fisher.p_less, res->fisher.p_greater);
    printf("per layer:  layer   bias quality  both  expected\n");
    for (size_t l = 0; l < res->layers; l++) {
        const size_t *c = res->layer_count + l * NEURONS_NLAYERCOL;
        double t = (double)c[NEURONS_L_TESTED];
        printf("%17zu %6zu %7zu %5zu  %8.1f\n", l + 1, c[NEURONS_L_BIAS], c[NEURONS_L_QUALITY],
               c[NEURONS_L_BOTH],
               t > 0 ? (double)c[NEURONS_L_BIAS] * (double)c[NEURONS_L_QUALITY] / t : NAN);
    }
    printf("tables%s in %s/\n", r->ext ? " and figures" : "", r->dir);
}

int cmd_neurons(int argc, char **argv)
{
    static const struct option opts[] = {{"tables", required_argument, 0, 't'},
                                         {"output", required_argument, 0, 'o'},
                                         {"alpha", required_argument, 0, 'a'},
                                         {"correction", required_argument, 0, 'c'},
                                         {"lag", required_argument, 0, 'l'},
                                         {"p-value", required_argument, 0, 'p'},
                                         {"format", required_argument, 0, 'F'},
                                         {"no-plot", no_argument, 0, 'P'},
                                         {"activation", required_argument, 0, 'A'},
                                         {"class", required_argument, 0, 'C'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    NeuronsRun run = {.ext = "png"};
    neurons_opts_default(&run.opts);
    int activation_kind = 0;
    const char *share_col = "share_right";
    int quiet = 0, lag_given = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "t:o:a:c:l:p:qh", opts, NULL)) != -1) {
        switch (c) {
        case 't': run.source = optarg; break;
        case 'o': run.output = optarg; break;
        case 'a':
            if (neurons_parse_double(optarg, 0, 1, &run.opts.alpha))
                return cli_usage_error("neurons", "--alpha '%s': need a number in (0, 1)", optarg);
            break;
        case 'c':
            if ((run.opts.correction = stats_adjust_find(optarg)) < 0)
                return cli_usage_error("neurons", "--correction '%s': none, bonferroni or bh",
                                       optarg);
            break;
        case 'l':
            if (neurons_parse_int(optarg, 0, 1000, &run.opts.lag))
                return cli_usage_error("neurons", "--lag '%s': need an integer in 0..1000", optarg);
            lag_given = 1;
            break;
        case 'p': {
            int k = -1;
            for (int i = 0; neurons_pvalue_names[i]; i++)
                if (!strcmp(optarg, neurons_pvalue_names[i])) k = i;
            if (k < 0)
                return cli_usage_error("neurons", "--p-value '%s': hac-z, hac-t or pearson",
                                       optarg);
            run.opts.pvalue = k;
            break;
        }
        case 'F':
            if (strcmp(optarg, "png") && strcmp(optarg, "svg"))
                return cli_usage_error("neurons", "--format '%s': png or svg", optarg);
            run.ext = optarg;
            break;
        case 'P': run.ext = NULL; break;
        case 'A':
            if (strcmp(optarg, "block") && strcmp(optarg, "mlp"))
                return cli_usage_error("neurons", "--activation '%s': block or mlp", optarg);
            activation_kind = strcmp(optarg, "mlp") == 0;
            break;
        case 'C':
            if (!strcmp(optarg, "left")) share_col = "share_left";
            else if (!strcmp(optarg, "center")) share_col = "share_center";
            else if (!strcmp(optarg, "right")) share_col = "share_right";
            else return cli_usage_error("neurons", "--class '%s': left, center or right", optarg);
            break;
        case 'q': quiet = 1; break;
        case 'h': neurons_help(); return 0;
        default:
            return cli_usage_error("neurons", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc && run.source)
        return cli_usage_error("neurons", "give --tables DIR or EXPERIMENT_DIR, not both");
    if (optind < argc - 1) return cli_usage_error("neurons", "one EXPERIMENT_DIR expected");
    int from_experiment = optind == argc - 1;
    if (!from_experiment && !run.source) return cli_usage_error("neurons", "missing --tables DIR");
    if (run.ext && !plot_available())
        return cli_fail("neurons", err_set(ERR_IO, "gnuplot not found (install gnuplot-nox, "
                                                   "or use --no-plot)"));
    RunInfo ri;
    runinfo_init(&ri, cli_argc, cli_argv);
    run.run = &ri;
    int st;
    if (from_experiment) {
        double *X = NULL, *b = NULL, *q = NULL;
        size_t models, neurons, layer_size;
        run.source = argv[optind];
        st = neurons_experiment_read(argv[optind], activation_kind, share_col, &X, &b, &q,
                                     &models, &neurons, &layer_size);
        if (!st) {
            run.opts.layer_size = layer_size;
            st = neurons_run_models(&run, X, b, q, models, neurons);
            if (!st && !quiet)
                printf("%zu fine-tuned model versions, %zu neurons (%s), targets %s and TQI\n",
                       models, neurons, activation_kind ? "MLP hidden units" : "block outputs",
                       share_col);
        }
        free(X);
        free(b);
        free(q);
    } else {
        st = neurons_run_tables(&run);
    }
    if (!st && !quiet) neurons_print(&run, lag_given);
    neurons_run_release(&run);
    return st ? cli_fail("neurons", st) : 0;
}
