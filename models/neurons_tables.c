/* neurons_tables: reads the authors' released per-neuron tables (the four CSVs of
 * paper-reference/Mechanistic_Interpretation) into layer-major NeuronsTarget arrays. Columns are
 * found by header name and rows joined on (layer, neuron_id): the files disagree on column order
 * and row order. Every cell is checked. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "neurons.h"
#include "paths.h"
#include "xalloc.h"

#define TABLES_MAX_INDEX 1000000 /* layers and neurons per layer: a sanity bound */

enum { TABLES_PEARSON, TABLES_REGRESSION };

/* The four released files; the regression for bias comes first and defines the grid. */
static const struct {
    const char *file;
    int target, kind;
} tables_files[] = {
    {"Regression_and_Statistical_Tests_for_Relationship_Between_Neuron_Weight_and_Bias_"
     "Performance.csv",
     NEURONS_BIAS, TABLES_REGRESSION},
    {"Regression_and_Statistical_Tests_for_Relationship_Between_Neuron_Weight_and_Generation_"
     "Quality.csv",
     NEURONS_QUALITY, TABLES_REGRESSION},
    {"Pearson_Correlation_Between_Neuron_Weight_and_Bias_Performance.csv", NEURONS_BIAS,
     TABLES_PEARSON},
    {"Pearson_Correlation_Between_Neuron_Weight_and_Text_Quality_Index.csv", NEURONS_QUALITY,
     TABLES_PEARSON},
};

/* The rows of one file: keys, up to two values, and source lines for messages. */
typedef struct TablesRows {
    size_t n, cap;
    long *layer, *unit;
    double *v[2];
    long *line;
} TablesRows;

static void tables_rows_free(TablesRows *r)
{
    free(r->layer);
    free(r->unit);
    free(r->v[0]);
    free(r->v[1]);
    free(r->line);
    memset(r, 0, sizeof *r);
}

static void tables_rows_push(TablesRows *r, long layer, long unit, const double *v, long line)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->layer = xrealloc(r->layer, r->cap * sizeof *r->layer);
        r->unit = xrealloc(r->unit, r->cap * sizeof *r->unit);
        r->v[0] = xrealloc(r->v[0], r->cap * sizeof(double));
        r->v[1] = xrealloc(r->v[1], r->cap * sizeof(double));
        r->line = xrealloc(r->line, r->cap * sizeof *r->line);
    }
    r->layer[r->n] = layer;
    r->unit[r->n] = unit;
    r->v[0][r->n] = v[0];
    r->v[1][r->n] = v[1];
    r->line[r->n] = line;
    r->n++;
}

/* Trims blanks and one pair of double quotes, in place. */
static char *tables_trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    if (e - s >= 2 && *s == '"' && e[-1] == '"') {
        e[-1] = '\0';
        s++;
    }
    return s;
}

/* Splits a line at commas in place (no quoted commas in these tables). */
static int tables_split(char *line, char **f, int max)
{
    int n = 0;
    for (char *p = line;; p++) {
        char *c = strchr(p, ',');
        if (n < max) f[n] = p;
        n++;
        if (!c) break;
        *c = '\0';
        p = c;
    }
    for (int i = 0; i < n && i < max; i++) f[i] = tables_trim(f[i]);
    return n;
}

static int tables_number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *s && *end == '\0' && isfinite(*v) && errno != ERANGE ? 0 : -1;
}

/* Opens DIR/NAME, or DIR/NAME with spaces for underscores (the names the data README lists). */
static FILE *tables_open(const char *dir, const char *name, char *path, size_t n, int *st)
{
    char alt[512];
    snprintf(alt, sizeof alt, "%s", name);
    for (char *p = alt; *p; p++)
        if (*p == '_') *p = ' ';
    const char *names[2] = {name, alt};
    for (int i = 0; i < 2; i++) {
        if ((*st = paths_join(path, n, dir, names[i]))) return NULL;
        FILE *f = fopen(path, "r");
        if (f) return f;
        if (errno != ENOENT) {
            *st = err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
            return NULL;
        }
    }
    paths_join(path, n, dir, name);
    *st = err_set(ERR_INVAL, "no table '%s' in '%s'", name, dir);
    return NULL;
}

