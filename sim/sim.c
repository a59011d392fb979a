/* sim: runs a spec and writes its tables: generations.csv (kind=sim_generations), population.csv
 * (the n = inf reference with closed-form columns), density.csv (kind=sim_density), optional
 * trajectories.csv (kind=sim_trajectories), then the figures. */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "par.h"
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
    char path[4096], codes[256] = "";
    int st = paths_join(path, sizeof path, o->dir, file);
    if (st) return st;
    if ((st = csvlog_open(log, path, kind, o->run))) return st;
    for (int m = 0; m < LOOP_NMODES; m++)
        snprintf(codes + strlen(codes), sizeof codes - strlen(codes), "%s%s=%d", m ? "," : "",
                 loop_mode_names[m], m);
    csvlog_meta(*log, "setup_codes", "%s", codes);
    csvlog_meta(*log, "mode", "%s", loop_mode_names[s->mode]);
    csvlog_meta(*log, "family", "%s", s->fit.type->name);
    if (s->fit.type->kname) csvlog_meta(*log, s->fit.type->kname, "%d", s->fit.k);
    csvlog_meta(*log, "data_family", "%s", s->data.type->name);
    csvlog_meta(*log, "weight", "%s", s->weight->name);
    csvlog_meta(*log, "weight_scope", "%s", weight_scope_names[s->scope]);
    csvlog_meta(*log, "gamma", "%.17g", s->gamma);
    csvlog_meta(*log, "lambda", "%.17g", s->lambda);
    if (s->weight == &weight_category) csvlog_meta(*log, "boost", "%.17g", s->boost);
    if (s->weight->curate) csvlog_meta(*log, "best_of", "%d", s->best_of);
    if (s->mode == LOOP_PRESERVE || s->mode == LOOP_PRESERVE_POOL)
        csvlog_meta(*log, "rho", "%.17g", s->rho);
    if (s->mode == LOOP_PRESERVE_POOL) csvlog_meta(*log, "pool_n", "%ld", s->pool_n);
    csvlog_meta(*log, "temperature", "%.17g", s->temperature);
    csvlog_meta(*log, "ddof", "%d", s->ddof);
    csvlog_meta(*log, "n", "%s", n_text);
    csvlog_meta(*log, "schedule", "%s", loop_schedule_names[s->schedule]);
    if (s->schedule != LOOP_SCHED_CONSTANT) csvlog_meta(*log, "growth", "%.17g", s->growth);
    csvlog_meta(*log, "statistic", "%s", loop_statistic_names[s->statistic]);
    if (s->statistic == LOOP_STAT_SHARE || s->fit.type == &dist_categorical)
        csvlog_meta(*log, "class", "%d", s->cls + 1);
    else
        csvlog_meta(*log, "coord", "%d", s->coord + 1);
    if (s->statistic == LOOP_STAT_QUANTILE) csvlog_meta(*log, "quantile", "%.17g", s->q);
    csvlog_meta(*log, "truth_stat", "%.17g", s->truth_stat);
    return csvlog_header(*log, (const char *const *)cols->names, cols->n);
}

/* generations.csv / population.csv share a schema: setup, generation, replicates, then every
 * metric with its Monte Carlo summaries; population.csv adds <param>_closed, mean_closed,
 * sd_closed (nan when no closed form is known). */
static int sim_write_generations(const SimSpec *s, const SimRunOpts *o, const char *file,
                                 const McResult *mc, const double *closed, const char *n_text)
{
    ColSet cols = {0};
    int M = mc->nmetric, G = mc->generations, np = s->fit.nparam;
    cols_add(&cols, "setup", "");
    cols_add(&cols, "generation", "");
    cols_add(&cols, "replicates", "");
    for (int m = 0; m < M; m++)
        for (int k = 0; k < MC_NSTAT; k++)
            cols_add(&cols, loop_metric_name(s, m), mc_stat_suffix[k]);
    if (closed) {
        for (int j = 0; j < np; j++) cols_add(&cols, s->fit.pname[j], "_closed");
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
            double mean[DIST_DIM_MAX], cov[DIST_DIM_MAX * DIST_DIM_MAX], m = NAN, sd = NAN;
            int c = s->coord, d = s->fit.dim;
            if (dist_finite(&s->fit, th)) {
                s->fit.type->moments(&s->fit, th, mean, cov);
                m = mean[c];
                sd = sqrt(cov[c * d + c]);
            }
            for (int j = 0; j < np; j++) row[k++] = th[j];
            row[k++] = m;
            row[k++] = sd;
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
            mc_row(mc, r, g, row + 3);
            st = csvlog_row(log, row);
        }
    free(row);
    cols_free(&cols);
    int cst = log ? csvlog_close(log, st == ERR_OK) : ERR_OK;
    return st ? st : cst;
}

