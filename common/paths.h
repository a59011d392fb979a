/* paths: where biasamp finds its data root, its gnuplot scripts and its cache, and the results
 * folder of a run. Nothing is compiled in: environment variables first, then places relative to
 * the executable or the working directory. */
#ifndef BIASAMP_PATHS_H
#define BIASAMP_PATHS_H

#include <stddef.h>

#include "cfg.h"

/* Data root: $BIASAMP_DATA, else "../shared/data". Always succeeds. */
void paths_data_root(char *buf, size_t n);

/* The plots/ folder: $BIASAMP_PLOTS, else <exe>/../share/biasamp/plots (installed), else
 * <exe>/../plots and <exe>/../../plots (build trees), else ./plots. ERR_IO if none exists. */
int paths_plots_dir(char *buf, size_t n);

/* Cache: $BIASAMP_CACHE, else $HOME/.cache/biasamp. */
void paths_cache_dir(char *buf, size_t n);

/* Creates the results folder: `override` if given (created with parents; it may exist), else
 * "results/<stem of config_path>_<UTC yyyymmddThhmmssZ>". ERR_IO on failure. */
int paths_results_dir(char *buf, size_t n, const char *config_path, const char *override);

/* mkdir -p. */
int paths_mkdirs(const char *path);

/* Writes the effective configuration to DIR/config.ini atomically (temp file + rename). */
int paths_write_config(const char *dir, const Cfg *c);

/* "a/b" joined into buf; ERR_INVAL if it does not fit. */
int paths_join(char *buf, size_t n, const char *dir, const char *name);

#endif
