/* csvlog: CSV generation tables with metadata; written to a .part file and renamed when done. */
#include "csvlog.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "xalloc.h"

struct CsvLog {
    FILE *f;
    char *path;
    char *part;
    int ncols; /* 0 until the header is written */
};

void runinfo_init(RunInfo *ri, int argc, char **argv)
{
    memset(ri, 0, sizeof *ri);
    size_t used = 0;
    for (int i = 0; i < argc && used < sizeof ri->cmdline; i++)
        used += (size_t)snprintf(ri->cmdline + used, sizeof ri->cmdline - used, "%s%s",
                                 i ? " " : "", argv[i]);
    for (char *p = ri->cmdline; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
#ifdef _OPENMP
    ri->threads = omp_get_max_threads();
#else
    ri->threads = 1;
#endif
}

int runinfo_keep_command(RunInfo *ri, const char *path, int resume)
{
    FILE *f = resume ? fopen(path, "r") : NULL;
    if (f) {
        char line[sizeof ri->cmdline + 2];
        int ok = fgets(line, sizeof line, f) != NULL;
        fclose(f);
        size_t n = ok ? strlen(line) : 0;
        if (!ok || n < 2 || line[n - 1] != '\n')
            return err_set(ERR_INVAL, "%s:1: not a command line record", path);
        line[n - 1] = '\0';
        snprintf(ri->cmdline, sizeof ri->cmdline, "%s", line);
        return ERR_OK;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f) return err_set(ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    int bad = fprintf(f, "%s\n", ri->cmdline) < 0;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        unlink(tmp);
        return err_set(ERR_IO, "cannot write '%s'", path);
    }
    return ERR_OK;
}

int csvlog_open(CsvLog **out, const char *path, const char *kind, const RunInfo *ri)
{
    *out = NULL;
    CsvLog *log = xcalloc(1, sizeof *log);
    log->path = xstrdup(path);
    log->part = xmalloc(strlen(path) + 6);
    sprintf(log->part, "%s.part", path);
    log->f = fopen(log->part, "w");
    if (!log->f) {
        int st = err_set(ERR_IO, "cannot create '%s': %s", log->part, strerror(errno));
        free(log->part);
        free(log->path);
        free(log);
        return st;
    }
    fprintf(log->f, "# kind=%s\n# version=%s\n", kind, BIASAMP_VERSION);
    if (ri) {
        fprintf(log->f, "# command=%s\n# seed=%llu\n# config_hash=%016llx\n# threads=%d\n",
                ri->cmdline, (unsigned long long)ri->seed, (unsigned long long)ri->config_hash,
                ri->threads);
        if (ri->kernels) fprintf(log->f, "# kernels=%s\n", ri->kernels);
    }
    *out = log;
    return ERR_OK;
}

int csvlog_meta(CsvLog *log, const char *key, const char *fmt, ...)
{
    if (log->ncols) return err_set(ERR_RUNTIME, "csvlog: metadata after the header");
    fprintf(log->f, "# %s=", key);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log->f, fmt, ap);
    va_end(ap);
    fputc('\n', log->f);
    return ERR_OK;
}

int csvlog_header(CsvLog *log, const char *const *cols, int ncols)
{
    for (int i = 0; i < ncols; i++) fprintf(log->f, "%s%s", i ? "," : "", cols[i]);
    fputc('\n', log->f);
    log->ncols = ncols;
    if (fflush(log->f)) return err_set(ERR_IO, "cannot write '%s'", log->part);
    return ERR_OK;
}

int csvlog_row(CsvLog *log, const double *vals)
{
    for (int i = 0; i < log->ncols; i++) {
        double v = vals[i];
        if (i) fputc(',', log->f);
        if (isnan(v))
            fputs("nan", log->f);
        else if (isinf(v))
            fputs(v > 0 ? "inf" : "-inf", log->f);
        else
            fprintf(log->f, "%.17g", v);
    }
    fputc('\n', log->f);
    if (fflush(log->f)) return err_set(ERR_IO, "cannot write '%s': %s", log->part, strerror(errno));
    return ERR_OK;
}

int csvlog_close(CsvLog *log, int ok)
{
    if (!log) return ERR_OK;
    int st = ERR_OK;
    if (ok) {
        if (fflush(log->f) || fsync(fileno(log->f)))
            st = err_set(ERR_IO, "cannot write '%s': %s", log->part, strerror(errno));
    }
    if (fclose(log->f) && !st && ok) st = err_set(ERR_IO, "cannot close '%s'", log->part);
    if (ok && !st) {
        if (rename(log->part, log->path))
            st = err_set(ERR_IO, "cannot rename '%s': %s", log->part, strerror(errno));
    } else {
        unlink(log->part);
    }
    free(log->part);
    free(log->path);
    free(log);
    return st;
}

int csvlog_column(const char *const *cols, int ncols, const char *name)
{
    for (int i = 0; i < ncols; i++)
        if (strcmp(cols[i], name) == 0) return i;
    return -1;
}
