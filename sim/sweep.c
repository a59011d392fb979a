/* sweep: the grid, the per-point row, and the resumable writer. Rows are formatted like csvlog's
 * (%.17g, nan, inf) but appended to sweep.csv.part with one write() per row and an fsync per batch
 * of grid points, so a kill leaves whole rows (a torn last line is cut on --resume). */
#include "sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "conditions.h"
#include "err.h"
#include "par.h"
#include "paths.h"
#include "progress.h"
#include "sweep_internal.h"
#include "theory.h"
#include "xalloc.h"

#ifdef _OPENMP
#define SWEEP_OMP(x) _Pragma(#x)
#else
#define SWEEP_OMP(x)
#endif

#define SWEEP_KEYS_MAX 128

const CfgKey *sweep_keys(void)
{
    static CfgKey keys[SWEEP_KEYS_MAX];
    if (keys[0].name) return keys;
#define F(field) offsetof(SweepConfig, field)
    static const CfgKey extra[] = {
        {"sweep.grid1", CFG_STRING, F(grid1), "", 0, 0, 0, NULL,
         "first swept key (-g): key=lo:hi:steps[:log] or key=v1,v2,..."},
        {"sweep.grid2", CFG_STRING, F(grid2), "", 0, 0, 0, NULL, "second swept key (optional)"},
        {"sweep.metric", CFG_STRING, F(metric), "bias", 0, 0, 0, NULL,
         "column drawn in the phase diagram (-m)"},
    };
#undef F
    int n = 0;
    for (const CfgKey *k = simcfg_keys; k->name; k++) keys[n++] = *k; /* SimConfig is first */
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) keys[n++] = extra[i];
    keys[n].name = NULL;
    return keys;
}

/* ---- axes -------------------------------------------------------------------------------- */

/* Keys whose doubles must be whole numbers (counts written as doubles to allow inf). */
static int sweep_whole(const CfgKey *k)
{
    return k->type == CFG_INT || !strcmp(k->name, "sim.n") || !strcmp(k->name, "sim.pool_n") ||
           !strcmp(k->name, "pretrained.n");
}

void sweep_axis_release(SweepAxis *a)
{
    if (!a) return;
    free(a->x);
    free(a->lo);
    free(a->hi);
    free(a->text);
    memset(a, 0, sizeof *a);
}

static void sweep_alloc(SweepAxis *a, int steps)
{
    a->steps = steps;
    a->x = xcalloc((size_t)steps, sizeof *a->x);
    a->lo = xcalloc((size_t)steps, sizeof *a->lo);
    a->hi = xcalloc((size_t)steps, sizeof *a->hi);
    a->text = xcalloc((size_t)steps, sizeof *a->text);
}

/* Cell edges: midpoints (geometric on a log axis), the ends mirrored. */
static void sweep_edges(SweepAxis *a)
{
    int n = a->steps;
    for (int i = 0; i + 1 < n; i++) {
        double m = a->log ? sqrt(a->x[i] * a->x[i + 1]) : 0.5 * (a->x[i] + a->x[i + 1]);
        a->hi[i] = a->lo[i + 1] = m;
    }
    if (n == 1) {
        a->lo[0] = a->log ? a->x[0] / 1.5 : a->x[0] - 0.5;
        a->hi[0] = a->log ? a->x[0] * 1.5 : a->x[0] + 0.5;
        return;
    }
    a->lo[0] = a->log ? a->x[0] * a->x[0] / a->hi[0] : 2 * a->x[0] - a->hi[0];
    double xl = a->x[n - 1];
    a->hi[n - 1] = a->log ? xl * xl / a->lo[n - 1] : 2 * xl - a->lo[n - 1];
}

