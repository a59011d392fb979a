/* conditions: the population verdicts (necessary and sufficient conditions, the trajectory's
 * shape, the covariance form of the push) and the Monte Carlo agreement. The push of fit t+1 is
 * recomputed on the node rules of its training pool, independently of the fit: for a fit that
 * matches the mean of s, phi(T theta) = sum_c pi_c E_{Q_c w_c}[s], hence
 *   Delta_t = sum_c pi_c Cov_{Q_c}(w_c, s) / E_{Q_c}[w_c] + (sum_c pi_c E_{Q_c}[s] - phi(theta_t))
 * (push: the weight's selection; pull: what the pool's laws themselves move). */
#include "conditions.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "popmap.h"
#include "theory.h"
#include "xalloc.h"

const char *conditions_verdict_name(CondVerdict v)
{
    return v == COND_HOLDS ? "holds" : v == COND_FAILS ? "fails" : "n/a";
}

const char *conditions_pop_name(CondPop p)
{
    static const char *const names[] = {"none", "amplified", "bounded", "shrinks", "mixed"};
    return p >= 0 && p <= COND_POP_MIXED ? names[p] : "?";
}

const char *conditions_mc_name(CondMc m)
{
    switch (m) {
    case COND_MC_NONE: return "no drift";
    case COND_MC_AMPLIFIED: return "amplified";
    case COND_MC_SHRINKS: return "shrinks";
    default: return "not run";
    }
}

double conditions_truth_dispersion(const SimSpec *s)
{
    if (s->fit.type == &dist_categorical && s->data.type == &dist_categorical) {
        double g = 1;
        for (int c = 0; c < s->data.k; c++) g -= s->theta_data[c] * s->theta_data[c];
        return g;
    }
    return s->truth_sd;
}

/* The scale of the statistic (its sd under the truth): tolerances are relative to it. */
static double cond_scale(const SimSpec *s)
{
    double sc = s->truth_sd;
    if (s->statistic == LOOP_STAT_SHARE) {
        double p = s->theta_data[s->cls];
        sc = sqrt(p * (1 - p));
    }
    return isfinite(sc) && sc > 0 ? sc : 1;
}

/* 1 when the model's fit matches the mean of the statistic s(x), so that Delta = push + pull
 * exactly; *note says why (not). */
static int cond_cov_exact(const SimSpec *s, const char **note)
{
    const DistType *t = s->fit.type;
    if (s->fit.dim != 1) {
        *note = "multi-coordinate family: push and pull not computed";
        return 0;
    }
    if (s->statistic == LOOP_STAT_QUANTILE) {
        *note = "quantile statistic: not a mean, no covariance form";
        return 0;
    }
    if (t == &dist_beta) {
        /* density weights keep a Beta pool Beta, and a Beta fit recovers a Beta law */
        int conj = s->data.type == &dist_beta && s->temperature == 1 &&
                   (s->weight == &weight_none || s->weight == &weight_prev_density ||
                    s->weight == &weight_pre_density);
        *note = conj ? "Beta products stay Beta and the fit recovers them: Delta = push + pull"
                     : "Beta fits match E[log x], E[log(1-x)], not E[x]: push + pull is a "
                       "first-order approximation of Delta";
        return conj;
    }
    if (t == &dist_mixture) {
        *note = "mixture MLE (EM) matches the weighted mean at convergence: Delta = push + pull";
        return 1;
    }
    *note = "exponential family with s among its statistics: Delta = Cov(w, s)/E[w] + pull";
    return 1;
}

/* s(x) of one node (1-D families): the statistic's integrand. */
static double cond_s(const SimSpec *s, double x)
{
    if (s->statistic == LOOP_STAT_SHARE) return (int)x == s->cls;
    return x;
}

