/* sweep_boundary: the theory boundaries of a finished sweep, read back from sweep.csv (so a
 * resumed sweep draws exactly what an uninterrupted one draws), boundary.csv
 * (kind=sweep_boundary: segments x1,y1 -> x2,y2 per kind) and the phase diagram.
 *   kind 0: the population trajectory's class (amplified or bounded upward / downward, no
 *           movement, shrinking, mixed) changes between neighbouring grid cells — where the
 *           push changes sign or vanishes: a segment on their shared edge;
 *   kind 1: selection against drift, n s = 1, for a category weight 1 + s (or a categorical tilt,
 *           s = e^lambda - 1) refitted on n samples (Kimura's u(1/2) = 1/(1 + e^{-ns}));
 *   kind 2: the preservation fixed point: b_inf = delta (1-rho)/rho (weight on the synthetic
 *           part) or delta/rho (whole pool) for a Gaussian tilt, delta = lambda sigma^2; the
 *           variance's sigma_inf^2 / sigma*^2 = rho (1+gamma)/(gamma+rho) for own-density
 *           weights. Level curves in two dimensions, the curve itself in one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conditions.h"
#include "err.h"
#include "paths.h"
#include "plot.h"
#include "sweep_internal.h"
#include "xalloc.h"

/* ---- reading a table back ----------------------------------------------------------------- */

void sweep_table_release(SweepTable *t)
{
    if (!t) return;
    for (int c = 0; c < t->ncol; c++) free(t->names[c]);
    free(t->names);
    free(t->v);
    memset(t, 0, sizeof *t);
}

int sweep_table_col(const SweepTable *t, const char *name)
{
    for (int c = 0; c < t->ncol; c++)
        if (!strcmp(t->names[c], name)) return c;
    return -1;
}