int sweep_axis_parse(SweepAxis *a, const char *grid, const CfgKey *keys)
{
    memset(a, 0, sizeof *a);
    snprintf(a->spec, sizeof a->spec, "%s", grid);
    const char *eq = strchr(grid, '=');
    if (!eq || eq == grid || (size_t)(eq - grid) >= sizeof a->key)
        return err_set(ERR_INVAL, "grid '%s': expected key=lo:hi:steps[:log] or key=v1,v2,...",
                       grid);
    snprintf(a->key, sizeof a->key, "%.*s", (int)(eq - grid), grid);
    const CfgKey *k = NULL;
    for (const CfgKey *q = keys; q->name; q++)
        if (!strcmp(q->name, a->key)) k = q;
    if (!k || !strncmp(a->key, "sweep.", 6))
        return err_set(ERR_INVAL, "grid '%s': unknown key '%s' (biasamp sim --help lists them)",
                       grid, a->key);
    if (k->type == CFG_DLIST)
        return err_set(ERR_INVAL, "grid '%s': %s takes a list of numbers and cannot be swept",
                       grid, a->key);
    snprintf(a->col, sizeof a->col, "%s", a->key);
    for (char *p = a->col; *p; p++)
        if (*p == '.') *p = '_';
    const char *rhs = eq + 1;
    int numeric = k->type == CFG_INT || k->type == CFG_DOUBLE, whole = sweep_whole(k);
    if (strchr(rhs, ':')) {
        char buf[CFG_STR_MAX], *f[5], *save = NULL;
        int nf = 0;
        snprintf(buf, sizeof buf, "%s", rhs);
        for (char *t = strtok_r(buf, ":", &save); t && nf < 5; t = strtok_r(NULL, ":", &save))
            f[nf++] = t;
        char *e1, *e2, *e3;
        double lo = nf >= 3 ? strtod(f[0], &e1) : NAN, hi = nf >= 3 ? strtod(f[1], &e2) : NAN;
        long steps = nf >= 3 ? strtol(f[2], &e3, 10) : 0;
        if (!numeric)
            return err_set(ERR_INVAL, "grid '%s': %s is not numeric: list its values (key=a,b,c)",
                           grid, a->key);
        if (nf < 3 || nf > 4 || *e1 || *e2 || *e3 || !isfinite(lo) || !isfinite(hi) ||
            (nf == 4 && strcmp(f[3], "log") && strcmp(f[3], "lin")))
            return err_set(ERR_INVAL, "grid '%s': expected key=lo:hi:steps[:log]", grid);
        if (steps < 1 || steps > SWEEP_STEPS_MAX)
            return err_set(ERR_INVAL, "grid '%s': steps must be in 1..%d", grid, SWEEP_STEPS_MAX);
        a->log = nf == 4 && !strcmp(f[3], "log");
        if (a->log && !(lo > 0 && hi > 0))
            return err_set(ERR_INVAL, "grid '%s': a log axis needs lo, hi > 0", grid);
        if (steps == 1 && lo != hi)
            return err_set(ERR_INVAL, "grid '%s': one step needs lo = hi", grid);
        sweep_alloc(a, (int)steps);
        for (int i = 0; i < a->steps; i++) {
            double u = a->steps > 1 ? (double)i / (a->steps - 1) : 0;
            double v = a->log ? lo * pow(hi / lo, u) : lo + (hi - lo) * u;
            if (i == a->steps - 1) v = hi;
            if (whole) v = round(v);
            a->x[i] = v;
            if (whole)
                snprintf(a->text[i], SWEEP_VALUE_MAX, "%.0f", v);
            else
                snprintf(a->text[i], SWEEP_VALUE_MAX, "%.17g", v);
        }
        for (int i = 0; i + 1 < a->steps; i++)
            if (a->x[i] == a->x[i + 1])
                return err_set(ERR_INVAL, "grid '%s': %s takes whole numbers and %g repeats; use "
                               "fewer steps", grid, a->key, a->x[i]);
    } else {
        char buf[CFG_STR_MAX], *save = NULL;
        int n = 1;
        for (const char *p = rhs; *p; p++) n += *p == ',';
        if (n > SWEEP_STEPS_MAX || !*rhs)
            return err_set(ERR_INVAL, "grid '%s': 1..%d values", grid, SWEEP_STEPS_MAX);
        sweep_alloc(a, n);
        a->list = 1;
        snprintf(buf, sizeof buf, "%s", rhs);
        int i = 0, all_numbers = 1;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ') t++;
            if (strlen(t) >= SWEEP_VALUE_MAX)
                return err_set(ERR_INVAL, "grid '%s': value '%s' too long", grid, t);
            snprintf(a->text[i], SWEEP_VALUE_MAX, "%s", t);
            char *e;
            a->x[i] = strtod(t, &e);
            if (*e || e == t) all_numbers = 0;
            i++;
        }
        if (i != n) return err_set(ERR_INVAL, "grid '%s': an empty value", grid);
        for (int j = 0; j < n && !all_numbers; j++) a->x[j] = j; /* names: their index */
    }
    sweep_edges(a);
    return ERR_OK;
}

