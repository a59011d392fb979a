/* theory: conjugate closed forms of the weighted-MLE population map. Products of Beta (Gaussian)
 * densities are Beta (Gaussian), and an MLE fitted to a law of its own family recovers it. */
#include "theory.h"

#include <math.h>
#include <string.h>

int theory_closed_form(const SimSpec *s, int g, double *theta)
{
    const DistType *f = s->fit_family;
    if (f != s->data_family) return 0;
    const double *ts = s->theta_data, *tp = s->theta_pre;
    double gm = s->gamma;
    if (s->weight == &weight_none) {
        memcpy(theta, ts, (size_t)f->nparam * sizeof *theta);
        return 1;
    }
    if (f == &dist_beta && s->weight == &weight_prev_density) {
        for (int j = 0; j < 2; j++)
            theta[j] = 1 + pow(1 + gm, g) * (ts[j] - 1 + gm * (tp[j] - 1));
        return 1;
    }
    if (f == &dist_beta && s->weight == &weight_pre_density) {
        for (int j = 0; j < 2; j++) theta[j] = ts[j] + (g + 1) * gm * (tp[j] - 1);
        return 1;
    }
    if (f == &dist_gaussian && (s->weight == &weight_prev_density ||
                                s->weight == &weight_pre_density)) {
        double tau_s = 1 / (ts[1] * ts[1]), tau_p = gm / (tp[1] * tp[1]);
        double tau = tau_s + tau_p, mu = (tau_s * ts[0] + tau_p * tp[0]) / tau;
        for (int k = 1; k <= g; k++) {
            if (s->weight == &weight_prev_density) {
                tau *= 1 + gm; /* N(mu, 1/tau) times N(mu, 1/tau)^gamma */
            } else {
                mu = (tau * mu + tau_p * tp[0]) / (tau + tau_p);
                tau += tau_p;
            }
        }
        theta[0] = mu;
        theta[1] = 1 / sqrt(tau);
        return 1;
    }
    if (f == &dist_gaussian && s->weight == &weight_tilt) {
        theta[0] = ts[0] + (g + 1) * s->lambda * ts[1] * ts[1];
        theta[1] = ts[1];
        return 1;
    }
    return 0;
}
