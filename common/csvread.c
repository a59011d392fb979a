/* csvread: a small reader for numeric CSV tables with metadata lines. Lines of any length;
 * quoted cells are not needed by any table biasamp reads and are refused. */
#include "csvread.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

static char **csv_split(char *line, int *n)
{
    int cap = 16, k = 0;
    char **f = xmalloc((size_t)cap * sizeof *f);
    for (char *p = line;;) {
        if (k == cap) f = xrealloc(f, (size_t)(cap *= 2) * sizeof *f);
        f[k++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    *n = k;
    return f;
}

static double csv_number(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0') return NAN;
    return v;
}

int csvread_load(CsvTable **out, const char *path)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return err_set(errno == ENOENT ? ERR_INVAL : ERR_IO, "cannot open '%s': %s", path,
                       strerror(errno));
    CsvTable *t = xcalloc(1, sizeof *t);
    char *line = NULL;
    size_t cap = 0, rows_cap = 0;
    ssize_t len;
    long lineno = 0;
    int st = ERR_OK;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (memchr(line, '\0', (size_t)len)) {
            st = err_set(ERR_INVAL, "%s:%ld: NUL byte", path, lineno);
            break;
        }
        if (line[0] == '#') {
            const char *kv = line + 1 + (line[1] == ' ');
            const char *eq = strchr(kv, '=');
            if (eq && t->ncols == 0) {
                t->meta_keys = xrealloc(t->meta_keys, (size_t)(t->nmeta + 1) * sizeof(char *));
                t->meta_values = xrealloc(t->meta_values, (size_t)(t->nmeta + 1) * sizeof(char *));
                t->meta_keys[t->nmeta] = xmalloc((size_t)(eq - kv) + 1);
                memcpy(t->meta_keys[t->nmeta], kv, (size_t)(eq - kv));
                t->meta_keys[t->nmeta][eq - kv] = '\0';
                t->meta_values[t->nmeta++] = xstrdup(eq + 1);
            }
            continue;
        }
        if (len == 0) continue;
        if (strchr(line, '"')) {
            st = err_set(ERR_INVAL, "%s:%ld: quoted cells are not supported", path, lineno);
            break;
        }
        int n;
        char **cells = csv_split(line, &n);
        if (t->ncols == 0) { /* the header */
            t->ncols = n;
            t->cols = xcalloc((size_t)n, sizeof *t->cols);
            for (int i = 0; i < n; i++) t->cols[i] = xstrdup(cells[i]);
        } else if (n != t->ncols) {
            st = err_set(ERR_INVAL, "%s:%ld: %d cells, the header has %d", path, lineno, n,
                         t->ncols);
        } else {
            if (t->nrows == rows_cap) {
                rows_cap = rows_cap ? 2 * rows_cap : 64;
                t->v = xrealloc(t->v, rows_cap * (size_t)n * sizeof *t->v);
                t->s = xrealloc(t->s, rows_cap * (size_t)n * sizeof *t->s);
            }
            for (int i = 0; i < n; i++) {
                t->v[t->nrows * (size_t)n + (size_t)i] = csv_number(cells[i]);
                t->s[t->nrows * (size_t)n + (size_t)i] = xstrdup(cells[i]);
            }
            t->nrows++;
        }
        free(cells);
        if (st) break;
    }
    free(line);
    if (!st && ferror(f)) st = err_set(ERR_IO, "cannot read '%s'", path);
    fclose(f);
    if (!st && t->ncols == 0) st = err_set(ERR_INVAL, "%s: no header line", path);
    if (st) {
        csvread_free(t);
        return st;
    }
    *out = t;
    return ERR_OK;
}

void csvread_free(CsvTable *t)
{
    if (!t) return;
    for (int i = 0; i < t->ncols; i++) free(t->cols[i]);
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++) free(t->s[i]);
    for (int i = 0; i < t->nmeta; i++) {
        free(t->meta_keys[i]);
        free(t->meta_values[i]);
    }
    free(t->cols);
    free(t->v);
    free(t->s);
    free(t->meta_keys);
    free(t->meta_values);
    free(t);
}

int csvread_col(const CsvTable *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i], name) == 0) return i;
    return -1;
}

double csvread_num(const CsvTable *t, size_t row, int col)
{
    if (col < 0 || col >= t->ncols || row >= t->nrows) return NAN;
    return t->v[row * (size_t)t->ncols + (size_t)col];
}

const char *csvread_str(const CsvTable *t, size_t row, int col)
{
    if (col < 0 || col >= t->ncols || row >= t->nrows) return "";
    return t->s[row * (size_t)t->ncols + (size_t)col];
}

const char *csvread_meta(const CsvTable *t, const char *key)
{
    for (int i = 0; i < t->nmeta; i++)
        if (strcmp(t->meta_keys[i], key) == 0) return t->meta_values[i];
    return NULL;
}

long csvread_find(const CsvTable *t, int key_col, double value)
{
    for (size_t r = 0; r < t->nrows; r++)
        if (csvread_num(t, r, key_col) == value) return (long)r;
    return -1;
}