/* ---- grid points -------------------------------------------------------------------------- */

static int sweep_load(const SweepOpts *o, Cfg *c, SweepConfig *sc)
{
    cfg_init(c, sweep_keys(), sc);
    int st = ERR_OK;
    if (o->config) st = cfg_load(c, o->config);
    for (int i = 0; i < o->noverrides && !st; i++) st = cfg_set(c, o->overrides[i]);
    return st;
}

/* The spec of grid point p (i1 outer, i2 inner). */
static int sweep_point_spec(const SweepOpts *o, const SweepGrid *g, long p, SimSpec *s)
{
    Cfg c;
    SweepConfig sc;
    int idx[2] = {(int)(p / g->steps[1]), (int)(p % g->steps[1])};
    int st = sweep_load(o, &c, &sc);
    for (int k = 0; k < g->naxes && !st; k++)
        st = cfg_set_value(&c, g->axis[k].key, g->axis[k].text[idx[k]], "sweep grid");
    if (!st) st = simcfg_spec(&c, &sc.sim, s);
    cfg_release(&c);
    if (st) {
        if (g->naxes == 2)
            return err_prefix(st, "sweep point %s=%s, %s=%s", g->axis[0].key,
                              g->axis[0].text[idx[0]], g->axis[1].key, g->axis[1].text[idx[1]]);
        return err_prefix(st, "sweep point %s=%s", g->axis[0].key, g->axis[0].text[idx[0]]);
    }
    return ERR_OK;
}

/* The closed-form value of column `metric` at the last generation, nan when none applies. */
static double sweep_theory(const SimSpec *s, const char *metric)
{
    TheoryApplied ap[32];
    int n = theory_applicable(s, ap, 32), G = s->generations;
    for (int i = 0; i < n; i++) {
        const TheoryForm *f = ap[i].form;
        int match = f->column && !strcmp(f->column, metric) && f->kind != THEORY_LIMIT;
        if (!strcmp(metric, "bias") && s->statistic == LOOP_STAT_MEAN)
            match |= !strncmp(f->name, "push_", 5) && f->kind == THEORY_POP;
        /* a class share: the long-run fixation probability at finite n, the odds map at n = inf */
        if (!strcmp(metric, "stat") && s->statistic == LOOP_STAT_SHARE)
            match |= !strcmp(f->name, s->n > 0 ? "kimura_fixation" : "cat_weight");
        if (match) return f->eval(ap[i].a, ap[i].na, G);
    }
    return NAN;
}

/* The derived columns after the metrics, in order. */
static const char *const sweep_derived[] = {
    "drift",     "drift_se",   "disp_ratio",  "disp_ratio_se", "bias_snr",   "bias_pop",
    "disp_ratio_pop", "delta_pop", "metric_pop", "metric_theory", "necessary", "sufficient",
    "first_break", "population", "b_limit",   "simulation",    "agrees"};
enum { SWEEP_NDERIVED = sizeof sweep_derived / sizeof sweep_derived[0] };

