/* simcfg: the [sim], [data], [pretrained] and [plot] keys of a simulator config. */
#include "simcfg.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "err.h"
#include "family.h"
#include "weights.h"

static const char *const simcfg_modes[] = {"replace", NULL};
const char *const simcfg_formats[] = {"png", "svg", NULL};

#define F(field) offsetof(SimConfig, field)
const CfgKey simcfg_keys[] = {
    {"sim.family", CFG_ENUM, F(family), "beta", 0, 0, 0, dist_names,
     "model family fitted each generation"},
    {"sim.n", CFG_DOUBLE, F(n), "10000", 2, 1e9, CFG_INF_OK, NULL,
     "samples per generation (inf = the exact population map)"},
    {"sim.generations", CFG_INT, F(generations), "11", 1, 100000, 0, NULL,
     "number of fits (generation 0 is the fit on real data)"},
    {"sim.replicates", CFG_INT, F(replicates), "1", 1, 10000000, 0, NULL,
     "Monte Carlo replicates (each on its own PCG stream)"},
    {"sim.seed", CFG_INT, F(seed), "1", 0, 9.2e18, 0, NULL, "seed of every random stream"},
    {"sim.weight", CFG_ENUM, F(weight), "prev_density", 0, 0, 0, weight_names,
     "fit-time weight w(x)"},
    {"sim.gamma", CFG_DOUBLE, F(gamma), "1", 0, 1e6, 0, NULL,
     "exponent of density weights (w = p^gamma)"},
    {"sim.lambda", CFG_DOUBLE, F(lambda), "0", -1e6, 1e6, 0, NULL,
     "tilt strength (weight = tilt: w = exp(lambda x))"},
    {"sim.mode", CFG_ENUM, F(mode), "replace", 0, 0, 0, simcfg_modes,
     "loop mode: what each generation is trained on"},
    {"sim.trajectories", CFG_BOOL, F(trajectories), "false", 0, 0, 0, NULL,
     "also write trajectories.csv (one row per replicate and generation)"},
    {"sim.snapshots", CFG_DLIST, F(snapshots), "0 4 6 10", 0, 100000, 0, NULL,
     "generations drawn in the density figure"},
    {"data.family", CFG_ENUM, F(data_family), "beta", 0, 0, 0, dist_names,
     "family of the true data distribution"},
    {"data.params", CFG_DLIST, F(data_params), "2 2", -1e300, 1e300, 0, NULL,
     "parameters of the true distribution (beta: a b; gaussian: mu sigma)"},
    {"pretrained.params", CFG_DLIST, F(pre_params), "3 2", -1e300, 1e300, 0, NULL,
     "parameters of the pretrained model (in the model family)"},
    {"pretrained.n", CFG_DOUBLE, F(pre_n), "10000", 2, 1e9, CFG_INF_OK, NULL,
     "draws the pretrained model is fitted to by MLE (inf = use the parameters exactly)"},
    {"plot.title", CFG_STRING, F(title), "", 0, 0, 0, NULL, "title prefix of the figures"},
    {"plot.format", CFG_ENUM, F(plot_format), "png", 0, 0, 0, simcfg_formats,
     "figure format"},
    {NULL},
};
#undef F

static int simcfg_params(const Cfg *c, const char *key, const DistType *fam, const CfgDList *l,
                         double *theta)
{
    if (l->n != fam->nparam)
        return cfg_error(c, key, "%s needs %d parameters, got %d", fam->name, fam->nparam, l->n);
    memcpy(theta, l->v, (size_t)l->n * sizeof *theta);
    if (fam->check(theta)) return cfg_error(c, key, "%s", err_msg());
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

int simcfg_spec(const Cfg *c, const SimConfig *sc, SimSpec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->fit_family = dist_find(dist_names[sc->family]);
    spec->data_family = dist_find(dist_names[sc->data_family]);
    spec->weight = weight_find(weight_names[sc->weight]);
    spec->gamma = sc->gamma;
    spec->lambda = sc->lambda;
    spec->mode = (LoopMode)sc->mode;
    spec->seed = (uint64_t)sc->seed;
    spec->generations = (int)sc->generations;
    spec->replicates = sc->replicates;
    int st;
    if ((st = simcfg_count(c, "sim.n", sc->n, &spec->n))) return st;
    if ((st = simcfg_count(c, "pretrained.n", sc->pre_n, &spec->pre_n))) return st;
    if ((st = simcfg_params(c, "data.params", spec->data_family, &sc->data_params,
                            spec->theta_data)))
        return st;
    if ((st = simcfg_params(c, "pretrained.params", spec->fit_family, &sc->pre_params,
                            spec->theta_pre)))
        return st;
    for (int i = 0; i < sc->snapshots.n; i++) {
        double g = sc->snapshots.v[i];
        if (g != floor(g) || g >= (double)sc->generations)
            return cfg_error(c, "sim.snapshots", "%g is not a generation in 0..%ld", g,
                             sc->generations - 1);
    }
    if (spec->data_family->lo < spec->fit_family->lo || spec->data_family->hi > spec->fit_family->hi)
        return cfg_error(c, "data.family", "%s data lie outside the support of the %s model",
                         spec->data_family->name, spec->fit_family->name);
    return ERR_OK;
}
