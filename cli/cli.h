/* cli: the command table's shared contract. Each cmd_<name>(argc, argv) parses its options, calls
 * one library entry and returns the process exit code (0 ok, 1 runtime failure, 2 bad input).
 * Only cli/ prints or exits. */
#ifndef BIASAMP_CLI_H
#define BIASAMP_CLI_H

#include <stdio.h>

#include "cfg.h"

int cmd_sim(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_tokenizer(int argc, char **argv);
int cmd_neurons(int argc, char **argv);
int cmd_corpus(int argc, char **argv);
int cmd_gpt2(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_theory(int argc, char **argv);
int cmd_decompose(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_explore(int argc, char **argv);
int cmd_lesson(int argc, char **argv);
int cmd_lean(int argc, char **argv);
int cmd_quality(int argc, char **argv);
int cmd_experiment(int argc, char **argv);

/* Prints "biasamp <cmd>: <current err message>" and returns err_exit_code(status). */
int cli_fail(const char *cmd, int status);
/* Prints "biasamp <cmd>: <message>\nTry 'biasamp <cmd> --help'." and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Loads CONFIG (may be NULL for defaults only) and applies the -s overrides in order. */
int cli_load_config(Cfg *c, const char *path, char **overrides, int noverrides);

/* Reads a whole file ("-" = stdin) into a new NUL-terminated buffer (*len bytes, len may be
 * NULL). A missing file is ERR_INVAL (bad input), an unreadable one ERR_IO. */
int cli_slurp(const char *path, char **buf, size_t *len);

/* ERR_IO (gnuplot not found) when figures are wanted and rank 0 cannot draw them, else ERR_OK:
 * checked before any work, so a missing gnuplot costs nothing. */
int cli_check_gnuplot(int plot);
/* "PREFIX-BASENAME(config)": the label of a results folder. */
void cli_run_label(char *label, size_t size, const char *prefix, const char *config);

/* A whole decimal integer in [lo, hi] / a whole finite number: 1 and *v set, else 0. */
int cli_parse_long(const char *s, long lo, long hi, long *v);
int cli_parse_double(const char *s, double *v);

/* The whole argv, for CSV metadata. */
extern int cli_argc;
extern char **cli_argv;

#endif
