/* main: the biasamp program — a git-style table of commands, one cmd_<name>.c each. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"

int cli_argc;
char **cli_argv;

typedef struct Command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} Command;

static int cmd_help(int argc, char **argv);

static const Command commands[] = {
    {"sim", cmd_sim, "run the weighted-MLE simulator from a config (the theory half)"},
    {"theory", cmd_theory, "condition verdicts, push and closed forms for a simulator config"},
    {"decompose", cmd_decompose, "the 2x2x2 experiment: weighting x sampling error x functional form"},
    {"sweep", cmd_sweep, "grids over one or two config keys: tidy CSV, phase diagram, --resume"},
    {"explore", cmd_explore, "interactive explorer: set keys, run, plot, compare (scriptable)"},
    {"lesson", cmd_lesson, "the built-in lessons on bias amplification versus model collapse"},
    {"plot", cmd_plot, "render a CSV table with its gnuplot script (PNG, SVG or terminal)"},
    {"tokenizer", cmd_tokenizer, "GPT-2 byte-level BPE: encode, decode, train a vocabulary"},
    {"gpt2", cmd_gpt2, "GPT-2: pretrain, finetune, generate, perplexity, convert (checkpoint, safetensors, llm.c)"},
    {"lean", cmd_lean, "political-lean classifier: train, eval, classify"},
    {"quality", cmd_quality, "text quality index (TQI): train, eval, score"},
    {"experiment", cmd_experiment, "the empirical check: iterative fine-tuning on own output"},
    {"corpus", cmd_corpus, "build the paper's data sets from Article-Bias-Prediction"},
    {"neurons", cmd_neurons, "neuron sets for bias and quality, their overlap and distinctness"},
    {"report", cmd_report, "the generated half of the reproduction report (make paper)"},
    {"help", cmd_help, "show help for biasamp or for a command"},
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

int cli_fail(const char *cmd, int status)
{
    fprintf(stderr, "biasamp %s: %s\n", cmd, err_msg());
    return err_exit_code(status);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "biasamp %s: ", cmd);
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

int main(int argc, char **argv)
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
        printf("biasamp %s (%s)\n", BIASAMP_VERSION, BIASAMP_GIT_REV);
        return 0;
    }
    const Command *c = find(argv[1]);
    if (!c) {
        fprintf(stderr, "biasamp: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    return c->run(argc - 1, argv + 1);
}
