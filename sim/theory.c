/* theory: conjugate closed forms of the weighted-MLE population map. Products of Beta (Gaussian)
 * densities are Beta (Gaussian), exponential tilts of exponential families stay in them, and an
 * MLE fitted to a law of its own family recovers it. */
#include "theory.h"

#include <math.h>
#include <string.h>

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