/* Densities (pmf) of coordinate `coord` of a law at n points: the family's own for 1-D families
 * (one batched call), the Gaussian marginal for multi-coordinate (Gaussian) families. */
static void sim_density(const SimSpec *s, const Dist *d, const double *theta, const double *x,
                        int n, double *out)
{
    if (!dist_finite(d, theta)) {
        for (int i = 0; i < n; i++) out[i] = NAN;
        return;
    }
    if (d->dim == 1) {
        d->type->logpdf(d, theta, x, (size_t)n, out);
        for (int i = 0; i < n; i++) out[i] = exp(out[i]);
        return;
    }
    double mean[DIST_DIM_MAX], cov[DIST_DIM_MAX * DIST_DIM_MAX];
    d->type->moments(d, theta, mean, cov);
    double m = mean[s->coord], sd = sqrt(cov[s->coord * d->dim + s->coord]);
    for (int i = 0; i < n; i++) {
        double z = (x[i] - m) / sd;
        out[i] = exp(-0.5 * z * z) / (sd * sqrt(2 * M_PI));
    }
}

/* density.csv: x, truth, pretrained, gen_<g> (the first replicate's fits, or the population map
 * when n = inf) and pop_gen_<g> (population map) for each snapshot generation: densities of
 * coordinate `coord` (pmf at the integers for discrete families). */
static int sim_write_density(const SimSpec *s, const SimRunOpts *o, const SimOutput *out,
                             const char *n_text)
{
    const Dist *f = &s->fit;
    int ns = s->nsnap, M = out->nmetric, P0 = s->col[LOOP_M_PARAM0];
    const double *fits[2 * 16 + 2];
    ColSet cols = {0};
    cols_add(&cols, "x", "");
    cols_add(&cols, "truth", "");
    cols_add(&cols, "pretrained", "");
    int nf = 0, np = f->nparam;
    double *first = xcalloc((size_t)(ns + 1) * (size_t)np, sizeof *first); /* replicate 0 */
    fits[nf++] = out->sampled ? out->mc.theta_pre : s->theta_pre;
    for (int i = 0; i < ns; i++) {
        int g = s->snap[i];
        char gs[16];
        snprintf(gs, sizeof gs, "%d", g);
        if (out->sampled) {
            cols_add(&cols, "gen_", gs);
            for (int j = 0; j < np; j++)
                first[(size_t)i * (size_t)np + (size_t)j] = mc_value(&out->mc, 0, g, P0 + j);
            fits[nf++] = first + (size_t)i * (size_t)np;
        }
        cols_add(&cols, "pop_gen_", gs);
        fits[nf++] = out->pop + (size_t)g * (size_t)M + (size_t)P0;
    }
    /* x range: the union of mean +- 4.5 sd of every curve, clipped to the support */
    double lo = INFINITY, hi = -INFINITY, mean[DIST_DIM_MAX], cov[DIST_DIM_MAX * DIST_DIM_MAX];
    int c = s->coord;
    s->data.type->moments(&s->data, s->theta_data, mean, cov);
    lo = fmin(lo, mean[c] - 4.5 * sqrt(cov[c * s->data.dim + c]));
    hi = fmax(hi, mean[c] + 4.5 * sqrt(cov[c * s->data.dim + c]));
    for (int i = 0; i < nf; i++) {
        if (!dist_finite(f, fits[i])) continue;
        f->type->moments(f, fits[i], mean, cov);
        lo = fmin(lo, mean[c] - 4.5 * sqrt(cov[c * f->dim + c]));
        hi = fmax(hi, mean[c] + 4.5 * sqrt(cov[c * f->dim + c]));
    }
    if (f->dim == 1) {
        lo = fmax(lo, f->lo);
        hi = fmin(hi, f->hi);
    }
    int NX = 501;
    if (f->type->discrete) {
        lo = fmax(0, floor(lo));
        hi = f->type == &dist_categorical ? f->k - 1 : fmin(ceil(hi), lo + 500);
        NX = (int)(hi - lo) + 1;
    }
    /* columns first (one batched density call per curve), then rows */
    double *xs = xcalloc((size_t)NX, sizeof *xs),
           *val = xcalloc((size_t)(nf + 1) * NX, sizeof *val);
    for (int i = 0; i < NX; i++)
        xs[i] = f->type->discrete ? lo + i : lo + (hi - lo) * (i + 0.5) / NX;
    sim_density(s, &s->data, s->theta_data, xs, NX, val);
    for (int j = 0; j < nf; j++) sim_density(s, f, fits[j], xs, NX, val + (size_t)(j + 1) * NX);
    CsvLog *log;
    int st = sim_open(&log, o, "density.csv", "sim_density", s, n_text, &cols);
    double *row = xcalloc((size_t)cols.n, sizeof *row);
    for (int i = 0; i < NX && !st; i++) {
        row[0] = xs[i];
        for (int j = 0; j <= nf; j++) row[1 + j] = val[(size_t)j * NX + i];
        st = csvlog_row(log, row);
    }
    free(row);
    free(xs);
    free(val);
    free(first);
    cols_free(&cols);
    int cst = log ? csvlog_close(log, st == ERR_OK) : ERR_OK;
    return st ? st : cst;
}