/* E_Q[s] and, for a weighted block, Cov_Q(w, s)/E_Q[w] on Q's node rule. */
static int cond_block(const SimSpec *s, const PopPart *p, const WeightCtx *ctx, double *es,
                      double *push)
{
    const WeightType *wt = p->weighted ? s->weight : &weight_none;
    double *x, *lm;
    size_t n;
    int st = pop_nodes(p->q, p->theta, wt, ctx, &x, &lm, &n);
    if (st) return st;
    double *lw = xcalloc(n, sizeof *lw), mq = -INFINITY, mw = -INFINITY;
    weight_nodes(wt, ctx, x, lm, n, lw);
    for (size_t i = 0; i < n; i++) {
        mq = fmax(mq, lm[i]);
        if (isfinite(lm[i])) mw = fmax(mw, lw[i]);
    }
    double Z = 0, S = 0;
    for (size_t i = 0; i < n; i++) {
        double q = exp(lm[i] - mq);
        Z += q;
        S += q * cond_s(s, x[i]);
    }
    *es = S / Z;
    *push = 0;
    if (p->weighted && wt->logw == NULL && !wt->curate) goto done; /* unweighted */
    if (p->weighted) {
        double Ew = 0, C = 0;
        for (size_t i = 0; i < n; i++) {
            double q = exp(lm[i] - mq) / Z, w = isfinite(lw[i]) ? exp(lw[i] - mw) : 0;
            Ew += q * w;
            C += q * w * (cond_s(s, x[i]) - *es);
        }
        if (!(Ew > 0)) st = err_set(ERR_NUMERIC, "conditions: the weight vanishes on a block");
        else *push = C / Ew;
    }
done:
    free(x);
    free(lm);
    free(lw);
    return st;
}

/* push and pull of the fit after generation t (theta[k] = the population fits 0..t). */
static int cond_push_pull(const SimSpec *s, const double *fits, int t, double *push, double *pull)
{
    const Dist *fam = &s->fit;
    int np = fam->nparam, nparts = 0, st = ERR_OK;
    double *gens = xcalloc((size_t)(t + 1) * DIST_PARAM_MAX, sizeof *gens);
    PopPart *parts = xcalloc((size_t)t + 3, sizeof *parts);
    for (int k = 0; k <= t; k++) {
        const double *th = fits + (size_t)k * DIST_PARAM_MAX;
        double *gk = gens + (size_t)k * DIST_PARAM_MAX;
        if (fam->type->temper && s->temperature != 1)
            fam->type->temper(fam, th, s->temperature, gk);
        else
            memcpy(gk, th, (size_t)np * sizeof *gk);
    }
    /* the pool of generation g = t + 1, as loop_population builds it */
    int g = t + 1, all = s->scope == WEIGHT_SCOPE_ALL;
    if (s->mode == LOOP_ACCUMULATE || s->mode == LOOP_ACCUMULATE_SUBSAMPLE) {
        double nreal = s->n > 0 ? (double)loop_n(s, 0) : 1, tot = nreal;
        for (int k = 1; k <= g; k++) tot += s->n > 0 ? (double)loop_n(s, k) : 1;
        parts[nparts++] = (PopPart){&s->data, s->theta_data, nreal / tot, all};
        for (int k = 1; k <= g; k++)
            parts[nparts++] = (PopPart){fam, gens + (size_t)(k - 1) * DIST_PARAM_MAX,
                                        (s->n > 0 ? (double)loop_n(s, k) : 1) / tot, 1};
    } else if (s->mode == LOOP_PRESERVE || s->mode == LOOP_PRESERVE_POOL) {
        parts[nparts++] = (PopPart){&s->data, s->theta_data, s->rho, all};
        parts[nparts++] = (PopPart){fam, gens + (size_t)t * DIST_PARAM_MAX, 1 - s->rho, 1};
    } else {
        parts[nparts++] = (PopPart){fam, gens + (size_t)t * DIST_PARAM_MAX, 1, 1};
    }
    const double *prev = fits + (size_t)t * DIST_PARAM_MAX;
    WeightCtx ctx = {fam,      prev,      s->theta_pre, s->gamma,  s->lambda,
                     s->coord, s->cls,    s->boost,     s->best_of};
    double es_pool = 0, pu = 0, mean[DIST_DIM_MAX], cov[DIST_DIM_MAX * DIST_DIM_MAX];
    for (int c = 0; c < nparts && !st; c++) {
        if (parts[c].pi <= 0) continue;
        double es = 0, pc = 0;
        st = cond_block(s, &parts[c], &ctx, &es, &pc);
        es_pool += parts[c].pi * es;
        pu += parts[c].pi * pc;
    }
    if (!st) {
        double phi;
        if (s->statistic == LOOP_STAT_SHARE) {
            phi = prev[s->cls];
        } else {
            fam->type->moments(fam, prev, mean, cov);
            phi = mean[0];
        }
        *push = pu;
        *pull = es_pool - phi;
    }
    free(gens);
    free(parts);
    return st;
}

