/* sweep_internal: what sweep.c and sweep_boundary.c share (not part of the public API). */
#ifndef BIASAMP_SWEEP_INTERNAL_H
#define BIASAMP_SWEEP_INTERNAL_H

#include "loop.h"
#include "sweep.h"

typedef struct SweepGrid {
    int naxes;
    SweepAxis axis[2];
    int steps[2];          /* steps[1] = 1 for one axis */
    long points;
    char metric[CFG_STR_MAX];
    int ncol, m0, d0;      /* columns; first metric column; first derived column */
    char **cols;
    int nmetric;
    char **mnames;         /* the metric columns of point 0's spec */
} SweepGrid;

void sweep_grid_release(SweepGrid *g);

/* A numeric CSV read back (metadata skipped): nrow x ncol values, row-major. */
typedef struct SweepTable {
    int ncol;
    char **names;
    long nrow;
    double *v;
} SweepTable;

int sweep_table_read(const char *path, SweepTable *t);
void sweep_table_release(SweepTable *t);
/* Column index by name, -1 if absent. */
int sweep_table_col(const SweepTable *t, const char *name);

/* Theory boundaries from the finished table, boundary.csv, and the figure. */
int sweep_finish(const SweepOpts *o, const SweepGrid *g, const SimSpec *s0, const char *csv,
                 int format, const char *title, SweepResult *res);

#endif