/* Column layout: point, i1, [i2], keys, edges, ok, replicates, n, metrics (+ _se), derived. */
static void sweep_layout(SweepGrid *g, const SimSpec *s0)
{
    g->ncol = 0;
    g->cols = xcalloc(16 + 2 * (size_t)s0->nmetric + SWEEP_NDERIVED, sizeof *g->cols);
#define ADD(name) g->cols[g->ncol++] = xstrdup(name)
    ADD("point");
    ADD("i1");
    if (g->naxes == 2) ADD("i2");
    for (int k = 0; k < g->naxes; k++) ADD(g->axis[k].col);
    for (int k = 0; k < g->naxes; k++) {
        char b[80];
        snprintf(b, sizeof b, "%s_lo", g->axis[k].col);
        ADD(b);
        snprintf(b, sizeof b, "%s_hi", g->axis[k].col);
        ADD(b);
    }
    ADD("ok");
    ADD("replicates");
    ADD("n");
    g->m0 = g->ncol;
    g->nmetric = s0->nmetric;
    g->mnames = xcalloc((size_t)s0->nmetric, sizeof *g->mnames);
    for (int m = 0; m < s0->nmetric; m++) {
        char b[80];
        g->mnames[m] = xstrdup(loop_metric_name(s0, m));
        ADD(g->mnames[m]);
        snprintf(b, sizeof b, "%s_se", g->mnames[m]);
        ADD(b);
    }
    g->d0 = g->ncol;
    for (int d = 0; d < SWEEP_NDERIVED; d++) ADD(sweep_derived[d]);
#undef ADD
}

/* One grid point's row (g->ncol values). Numerical failures are data: ok = 0, nan. */
static void sweep_point_row(const SweepGrid *g, const SimSpec *s, long p, double z, double *row)
{
    int idx[2] = {(int)(p / g->steps[1]), (int)(p % g->steps[1])}, k = 0, G = s->generations;
    for (int c = 0; c < g->ncol; c++) row[c] = NAN;
    row[k++] = (double)p;
    for (int a = 0; a < g->naxes; a++) row[k++] = idx[a];
    for (int a = 0; a < g->naxes; a++) row[k++] = g->axis[a].x[idx[a]];
    for (int a = 0; a < g->naxes; a++) {
        row[k++] = g->axis[a].lo[idx[a]];
        row[k++] = g->axis[a].hi[idx[a]];
    }
    int cok = k++, crep = k++, cn = k++;
    row[cok] = 0;
    row[cn] = s->n > 0 ? (double)s->n : INFINITY;
    ConditionReport r;
    McResult mc;
    memset(&mc, 0, sizeof mc);
    if (conditions_check(s, &r)) return; /* ok = 0 */
    const double *pl = r.popmap + (size_t)(G - 1) * (size_t)s->nmetric;
    if (s->n > 0) {
        if (mc_run(s, &mc, NULL)) goto done;
        conditions_compare(s, &mc, z, &r);
    }
    row[cok] = 1;
    row[crep] = s->n > 0 ? (double)s->replicates : 0;
    /* the metrics by name (the layout is point 0's; a metric this point lacks stays nan) */
    for (int m = 0; m < g->nmetric; m++) {
        int c = loop_find_col(s, g->mnames[m]);
        if (c < 0) continue;
        if (s->n > 0) {
            size_t at = ((size_t)(G - 1) * (size_t)s->nmetric + (size_t)c) * MC_NSTAT;
            const double *st = mc.stat + at;
            row[g->m0 + 2 * m] = st[MC_MEAN];
            row[g->m0 + 2 * m + 1] = st[MC_SE];
        } else {
            row[g->m0 + 2 * m] = pl[c];
        }
    }
    double *d = row + g->d0;
    const CondGen *last = &r.gen[G - 1];
    if (s->n > 0) {
        d[0] = r.mcs.drift;
        d[1] = r.mcs.drift_se;
        d[2] = r.mcs.disp_ratio;
        d[3] = r.mcs.disp_ratio_se;
        d[4] = r.mcs.bias / (r.mcs.bias_se * sqrt((double)r.mcs.replicates));
    } else {
        d[0] = last->bias - r.gen[0].bias;
        d[2] = r.disp_ratio;
    }
    d[5] = last->bias;
    d[6] = r.disp_ratio;
    d[7] = last->delta;
    int cm = loop_find_col(s, g->metric);
    d[8] = cm >= 0 ? pl[cm]
           : !strcmp(g->metric, "drift") ? last->bias - r.gen[0].bias
           : !strcmp(g->metric, "disp_ratio") ? r.disp_ratio
                                                : NAN;
    d[9] = sweep_theory(s, g->metric);
    d[10] = r.necessary;
    d[11] = r.sufficient;
    d[12] = r.first_break;
    d[13] = r.pop;
    d[14] = r.b_limit;
    d[15] = r.mc;
    d[16] = r.agrees;
done:
    mc_result_release(&mc);
    conditions_release(&r);
}

