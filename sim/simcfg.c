/* simcfg: the [sim], [data], [pretrained] and [plot] keys of a simulator config. */
#include "simcfg.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "family.h"
#include "popmap.h"
#include "weights.h"

const char *const simcfg_formats[] = {"png", "svg", NULL};

#define F(field) offsetof(SimConfig, field)
const CfgKey simcfg_keys[] = {
    {"sim.family", CFG_ENUM, F(family), "beta", 0, 0, 0, dist_names,
     "model family fitted each generation"},
    {"sim.k", CFG_INT, F(k), "0", 0, 64, 0, NULL,
     "size of the model family: d, K classes, components, p regressors (0: default)"},
    {"sim.n", CFG_DOUBLE, F(n), "10000", 2, 1e9, CFG_INF_OK, NULL,
     "samples at generation 0 (inf = the exact population map)"},
    {"sim.schedule", CFG_ENUM, F(schedule), "constant", 0, 0, 0, loop_schedule_names,
     "sample size n_t: constant n, linear n + growth t, geometric n growth^t"},
    {"sim.growth", CFG_DOUBLE, F(growth), "0", -1e9, 1e9, 0, NULL,
     "schedule growth: samples added per generation (linear) or ratio (geometric)"},
    {"sim.generations", CFG_INT, F(generations), "11", 1, 100000, 0, NULL,
     "number of fits (generation 0 is the fit on real data)"},
    {"sim.replicates", CFG_INT, F(replicates), "1", 1, 10000000, 0, NULL,
     "Monte Carlo replicates (each on its own PCG stream)"},
    {"sim.seed", CFG_INT, F(seed), "1", 0, 9.2e18, 0, NULL, "seed of every random stream"},
    {"sim.mode", CFG_ENUM, F(mode), "replace", 0, 0, 0, loop_mode_names,
     "loop mode: what each generation is trained on"},
    {"sim.rho", CFG_DOUBLE, F(rho), "0.5", 0, 1, 0, NULL,
     "fraction of real samples per generation (preserve modes)"},
    {"sim.pool_n", CFG_DOUBLE, F(pool_n), "0", 0, 1e9, 0, NULL,
     "size of the fixed real pool (preserve_pool; 0: n_0)"},
    {"sim.weight", CFG_ENUM, F(weight), "prev_density", 0, 0, 0, weight_names,
     "fit-time weight w(x)"},
    {"sim.scope", CFG_ENUM, F(scope), "all", 0, 0, 0, weight_scope_names,
     "where the weight applies: all (the whole training pool) or synthetic (generated part)"},
    {"sim.gamma", CFG_DOUBLE, F(gamma), "1", 0, 1e6, 0, NULL,
     "exponent of density weights (w = p^gamma)"},
    {"sim.lambda", CFG_DOUBLE, F(lambda), "0", -1e6, 1e6, 0, NULL,
     "tilt strength (w = exp(lambda s(x))) and best-of-K reward scale (r = lambda s(x))"},
    {"sim.boost", CFG_DOUBLE, F(boost), "0", -0.999999, 1e6, 0, NULL,
     "category weight: w = 1 + boost on sim.class"},
    {"sim.best_of", CFG_INT, F(best_of), "2", 1, 256, 0, NULL,
     "best_of_k: candidates K drawn per kept sample"},
    {"sim.statistic", CFG_ENUM, F(statistic), "mean", 0, 0, 0, loop_statistic_names,
     "bias statistic: mean of sim.coord, share of sim.class, quantile of sim.coord"},
    {"sim.coord", CFG_INT, F(coord), "0", 0, 8, 0, NULL,
     "coordinate of the statistic s(x) (1-based; 0: y for linreg, else 1)"},
    {"sim.class", CFG_INT, F(cls), "1", 1, 64, 0, NULL,
     "class of the statistic, the category weight and the categorical tilt (1-based)"},
    {"sim.quantile", CFG_DOUBLE, F(quantile), "0.5", 1e-9, 1 - 1e-9, 0, NULL,
     "quantile level (statistic = quantile)"},
    {"sim.temperature", CFG_DOUBLE, F(temperature), "1", 1e-3, 1e3, 0, NULL,
     "generator temperature: p^(1/tau) for categorical, variance times tau for Gaussians"},
    {"sim.ddof", CFG_INT, F(ddof), "0", 0, 1, 0, NULL,
     "1: unbiased variance refit (Gaussian families: n/(n-1); linreg: n/(n-p))"},
    {"sim.trajectories", CFG_BOOL, F(trajectories), "false", 0, 0, 0, NULL,
     "also write trajectories.csv (one row per replicate and generation)"},
    {"sim.snapshots", CFG_DLIST, F(snapshots), "0 4 6 10", 0, 100000, 0, NULL,
     "generations drawn in the density figure"},
    {"sim.class_names", CFG_STRING, F(class_names), "", 0, 0, 0, NULL,
     "categorical: K snake_case class names for share_<name> columns (default 1..K)"},
    {"data.family", CFG_ENUM, F(data_family), "beta", 0, 0, 0, dist_names,
     "family of the true data distribution"},
    {"data.k", CFG_INT, F(data_k), "0", 0, 64, 0, NULL,
     "size of the data family (0: sim.k when the families match, else its default)"},
    {"data.params", CFG_DLIST, F(data_params), "2 2", -1e300, 1e300, 0, NULL,
     "parameters of the true distribution (see the families table)"},
    {"pretrained.params", CFG_DLIST, F(pre_params), "", -1e300, 1e300, 0, NULL,
     "parameters of the pretrained model, in the model family (empty: the truth)"},
    {"pretrained.n", CFG_DOUBLE, F(pre_n), "10000", 2, 1e9, CFG_INF_OK, NULL,
     "draws the pretrained model is fitted to by MLE (inf = use the parameters exactly)"},
    {"plot.title", CFG_STRING, F(title), "", 0, 0, 0, NULL, "title prefix of the figures"},
    {"plot.format", CFG_ENUM, F(plot_format), "png", 0, 0, 0, simcfg_formats,
     "figure format"},
    {NULL},
};
#undef F

