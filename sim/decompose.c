/* decompose: builds the eight cells from the base config through the config table, runs them
 * (Monte Carlo at finite n, the population map at n = inf) and writes the cell table, the
 * per-generation table and the slide figure. */
#include "decompose.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "paths.h"
#include "par.h"
#include "plot.h"
#include "xalloc.h"

#define DECOMPOSE_KEYS_MAX 128

const CfgKey *decompose_keys(void)
{
    static CfgKey keys[DECOMPOSE_KEYS_MAX];
    if (keys[0].name) return keys;
#define F(field) offsetof(DecomposeConfig, field)
    static const CfgKey extra[] = {
        {"decompose.data_family", CFG_STRING, F(data_family), "", 0, 0, 0, NULL,
         "family of the misspecified truth (the well-specified one is [data])"},
        {"decompose.data_k", CFG_INT, F(data_k), "0", 0, 64, 0, NULL,
         "size of the misspecified truth's family (0: its default)"},
        {"decompose.data_params", CFG_DLIST, F(data_params), "", -1e300, 1e300, 0, NULL,
         "parameters of the misspecified truth"},
        {"decompose.z", CFG_DOUBLE, F(z), "3", 0.5, 100, 0, NULL,
         "significance threshold in standard errors"},
    };
#undef F
    int n = 0;
    for (const CfgKey *k = simcfg_keys; k->name; k++) keys[n++] = *k; /* SimConfig is first */
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) keys[n++] = extra[i];
    keys[n].name = NULL;
    return keys;
}

int decompose_cell_index(int weighted, int finite, int misspecified)
{
    return 4 * finite + 2 * misspecified + weighted;
}

static int dec_load(const char *config, char **ov, int nov, Cfg *c, DecomposeConfig *dc)
{
    cfg_init(c, decompose_keys(), dc);
    int st = ERR_OK;
    if (config) st = cfg_load(c, config);
    for (int i = 0; i < nov && !st; i++) st = cfg_set(c, ov[i]);
    return st;
}