/* The closed-form bias at t fits: the conjugate population map where known, else the named
 * constant-push forms (mean statistics). nan when none applies. */
static void cond_closed_bias(const SimSpec *s, ConditionReport *r)
{
    const Dist *f = &s->fit;
    double th[DIST_PARAM_MAX], row[LOOP_METRIC_MAX];
    int G = r->generations;
    for (int g = 0; g < G; g++) r->gen[g].bias_closed = NAN;
    if (theory_closed_form(s, 0, th)) {
        for (int g = 0; g < G; g++) {
            FitInfo fi = {1, 0};
            theory_closed_form(s, g, th);
            loop_metrics(s, th, &fi, INFINITY, INFINITY, row);
            r->gen[g].bias_closed = row[loop_col(s, LOOP_M_BIAS)];
        }
        return;
    }
    if (s->statistic != LOOP_STAT_MEAN || f->dim != 1) return;
    static const char *const names[] = {"push_preserve", "push_accumulate", "mle_fixed_point"};
    TheoryApplied ap;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ap.form = theory_find(names[i]);
        if (!ap.form->applies(s, ap.a, &ap.na)) continue;
        for (int g = 0; g < G; g++) r->gen[g].bias_closed = ap.form->eval(ap.a, ap.na, g + 1);
        return;
    }
}

/* The trajectory's shape over b_0 .. b_{G-1} (and b_limit for a bounded one). */
static void cond_shape(ConditionReport *r)
{
    int G = r->generations, last = G > 1 ? G - 2 : 0; /* moves Delta_0 .. Delta_{G-2} */
    double tol = r->tol;
    const CondGen *g = r->gen;
    r->b_limit = NAN;
    int moves = 0, up = 1, down = 1, sgn = 0;
    for (int t = G - 1; t >= 0 && !sgn; t--)
        if (fabs(g[t].bias) > tol) sgn = g[t].bias > 0 ? 1 : -1;
    if (!sgn) sgn = g[0].delta >= 0 ? 1 : -1;
    for (int t = 0; t <= last; t++) {
        if (!isfinite(g[t].delta)) {
            r->pop = COND_POP_MIXED;
            return;
        }
        if (fabs(g[t].delta) > tol) moves = 1;
        if (sgn * g[t].delta < -tol) up = 0;
        if (sgn * g[t].delta > tol) down = 0;
    }
    if (!moves) {
        r->pop = COND_POP_NONE;
        return;
    }
    for (int t = 0; t < G; t++)
        if (fabs(g[t].bias) > tol && (g[t].bias > 0 ? 1 : -1) != sgn) {
            r->pop = COND_POP_MIXED;
            return;
        }
    if (!up && !down) {
        r->pop = COND_POP_MIXED;
        return;
    }
    if (down) {
        r->pop = COND_POP_SHRINKS;
        return;
    }
    r->pop = COND_POP_AMPLIFIED;
    /* bounded: the pushes have died out, or decay geometrically at a stable ratio r, so that
     * the tail sums to Delta_{G-1} / (1 - r) */
    double d2 = g[G - 1].delta;
    if (fabs(d2) <= tol) {
        r->pop = COND_POP_BOUNDED;
        r->b_limit = g[G - 1].bias + d2;
        return;
    }
    if (G < 3) return;
    double d1 = g[G - 2].delta, d0 = g[G - 3].delta;
    if (fabs(d1) <= tol || fabs(d0) <= tol) return;
    /* the limit extrapolated from the last two ratios must agree (it drifts by ~1/t relative
     * for harmonic growth, which is unbounded) */
    double r1 = d2 / d1, r0 = d1 / d0;
    if (!(r1 > 0 && r1 < 0.99 && r0 > 0 && r0 < 0.99)) return;
    double L1 = g[G - 1].bias + d2 / (1 - r1), L0 = g[G - 2].bias + d1 / (1 - r0);
    if (fabs(L1 - L0) <= 1e-3 * fmax(fabs(L1), tol)) {
        r->pop = COND_POP_BOUNDED;
        r->b_limit = L1;
    }
}