static int simcfg_params(const Cfg *c, const char *key, const Dist *fam, const CfgDList *l,
                         double *theta)
{
    if (dist_parse(fam, l->v, l->n, theta)) return cfg_error(c, key, "%s", err_msg());
    return ERR_OK;
}

static int simcfg_count(const Cfg *c, const char *key, double v, long *out)
{
    if (isinf(v)) {
        *out = 0;
        return ERR_OK;
    }
    if (v != floor(v)) return cfg_error(c, key, "%g is not a whole number", v);
    *out = (long)v;
    return ERR_OK;
}

static int simcfg_class_names(const Cfg *c, const SimConfig *sc, SimSpec *s)
{
    if (!sc->class_names[0]) return ERR_OK;
    if (s->fit.type != &dist_categorical)
        return cfg_error(c, "sim.class_names", "only categorical models have classes");
    char buf[CFG_STR_MAX];
    snprintf(buf, sizeof buf, "%s", sc->class_names);
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
        if (n == s->fit.k)
            return cfg_error(c, "sim.class_names", "more than K = %d names", s->fit.k);
        for (const char *p = tok; *p; p++)
            if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
                return cfg_error(c, "sim.class_names", "'%s' is not snake_case", tok);
        if (strlen(tok) > 16) return cfg_error(c, "sim.class_names", "'%s' is too long", tok);
        snprintf(s->class_names[n++], DIST_PNAME_MAX, "%s", tok);
    }
    if (n != s->fit.k)
        return cfg_error(c, "sim.class_names", "%d names for K = %d classes", n, s->fit.k);
    return ERR_OK;
}

/* Data and model must produce comparable samples. */
static int simcfg_compatible(const Cfg *c, const SimSpec *s)
{
    const Dist *d = &s->data, *f = &s->fit;
    if (d->dim != f->dim || (f->dim > 1 && (d->type != f->type || d->k != f->k)))
        return cfg_error(c, "data.family", "%s data (dimension %d) cannot be modelled by %s "
                         "(dimension %d): multi-coordinate families need the same family and size",
                         d->type->name, d->dim, f->type->name, f->dim);
    if (f->type == &dist_categorical && (d->type != f->type || d->k != f->k))
        return cfg_error(c, "data.family", "a categorical model needs categorical data with the "
                         "same K");
    if (f->type->discrete && !d->type->discrete)
        return cfg_error(c, "data.family", "%s data are not counts for the %s model",
                         d->type->name, f->type->name);
    if (d->lo < f->lo || d->hi > f->hi)
        return cfg_error(c, "data.family", "%s data lie outside the support of the %s model",
                         d->type->name, f->type->name);
    return ERR_OK;
}

