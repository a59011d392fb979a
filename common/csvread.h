/* csvread: reads the CSV tables biasamp writes (and similar ones, such as the paper authors'
 * published_summary.csv): `# key=value` metadata, one header line, comma-separated cells. Cells
 * are kept as text and parsed as numbers (nan when not numeric), so a text column (a setup name)
 * can be selected by string. Ragged rows and a missing header are ERR_INVAL naming FILE:LINE. */
#ifndef BIASAMP_CSVREAD_H
#define BIASAMP_CSVREAD_H

#include <stddef.h>

typedef struct CsvTable {
    int ncols;
    size_t nrows;
    char **cols;                 /* [ncols] header names */
    double *v;                   /* [nrows][ncols] numbers (nan if a cell is not numeric) */
    char **s;                    /* [nrows][ncols] the cells' text */
    int nmeta;
    char **meta_keys, **meta_values; /* from "# key=value" lines */
} CsvTable;

/* Reads PATH. ERR_INVAL (missing file included) or ERR_IO; *out is NULL on error. */
int csvread_load(CsvTable **out, const char *path);
void csvread_free(CsvTable *t); /* NULL is a no-op */

/* Column index by name, -1 if absent. */
int csvread_col(const CsvTable *t, const char *name);
/* Cell (row, col) as a number / as text; col may be -1 (then nan / ""). */
double csvread_num(const CsvTable *t, size_t row, int col);
const char *csvread_str(const CsvTable *t, size_t row, int col);
/* The value of a metadata key, or NULL. */
const char *csvread_meta(const CsvTable *t, const char *key);
/* First row whose numeric column `key_col` equals `value`, or -1. */
long csvread_find(const CsvTable *t, int key_col, double value);

#endif
