/* cmd_experiment: `biasamp experiment CONFIG [-o DIR] [-s key=value]... [--resume]` — parse, call
 * experiment_run, print its stage messages with elapsed time. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "dp.h"
#include "err.h"
#include "experiment.h"
#include "kernels.h"
#include "par.h"
#include "paths.h"

int cmd_experiment(int argc, char **argv);

#define EXP_MAX_OVERRIDES 64

static void experiment_help(void)
{
    printf(
        "usage: biasamp experiment [options] CONFIG.ini\n"
        "       biasamp experiment --resume -o DIR [CONFIG.ini]\n\n"
        "The iterative fine-tuning experiment (Wang, Wu et al. 2024): a base GPT-2 (pretrained\n"
        "here with a controlled class mix, or loaded) is fine-tuned on real articles\n"
        "(generation 0), then on the texts each generation produces with the 64-token block\n"
        "protocol, per setup (replace, preserve, accumulate, overfit, center, center_preserve).\n"
        "Writes generations.csv (class shares, mean probabilities, TQI and perplexity with 95%%\n"
        "CIs, loss, tokens, seconds per setup and generation), articles.csv, activations/,\n"
        "checkpoints, the generated texts and figures into the results folder. A killed run\n"
        "continues with --resume (finished generations are kept, never repeated).\n\n"
        "options:\n"
        "  -o, --output DIR     results folder (default results/<config>_<UTC stamp>)\n"
        "  -s, --set KEY=VALUE  override a config key (repeatable)\n"
        "      --resume         continue the run in DIR (CONFIG defaults to DIR/config.ini)\n"
        "  -k, --kernels NAME   scalar | avx2 | avx512 | auto (default auto)\n"
        "      --no-plot        no figures\n"
        "  -q, --quiet          no stage messages or progress line\n"
        "  -h, --help           this help\n\n"
        "Long runs on a shared machine: OMP_WAIT_POLICY=passive avoids spin-waiting threads.\n\n"
        "MPI build: mpirun -n N biasamp experiment ... trains every model data-parallel over\n"
        "the N ranks and splits the generation of the synthetic sets (block prompts) among\n"
        "them; rank 0 evaluates and writes everything. Same texts as one process; losses\n"
        "equal up to float rounding.\n\n"
        "config keys:\n");
    cfg_print_keys(expcfg_keys, stdout);
}

typedef struct NoteCtx {
    double t0;
    int quiet;
} NoteCtx;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void note(void *ctx, const char *msg)
{
    NoteCtx *c = ctx;
    if (c->quiet) return;
    double t = wall() - c->t0;
    printf("[%3d:%02d] %s\n", (int)(t / 60), (int)t % 60, msg);
    fflush(stdout);
}

int cmd_experiment(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"set", required_argument, 0, 's'},
                                         {"resume", no_argument, 0, 'R'},
                                         {"kernels", required_argument, 0, 'k'},
                                         {"no-plot", no_argument, 0, 'P'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *outdir = NULL, *kern = "auto";
    char *overrides[EXP_MAX_OVERRIDES];
    int noverrides = 0, plot = 1, quiet = 0, resume = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:s:k:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 's':
            if (noverrides == EXP_MAX_OVERRIDES)
                return cli_usage_error("experiment", "too many -s");
            overrides[noverrides++] = optarg;
            break;
        case 'R': resume = 1; break;
        case 'k': kern = optarg; break;
        case 'P': plot = 0; break;
        case 'q': quiet = 1; break;
        case 'h': experiment_help(); return 0;
        default:
            return cli_usage_error("experiment", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    char cfgpath[4200];
    const char *config;
    if (optind == argc - 1) {
        config = argv[optind];
    } else if (optind == argc && resume && outdir) {
        snprintf(cfgpath, sizeof cfgpath, "%s/config.ini", outdir);
        config = cfgpath;
    } else {
        return cli_usage_error("experiment", optind == argc ? "missing CONFIG.ini"
                                                            : "one CONFIG expected");
    }
    if (resume && !outdir) return cli_usage_error("experiment", "--resume needs -o DIR");
    int st = kernels_set(kern);
    if (st) return cli_fail("experiment", st);

    ExpConfig ec;
    Cfg cfg;
    cfg_init(&cfg, expcfg_keys, &ec);
    int setups[EXPCFG_MAX_SETUPS], ns = 0;
    char dir[4096];
    st = cli_load_config(&cfg, config, overrides, noverrides);
    if (!st) st = expcfg_check(&cfg, &ec, setups, &ns);
    if (!st) st = experiment_check_memory(&ec); /* before any output */
    if (st) goto done;
    if (!par_is_root()) { /* several MPI ranks: rank 0 runs it, the others serve (models/dp) */
        st = dp_serve();
        goto done;
    }
    if ((st = paths_results_dir(dir, sizeof dir, config, outdir))) goto done;
    RunInfo ri;
    runinfo_init(&ri, cli_argc, cli_argv);
    ri.seed = (uint64_t)ec.seed;
    ri.config_hash = cfg_hash(&cfg);
    ri.kernels = kernels_name();
    {
        /* a resumed run keeps the first run's config.ini and command line (DIR/command.txt), so
         * that its tables are byte-identical to an uninterrupted run's; a folder that holds a run
         * is left alone without --resume (experiment_run refuses it) */
        char p[4400];
        struct stat sb;
        snprintf(p, sizeof p, "%s/state.txt", dir);
        int held = stat(p, &sb) == 0;
        snprintf(p, sizeof p, "%s/command.txt", dir); /* first: config.ini marks a started run */
        if ((resume || !held) && (st = runinfo_keep_command(&ri, p, resume))) goto done;
        snprintf(p, sizeof p, "%s/config.ini", dir);
        if (!(resume ? stat(p, &sb) == 0 : held) && (st = paths_write_config(dir, &cfg)))
            goto done;
    }
    NoteCtx nc = {.t0 = wall(), .quiet = quiet};
    ExpRunOpts o = {.dir = dir,
                    .run = &ri,
                    .resume = resume,
                    .plot = plot,
                    .progress = !quiet,
                    .note = note,
                    .ctx = &nc};
    ExpResult res;
    if (!quiet)
        printf("experiment %s -> %s (%d setups x %ld generations, kernels %s, %d threads)\n",
               config, dir, ns, ec.generations, kernels_name(), ri.threads);
    st = experiment_run(&ec, setups, ns, &o, &res);
    if (!st) dp_release();
    if (!st && !quiet)
        printf("%d rows (%d from an earlier run) in %s/generations.csv; %.1f min\n", res.rows,
               res.rows_resumed, dir, res.seconds / 60);
done:
    cfg_release(&cfg);
    return st ? cli_fail("experiment", st) : 0;
}
