/* cli_util: small helpers the commands share (reading a whole input file). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
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
