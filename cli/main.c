/* main: the biasamp program — a git-style table of commands, one cmd_<name>.c each. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "err.h"
#include "par.h"

int cli_argc;
char **cli_argv;

typedef struct Command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    int mpi; /* 1: runs on several MPI ranks (mpirun -n N); else one rank only */
} Command;

static int cmd_help(int argc, char **argv);

static const Command commands[] = {
    {"sim", cmd_sim, "run the weighted-MLE simulator from a config (the theory half)", 1},
    {"theory", cmd_theory, "condition verdicts, push and closed forms for a simulator config", 0},
    {"decompose", cmd_decompose, "the 2x2x2 experiment: weighting x sampling error x functional form", 1},
    {"sweep", cmd_sweep, "grids over one or two config keys: tidy CSV, phase diagram, --resume", 1},
    {"explore", cmd_explore, "interactive explorer: set keys, run, plot, compare (scriptable)", 0},
    {"lesson", cmd_lesson, "the built-in lessons on bias amplification versus model collapse", 0},
    {"plot", cmd_plot, "render a CSV table with its gnuplot script (PNG, SVG or terminal)", 0},
    {"tokenizer", cmd_tokenizer, "GPT-2 byte-level BPE: encode, decode, train a vocabulary", 0},
    {"gpt2", cmd_gpt2, "GPT-2: pretrain, finetune, generate, perplexity, convert (checkpoint, safetensors, llm.c)", 1},
    {"lean", cmd_lean, "political-lean classifier: train, eval, classify", 0},
    {"quality", cmd_quality, "text quality index (TQI): train, eval, score", 0},
    {"experiment", cmd_experiment, "the empirical check: iterative fine-tuning on own output", 1},
    {"corpus", cmd_corpus, "build the paper's data sets from Article-Bias-Prediction", 0},
    {"neurons", cmd_neurons, "neuron sets for bias and quality, their overlap and distinctness", 0},
    {"report", cmd_report, "the generated half of the reproduction report (make paper)", 0},
    {"help", cmd_help, "show help for biasamp or for a command", 1},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f,
            "usage: biasamp <command> [options] [config.ini]\n"
            "       biasamp --help | --version\n\n"
            "biasamp makes bias amplification in models refit on their own output something to\n"
            "run, measure and plot (Wang, Wu et al., 2024, \"Bias Amplification: Language Models\n"
            "as Increasingly Biased Media\").\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'biasamp <command> --help' shows a command's options.\n"
               "Exit codes: 0 ok, 1 runtime failure, 2 usage or bad input.\n");
    if (!strcmp(par_kind(), "mpi"))
        fprintf(f, "\nMPI build: 'mpirun -n N biasamp sim|sweep|decompose|gpt2|experiment ...'\n"
                   "splits the work over N ranks (same output as one process); other commands run\n"
                   "on one.\n");
}

static const Command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    const Command *c = find(argv[1]);
    if (!c || c->run == cmd_help) {
        if (!c) return cli_usage_error("help", "unknown command '%s'", argv[1]);
        usage(stdout);
        return 0;
    }
    char *sub[] = {argv[1], "--help", NULL};
    return c->run(2, sub);
}

/* On several MPI ranks, a rank other than 0 waits a moment before printing an error: an error
 * every rank meets (bad input) then ends the job from rank 0 first and is printed once. */
static void cli_rank_prefix(const char *cmd)
{
    if (par_size() > 1 && !par_is_root()) {
        struct timespec ts = {2, 0};
        nanosleep(&ts, NULL);
        fprintf(stderr, "biasamp %s (rank %d): ", cmd, par_rank());
    } else {
        fprintf(stderr, "biasamp %s: ", cmd);
    }
}

int cli_fail(const char *cmd, int status)
{
    cli_rank_prefix(cmd);
    fprintf(stderr, "%s\n", err_msg());
    return err_exit_code(status);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_rank_prefix(cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'biasamp %s --help'.\n", cmd);
    return 2;
}

int cli_load_config(Cfg *c, const char *path, char **overrides, int noverrides)
{
    int st = ERR_OK;
    if (path) st = cfg_load(c, path);
    for (int i = 0; i < noverrides && !st; i++) st = cfg_set(c, overrides[i]);
    return st;
}

/* The command's exit code; on several ranks a failure on any rank ends the whole job. */
static int run_command(const Command *c, int argc, char **argv)
{
    if (par_size() > 1 && !c->mpi) {
        cli_usage_error(c->name, "runs on one process only; start it without mpirun (or -n 1); "
                        "sim, sweep, decompose, gpt2 and experiment use several ranks");
        par_abort(2);
    }
    int rc = c->run(argc, argv);
    if (rc && par_size() > 1) par_abort(rc);
    return rc;
}

static int main_inner(int argc, char **argv);

int main(int argc, char **argv)
{
    par_init(&argc, &argv);
    int rc = main_inner(argc, argv);
    par_finalize();
    return rc;
}

static int main_inner(int argc, char **argv)
{
    /* getopt permutes argv in place: keep the command line as typed for CSV metadata */
    static char *typed[256];
    cli_argc = argc < 255 ? argc : 255;
    for (int i = 0; i < cli_argc; i++) typed[i] = argv[i];
    cli_argv = typed;
    err_gsl_install();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("biasamp %s (%s)%s\n", BIASAMP_VERSION, BIASAMP_GIT_REV,
               strcmp(par_kind(), "mpi") ? "" : ", MPI build");
        return 0;
    }
    const Command *c = find(argv[1]);
    if (!c) {
        fprintf(stderr, "biasamp: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    return run_command(c, argc - 1, argv + 1);
}