/* ---- the writer --------------------------------------------------------------------------- */

static void sweep_fmt(char *buf, size_t n, const double *v, int nv)
{
    size_t used = 0;
    for (int i = 0; i < nv && used < n; i++) {
        const char *sep = i ? "," : "";
        if (isnan(v[i]))
            used += (size_t)snprintf(buf + used, n - used, "%snan", sep);
        else if (isinf(v[i]))
            used += (size_t)snprintf(buf + used, n - used, "%s%s", sep, v[i] > 0 ? "inf" : "-inf");
        else
            used += (size_t)snprintf(buf + used, n - used, "%s%.17g", sep, v[i]);
    }
    if (used < n) snprintf(buf + used, n - used, "\n");
}

static int sweep_write_all(int fd, const char *buf, size_t n, const char *path)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return err_set(ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        buf += w;
        n -= (size_t)w;
    }
    return ERR_OK;
}

/* The metadata and header lines (what csvlog_open + csvlog_meta + csvlog_header write). */
static char *sweep_header(const SweepOpts *o, const SweepGrid *g, const SimSpec *s0)
{
    size_t cap = 8192 + 64 * (size_t)g->ncol, used = 0;
    char *h = xmalloc(cap);
#define PUT(...) used += (size_t)snprintf(h + used, cap - used, __VA_ARGS__)
    PUT("# kind=sweep_points\n# version=%s\n", BIASAMP_VERSION);
    if (o->run)
        PUT("# command=%s\n# seed=%llu\n# config_hash=%016llx\n# threads=%d\n", o->run->cmdline,
            (unsigned long long)o->run->seed, (unsigned long long)o->run->config_hash,
            o->run->threads);
    for (int k = 0; k < g->naxes; k++) {
        PUT("# grid%d=%s\n", k + 1, g->axis[k].spec);
        if (g->axis[k].list) {
            PUT("# values%d=", k + 1);
            for (int i = 0; i < g->axis[k].steps; i++)
                PUT("%s%g:%s", i ? "," : "", g->axis[k].x[i], g->axis[k].text[i]);
            PUT("\n");
        }
    }
    PUT("# metric=%s\n", g->metric);
    PUT("# family=%s\n# data_family=%s\n# weight=%s\n# weight_scope=%s\n# mode=%s\n",
        s0->fit.type->name, s0->data.type->name, s0->weight->name,
        weight_scope_names[s0->scope], loop_mode_names[s0->mode]);
    PUT("# generations=%d\n# statistic=%s\n# z=%.17g\n", s0->generations,
        loop_statistic_names[s0->statistic], o->z);
    PUT("# verdict_codes=fails=0,holds=1,n/a=-1\n");
    PUT("# population_codes=none=0,amplified=1,bounded=2,shrinks=3,mixed=4\n");
    PUT("# simulation_codes=not_run=-1,no_drift=0,amplified=1,shrinks=2\n");
    for (int c = 0; c < g->ncol; c++) PUT("%s%s", c ? "," : "", g->cols[c]);
    PUT("\n");
#undef PUT
    return h;
}

/* 1 for metadata lines a resumed run may change without changing any number. */
static int sweep_volatile(const char *line)
{
    return !strncmp(line, "# command=", 10) || !strncmp(line, "# threads=", 10);
}

/* Compares the existing file's header with the expected one; returns the offset after the header
 * line, or -1 with the error set. */