static void dec_list(char *buf, size_t n, const double *v, int k)
{
    buf[0] = '\0';
    for (int i = 0; i < k; i++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%.15g", i ? " " : "", v[i]);
}

/* The base's cross-field requirements. */
static int dec_check_base(const Cfg *c, const DecomposeConfig *dc, const SimSpec *b)
{
    if (b->fit.type != b->data.type || b->fit.k != b->data.k)
        return cfg_error(c, "data.family", "the base must be well-specified (data.family = "
                         "sim.family); the misspecified truth goes in decompose.data_family");
    if (b->weight == &weight_none)
        return cfg_error(c, "sim.weight", "decompose switches the weight off and on: the base "
                         "needs a weight");
    if (b->n == 0)
        return cfg_error(c, "sim.n", "decompose needs a finite sim.n (the n = inf cells are made "
                         "from it)");
    if (!dc->data_family[0])
        return cfg_error(c, "decompose.data_family", "set the misspecified truth's family");
    const DistType *t = dist_find(dc->data_family);
    if (!t) return cfg_error(c, "decompose.data_family", "unknown family '%s'", dc->data_family);
    if (t == b->fit.type && (!t->kname || dc->data_k == 0 || dc->data_k == b->fit.k))
        return cfg_error(c, "decompose.data_family", "the misspecified truth must not be a %s "
                         "of the model's size", t->name);
    return ERR_OK;
}

int decompose_specs(const char *config, char **ov, int nov, SimSpec specs[DECOMPOSE_CELLS],
                    DecomposeConfig *dc)
{
    Cfg c;
    SimSpec *base = xmalloc(sizeof *base);
    int st = dec_load(config, ov, nov, &c, dc);
    if (!st) st = simcfg_spec(&c, &dc->sim, base);
    if (!st) st = dec_check_base(&c, dc, base);
    cfg_release(&c);
    char pre[1024], params[1024], k[32];
    dec_list(pre, sizeof pre, base->theta_pre, base->fit.nparam);
    for (int i = 0; i < DECOMPOSE_CELLS && !st; i++) {
        int w = i & 1, mis = (i >> 1) & 1, fin = (i >> 2) & 1;
        DecomposeConfig cdc;
        if ((st = dec_load(config, ov, nov, &c, &cdc))) break;
        if (!w) st = cfg_set_value(&c, "sim.weight", "none", "decompose (weighting off)");
        if (!st && !fin) st = cfg_set_value(&c, "sim.n", "inf", "decompose (n = inf)");
        if (!st && !fin) st = cfg_set_value(&c, "sim.schedule", "constant", "decompose (n = inf)");
        if (!st && mis) {
            dec_list(params, sizeof params, cdc.data_params.v, cdc.data_params.n);
            snprintf(k, sizeof k, "%ld", cdc.data_k);
            st = cfg_set_value(&c, "data.family", cdc.data_family, "decompose.data_family");
            if (!st) st = cfg_set_value(&c, "data.k", k, "decompose.data_k");
            if (!st) st = cfg_set_value(&c, "data.params", params, "decompose.data_params");
            /* the pretrained model stays the base's (in the model family) */
            if (!st) st = cfg_set_value(&c, "pretrained.params", pre, "decompose (pretrained)");
        }
        if (!st) st = simcfg_spec(&c, &cdc.sim, &specs[i]);
        if (st)
            st = err_prefix(st, "decompose cell (weighting %s, n %s, %s)", w ? "on" : "off",
                            fin ? "finite" : "inf", mis ? "misspecified" : "well-specified");
        cfg_release(&c);
    }
    free(base);
    return st;
}

/* Runs one cell into r. */
static int dec_cell(const SimSpec *s, double z, int G, DecomposeCell *cell, int progress)
{
    ConditionReport rep;
    int st = conditions_check(s, &rep);
    if (st) return st;
    cell->necessary = rep.necessary;
    cell->sufficient = rep.sufficient;
    cell->pop = rep.pop;
    cell->n = s->n;
    double D = rep.truth_dispersion, tol = rep.tol;
    cell->bias_g = xcalloc((size_t)G * 4, sizeof *cell->bias_g);
    cell->bias_g_se = cell->bias_g + G;
    cell->disp_g = cell->bias_g_se + G;
    cell->disp_g_se = cell->disp_g + G;
    if (s->n > 0) {
        McResult mc;
        if ((st = mc_run(s, &mc, progress ? "replicates" : NULL))) goto done;
        conditions_mc_summary(s, &mc, &cell->s);
        cell->replicates = s->replicates;
        int M = s->nmetric, cb = loop_col(s, LOOP_M_BIAS), cd = loop_col(s, LOOP_M_DISPERSION);
        for (int g = 0; g < G; g++) {
            const double *sb = mc.stat + ((size_t)g * (size_t)M + (size_t)cb) * MC_NSTAT;
            const double *sd = mc.stat + ((size_t)g * (size_t)M + (size_t)cd) * MC_NSTAT;
            cell->bias_g[g] = sb[MC_MEAN];
            cell->bias_g_se[g] = sb[MC_SE];
            cell->disp_g[g] = sd[MC_MEAN] / D;
            cell->disp_g_se[g] = sd[MC_SE] / D;
        }
        mc_result_release(&mc);
        const CondMcSummary *m = &cell->s;
        cell->bias_sig = m->bias > z * m->bias_se ? 1 : m->bias < -z * m->bias_se ? -1 : 0;
        cell->collapse = m->disp_ratio < 1 - z * m->disp_ratio_se;
    } else {
        const CondGen *last = &rep.gen[G - 1];
        cell->replicates = 1;
        cell->s = (CondMcSummary){1, last->bias, 0, last->bias - rep.gen[0].bias, 0,
                                  last->dispersion / D, 0};
        for (int g = 0; g < G; g++) {
            cell->bias_g[g] = rep.gen[g].bias;
            cell->disp_g[g] = rep.gen[g].dispersion / D;
        }
        cell->bias_sig = last->bias > tol ? 1 : last->bias < -tol ? -1 : 0;
        cell->collapse = cell->s.disp_ratio < 1 - 1e-6;
    }
done:
    conditions_release(&rep);
    return st;
}

static void dec_meta(CsvLog *log, const SimSpec *base, const SimSpec *mis, double z)
{
    csvlog_meta(log, "family", "%s", base->fit.type->name);
    csvlog_meta(log, "data_family", "%s", base->data.type->name);
    csvlog_meta(log, "misspecified_family", "%s", mis->data.type->name);
    csvlog_meta(log, "weight", "%s", base->weight->name);
    csvlog_meta(log, "weight_scope", "%s", weight_scope_names[base->scope]);
    csvlog_meta(log, "mode", "%s", loop_mode_names[base->mode]);
    csvlog_meta(log, "n", "%ld", base->n);
    csvlog_meta(log, "generations", "%d", base->generations);
    csvlog_meta(log, "statistic", "%s", loop_statistic_names[base->statistic]);
    csvlog_meta(log, "z", "%.17g", z);
    csvlog_meta(log, "cell_codes", "cell = 4 finite_n + 2 misspecified + weighted");
}

static int dec_write(const DecomposeOpts *o, const SimSpec *specs, const DecomposeResult *res)
{
    static const char *const cols[] = {
        "cell",     "weighted",   "finite_n",   "misspecified", "n",         "replicates",
        "bias",     "bias_se",    "drift",      "drift_se",     "disp_ratio", "disp_ratio_se",
        "bias_sig", "collapse",   "necessary",  "sufficient",   "population"};
    enum { NC = sizeof cols / sizeof cols[0] };
    static const char *const gcols[] = {"cell",       "weighted",      "finite_n", "misspecified",
                                        "generation", "bias",          "bias_se",  "disp_ratio",
                                        "disp_ratio_se"};
    enum { NG = sizeof gcols / sizeof gcols[0] };
    char path[4096];
    CsvLog *log;
    int st = paths_join(path, sizeof path, o->dir, "decompose.csv");
    if (!st) st = csvlog_open(&log, path, "decompose_cells", o->run);
    if (st) return st;
    dec_meta(log, &specs[5], &specs[7], res->z);
    csvlog_meta(log, "population_codes", "none=0,amplified=1,bounded=2,shrinks=3,mixed=4");
    st = csvlog_header(log, cols, NC);
    for (int i = 0; i < DECOMPOSE_CELLS && !st; i++) {
        const DecomposeCell *c = &res->cell[i];
        double row[NC] = {i,           c->weighted,     c->finite,      c->misspecified,
                          c->n > 0 ? (double)c->n : INFINITY, (double)c->replicates,
                          c->s.bias,   c->s.bias_se,    c->s.drift,     c->s.drift_se,
                          c->s.disp_ratio, c->s.disp_ratio_se, c->bias_sig, c->collapse,
                          c->necessary, c->sufficient,  c->pop};
        st = csvlog_row(log, row);
    }
    int cst = csvlog_close(log, st == ERR_OK);
    if (st || cst) return st ? st : cst;
    if ((st = paths_join(path, sizeof path, o->dir, "decompose_generations.csv"))) return st;
    if ((st = csvlog_open(&log, path, "decompose_generations", o->run))) return st;
    dec_meta(log, &specs[5], &specs[7], res->z);
    st = csvlog_header(log, gcols, NG);
    for (int i = 0; i < DECOMPOSE_CELLS && !st; i++) {
        const DecomposeCell *c = &res->cell[i];
        for (int g = 0; g < res->generations && !st; g++) {
            double row[NG] = {i,           c->weighted,    c->finite,    c->misspecified, g,
                              c->bias_g[g], c->bias_g_se[g], c->disp_g[g], c->disp_g_se[g]};
            st = csvlog_row(log, row);
        }
    }
    cst = csvlog_close(log, st == ERR_OK);
    return st ? st : cst;
}

int decompose_run(const DecomposeOpts *o, DecomposeResult *res)
{
    memset(res, 0, sizeof *res);
    SimSpec *specs = xcalloc(DECOMPOSE_CELLS, sizeof *specs);
    DecomposeConfig dc;
    int st = decompose_specs(o->config, o->overrides, o->noverrides, specs, &dc);
    if (st) goto done;
    res->generations = specs[0].generations;
    res->z = dc.z;
    for (int i = 0; i < DECOMPOSE_CELLS && !st; i++) {
        DecomposeCell *c = &res->cell[i];
        c->weighted = i & 1;
        c->misspecified = (i >> 1) & 1;
        c->finite = (i >> 2) & 1;
        st = dec_cell(&specs[i], dc.z, res->generations, c, o->progress);
    }
    if (!par_is_root()) goto done; /* several MPI ranks: rank 0 writes */
    if (!st) st = dec_write(o, specs, res);
    if (!st && o->plot) {
        char data[4096], fig[4096], file[64], ttl[512];
        snprintf(file, sizeof file, "decompose.%s", simcfg_formats[dc.sim.plot_format]);
        snprintf(ttl, sizeof ttl, "%s%sbias comes from the weight, collapse from finite n\n"
                 "(%s model, %s or %s data, weight %s, n = %ld, %d generations; mean +- SE, "
                 "* = significant)",
                 dc.sim.title, dc.sim.title[0] ? ": " : "", specs[5].fit.type->name,
                 specs[5].data.type->name, specs[7].data.type->name, specs[5].weight->name,
                 specs[5].n, res->generations);
        st = paths_join(data, sizeof data, o->dir, "decompose.csv");
        if (!st) st = paths_join(fig, sizeof fig, o->dir, file);
        char mis[128];
        snprintf(mis, sizeof mis, "misspecified");
        const char *args[] = {data, fig, data, ttl, mis};
        if (!st) st = plot_render("decompose", args, 5, 1);
    }
done:
    free(specs);
    return st;
}

void decompose_release(DecomposeResult *res)
{
    if (!res) return;
    for (int i = 0; i < DECOMPOSE_CELLS; i++) free(res->cell[i].bias_g);
    memset(res, 0, sizeof *res);
}