/* Reads the key columns and `nval` value columns named in cols[] from one CSV. */
static int tables_load(const char *path, FILE *f, const char *const *cols, int nval,
                       TablesRows *rows)
{
    enum { MAXF = 64 };
    const char *keys[2] = {"layer", "neuron_id"};
    int idx[4] = {-1, -1, -1, -1}, nhead = 0, st = ERR_OK;
    char *line = NULL, *fld[MAXF];
    size_t cap = 0;
    long lineno = 0;
    ssize_t len;
    while (!st && (len = getline(&line, &cap, f)) != -1) {
        lineno++;
        char *s = line;
        if (lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3)) s += 3; /* UTF-8 BOM */
        s[strcspn(s, "\r\n")] = '\0';
        if (s[strspn(s, " \t")] == '\0') continue; /* blank line */
        int nf = tables_split(s, fld, MAXF);
        if (nf > MAXF) {
            st = err_set(ERR_INVAL, "%s:%ld: %d fields (at most %d)", path, lineno, nf, MAXF);
            break;
        }
        if (!nhead) { /* the header */
            nhead = nf;
            for (int c = 0; c < nf; c++) {
                for (int k = 0; k < 2; k++)
                    if (!strcasecmp(fld[c], keys[k])) idx[k] = c;
                for (int k = 0; k < nval; k++)
                    if (!strcasecmp(fld[c], cols[k])) idx[2 + k] = c;
            }
            for (int k = 0; k < 2 + nval && !st; k++)
                if (idx[k] < 0)
                    st = err_set(ERR_INVAL, "%s:%ld: no column '%s'", path, lineno,
                                 k < 2 ? keys[k] : cols[k - 2]);
            continue;
        }
        if (nf != nhead) {
            st =
                err_set(ERR_INVAL, "%s:%ld: %d fields, the header has %d", path, lineno, nf, nhead);
            break;
        }
        double x[4] = {0, 0, NAN, NAN};
        for (int k = 0; k < 2 + nval && !st; k++) {
            const char *name = k < 2 ? keys[k] : cols[k - 2];
            if (tables_number(fld[idx[k]], &x[k]))
                st = err_set(ERR_INVAL, "%s:%ld: bad number '%s' in column '%s'", path, lineno,
                             fld[idx[k]], name);
            else if (k < 2 && (x[k] != floor(x[k]) || x[k] < 1 || x[k] > TABLES_MAX_INDEX))
                st = err_set(ERR_INVAL, "%s:%ld: %s '%s' is not an integer in 1..%d", path, lineno,
                             name, fld[idx[k]], TABLES_MAX_INDEX);
        }
        if (!st) tables_rows_push(rows, (long)x[0], (long)x[1], x + 2, lineno);
    }
    if (!st && ferror(f)) st = err_set(ERR_IO, "%s: read error", path);
    if (!st && !nhead) st = err_set(ERR_INVAL, "%s:%ld: empty table (no header)", path, lineno);
    if (!st && rows->n == 0) st = err_set(ERR_INVAL, "%s:%ld: no data rows", path, lineno);
    free(line);
    return st;
}

/* Checks the value range of a column: r in [-1, 1], p in [0, 1], beta anything finite. */
static int tables_check_range(const char *path, const TablesRows *r, int k, const char *col,
                              double lo, double hi)
{
    for (size_t i = 0; i < r->n; i++)
        if (!(r->v[k][i] >= lo && r->v[k][i] <= hi))
            return err_set(ERR_INVAL, "%s:%ld: %s = %g outside [%g, %g]", path, r->line[i], col,
                           r->v[k][i], lo, hi);
    return ERR_OK;
}

/* The error for a grid cell j (layer-major) that no row fills. */
static int tables_missing(const char *path, long last, size_t nrows, size_t L, size_t U, size_t j)
{
    return err_set(ERR_INVAL,
                   "%s:%ld: %zu data rows, expected %zu (%zu layers x %zu neurons); "
                   "no row for layer %zu, neuron_id %zu",
                   path, last, nrows, L * U, L, U, j / U + 1, j % U + 1);
}

static int tables_cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The first layer-major cell of the L x U grid that no row names (rows are inside the grid), found
 * in O(n log n) without an L x U array: for refusing a grid before allocating it. */
