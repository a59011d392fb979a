/* sim: runs a spec and writes its tables: generations.csv (kind=sim_generations), population.csv
 * (the n = inf reference with closed-form columns), density.csv (kind=sim_density), optional
 * trajectories.csv (kind=sim_trajectories), then the figures. */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "paths.h"
#include "plot.h"
#include "theory.h"
#include "xalloc.h"

#define SIM_COLS_MAX 512

typedef struct ColSet {
    int n;
    char *names[SIM_COLS_MAX];
} ColSet;

/* Appends the column name a followed by b. */
static void cols_add(ColSet *c, const char *a, const char *b)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s%s", a, b);
    c->names[c->n++] = xstrdup(buf);
}

static void cols_free(ColSet *c)
{
    for (int i = 0; i < c->n; i++) free(c->names[i]);
    c->n = 0;
}

static int sim_open(CsvLog **log, const SimRunOpts *o, const char *file, const char *kind,
                    const SimSpec *s, const char *n_text, ColSet *cols)
{
    char path[4096];
    int st = paths_join(path, sizeof path, o->dir, file);
    if (st) return st;
    if ((st = csvlog_open(log, path, kind, o->run))) return st;
    csvlog_meta(*log, "setup_codes", "replace=0");
    csvlog_meta(*log, "family", "%s", s->fit_family->name);
    csvlog_meta(*log, "data_family", "%s", s->data_family->name);
    csvlog_meta(*log, "weight", "%s", s->weight->name);
    csvlog_meta(*log, "n", "%s", n_text);
    return csvlog_header(*log, (const char *const *)cols->names, cols->n);
}

/* generations.csv / population.csv share a schema: setup, generation, replicates, then every
 * metric with its Monte Carlo summaries; population.csv adds <param>_closed, mean_closed,
 * sd_closed (nan when no closed form is known). */
static int sim_write_generations(const SimSpec *s, const SimRunOpts *o, const char *file,
                                 const McResult *mc, const double *closed, const char *n_text)
{
    ColSet cols = {0};
    int M = mc->nmetric, G = mc->generations, np = s->fit_family->nparam;
    cols_add(&cols, "setup", "");
    cols_add(&cols, "generation", "");
    cols_add(&cols, "replicates", "");
    for (int m = 0; m < M; m++)
        for (int k = 0; k < MC_NSTAT; k++)
            cols_add(&cols, loop_metric_name(s, m), mc_stat_suffix[k]);
    if (closed) {
        for (int j = 0; j < np; j++) cols_add(&cols, s->fit_family->param_names[j], "_closed");
        cols_add(&cols, "mean_closed", "");
        cols_add(&cols, "sd_closed", "");
    }
    CsvLog *log;
    int st = sim_open(&log, o, file, "sim_generations", s, n_text, &cols);
    double *row = xcalloc((size_t)cols.n, sizeof *row);
    for (int g = 0; g < G && !st; g++) {
        int k = 0;
        row[k++] = s->mode;
        row[k++] = g;
        row[k++] = (double)mc->replicates;
        for (int m = 0; m < M; m++)
            for (int j = 0; j < MC_NSTAT; j++)
                row[k++] = mc->stat[((size_t)g * (size_t)M + (size_t)m) * MC_NSTAT + (size_t)j];
        if (closed) {
            const double *th = closed + (size_t)g * (size_t)np;
            double mean = NAN, var = NAN;
            if (isfinite(th[0])) s->fit_family->moments(th, &mean, &var);
            for (int j = 0; j < np; j++) row[k++] = th[j];
            row[k++] = mean;
            row[k++] = sqrt(var);
        }
        st = csvlog_row(log, row);
    }
    free(row);
    cols_free(&cols);
    int cst = log ? csvlog_close(log, st == ERR_OK) : ERR_OK;
    return st ? st : cst;
}

