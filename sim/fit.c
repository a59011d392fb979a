/* fit: weighted MLE through averaged sufficient statistics (exponential families) or the family's
 * fit hook; weights are exponentiated relative to their maximum so any scale is safe. */
#include "fit.h"

#include <math.h>

#include "err.h"

int fit_wmle(const Dist *fam, const double *x, const double *logw, size_t n, double *theta,
             FitInfo *fi, double *n_eff)
{
    double sbar[DIST_STAT_MAX] = {0}, s[DIST_STAT_MAX];
    int k = fam->nstat, dim = fam->dim, hook = fam->type->fit != NULL;
    double lmax = 0;
    if (logw) {
        lmax = -INFINITY;
        for (size_t i = 0; i < n; i++)
            if (logw[i] > lmax) lmax = logw[i];
    }
    double sw = 0, sw2 = 0;
    if (!logw && !hook && fam->type->stat_sum) { /* unweighted: the family's tight loop */
        fam->type->stat_sum(fam, x, n, sbar);
        sw = sw2 = (double)n;
    } else if (!(logw && !(lmax < INFINITY && lmax > -INFINITY))) { /* else: all 0, or inf/nan */
        for (size_t i = 0; i < n; i++) {
            double w = logw ? exp(logw[i] - lmax) : 1.0;
            if (!hook) {
                fam->type->stat(fam, x + i * (size_t)dim, s);
                for (int j = 0; j < k; j++) sbar[j] += w * s[j];
            }
            sw += w;
            sw2 += w * w;
        }
    }
    if (n_eff) *n_eff = sw2 > 0 ? sw * sw / sw2 : 0;
    if (!(sw > 0) || !isfinite(sw)) {
        fi->converged = 0;
        fi->iterations = 0;
        for (int j = 0; j < fam->nparam; j++) theta[j] = NAN;
        return ERR_OK;
    }
    if (hook) return fam->type->fit(fam, x, logw, n, theta, fi);
    for (int j = 0; j < k; j++) sbar[j] /= sw;
    return fam->type->fit_stat(fam, sbar, theta, fi);
}
