/* conditions_run: the library entry of `biasamp theory` — the population verdicts, the Monte Carlo
 * replicates and every applicable closed form, written as theory.csv (kind=theory_generations),
 * verdicts.csv (kind=theory_verdicts), forms.csv (kind=theory_forms, one row per form and
 * generation) and the figures trajectory.<fmt> and forms.<fmt>. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conditions.h"
#include "csvlog.h"
#include "err.h"
#include "paths.h"
#include "plot.h"
#include "theory.h"
#include "xalloc.h"

#define COND_FORMS_MAX 32

/* The spec's description in a table's metadata (the keys `biasamp sim` writes, in short). */
static void cond_meta(CsvLog *log, const SimSpec *s)
{
    csvlog_meta(log, "mode", "%s", loop_mode_names[s->mode]);
    csvlog_meta(log, "family", "%s", s->fit.type->name);
    if (s->fit.type->kname) csvlog_meta(log, s->fit.type->kname, "%d", s->fit.k);
    csvlog_meta(log, "data_family", "%s", s->data.type->name);
    csvlog_meta(log, "weight", "%s", s->weight->name);
    csvlog_meta(log, "weight_scope", "%s", weight_scope_names[s->scope]);
    csvlog_meta(log, "gamma", "%.17g", s->gamma);
    csvlog_meta(log, "lambda", "%.17g", s->lambda);
    if (s->weight == &weight_category) csvlog_meta(log, "boost", "%.17g", s->boost);
    if (s->mode == LOOP_PRESERVE || s->mode == LOOP_PRESERVE_POOL)
        csvlog_meta(log, "rho", "%.17g", s->rho);
    csvlog_meta(log, "temperature", "%.17g", s->temperature);
    if (s->n > 0)
        csvlog_meta(log, "n", "%ld", s->n);
    else
        csvlog_meta(log, "n", "inf");
    csvlog_meta(log, "statistic", "%s", loop_statistic_names[s->statistic]);
    csvlog_meta(log, "truth_stat", "%.17g", s->truth_stat);
}

static void cond_verdict_meta(CsvLog *log, const ConditionReport *r)
{
    csvlog_meta(log, "necessary", "%s", conditions_verdict_name(r->necessary));
    csvlog_meta(log, "necessary_source", "%s", r->source);
    csvlog_meta(log, "sufficient", "%s", conditions_verdict_name(r->sufficient));
    csvlog_meta(log, "first_break", "%d", r->first_break);
    csvlog_meta(log, "population", "%s", conditions_pop_name(r->pop));
    csvlog_meta(log, "simulation", "%s", conditions_mc_name(r->mc));
    csvlog_meta(log, "agrees", "%d", r->agrees);
    csvlog_meta(log, "covariance_form", "%s", r->cov_note);
    csvlog_meta(log, "tol", "%.17g", r->tol);
}

static int cond_open(CsvLog **log, const CondRunOpts *o, const char *file, const char *kind,
                     const SimSpec *s, const ConditionReport *r)
{
    char path[4096];
    int st = paths_join(path, sizeof path, o->dir, file);
    if (!st) st = csvlog_open(log, path, kind, o->run);
    if (st) return st;
    cond_meta(*log, s);
    cond_verdict_meta(*log, r);
    return ERR_OK;
}

static int cond_finish(CsvLog *log, int st)
{
    int cst = log ? csvlog_close(log, st == ERR_OK) : ERR_OK;
    return st ? st : cst;
}

/* theory.csv: the population trajectory, Delta_t and its covariance form, the verdict per
 * generation, the closed-form bias and the Monte Carlo bias and dispersion. */
