/* theory: conjugate closed forms of the weighted-MLE population map. Products of Beta (Gaussian)
 * densities are Beta (Gaussian), exponential tilts of exponential families stay in them, and an
 * MLE fitted to a law of its own family recovers it. */
#include "theory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

static void theory_categorical(const SimSpec *s, const double *lp, double *theta)
{
    int K = s->fit.k;
    double m = -INFINITY, z = 0;
    for (int c = 0; c < K; c++) m = fmax(m, lp[c]);
    for (int c = 0; c < K; c++) z += theta[c] = exp(lp[c] - m);
    for (int c = 0; c < K; c++) theta[c] /= z;
}

int theory_closed_form(const SimSpec *s, int g, double *theta)
{
    const Dist *f = &s->fit;
    if (f->type != s->data.type || f->k != s->data.k || s->mode != LOOP_REPLACE ||
        s->scope != WEIGHT_SCOPE_ALL)
        return 0;
    const DistType *t = f->type;
    const double *ts = s->theta_data, *tp = s->theta_pre;
    double gm = s->gamma, tau = s->temperature;
    if (t == &dist_categorical && (s->weight == &weight_none || s->weight == &weight_tilt ||
                                   s->weight == &weight_category)) {
        /* log p_g = tau^-g log p* + (sum of the per-fit boosts, each tempered by later fits) */
        double lp[DIST_PARAM_MAX], lb = 0;
        if (s->weight == &weight_tilt) lb = s->lambda;
        if (s->weight == &weight_category) lb = log1p(s->boost);
        for (int c = 0; c < f->k; c++) {
            if (ts[c] == 0) {
                lp[c] = -INFINITY;
                continue;
            }
            double acc = log(ts[c]);
            for (int k = 0; k <= g; k++) {
                if (k > 0) acc /= tau;
                if (c == s->cls) acc += lb;
            }
            lp[c] = acc;
        }
        theory_categorical(s, lp, theta);
        return 1;
    }
    if (tau != 1) return 0;
    if (s->weight == &weight_none) {
        memcpy(theta, ts, (size_t)f->nparam * sizeof *theta);
        return 1;
    }
    if (t == &dist_beta && s->weight == &weight_prev_density) {
        for (int j = 0; j < 2; j++)
            theta[j] = 1 + pow(1 + gm, g) * (ts[j] - 1 + gm * (tp[j] - 1));
        return 1;
    }
    if (t == &dist_beta && s->weight == &weight_pre_density) {
        for (int j = 0; j < 2; j++) theta[j] = ts[j] + (g + 1) * gm * (tp[j] - 1);
        return 1;
    }
    if (t == &dist_gaussian &&
        (s->weight == &weight_prev_density || s->weight == &weight_pre_density)) {
        double tau_s = 1 / (ts[1] * ts[1]), tau_p = gm / (tp[1] * tp[1]);
        double prec = tau_s + tau_p, mu = (tau_s * ts[0] + tau_p * tp[0]) / prec;
        for (int k = 1; k <= g; k++) {
            if (s->weight == &weight_prev_density) {
                prec *= 1 + gm; /* N(mu, 1/tau) times N(mu, 1/tau)^gamma */
            } else {
                mu = (prec * mu + tau_p * tp[0]) / (prec + tau_p);
                prec += tau_p;
            }
        }
        theta[0] = mu;
        theta[1] = 1 / sqrt(prec);
        return 1;
    }
    if (t == &dist_gaussian && s->weight == &weight_tilt) {
        theta[0] = ts[0] + (g + 1) * s->lambda * ts[1] * ts[1];
        theta[1] = ts[1];
        return 1;
    }
    if (t == &dist_poisson && s->weight == &weight_tilt) {
        theta[0] = ts[0] * exp((g + 1) * s->lambda);
        return 1;
    }
    return 0;
}

/* ---- the library of named forms (the table is theory_forms.c) ------------------------------ */

const char *const theory_kind_names[] = {"mc", "pop", "bound", "limit", NULL};

const TheoryForm *theory_find(const char *name)
{
    for (const TheoryForm *f = theory_forms; f->name; f++)
        if (strcmp(f->name, name) == 0) return f;
    return NULL;
}