static long sweep_check_header(const char *text, size_t len, const char *want, const char *path)
{
    const char *a = text, *b = want, *end = text + len;
    for (;;) {
        const char *ea = memchr(a, '\n', (size_t)(end - a)), *eb = strchr(b, '\n');
        if (!ea || !eb) break;
        size_t la = (size_t)(ea - a), lb = (size_t)(eb - b);
        int va = sweep_volatile(a), vb = sweep_volatile(b);
        if (va != vb || (!va && (la != lb || memcmp(a, b, la)))) {
            err_set(ERR_INVAL, "'%s' is another sweep (its line '%.*s' differs from '%.*s'): "
                    "resume with the same config, overrides, grids and metric",
                    path, (int)(la < 120 ? la : 120), a, (int)(lb < 120 ? lb : 120), b);
            return -1;
        }
        a = ea + 1;
        if (*b != '#') return (long)(a - text); /* the header line matched */
        b = eb + 1;
    }
    err_set(ERR_INVAL, "'%s' has no complete header", path);
    return -1;
}

/* Opens sweep.csv.part for appending: fresh (header written) or resumed (whole rows kept, a torn
 * last line cut). *done = rows already there. */
static int sweep_open(const char *part, const char *header, int resume, int *fd, long *done)
{
    *done = 0;
    struct stat sb;
    int exists = stat(part, &sb) == 0;
    if (exists && !resume)
        return err_set(ERR_INVAL, "'%s' exists: --resume continues it (or remove it)", part);
    if (!exists) {
        *fd = open(part, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (*fd < 0) return err_set(ERR_IO, "cannot create '%s': %s", part, strerror(errno));
        int st = sweep_write_all(*fd, header, strlen(header), part);
        if (!st && fsync(*fd)) st = err_set(ERR_IO, "cannot sync '%s': %s", part, strerror(errno));
        return st;
    }
    FILE *f = fopen(part, "rb");
    if (!f) return err_set(ERR_IO, "cannot read '%s': %s", part, strerror(errno));
    char *text = xmalloc((size_t)sb.st_size + 1);
    size_t len = fread(text, 1, (size_t)sb.st_size, f);
    fclose(f);
    text[len] = '\0';
    long off = sweep_check_header(text, len, header, part), keep = off;
    int st = off < 0 ? ERR_INVAL : ERR_OK;
    /* whole rows, numbered 0, 1, 2, ... */
    for (long i = off; !st && i < (long)len;) {
        const char *nl = memchr(text + i, '\n', len - (size_t)i);
        if (!nl) break; /* a torn row: cut */
        char *e;
        double p = strtod(text + i, &e);
        if (e == text + i || *e != ',' || p != (double)*done)
            st = err_set(ERR_INVAL, "'%s': row %ld is not point %ld", part, *done + 1, *done);
        (*done)++;
        i = keep = (long)(nl - text) + 1;
    }
    free(text);
    if (st) return st;
    if (truncate(part, keep)) return err_set(ERR_IO, "cannot cut '%s': %s", part, strerror(errno));
    *fd = open(part, O_WRONLY | O_APPEND);
    if (*fd < 0) return err_set(ERR_IO, "cannot open '%s': %s", part, strerror(errno));
    return ERR_OK;
}

/* The "# command=" metadata of an existing table (the run that started it), into cmd. */
static void sweep_original_command(const char *path, char *cmd, size_t n)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    while (f && fgets(line, sizeof line, f) && line[0] == '#')
        if (!strncmp(line, "# command=", 10)) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(cmd, n, "%s", line + 10);
            break;
        }
    if (f) fclose(f);
}

/* ---- the run ------------------------------------------------------------------------------ */

void sweep_grid_release(SweepGrid *g)
{
    for (int k = 0; k < 2; k++) sweep_axis_release(&g->axis[k]);
    for (int c = 0; c < g->ncol; c++) free(g->cols[c]);
    free(g->cols);
    for (int m = 0; m < g->nmetric; m++) free(g->mnames[m]);
    free(g->mnames);
    memset(g, 0, sizeof *g);
}