static int sim_write_trajectories(const SimSpec *s, const SimRunOpts *o, const McResult *mc,
                                  const char *n_text)
{
    ColSet cols = {0};
    int M = mc->nmetric, G = mc->generations;
    cols_add(&cols, "setup", "");
    cols_add(&cols, "replicate", "");
    cols_add(&cols, "generation", "");
    for (int m = 0; m < M; m++) cols_add(&cols, loop_metric_name(s, m), "");
    CsvLog *log;
    int st = sim_open(&log, o, "trajectories.csv", "sim_trajectories", s, n_text, &cols);
    double *row = xcalloc((size_t)cols.n, sizeof *row);
    for (long r = 0; r < mc->replicates && !st; r++)
        for (int g = 0; g < G && !st; g++) {
            row[0] = s->mode;
            row[1] = (double)r;
            row[2] = g;
            memcpy(row + 3, mc->traj + ((size_t)r * (size_t)G + (size_t)g) * (size_t)M,
                   (size_t)M * sizeof *row);
            st = csvlog_row(log, row);
        }
    free(row);
    cols_free(&cols);
    int cst = log ? csvlog_close(log, st == ERR_OK) : ERR_OK;
    return st ? st : cst;
}

/* density.csv: x, truth, pretrained, gen_<g> (the first replicate's fits, or the population map
 * when n = inf) and pop_gen_<g> (population map) for each snapshot generation. */
static int sim_write_density(const SimSpec *s, const SimRunOpts *o, const SimOutput *out,
                             const char *n_text)
{
    const DistType *f = s->fit_family;
    int ns = o->snapshots->n, M = out->nmetric, G = out->generations;
    const double *fits[2 * CFG_LIST_MAX + 2];
    ColSet cols = {0};
    cols_add(&cols, "x", "");
    cols_add(&cols, "truth", "");
    cols_add(&cols, "pretrained", "");
    int nf = 0;
    const double *pre = out->sampled ? out->mc.theta_pre : s->theta_pre;
    fits[nf++] = pre;
    for (int i = 0; i < ns; i++) {
        int g = (int)o->snapshots->v[i];
        char gs[16];
        snprintf(gs, sizeof gs, "%d", g);
        if (out->sampled) {
            cols_add(&cols, "gen_", gs);
            fits[nf++] = out->mc.traj + (size_t)g * (size_t)M + LOOP_M_FIXED;
        }
        cols_add(&cols, "pop_gen_", gs);
        fits[nf++] = out->pop + (size_t)g * (size_t)M + LOOP_M_FIXED;
    }
    (void)G;
    /* x range: the union of mean +- 4.5 sd of every curve, clipped to the support */
    double lo = INFINITY, hi = -INFINITY, mean, var;
    s->data_family->moments(s->theta_data, &mean, &var);
    lo = fmin(lo, mean - 4.5 * sqrt(var));
    hi = fmax(hi, mean + 4.5 * sqrt(var));
    for (int i = 0; i < nf; i++) {
        if (!isfinite(fits[i][0])) continue;
        f->moments(fits[i], &mean, &var);
        lo = fmin(lo, mean - 4.5 * sqrt(var));
        hi = fmax(hi, mean + 4.5 * sqrt(var));
    }
    lo = fmax(lo, f->lo);
    hi = fmin(hi, f->hi);
    CsvLog *log;
    int st = sim_open(&log, o, "density.csv", "sim_density", s, n_text, &cols);
    enum { NX = 501 };
    double *row = xcalloc((size_t)cols.n, sizeof *row);
    for (int i = 0; i < NX && !st; i++) {
        double x = lo + (hi - lo) * (i + 0.5) / NX, l;
        row[0] = x;
        s->data_family->logpdf(s->theta_data, &x, 1, &l);
        row[1] = exp(l);
        for (int j = 0; j < nf; j++) {
            if (isfinite(fits[j][0])) {
                f->logpdf(fits[j], &x, 1, &l);
                row[2 + j] = exp(l);
            } else {
                row[2 + j] = NAN;
            }
        }
        st = csvlog_row(log, row);
    }
    free(row);
    cols_free(&cols);
    int cst = log ? csvlog_close(log, st == ERR_OK) : ERR_OK;
    return st ? st : cst;
}