int conditions_check(const SimSpec *s, ConditionReport *r)
{
    memset(r, 0, sizeof *r);
    int G = s->generations, M = s->nmetric, np = s->fit.nparam, st;
    r->generations = G;
    r->gen = xcalloc((size_t)G, sizeof *r->gen);
    r->truth_stat = s->truth_stat;
    r->truth_dispersion = conditions_truth_dispersion(s);
    r->well_specified = s->fit.type == s->data.type && s->fit.k == s->data.k;
    r->tol = 1e-9 * cond_scale(s);
    r->mc = COND_MC_NOT_RUN;
    r->agrees = -1;
    r->z = NAN;
    r->first_break = -1;

    /* one generation more than the spec: Delta_{G-1} = b_G - b_{G-1} */
    SimSpec *s1 = xmalloc(sizeof *s1);
    *s1 = *s;
    s1->generations = G + 1;
    double *pop = xcalloc((size_t)(G + 1) * (size_t)M, sizeof *pop);
    double *fits = xcalloc((size_t)(G + 1) * DIST_PARAM_MAX, sizeof *fits);
    st = loop_population(s1, pop);
    if (st) goto done;
    int cs = loop_col(s, LOOP_M_STAT), cb = loop_col(s, LOOP_M_BIAS),
        cd = loop_col(s, LOOP_M_DISPERSION), cp = loop_col(s, LOOP_M_PARAM0);
    for (int t = 0; t <= G; t++)
        memcpy(fits + (size_t)t * DIST_PARAM_MAX, pop + (size_t)t * (size_t)M + cp,
               (size_t)np * sizeof *fits);
    r->cov_form = cond_cov_exact(s, &r->cov_note);
    int pushable = s->fit.dim == 1 && s->statistic != LOOP_STAT_QUANTILE;
    int any_push = 0, any_pull = 0, any_move = 0;
    for (int t = 0; t < G; t++) {
        CondGen *cg = &r->gen[t];
        const double *row = pop + (size_t)t * (size_t)M, *next = row + M;
        cg->stat = row[cs];
        cg->bias = row[cb];
        cg->dispersion = row[cd];
        cg->delta = next[cs] - row[cs];
        cg->push = cg->pull = cg->delta_cov = NAN;
        if (pushable && dist_finite(&s->fit, fits + (size_t)t * DIST_PARAM_MAX)) {
            if ((st = cond_push_pull(s, fits, t, &cg->push, &cg->pull))) {
                st = err_prefix(st, "generation %d", t);
                goto done;
            }
            if (r->cov_form) cg->delta_cov = cg->push + cg->pull;
            any_push |= fabs(cg->push) > r->tol;
            any_pull |= fabs(cg->pull) > r->tol;
        }
        int moves = fabs(cg->delta) > r->tol;
        any_move |= moves;
        cg->sign_ok = moves && (fabs(cg->bias) <= r->tol || cg->delta * cg->bias > 0);
        if (!cg->sign_ok && r->first_break < 0) r->first_break = t;
    }
    r->necessary = any_move ? COND_HOLDS : COND_FAILS;
    r->source = !any_move                ? "none"
                : !pushable              ? "the population map"
                : any_push && any_pull   ? "weight+mixing"
                : any_push               ? "weight"
                                         : "sampler/mixing";
    r->sufficient = r->first_break < 0 ? COND_HOLDS : COND_FAILS;
    cond_shape(r);
    cond_closed_bias(s, r);
    double d0 = r->gen[0].dispersion, dl = r->gen[G - 1].dispersion;
    r->disp_ratio = dl / r->truth_dispersion;
    r->collapse = dl < d0 * (1 - 1e-6);
done:
    free(s1);
    free(fits);
    r->popmap = pop; /* the first G rows */
    if (st) conditions_release(r);
    return st;
}