static int cond_write_generations(const SimSpec *s, const CondRunOpts *o, CondRunOutput *out)
{
    static const char *const cols[] = {
        "setup",       "generation",  "stat",        "bias",           "delta",
        "push",        "pull",        "delta_cov",   "dispersion",     "disp_ratio",
        "bias_closed", "sign_ok",     "bias_mc",     "bias_mc_se",     "bias_mc_q05",
        "bias_mc_q95", "dispersion_mc", "dispersion_mc_se", "dispersion_mc_q05",
        "dispersion_mc_q95", "disp_ratio_mc"};
    enum { NC = sizeof cols / sizeof cols[0] };
    const ConditionReport *r = &out->rep;
    CsvLog *log;
    int st = cond_open(&log, o, "theory.csv", "theory_generations", s, r);
    if (st) return st;
    st = csvlog_header(log, cols, NC);
    int M = s->nmetric, cb = loop_col(s, LOOP_M_BIAS), cd = loop_col(s, LOOP_M_DISPERSION);
    for (int g = 0; g < r->generations && !st; g++) {
        const CondGen *cg = &r->gen[g];
        double row[NC];
        int k = 0;
        row[k++] = s->mode;
        row[k++] = g;
        row[k++] = cg->stat;
        row[k++] = cg->bias;
        row[k++] = cg->delta;
        row[k++] = cg->push;
        row[k++] = cg->pull;
        row[k++] = cg->delta_cov;
        row[k++] = cg->dispersion;
        row[k++] = cg->dispersion / r->truth_dispersion;
        row[k++] = cg->bias_closed;
        row[k++] = cg->sign_ok;
        for (int j = 0; j < 2; j++) {
            int m = j == 0 ? cb : cd;
            const double *ms = out->simulated
                                   ? out->mc.stat + ((size_t)g * (size_t)M + (size_t)m) * MC_NSTAT
                                   : NULL;
            row[k++] = ms ? ms[MC_MEAN] : NAN;
            row[k++] = ms ? ms[MC_SE] : NAN;
            row[k++] = ms ? ms[MC_Q05] : NAN;
            row[k++] = ms ? ms[MC_Q95] : NAN;
        }
        row[k++] = out->simulated
                       ? out->mc.stat[((size_t)g * (size_t)M + (size_t)cd) * MC_NSTAT] /
                             r->truth_dispersion
                       : NAN;
        st = csvlog_row(log, row);
    }
    return cond_finish(log, st);
}

/* verdicts.csv: one row; codes as in the `# *_codes=` metadata. */
static int cond_write_verdicts(const SimSpec *s, const CondRunOpts *o, CondRunOutput *out)
{
    static const char *const cols[] = {
        "necessary",   "sufficient", "first_break",   "population",     "b_limit",
        "disp_ratio",  "collapse",   "cov_form",      "simulation",     "replicates",
        "mc_bias",     "mc_bias_se", "mc_drift",      "mc_drift_se",    "mc_disp_ratio",
        "mc_disp_ratio_se", "z",     "agrees",        "forms",          "forms_agree"};
    enum { NC = sizeof cols / sizeof cols[0] };
    const ConditionReport *r = &out->rep;
    CsvLog *log;
    int st = cond_open(&log, o, "verdicts.csv", "theory_verdicts", s, r);
    if (st) return st;
    csvlog_meta(log, "verdict_codes", "fails=0,holds=1,n/a=-1");
    csvlog_meta(log, "population_codes", "none=0,amplified=1,bounded=2,shrinks=3,mixed=4");
    csvlog_meta(log, "simulation_codes", "not_run=-1,no_drift=0,amplified=1,shrinks=2");
    st = csvlog_header(log, cols, NC);
    int nf = 0, nagree = 0;
    for (int i = 0; i < out->nforms; i++)
        if (out->cmp[i].agrees >= 0) nf++, nagree += out->cmp[i].agrees;
    double row[NC] = {r->necessary,      r->sufficient,        r->first_break,
                      r->pop,            r->b_limit,           r->disp_ratio,
                      r->collapse,       r->cov_form,          r->mc,
                      (double)r->mcs.replicates, r->mcs.bias,  r->mcs.bias_se,
                      r->mcs.drift,      r->mcs.drift_se,      r->mcs.disp_ratio,
                      r->mcs.disp_ratio_se, r->z,              r->agrees,
                      nf,                nagree};
    if (!out->simulated)
        for (int k = 9; k < 18; k++) row[k] = k == 9 ? 0 : NAN;
    if (!st) st = csvlog_row(log, row);
    return cond_finish(log, st);
}

/* forms.csv: per applicable form and generation, the prediction beside the Monte Carlo and
 * population values of its observable. `form` is the form's index in theory_forms (names in the
 * `# forms=` metadata). */