static int sim_figures(const SimRunOpts *o, const SimSpec *s, SimOutput *out)
{
    char gen[4096], pop[4096], dens[4096], fig[4096];
    paths_join(gen, sizeof gen, o->dir, "generations.csv");
    paths_join(pop, sizeof pop, o->dir, out->sampled ? "population.csv" : "generations.csv");
    paths_join(dens, sizeof dens, o->dir, "density.csv");
    const DistType *f = s->fit_family;
    /* log scale for parameters that stay positive and span more than a decade */
    double lo = INFINITY, hi = -INFINITY;
    for (int g = 0; g < out->generations; g++)
        for (int j = 0; j < f->nparam && j < 2; j++) {
            double v = out->pop[(size_t)g * (size_t)out->nmetric + LOOP_M_FIXED + (size_t)j];
            if (isfinite(v)) lo = fmin(lo, v), hi = fmax(hi, v);
        }
    const char *scale = lo > 0 && hi > 10 * lo ? "log" : "lin";
    const char *p1 = f->param_names[0], *p2 = f->param_names[f->nparam > 1 ? 1 : 0];
    static const char *const names[] = {"sim_params", "sim_moments", "sim_density"};
    for (int i = 0; i < 3; i++) {
        char file[64];
        snprintf(file, sizeof file, "%s.%s", names[i] + 4, o->format);
        paths_join(fig, sizeof fig, o->dir, file);
        const char *args[] = {i == 2 ? dens : gen, fig, pop, o->title, p1, p2, scale};
        if (i == 2) args[4] = out->sampled ? "paired" : "single";
        int st = plot_render(names[i], args, 7, 3);
        if (st) return st;
        out->figures++;
    }
    return ERR_OK;
}

int sim_run(const SimSpec *s, const SimRunOpts *o, SimOutput *out)
{
    memset(out, 0, sizeof *out);
    int G = s->generations, M = loop_nmetric(s), np = s->fit_family->nparam;
    out->generations = G;
    out->nmetric = M;
    out->nparam = np;
    out->sampled = s->n > 0;
    char n_text[32];
    if (s->n > 0)
        snprintf(n_text, sizeof n_text, "%ld", s->n);
    else
        snprintf(n_text, sizeof n_text, "inf");

    /* the population map first: cheap, and a numerical failure stops before any file exists */
    out->pop = xcalloc((size_t)G * (size_t)M, sizeof *out->pop);
    int st = loop_population(s, out->pop);
    if (st) return st;
    double th[DIST_PARAM_MAX];
    if (theory_closed_form(s, 0, th)) {
        out->closed = xcalloc((size_t)G * (size_t)np, sizeof *out->closed);
        for (int g = 0; g < G; g++) theory_closed_form(s, g, out->closed + (size_t)g * (size_t)np);
    }
    McResult popmc = {.generations = G, .nmetric = M, .replicates = 1, .traj = out->pop};
    mc_aggregate(&popmc);
    if (out->sampled) {
        if ((st = mc_run(s, &out->mc, o->progress ? "replicates" : NULL))) goto done;
        if ((st = sim_write_generations(s, o, "generations.csv", &out->mc, NULL, n_text)))
            goto done;
        if ((st = sim_write_generations(s, o, "population.csv", &popmc, out->closed, "inf")))
            goto done;
        if (o->trajectories && (st = sim_write_trajectories(s, o, &out->mc, n_text))) goto done;
    } else {
        if ((st = sim_write_generations(s, o, "generations.csv", &popmc, out->closed, "inf")))
            goto done;
    }
    if ((st = sim_write_density(s, o, out, n_text))) goto done;
    if (o->plot) st = sim_figures(o, s, out);
done:
    free(popmc.stat);
    return st;
}

void sim_output_release(SimOutput *out)
{
    if (!out) return;
    mc_result_release(&out->mc);
    free(out->pop);
    free(out->closed);
    memset(out, 0, sizeof *out);
}