/* Axes, metric and layout from the options and the base config; every point validated. */
static int sweep_grid(const SweepOpts *o, SweepGrid *g, SimSpec *s0, int *format, char *title)
{
    Cfg c;
    SweepConfig sc;
    memset(g, 0, sizeof *g);
    int st = sweep_load(o, &c, &sc);
    if (st) {
        cfg_release(&c);
        return st;
    }
    *format = sc.sim.plot_format;
    snprintf(title, CFG_STR_MAX, "%s", sc.sim.title);
    /* -g grids replace the config's [sweep] grids altogether */
    const char *grid[2] = {sc.grid1[0] ? sc.grid1 : NULL, sc.grid2[0] ? sc.grid2 : NULL};
    if (o->grid[0] || o->grid[1]) grid[0] = o->grid[0], grid[1] = o->grid[1];
    snprintf(g->metric, sizeof g->metric, "%s", o->metric ? o->metric : sc.metric);
    cfg_release(&c);
    if (!grid[0] && grid[1]) grid[0] = grid[1], grid[1] = NULL;
    if (!grid[0]) return err_set(ERR_INVAL, "no grid: give -g key=lo:hi:steps (or sweep.grid1)");
    for (int k = 0; k < 2 && grid[k]; k++) {
        if ((st = sweep_axis_parse(&g->axis[k], grid[k], sweep_keys()))) return st;
        g->naxes++;
    }
    if (g->naxes == 2 && !strcmp(g->axis[0].key, g->axis[1].key))
        return err_set(ERR_INVAL, "both grids sweep %s", g->axis[0].key);
    g->steps[0] = g->axis[0].steps;
    g->steps[1] = g->naxes == 2 ? g->axis[1].steps : 1;
    g->points = (long)g->steps[0] * g->steps[1];
    for (long p = 0; p < g->points; p++) /* every point valid before anything is written */
        if ((st = sweep_point_spec(o, g, p, s0))) return st;
    if ((st = sweep_point_spec(o, g, 0, s0))) return st;
    sweep_layout(g, s0);
    int found = 0;
    for (int col = g->m0; col < g->ncol; col++) found |= !strcmp(g->cols[col], g->metric);
    if (!found) {
        char list[2048] = "";
        for (int m = 0; m < g->nmetric; m++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s ", g->mnames[m]);
        return err_set(ERR_INVAL, "metric '%s' is not a column; choose one of: %sdrift "
                       "disp_ratio bias_snr", g->metric, list);
    }
    return ERR_OK;
}

/* The rows of nb consecutive n = inf points (never nested: no Monte Carlo inside) in parallel
 * over threads, and over MPI ranks when several run (each a contiguous share; rank 0 collects
 * the rows in point order). */
static void sweep_batch_rows(const SweepGrid *g, const SimSpec *batch, int nb, long p, double z,
                             int nth, double *rows)
{
    long lo, hi;
    par_range(nb, &lo, &hi);
    int n = (int)(hi - lo);
    size_t nc = (size_t)g->ncol;
    (void)nth;
SWEEP_OMP(omp parallel for schedule(dynamic, 1) num_threads(nth < n ? nth : (n > 0 ? n : 1)))
    for (int i = (int)lo; i < (int)hi; i++)
        sweep_point_row(g, &batch[i], p + i, z, rows + (size_t)i * nc);
    if (par_size() == 1) return;
    void *all;
    size_t bytes;
    par_gather(rows + (size_t)lo * nc, (size_t)n * nc * sizeof *rows, &all, &bytes);
    if (par_is_root()) memcpy(rows, all, bytes);
    free(all);
}

int sweep_run(const SweepOpts *o, SweepResult *res)
{
    memset(res, 0, sizeof *res);
    SweepGrid g;
    SimSpec *s0 = xmalloc(sizeof *s0), *batch = NULL;
    char title[CFG_STR_MAX], part[4096], path[4096], *header = NULL;
    int format = 0, fd = -1;
    double *rows = NULL;
    char *line = NULL;
    int st = sweep_grid(o, &g, s0, &format, title);
    if (st) goto done;
    res->points = g.points;
    if ((st = paths_join(path, sizeof path, o->dir, "sweep.csv"))) goto done;
    snprintf(part, sizeof part, "%s.part", path);
    header = sweep_header(o, &g, s0);
    struct stat sb;
    /* a resumed sweep keeps its first command line everywhere (the tables stay identical to an
     * uninterrupted run's) */
    RunInfo ri;
    if (o->run) ri = *o->run;
    SweepOpts o2 = *o;
    if (o->run && o->resume) {
        sweep_original_command(stat(part, &sb) == 0 ? part : path, ri.cmdline, sizeof ri.cmdline);
        o2.run = &ri;
    }
    /* several MPI ranks: rank 0 owns the files and tells the others where to start */
    long sync[2] = {0, 0}; /* already done, rows done */
    if (par_is_root()) {
        if (o->resume && stat(part, &sb) != 0 && stat(path, &sb) == 0) {
            sync[0] = 1; /* a finished sweep: redraw only */
        } else if (!o->resume && stat(path, &sb) == 0) {
            st = err_set(ERR_INVAL, "'%s' exists: choose another -o folder", path);
            goto done;
        } else if ((st = sweep_open(part, header, o->resume, &fd, &sync[1]))) {
            goto done;
        }
    }
    par_bcast(sync, sizeof sync);
    res->already_done = (int)sync[0];
    if (!res->already_done) {
        int nth = 1;
#ifdef _OPENMP
        nth = omp_get_max_threads();
#endif
        int B = 4 * nth * par_size(); /* n = inf points per parallel batch (over all ranks) */
        par_bcast(&B, sizeof B);
        size_t linecap = 32 * (size_t)g.ncol + 16;
        batch = xcalloc((size_t)B, sizeof *batch);
        rows = xcalloc((size_t)B * (size_t)g.ncol, sizeof *rows);
        line = xmalloc(linecap);
        Progress prog;
        progress_start(&prog, "grid points", g.points);
        if (!o->progress) prog.enabled = 0;
        for (long p = sync[1]; p < g.points && !st;) {
            int nb = 0;
            /* a batch: consecutive n = inf points (parallel), or one Monte Carlo point */
            while (nb < B && p + nb < g.points) {
                if ((st = sweep_point_spec(o, &g, p + nb, &batch[nb]))) break;
                if (batch[nb].n > 0 && nb > 0) break; /* left for the next batch */
                nb++;
                if (batch[nb - 1].n > 0) break;
            }
            if (st) break;
            if (nb == 1 || batch[0].n > 0) {
                sweep_point_row(&g, &batch[0], p, o->z, rows); /* replicates in parallel */
                nb = 1;
            } else {
                sweep_batch_rows(&g, batch, nb, p, o->z, nth, rows);
            }
            for (int i = 0; i < nb && !st && par_is_root(); i++) { /* whole rows, in order */
                sweep_fmt(line, linecap, rows + (size_t)i * (size_t)g.ncol, g.ncol);
                st = sweep_write_all(fd, line, strlen(line), part);
            }
            if (!st && par_is_root() && fsync(fd))
                st = err_set(ERR_IO, "cannot sync '%s': %s", part, strerror(errno));
            p += nb;
            res->computed += nb;
            progress_update(&prog, p);
        }
        progress_end(&prog);
        if (fd >= 0 && close(fd) && !st) st = err_set(ERR_IO, "cannot close '%s'", part);
        fd = -1;
        if (st) goto done;
        if (par_is_root() && rename(part, path)) {
            st = err_set(ERR_IO, "cannot rename '%s': %s", part, strerror(errno));
            goto done;
        }
    }
    if (!par_is_root()) goto done; /* boundaries and the figure: rank 0 */
    st = sweep_finish(&o2, &g, s0, path, format, title, res);
done:
    if (fd >= 0) close(fd);
    free(header);
    free(line);
    free(rows);
    free(batch);
    free(s0);
    sweep_grid_release(&g);
    return st;
}