int sweep_table_read(const char *path, SweepTable *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) return err_set(ERR_IO, "cannot read '%s'", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long rcap = 0;
    int st = ERR_OK;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n') line[--len] = '\0';
        if (line[0] == '#') continue;
        if (!t->names) { /* the header */
            t->names = xcalloc((size_t)len / 2 + 2, sizeof *t->names);
            char *save = NULL;
            for (char *tok = strtok_r(line, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                t->names[t->ncol++] = xstrdup(tok);
            continue;
        }
        if (t->nrow == rcap) {
            rcap = rcap ? 2 * rcap : 64;
            t->v = xrealloc(t->v, (size_t)rcap * (size_t)t->ncol * sizeof *t->v);
        }
        char *p = line, *e;
        for (int c = 0; c < t->ncol; c++) {
            t->v[(size_t)t->nrow * (size_t)t->ncol + (size_t)c] = strtod(p, &e);
            if (e == p || (c + 1 < t->ncol && *e != ',')) {
                st = err_set(ERR_INVAL, "'%s': row %ld is malformed", path, t->nrow + 1);
                break;
            }
            p = e + 1;
        }
        if (st) break;
        t->nrow++;
    }
    free(line);
    fclose(f);
    if (!st && !t->names) st = err_set(ERR_INVAL, "'%s' has no header", path);
    if (st) sweep_table_release(t);
    return st;
}

/* ---- segments ----------------------------------------------------------------------------- */

typedef struct Segs {
    int n, cap;
    double (*s)[5]; /* kind, x1, y1, x2, y2 */
} Segs;

static void seg_add(Segs *S, int kind, double x1, double y1, double x2, double y2)
{
    if (!(isfinite(x1) && isfinite(y1) && isfinite(x2) && isfinite(y2))) return;
    if (S->n == S->cap) {
        S->cap = S->cap ? 2 * S->cap : 64;
        S->s = xrealloc(S->s, (size_t)S->cap * sizeof *S->s);
    }
    double *q = S->s[S->n++];
    q[0] = kind, q[1] = x1, q[2] = y1, q[3] = x2, q[4] = y2;
}

/* A curve y(x) over [a, b] (log-spaced when log) as segments, kept where y is in [ylo, yhi]. */
static void seg_curve(Segs *S, int kind, double a, double b, int logx, double ylo, double yhi,
                      double (*y)(double, const double *), const double *par, int swap)
{
    enum { K = 96 };
    double px = NAN, py = NAN;
    for (int i = 0; i <= K; i++) {
        double u = (double)i / K, x = logx ? a * pow(b / a, u) : a + (b - a) * u, v = y(x, par);
        int in = isfinite(v) && v >= ylo && v <= yhi;
        if (in && isfinite(px)) {
            if (swap)
                seg_add(S, kind, py, px, v, x);
            else
                seg_add(S, kind, px, py, x, v);
        }
        px = in ? x : NAN;
        py = in ? v : NAN;
    }
}

static double y_inv(double n, const double *p) { return p[0] ? log1p(1 / n) : 1 / n; }
static double y_tilt_level(double rho, const double *p)
{   /* lambda giving b_inf = L: p = {L, sigma^2, synthetic} */
    return p[2] ? p[0] * rho / (p[1] * (1 - rho)) : p[0] * rho / p[1];
}
static double y_tilt_fixed(double rho, const double *p)
{   /* b_inf(rho): p = {delta, synthetic} */
    return p[1] ? p[0] * (1 - rho) / rho : p[0] / rho;
}
static double y_tilt_fixed_lambda(double lambda, const double *p)
{   /* b_inf(lambda): p = {sigma^2, rho, synthetic} */
    return y_tilt_fixed(p[1], (const double[]){lambda * p[0], p[2]});
}
static double y_density_level(double rho, const double *p)
{   /* gamma giving sigma_inf/sigma* = L: p = {L^2} */
    return p[0] > rho ? rho * (1 - p[0]) / (p[0] - rho) : NAN;
}
static double y_density_fixed(double x, const double *p)
{   /* p = {scale, gamma or rho (the fixed one), 1 if x is rho} */
    double rho = p[2] ? x : p[1], gam = p[2] ? p[1] : x;
    return p[0] * sqrt(rho * (1 + gam) / (gam + rho));
}

typedef struct Axes {
    int ia[2];        /* axis index of each named key, -1 */
    double lo[2], hi[2];
} Axes;

static int axis_of(const SweepGrid *g, const char *key)
{
    for (int k = 0; k < g->naxes; k++)
        if (!strcmp(g->axis[k].key, key)) return k;
    return -1;
}

/* finite range of a column */
static void col_range(const SweepTable *t, int c, double *mn, double *mx)
{
    *mn = INFINITY, *mx = -INFINITY;
    for (long r = 0; r < t->nrow && c >= 0; r++) {
        double v = t->v[(size_t)r * (size_t)t->ncol + (size_t)c];
        if (isfinite(v)) *mn = fmin(*mn, v), *mx = fmax(*mx, v);
    }
    if (!(*mn <= *mx)) *mn = -1, *mx = 1;
    if (*mn == *mx) *mn -= 1, *mx += 1;
}

static void sweep_segments(const SweepGrid *g, const SimSpec *s0, const SweepTable *t, Segs *S)
{
    int N1 = g->steps[0], N2 = g->steps[1], two = g->naxes == 2;
    const SweepAxis *A = &g->axis[0], *B = two ? &g->axis[1] : NULL;
    int cpop = sweep_table_col(t, "population"), cd = sweep_table_col(t, "delta_pop"),
        cb = sweep_table_col(t, "bias_pop"), cm = sweep_table_col(t, g->metric);
    double mmin, mmax;
    col_range(t, cm, &mmin, &mmax);
    /* kind 0: the class of the population trajectory — amplified (or bounded) upward,
     * downward, no movement, shrinking, mixed; its change is where the condition's sign flips
     * (a trajectory that has reached its fixed point within the horizon stays "bounded") */
    int *cls = xcalloc((size_t)t->nrow + 1, sizeof *cls);
    for (long r = 0; r < t->nrow; r++) {
        const double *row = t->v + (size_t)r * (size_t)t->ncol;
        double b = row[cb], d = row[cd], pop = row[cpop];
        if (pop == COND_POP_AMPLIFIED || pop == COND_POP_BOUNDED)
            cls[r] = b > 0 || (b == 0 && d > 0) ? 1 : -1;
        else
            cls[r] = 2 + (int)pop; /* none 2, shrinks 5, mixed 6 */
    }
    for (int i = 0; i < N1 && t->nrow == (long)N1 * N2; i++)
        for (int j = 0; j < N2; j++) {
            long p = (long)i * N2 + j;
            if (i + 1 < N1 && cls[p] != cls[p + N2]) {
                if (two)
                    seg_add(S, 0, A->hi[i], B->lo[j], A->hi[i], B->hi[j]);
                else
                    seg_add(S, 0, A->hi[i], mmin, A->hi[i], mmax);
            }
            if (two && j + 1 < N2 && cls[p] != cls[p + 1])
                seg_add(S, 0, A->lo[i], B->hi[j], A->hi[i], B->hi[j]);
        }
    free(cls);
    const Dist *f = &s0->fit;
    double x0 = A->lo[0], x1 = A->hi[N1 - 1], y0 = two ? B->lo[0] : mmin,
           y1 = two ? B->hi[N2 - 1] : mmax;
    /* kind 1: n s = 1 */
    int cat_w = f->type == &dist_categorical &&
                (s0->weight == &weight_category || s0->weight == &weight_tilt);
    int kn = axis_of(g, "sim.n"),
        ks = axis_of(g, s0->weight == &weight_tilt ? "sim.lambda" : "sim.boost");
    double tiltp[1] = {s0->weight == &weight_tilt};
    if (cat_w && kn >= 0 && ks >= 0) {
        const SweepAxis *an = &g->axis[kn], *as = &g->axis[ks];
        seg_curve(S, 1, an->lo[0], an->hi[an->steps - 1], an->log, as->lo[0],
                  as->hi[as->steps - 1], y_inv, tiltp, kn == 1);
    } else if (cat_w && !two && kn == 0) {
        double sel = s0->weight == &weight_tilt ? expm1(s0->lambda) : s0->boost;
        if (sel > 0 && 1 / sel >= x0 && 1 / sel <= x1) seg_add(S, 1, 1 / sel, y0, 1 / sel, y1);
    } else if (cat_w && !two && ks == 0 && s0->n > 0) {
        double x = y_inv((double)s0->n, tiltp);
        if (x >= x0 && x <= x1) seg_add(S, 1, x, y0, x, y1);
    }
    /* kind 2: the preservation fixed point */
    int preserve = s0->mode == LOOP_PRESERVE || s0->mode == LOOP_PRESERVE_POOL;
    int gauss = f->type == &dist_gaussian && s0->data.type == &dist_gaussian;
    double var = s0->truth_sd * s0->truth_sd, syn = s0->scope == WEIGHT_SCOPE_SYNTHETIC;
    int kr = axis_of(g, "sim.rho"), kl = axis_of(g, "sim.lambda"), kg = axis_of(g, "sim.gamma");
    int bias_metric = !strcmp(g->metric, "bias") || !strcmp(g->metric, "bias_pop") ||
                      !strcmp(g->metric, "metric_pop");
    if (preserve && gauss && s0->weight == &weight_tilt && bias_metric && kr >= 0) {
        if (two && kl >= 0) {
            const SweepAxis *ar = &g->axis[kr], *al = &g->axis[kl];
            for (int j = 1; j <= 4; j++) {
                double L = mmin + (mmax - mmin) * j / 5, par[3] = {L, var, syn};
                seg_curve(S, 2, ar->lo[0], ar->hi[ar->steps - 1], ar->log, al->lo[0],
                          al->hi[al->steps - 1], y_tilt_level, par, kr == 1);
            }
        } else if (!two) {
            double par[2] = {s0->lambda * var, syn};
            seg_curve(S, 2, x0, x1, A->log, -INFINITY, INFINITY, y_tilt_fixed, par, 0);
        }
    } else if (preserve && gauss && s0->weight == &weight_tilt && bias_metric && !two && kl == 0) {
        double par[3] = {var, s0->rho, syn};
        seg_curve(S, 2, x0, x1, A->log, -INFINITY, INFINITY, y_tilt_fixed_lambda, par, 0);
    }
    int sd_metric = !strcmp(g->metric, "sd") || !strcmp(g->metric, "dispersion");
    int ratio_metric = !strcmp(g->metric, "disp_ratio") || !strcmp(g->metric, "disp_ratio_pop");
    if (preserve && gauss && s0->weight == &weight_prev_density && syn &&
        (sd_metric || ratio_metric) && (kr >= 0 || kg >= 0)) {
        double scale = sd_metric ? s0->truth_sd : 1;
        if (two && kr >= 0 && kg >= 0) {
            const SweepAxis *ar = &g->axis[kr], *ag = &g->axis[kg];
            for (int j = 1; j <= 4; j++) {
                double L = (mmin + (mmax - mmin) * j / 5) / scale, par[1] = {L * L};
                seg_curve(S, 2, ar->lo[0], ar->hi[ar->steps - 1], ar->log, ag->lo[0],
                          ag->hi[ag->steps - 1], y_density_level, par, kr == 1);
            }
        } else if (!two) {
            double par[3] = {scale, kr == 0 ? s0->gamma : s0->rho, kr == 0};
            seg_curve(S, 2, x0, x1, A->log, -INFINITY, INFINITY, y_density_fixed, par, 0);
        }
    }
}

/* ---- boundary.csv and the figure ---------------------------------------------------------- */

int sweep_finish(const SweepOpts *o, const SweepGrid *g, const SimSpec *s0, const char *csv,
                 int format, const char *title, SweepResult *res)
{
    SweepTable t;
    int st = sweep_table_read(csv, &t);
    if (st) return st;
    if (t.nrow != g->points) {
        sweep_table_release(&t);
        return err_set(ERR_INVAL, "'%s' has %ld rows for %ld grid points", csv, t.nrow, g->points);
    }
    Segs S = {0};
    sweep_segments(g, s0, &t, &S);
    /* error bars only where the metric has standard errors (finite n) */
    char se[80];
    snprintf(se, sizeof se, "%s_se", g->metric);
    int cse = sweep_table_col(&t, se), has_se = 0;
    for (long r = 0; r < t.nrow && cse >= 0; r++)
        has_se |= isfinite(t.v[(size_t)r * (size_t)t.ncol + (size_t)cse]);
    if (!has_se) se[0] = '\0';
    sweep_table_release(&t);
    char path[4096];
    CsvLog *log = NULL;
    static const char *const cols[] = {"kind", "x1", "y1", "x2", "y2"};
    if (!(st = paths_join(path, sizeof path, o->dir, "boundary.csv")))
        st = csvlog_open(&log, path, "sweep_boundary", o->run);
    if (!st) {
        csvlog_meta(log, "kind_codes",
                    "condition_class=0,selection_drift_ns1=1,preserve_fixed_point=2");
        csvlog_meta(log, "x", "%s", g->axis[0].col);
        csvlog_meta(log, "y", "%s", g->naxes == 2 ? g->axis[1].col : g->metric);
        st = csvlog_header(log, cols, 5);
    }
    for (int i = 0; i < S.n && !st; i++) {
        st = csvlog_row(log, S.s[i]);
        res->nboundary[(int)S.s[i][0]]++;
    }
    int cst = log ? csvlog_close(log, st == ERR_OK) : ERR_OK;
    free(S.s);
    if (st || cst) return st ? st : cst;
    if (!o->plot) return ERR_OK;
    char fig[4096], file[64], nb[64], scales[16];
    snprintf(file, sizeof file, "sweep.%s", simcfg_formats[format]);
    if ((st = paths_join(fig, sizeof fig, o->dir, file))) return st;
    snprintf(nb, sizeof nb, "%d %d %d", res->nboundary[0], res->nboundary[1], res->nboundary[2]);
    char ttl[512];
    snprintf(ttl, sizeof ttl, "%s%s%s at generation %d (%s, weight %s, mode %s)", title,
             title[0] ? ": " : "", g->metric, s0->generations - 1, s0->fit.type->name,
             s0->weight->name, loop_mode_names[s0->mode]);
    /* gnuplot -c passes at most 9 arguments: scales and counts go as word lists */
    if (g->naxes == 2) {
        snprintf(scales, sizeof scales, "%s %s", g->axis[0].log ? "log" : "lin",
                 g->axis[1].log ? "log" : "lin");
        const char *args[] = {csv, fig, path, ttl, g->axis[0].col, g->axis[1].col, g->metric,
                              scales, nb};
        st = plot_render("sweep_heatmap", args, 9, 3);
    } else {
        const char *args[] = {csv, fig, path, ttl, g->axis[0].col, g->metric, se,
                              g->axis[0].log ? "log" : "lin", nb};
        st = plot_render("sweep_line", args, 9, 3);
    }
    if (!st) res->figures++;
    return st;
}