static int cond_write_forms(const SimSpec *s, const CondRunOpts *o, CondRunOutput *out)
{
    static const char *const cols[] = {"form", "kind",  "generation", "t",  "pred",   "mc",
                                       "mc_se", "mc_q05", "mc_q95",   "pop", "agrees"};
    enum { NC = sizeof cols / sizeof cols[0] };
    CsvLog *log;
    int st = cond_open(&log, o, "forms.csv", "theory_forms", s, &out->rep);
    if (st) return st;
    char list[4096] = "";
    for (int i = 0; i < out->nforms; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d:%s", i ? "," : "",
                 (int)(out->forms[i].form - theory_forms), out->forms[i].form->name);
    csvlog_meta(log, "forms", "%s", list);
    csvlog_meta(log, "kind_codes", "mc=0,pop=1,bound=2,limit=3");
    st = csvlog_header(log, cols, NC);
    for (int i = 0; i < out->nforms && !st; i++) {
        const TheoryCompare *c = &out->cmp[i];
        for (int g = 0; g < s->generations && !st; g++) {
            double row[NC] = {(double)(out->forms[i].form - theory_forms),
                              out->forms[i].form->kind, g, g + 1, c->pred[g], c->mc[g],
                              c->mc_se[g], c->q05[g], c->q95[g], c->pop[g],
                              g == c->g_check ? c->agrees : NAN};
            st = csvlog_row(log, row);
        }
    }
    return cond_finish(log, st);
}

static int cond_figures(const SimSpec *s, const CondRunOpts *o, CondRunOutput *out)
{
    char data[4096], fig[4096], file[64];
    int st = paths_join(data, sizeof data, o->dir, "theory.csv");
    snprintf(file, sizeof file, "trajectory.%s", o->format);
    if (!st) st = paths_join(fig, sizeof fig, o->dir, file);
    if (st) return st;
    int closed = 0;
    for (int g = 0; g < out->rep.generations; g++) closed |= isfinite(out->rep.gen[g].bias_closed);
    const char *args[] = {data, fig, data, o->title, out->simulated ? "1" : "0",
                          closed ? "1" : "0", out->rep.cov_form ? "1" : "0"};
    if ((st = plot_render("theory_trajectory", args, 7, 1))) return st;
    out->figures++;
    /* one panel per form with a simulator observable (at most 9) */
    char ids[512] = "", names[2048] = "";
    int n = 0;
    for (int i = 0; i < out->nforms && n < 9; i++) {
        snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%d", n ? " " : "",
                 (int)(out->forms[i].form - theory_forms));
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", n ? " " : "",
                 out->forms[i].form->name);
        n++;
    }
    if (n == 0) return ERR_OK;
    if ((st = paths_join(data, sizeof data, o->dir, "forms.csv"))) return st;
    snprintf(file, sizeof file, "forms.%s", o->format);
    if ((st = paths_join(fig, sizeof fig, o->dir, file))) return st;
    const char *fargs[] = {data, fig, data, o->title, ids, names, out->simulated ? "1" : "0"};
    if ((st = plot_render("theory_forms", fargs, 7, 1))) return st;
    out->figures++;
    return ERR_OK;
}

int conditions_run(const SimSpec *s, const CondRunOpts *o, CondRunOutput *out)
{
    memset(out, 0, sizeof *out);
    int G = s->generations, M = s->nmetric;
    int st = conditions_check(s, &out->rep);
    if (st) return st;
    out->pop = xcalloc((size_t)G * (size_t)M, sizeof *out->pop);
    memcpy(out->pop, out->rep.popmap, (size_t)G * (size_t)M * sizeof *out->pop);
    if (o->simulate && s->n > 0) {
        if ((st = mc_run(s, &out->mc, o->progress ? "replicates" : NULL))) return st;
        out->simulated = 1;
        conditions_compare(s, &out->mc, o->z, &out->rep);
    }
    out->forms = xcalloc(COND_FORMS_MAX, sizeof *out->forms);
    out->nforms = theory_applicable(s, out->forms, COND_FORMS_MAX);
    out->cmp = xcalloc((size_t)out->nforms + 1, sizeof *out->cmp);
    for (int i = 0; i < out->nforms; i++)
        theory_compare(s, &out->forms[i], out->pop, out->simulated ? &out->mc : NULL, o->z,
                       &out->cmp[i]);
    if ((st = cond_write_generations(s, o, out))) return st;
    if ((st = cond_write_verdicts(s, o, out))) return st;
    if ((st = cond_write_forms(s, o, out))) return st;
    if (o->plot) st = cond_figures(s, o, out);
    return st;
}

void conditions_run_release(CondRunOutput *out)
{
    if (!out) return;
    conditions_release(&out->rep);
    mc_result_release(&out->mc);
    free(out->pop);
    for (int i = 0; i < out->nforms; i++) theory_compare_release(&out->cmp[i]);
    free(out->cmp);
    free(out->forms);
    memset(out, 0, sizeof *out);
}