int simcfg_spec(const Cfg *c, const SimConfig *sc, SimSpec *spec)
{
    memset(spec, 0, sizeof *spec);
    const DistType *ft = dist_find(dist_names[sc->family]);
    const DistType *dt = dist_find(dist_names[sc->data_family]);
    int st;
    if (dist_init(&spec->fit, ft, (int)sc->k)) return cfg_error(c, "sim.k", "%s", err_msg());
    int dk = (int)sc->data_k;
    if (dk == 0 && dt == ft) dk = spec->fit.k;
    if (dist_init(&spec->data, dt, dk)) return cfg_error(c, "data.k", "%s", err_msg());
    spec->weight = weight_find(weight_names[sc->weight]);
    spec->scope = (WeightScope)sc->scope;
    spec->gamma = sc->gamma;
    spec->lambda = sc->lambda;
    spec->boost = sc->boost;
    spec->best_of = (int)sc->best_of;
    spec->statistic = (LoopStatistic)sc->statistic;
    /* a categorical model's natural statistic is a class share, not the mean class index */
    if (ft == &dist_categorical && strcmp(cfg_origin(c, "sim.statistic"), "default") == 0)
        spec->statistic = LOOP_STAT_SHARE;
    spec->q = sc->quantile;
    spec->mode = (LoopMode)sc->mode;
    spec->rho = sc->rho;
    spec->schedule = (LoopSchedule)sc->schedule;
    spec->growth = sc->growth;
    spec->temperature = sc->temperature;
    spec->ddof = (int)sc->ddof;
    spec->seed = (uint64_t)sc->seed;
    spec->generations = (int)sc->generations;
    spec->replicates = sc->replicates;
    if ((st = simcfg_count(c, "sim.n", sc->n, &spec->n))) return st;
    if ((st = simcfg_count(c, "pretrained.n", sc->pre_n, &spec->pre_n))) return st;
    if ((st = simcfg_count(c, "sim.pool_n", sc->pool_n, &spec->pool_n))) return st;
    if ((st = simcfg_compatible(c, spec))) return st;
    if ((st = simcfg_params(c, "data.params", &spec->data, &sc->data_params, spec->theta_data)))
        return st;
    if (sc->pre_params.n == 0) {
        if (dt != ft || spec->data.k != spec->fit.k)
            return cfg_error(c, "data.family", "%s data with a %s model: set pretrained.params "
                             "(the truth is not a %s model)", dt->name, ft->name, ft->name);
        memcpy(spec->theta_pre, spec->theta_data, sizeof spec->theta_pre);
    } else if ((st = simcfg_params(c, "pretrained.params", &spec->fit, &sc->pre_params,
                                   spec->theta_pre))) {
        return st;
    }
    if ((st = simcfg_class_names(c, sc, spec))) return st;

    /* the statistic */
    int cat = ft == &dist_categorical;
    spec->coord = sc->coord > 0 ? (int)sc->coord - 1 : (ft == &dist_linreg ? spec->fit.dim - 1 : 0);
    if (spec->coord >= spec->fit.dim)
        return cfg_error(c, "sim.coord", "%ld is not a coordinate of %s samples (1..%d)", sc->coord,
                         ft->name, spec->fit.dim);
    spec->cls = (int)sc->cls - 1;
    int uses_class = spec->statistic == LOOP_STAT_SHARE || spec->weight == &weight_category ||
                     (cat && (spec->weight == &weight_tilt || spec->weight == &weight_best_of_k));
    if (uses_class && !cat)
        return cfg_error(c, spec->statistic == LOOP_STAT_SHARE ? "sim.statistic" : "sim.weight",
                         "'%s' needs a categorical model (got %s)",
                         spec->statistic == LOOP_STAT_SHARE ? "share" : spec->weight->name,
                         ft->name);
    if (cat && spec->cls >= spec->fit.k)
        return cfg_error(c, "sim.class", "%ld is not a class (1..%d)", sc->cls, spec->fit.k);

    /* sample sizes */
    if (spec->schedule != LOOP_SCHED_CONSTANT && spec->n == 0)
        return cfg_error(c, "sim.schedule", "a growing schedule needs a finite sim.n");
    if (spec->schedule == LOOP_SCHED_GEOMETRIC && !(sc->growth > 0))
        return cfg_error(c, "sim.growth", "a geometric schedule needs a ratio > 0 (got %g)",
                         sc->growth);
    double total = 0;
    for (int g = 0; g < spec->generations && spec->n > 0; g++) {
        long ng = loop_n(spec, g);
        if (ng < 2 || ng > 1000000000)
            return cfg_error(c, "sim.growth", "n_%d = %ld is outside [2, 1e9]", g, ng);
        total += (double)ng;
        if ((spec->mode == LOOP_PRESERVE || spec->mode == LOOP_PRESERVE_POOL) && g > 0) {
            long nr = lround(spec->rho * ng);
            if (spec->mode == LOOP_PRESERVE_POOL && spec->pool_n > 0 && nr > spec->pool_n)
                return cfg_error(c, "sim.pool_n", "%ld real samples needed at generation %d",
                                 nr, g);
        }
    }
    double nmax = 0;
    for (int g = 0; g < spec->generations && spec->n > 0; g++)
        nmax = fmax(nmax, (double)loop_n(spec, g));
    if (spec->weight->curate && nmax * spec->best_of * spec->fit.dim > 4e8)
        return cfg_error(c, "sim.best_of", "%d candidates for %.0f samples need too much memory",
                         spec->best_of, nmax);
    if ((spec->mode == LOOP_ACCUMULATE || spec->mode == LOOP_ACCUMULATE_SUBSAMPLE) &&
        total * spec->fit.dim > 4e8)
        return cfg_error(c, "sim.mode", "accumulating %.0f samples needs too much memory", total);
    if (spec->mode == LOOP_PRESERVE_POOL && spec->n > 0) {
        if (spec->pool_n == 0) spec->pool_n = spec->n;
        if (spec->pool_n < loop_n(spec, 0))
            return cfg_error(c, "sim.pool_n", "the pool (%ld) is smaller than n_0 = %ld",
                             spec->pool_n, loop_n(spec, 0));
    }

    /* weights and generator knobs */
    if (spec->weight->curate && spec->mode == LOOP_PRESERVE_POOL &&
        spec->scope == WEIGHT_SCOPE_ALL)
        return cfg_error(c, "sim.scope", "best_of_k curates fresh draws: with a fixed real pool "
                         "use scope = synthetic");
    if (spec->weight == &weight_category && !cat)
        return cfg_error(c, "sim.weight", "category weights need a categorical model");
    if (spec->temperature != 1 && !ft->temper)
        return cfg_error(c, "sim.temperature", "%s models have no temperature knob", ft->name);
    if (spec->ddof && !ft->unbias)
        return cfg_error(c, "sim.ddof", "no unbiased refit is defined for %s", ft->name);
    if (spec->n == 0 && spec->fit.dim > 1 && spec->weight == &weight_category)
        return cfg_error(c, "sim.n", "no population map for this weight");
    /* density snapshots; the default list is cut to the generations that exist */
    int snap_default = strcmp(cfg_origin(c, "sim.snapshots"), "default") == 0;
    for (int i = 0; i < sc->snapshots.n && spec->nsnap < 16; i++) {
        double g = sc->snapshots.v[i];
        if (g != floor(g) || g >= (double)sc->generations) {
            if (snap_default) continue;
            return cfg_error(c, "sim.snapshots", "%g is not a generation in 0..%ld", g,
                             sc->generations - 1);
        }
        spec->snap[spec->nsnap++] = (int)g;
    }
    if (snap_default && spec->generations > 1 &&
        spec->snap[spec->nsnap - 1] != spec->generations - 1)
        spec->snap[spec->nsnap++] = spec->generations - 1;
    loop_prepare(spec);
    return ERR_OK;
}