int theory_eval(const char *name, const double *a, int na, double t, double *out)
{
    const TheoryForm *f = theory_find(name);
    if (!f) return err_set(ERR_INVAL, "no closed form called '%s' (biasamp theory --list)", name);
    if (na < f->nargs_min || na > f->nargs_max)
        return err_set(ERR_INVAL, "%s takes %d%s%d arguments (%s), got %d", name, f->nargs_min,
                       f->nargs_max > f->nargs_min ? " to " : "",
                       f->nargs_max > f->nargs_min ? f->nargs_max : f->nargs_min, f->args, na);
    *out = f->eval(a, na, t);
    return ERR_OK;
}

int theory_applicable(const SimSpec *s, TheoryApplied *list, int max)
{
    int n = 0;
    for (const TheoryForm *f = theory_forms; f->name && n < max; f++) {
        if (!f->applies) continue;
        TheoryApplied ap = {f, 0, {0}};
        if (f->applies(s, ap.a, &ap.na)) list[n++] = ap;
    }
    return n;
}

static int theory_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void theory_compare(const SimSpec *s, const TheoryApplied *ap, const double *pop,
                    const McResult *mc, double zmax, TheoryCompare *c)
{
    const TheoryForm *f = ap->form;
    int G = s->generations, M = s->nmetric;
    memset(c, 0, sizeof *c);
    c->pred = xcalloc((size_t)G * 6, sizeof *c->pred);
    c->mc = c->pred + G;
    c->mc_se = c->mc + G;
    c->q05 = c->mc_se + G;
    c->q95 = c->q05 + G;
    c->pop = c->q95 + G;
    long R = mc ? mc->replicates : 0;
    double *v = R ? xcalloc((size_t)R, sizeof *v) : NULL, row[LOOP_METRIC_MAX];
    c->g_check = -1;
    c->z = c->pop_err = NAN;
    c->agrees = -1;
    for (int g = 0; g < G; g++) {
        c->pred[g] = f->eval(ap->a, ap->na, g + 1);
        c->pop[g] = pop ? f->observe(s, ap->a, ap->na, pop + (size_t)g * (size_t)M) : NAN;
        c->mc[g] = c->mc_se[g] = c->q05[g] = c->q95[g] = NAN;
        size_t k = 0;
        for (long r = 0; r < R; r++) {
            mc_row(mc, r, g, row);
            double x = f->observe(s, ap->a, ap->na, row);
            if (isfinite(x)) v[k++] = x;
        }
        if (k > 0) {
            double m = 0, ss = 0;
            for (size_t i = 0; i < k; i++) m += v[i];
            m /= (double)k;
            for (size_t i = 0; i < k; i++) ss += (v[i] - m) * (v[i] - m);
            c->mc[g] = m;
            c->mc_se[g] = k > 1 ? sqrt(ss / (double)(k - 1) / (double)k) : NAN;
            qsort(v, k, sizeof *v, theory_cmp_double);
            c->q05[g] = v[(size_t)floor(0.05 * (double)(k - 1))];
            c->q95[g] = v[(size_t)ceil(0.95 * (double)(k - 1))];
        }
        if (isfinite(c->pred[g])) c->g_check = g;
    }
    free(v);
    int g = c->g_check;
    if (g < 0) return;
    if (f->kind == THEORY_POP) {
        if (!isfinite(c->pop[g])) return;
        c->pop_err = c->pop[g] - c->pred[g];
        double scale = fmax(fabs(c->pred[g]), s->truth_sd > 0 ? s->truth_sd : 1);
        c->agrees = fabs(c->pop_err) <= (f->exact ? 1e-6 : 0.05) * scale;
    } else if (isfinite(c->mc[g])) {
        double se = c->mc_se[g];
        double d = c->mc[g] - c->pred[g];
        c->z = se > 0 ? d / se : (d == 0 ? 0 : copysign(INFINITY, d));
        /* a limit is only shown: the horizon is finite */
        c->agrees = f->kind == THEORY_LIMIT   ? -1
                    : f->kind == THEORY_BOUND ? c->z <= zmax
                                              : fabs(c->z) <= zmax;
    }
}

void theory_compare_release(TheoryCompare *c)
{
    if (!c) return;
    free(c->pred);
    memset(c, 0, sizeof *c);
}
