/* cli_util: small helpers the commands share (reading a whole input file, parsing numbers). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "par.h"
#include "plot.h"
#include "xalloc.h"

int cli_slurp(const char *path, char **buf, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return err_set(errno == ENOENT ? ERR_INVAL : ERR_IO, "cannot open '%s': %s", path,
                       strerror(errno));
    size_t cap = 1 << 16, k = 0, got;
    char *b = xmalloc(cap + 1);
    while ((got = fread(b + k, 1, cap - k, f)) > 0)
        if ((k += got) == cap) b = xrealloc(b, (cap *= 2) + 1);
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (bad) {
        free(b);
        return err_set(ERR_IO, "cannot read '%s'", path);
    }
    b[k] = '\0';
    *buf = b;
    if (len) *len = k;
    return ERR_OK;
}

int cli_parse_long(const char *s, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return end != s && !*end && !errno && *v >= lo && *v <= hi;
}

int cli_parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && !*end && !errno && isfinite(*v);
}

int cli_check_gnuplot(int plot)
{
    if (plot && par_is_root() && !plot_available()) /* rank 0 alone draws */
        return err_set(ERR_IO, "gnuplot not found (install gnuplot-nox, or use --no-plot)");
    return ERR_OK;
}

void cli_run_label(char *label, size_t size, const char *prefix, const char *config)
{
    const char *base = strrchr(config, '/');
    snprintf(label, size, "%s-%s", prefix, base ? base + 1 : config);
}