/* mean and standard error of v[0..k) */
static void cond_mean_se(const double *v, long k, double *m, double *se)
{
    double s = 0, ss = 0;
    for (long i = 0; i < k; i++) s += v[i];
    *m = k ? s / (double)k : NAN;
    for (long i = 0; i < k; i++) ss += (v[i] - *m) * (v[i] - *m);
    *se = k > 1 ? sqrt(ss / (double)(k - 1) / (double)k) : NAN;
}

void conditions_mc_summary(const SimSpec *s, const McResult *mc, CondMcSummary *o)
{
    long R = mc->replicates, kb = 0, kd = 0, kr = 0;
    int G = mc->generations, cb = loop_col(s, LOOP_M_BIAS), cd = loop_col(s, LOOP_M_DISPERSION);
    double D = conditions_truth_dispersion(s);
    double *b = xcalloc((size_t)R * 3, sizeof *b), *d = b + R, *q = d + R;
    for (long r = 0; r < R; r++) {
        double bl = mc_value(mc, r, G - 1, cb), b0 = mc_value(mc, r, 0, cb);
        double dl = mc_value(mc, r, G - 1, cd);
        if (isfinite(bl)) b[kb++] = bl;
        if (G > 1 && isfinite(bl) && isfinite(b0)) d[kd++] = bl - b0;
        if (isfinite(dl)) q[kr++] = dl / D;
    }
    o->replicates = kb;
    cond_mean_se(b, kb, &o->bias, &o->bias_se);
    cond_mean_se(d, kd, &o->drift, &o->drift_se);
    cond_mean_se(q, kr, &o->disp_ratio, &o->disp_ratio_se);
    free(b);
}

/* x significantly above 0 at z standard errors (a zero SE: any positive x). */
static int cond_sig(double x, double se, double z)
{
    return isfinite(x) && (se > 0 ? x > z * se : x > 0);
}

void conditions_compare(const SimSpec *s, const McResult *mc, double z, ConditionReport *r)
{
    conditions_mc_summary(s, mc, &r->mcs);
    r->z = z;
    const CondMcSummary *m = &r->mcs;
    double bl = r->gen[r->generations - 1].bias;
    int sgn = fabs(bl) > r->tol ? (bl > 0 ? 1 : -1) : (m->bias >= 0 ? 1 : -1);
    if (r->generations == 1 || !isfinite(m->drift))
        r->mc = cond_sig(sgn * m->bias, m->bias_se, z) ? COND_MC_AMPLIFIED : COND_MC_NONE;
    else if (cond_sig(sgn * m->drift, m->drift_se, z) && cond_sig(sgn * m->bias, m->bias_se, z))
        r->mc = COND_MC_AMPLIFIED;
    else if (cond_sig(-sgn * m->drift, m->drift_se, z))
        r->mc = COND_MC_SHRINKS;
    else
        r->mc = COND_MC_NONE;
    CondMc expect;
    switch (r->pop) {
    case COND_POP_AMPLIFIED:
    case COND_POP_BOUNDED: expect = COND_MC_AMPLIFIED; break;
    case COND_POP_SHRINKS: expect = COND_MC_SHRINKS; break;
    case COND_POP_NONE: expect = COND_MC_NONE; break;
    default: expect = COND_MC_NOT_RUN;
    }
    r->agrees = expect == COND_MC_NOT_RUN ? -1 : expect == r->mc;
    /* a mixed trajectory: the simulation agrees when its net drift has the population's sign */
    double pd = bl - r->gen[0].bias;
    if (r->pop == COND_POP_MIXED && fabs(pd) > r->tol && isfinite(m->drift))
        r->agrees = cond_sig((pd > 0 ? 1 : -1) * m->drift, m->drift_se, z);
}

void conditions_release(ConditionReport *r)
{
    if (!r) return;
    free(r->gen);
    free(r->popmap);
    r->gen = NULL;
    r->popmap = NULL;
}