static size_t tables_first_gap(const TablesRows *r, size_t U)
{
    size_t *j = xmalloc((r->n + 1) * sizeof *j), gap = 0;
    for (size_t i = 0; i < r->n; i++)
        j[i] = (size_t)(r->layer[i] - 1) * U + (size_t)(r->unit[i] - 1);
    qsort(j, r->n, sizeof *j, tables_cmp_size);
    for (size_t i = 0; i < r->n && j[i] <= gap; i++) gap = j[i] + 1;
    free(j);
    return gap;
}

/* Places the rows into layer-major slots of the L x U grid: out[k][(layer-1) U + unit-1]. */
static int tables_place(const char *path, const TablesRows *r, size_t L, size_t U, int nval,
                        double *const *out)
{
    size_t N = L * U;
    long *seen = xcalloc(N, sizeof *seen), last = r->n ? r->line[r->n - 1] : 0;
    int st = ERR_OK;
    for (size_t i = 0; i < r->n && !st; i++) {
        if ((size_t)r->layer[i] > L || (size_t)r->unit[i] > U) {
            st = err_set(ERR_INVAL, "%s:%ld: layer %ld, neuron_id %ld outside the %zu x %zu grid",
                         path, r->line[i], r->layer[i], r->unit[i], L, U);
            break;
        }
        size_t j = (size_t)(r->layer[i] - 1) * U + (size_t)(r->unit[i] - 1);
        if (seen[j]) {
            st = err_set(ERR_INVAL,
                         "%s:%ld: second row for layer %ld, neuron_id %ld (first at line %ld)",
                         path, r->line[i], r->layer[i], r->unit[i], seen[j]);
            break;
        }
        seen[j] = r->line[i];
        for (int k = 0; k < nval; k++) out[k][j] = r->v[k][i];
    }
    for (size_t j = 0; j < N && !st; j++)
        if (!seen[j]) st = tables_missing(path, last, r->n, L, U, j);
    free(seen);
    return st;
}

int neurons_tables_read(const char *dir, NeuronsTarget t[NEURONS_NTARGET], size_t *layer_size)
{
    for (int k = 0; k < NEURONS_NTARGET; k++) neurons_target_init(&t[k], 0);
    *layer_size = 0;
    static const char *const reg_cols[] = {"beta_coefficient", "p_value"};
    static const char *const pearson_cols[] = {"pearson_correlation"};
    size_t L = 0, U = 0;
    int st = ERR_OK;
    for (size_t i = 0; i < sizeof tables_files / sizeof tables_files[0] && !st; i++) {
        char path[4096];
        FILE *f = tables_open(dir, tables_files[i].file, path, sizeof path, &st);
        if (!f) break;
        int reg = tables_files[i].kind == TABLES_REGRESSION;
        TablesRows rows = {0};
        st = tables_load(path, f, reg ? reg_cols : pearson_cols, reg ? 2 : 1, &rows);
        fclose(f);
        if (!st && reg) st = tables_check_range(path, &rows, 1, "p_value", 0, 1);
        if (!st && !reg) st = tables_check_range(path, &rows, 0, "pearson_correlation", -1, 1);
        if (!st && i == 0) { /* the grid: the largest layer and neuron_id */
            for (size_t r = 0; r < rows.n; r++) {
                if ((size_t)rows.layer[r] > L) L = (size_t)rows.layer[r];
                if ((size_t)rows.unit[r] > U) U = (size_t)rows.unit[r];
            }
            if (L * U > (size_t)100 * TABLES_MAX_INDEX)
                st = err_set(ERR_INVAL, "%s: a %zu x %zu grid is implausibly large", path, L, U);
            else if (L * U > rows.n) /* every cell needs a row: refuse before allocating the grid */
                st = tables_missing(path, rows.line[rows.n - 1], rows.n, L, U,
                                    tables_first_gap(&rows, U));
            for (int k = 0; k < NEURONS_NTARGET && !st; k++) {
                neurons_target_release(&t[k]);
                neurons_target_init(&t[k], L * U);
            }
        }
        if (!st) {
            NeuronsTarget *x = &t[tables_files[i].target];
            double *reg_out[2] = {x->beta, x->p}, *pearson_out[1] = {x->r};
            st = tables_place(path, &rows, L, U, reg ? 2 : 1, reg ? reg_out : pearson_out);
        }
        tables_rows_free(&rows);
    }
    if (!st) *layer_size = U;
    return st;
}