/* The metric panels of sim_metrics.gp: what applies to this spec, in a fixed order. */
static void sim_metric_list(const SimSpec *s, char *buf, size_t n)
{
    static const LoopMetric order[] = {LOOP_M_BIAS, LOOP_M_DISPERSION, LOOP_M_KL, LOOP_M_TV,
                                       LOOP_M_W2, LOOP_M_TAIL2, LOOP_M_COV_DET, LOOP_M_ENTROPY,
                                       LOOP_M_LOST, LOOP_M_ZHAO, LOOP_M_NEFF};
    buf[0] = '\0';
    int k = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0] && k < 6; i++) {
        int c = s->col[order[i]];
        if (c < 0 || (order[i] == LOOP_M_NEFF && !s->weight->logw)) continue; /* n_eff = n */
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", k++ ? " " : "", s->mname[c]);
    }
}

static int sim_figures(const SimRunOpts *o, const SimSpec *s, SimOutput *out)
{
    char gen[4096], pop[4096], dens[4096], fig[4096], list[1024];
    paths_join(gen, sizeof gen, o->dir, "generations.csv");
    paths_join(pop, sizeof pop, o->dir, out->sampled ? "population.csv" : "generations.csv");
    paths_join(dens, sizeof dens, o->dir, "density.csv");
    const Dist *f = &s->fit;
    int P0 = s->col[LOOP_M_PARAM0];
    /* log scale for parameters that stay positive and span more than a decade */
    double lo = INFINITY, hi = -INFINITY;
    for (int g = 0; g < out->generations; g++)
        for (int j = 0; j < f->nparam && j < 2; j++) {
            double v = out->pop[(size_t)g * (size_t)out->nmetric + (size_t)P0 + (size_t)j];
            if (isfinite(v)) lo = fmin(lo, v), hi = fmax(hi, v);
        }
    const char *scale = lo > 0 && hi > 10 * lo ? "log" : "lin";
    const char *p1 = f->pname[0], *p2 = f->pname[f->nparam > 1 ? 1 : 0];
    const char *closed = out->closed ? "closed" : "noclosed";
    static const char *const names[] = {"sim_params", "sim_moments", "sim_density", "sim_metrics",
                                        "sim_shares"};
    int nfig = f->type == &dist_categorical ? 5 : 4;
    for (int i = 0; i < nfig; i++) {
        char file[64];
        snprintf(file, sizeof file, "%s.%s", names[i] + 4, o->format);
        paths_join(fig, sizeof fig, o->dir, file);
        const char *args[8] = {i == 2 ? dens : gen, fig, pop, o->title, p1, p2, scale, closed};
        int nargs = 8;
        if (i == 2) args[4] = out->sampled ? "paired" : "single", nargs = 5;
        if (i == 3) {
            sim_metric_list(s, list, sizeof list);
            args[4] = list;
            nargs = 5;
        }
        if (i == 4) {
            list[0] = '\0';
            for (int c = 0; c < f->k; c++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", c ? " " : "",
                         s->mname[s->col[LOOP_M_SHARE0] + c]);
            args[4] = list;
            nargs = 5;
        }
        int st = plot_render(names[i], args, nargs, 3);
        if (st) return st;
        out->figures++;
    }
    return ERR_OK;
}

int sim_run(const SimSpec *s, const SimRunOpts *o, SimOutput *out)
{
    memset(out, 0, sizeof *out);
    int G = s->generations, M = loop_nmetric(s), np = s->fit.nparam;
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
        if ((st = mc_run_hooked(s, &out->mc, o->progress ? "replicates" : NULL, o->hooks)))
            goto done;
        if (!par_is_root()) goto done; /* several MPI ranks: rank 0 writes */
        if ((st = sim_write_generations(s, o, "generations.csv", &out->mc, NULL, n_text)))
            goto done;
        if ((st = sim_write_generations(s, o, "population.csv", &popmc, out->closed, "inf")))
            goto done;
        if (o->trajectories && (st = sim_write_trajectories(s, o, &out->mc, n_text))) goto done;
    } else {
        if (!par_is_root()) goto done;
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
