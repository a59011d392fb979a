/* csvlog: the generation tables both halves write. `# key=value` metadata, one header line, numeric
 * cells only (%.17g, nan), flushed per row. Rows go to NAME.part, renamed to NAME on a successful
 * close, so a failed or killed run never leaves a file that looks complete. */
#ifndef BIASAMP_CSVLOG_H
#define BIASAMP_CSVLOG_H

#include <stdint.h>

/* The run context every table records in its metadata. */
typedef struct RunInfo {
    char cmdline[1024];
    uint64_t seed;
    uint64_t config_hash;
    int threads;
    const char *kernels; /* NULL when no model kernels are involved */
} RunInfo;

/* Fills version-independent fields: the command line (argv joined), threads (OpenMP max). */
void runinfo_init(RunInfo *ri, int argc, char **argv);

/* Keeps a resumable run's first command line, so that a resumed run's tables are identical to an
 * uninterrupted run's: with resume != 0 and `path` present, ri->cmdline becomes the line saved
 * there; otherwise ri->cmdline is saved to `path` (temporary file, fsync, rename). ERR_IO on a
 * write failure, ERR_INVAL if `path` exists but is empty or malformed. */
int runinfo_keep_command(RunInfo *ri, const char *path, int resume);

typedef struct CsvLog CsvLog;

/* Creates PATH.part and writes the metadata: kind, version, command line, seed, config hash,
 * threads, kernels. Further metadata with csvlog_meta before csvlog_header. ERR_IO on failure. */
int csvlog_open(CsvLog **out, const char *path, const char *kind, const RunInfo *ri);
int csvlog_meta(CsvLog *log, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The header line; `cols` are snake_case names. Must be called once before the first row. */
int csvlog_header(CsvLog *log, const char *const *cols, int ncols);
/* One row of exactly ncols values; nan/inf are written as nan/inf. Flushed. */
int csvlog_row(CsvLog *log, const double *vals);
/* ok != 0: flush, fsync and rename PATH.part to PATH. ok == 0: delete PATH.part. Frees the log
 * (NULL is a no-op). Returns ERR_IO if the final write or rename failed. */
int csvlog_close(CsvLog *log, int ok);

/* Index of a column in a header (for readers), -1 if absent. */
int csvlog_column(const char *const *cols, int ncols, const char *name);

#endif
