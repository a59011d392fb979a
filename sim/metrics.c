/* metrics: the per-generation metric columns of loop.h — the layout (which columns apply to a
 * spec) and their values for one fitted model: closed forms where both laws are Gaussian,
 * categorical or of one family with a closed-form KL; otherwise exact sums (discrete) or
 * Gauss-Legendre quadrature on the laws' bulk (1-D). No allocation (runs inside replicates). */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"
#include "loop.h"
#include "popmap.h"

static const char *const metric_names[LOOP_M_SHARE0] = {
    "stat",     "bias",     "mean", "sd",        "dispersion",   "cov_trace",    "cov_det",
    "tail2",    "tail3",    "kl",   "tv",        "w2",           "entropy",      "gini_simpson",
    "lost_classes", "lost_mass", "bias_amp_zhao", "n_eff", "n_train", "converged"};

static int is_cat(const Dist *d) { return d->type == &dist_categorical; }
static int is_gauss(const Dist *d)
{
    return d->type == &dist_gaussian || (d->type == &dist_gaussian_nd && d->k == 1);
}
static int same_family(const SimSpec *s)
{
    return s->fit.type == s->data.type && s->fit.k == s->data.k;
}

static int tv_available(const SimSpec *s)
{
    if (s->fit.type == &dist_gaussian_nd && s->fit.k > 1) return 0; /* no closed form in d-D */
    if (s->fit.type->discrete != s->data.type->discrete) return 0;  /* mixed laws: TV = 1 */
    if (s->fit.dim > 1 && !(same_family(s) && s->fit.type == &dist_linreg)) return 0;
    return 1;
}

static int w2_available(const SimSpec *s)
{
    return (is_gauss(&s->fit) && is_gauss(&s->data)) ||
           (s->fit.type == &dist_gaussian_nd && same_family(s));
}

static void add_col(SimSpec *s, int id, const char *name)
{
    if (id >= 0) s->col[id] = s->nmetric;
    snprintf(s->mname[s->nmetric++], 32, "%s", name);
}

static double truth_quantile(const SimSpec *s, double q)
{
    return s->data.type->quantile(&s->data, s->theta_data, s->coord, q);
}

void loop_prepare(SimSpec *s)
{
    s->nmetric = 0;
    for (int i = 0; i < LOOP_M_COUNT; i++) s->col[i] = -1;
    int cat = is_cat(&s->fit);
    for (int id = LOOP_M_STAT; id <= LOOP_M_DISPERSION; id++) add_col(s, id, metric_names[id]);
    if (s->fit.dim >= 2) {
        add_col(s, LOOP_M_COV_TRACE, metric_names[LOOP_M_COV_TRACE]);
        add_col(s, LOOP_M_COV_DET, metric_names[LOOP_M_COV_DET]);
    }
    if (!cat) {
        add_col(s, LOOP_M_TAIL2, metric_names[LOOP_M_TAIL2]);
        add_col(s, LOOP_M_TAIL3, metric_names[LOOP_M_TAIL3]);
    }
    add_col(s, LOOP_M_KL, metric_names[LOOP_M_KL]);
    if (tv_available(s)) add_col(s, LOOP_M_TV, metric_names[LOOP_M_TV]);
    if (w2_available(s)) add_col(s, LOOP_M_W2, metric_names[LOOP_M_W2]);
    if (cat)
        for (int id = LOOP_M_ENTROPY; id <= LOOP_M_ZHAO; id++) add_col(s, id, metric_names[id]);
    for (int id = LOOP_M_NEFF; id <= LOOP_M_CONVERGED; id++) add_col(s, id, metric_names[id]);
    if (cat) {
        for (int c = 0; c < s->fit.k; c++) {
            char name[48];
            if (s->class_names[c][0])
                snprintf(name, sizeof name, "share_%s", s->class_names[c]);
            else
                snprintf(name, sizeof name, "share_%d", c + 1);
            add_col(s, c == 0 ? LOOP_M_SHARE0 : -1, name);
        }
    }
    for (int j = 0; j < s->fit.nparam; j++)
        add_col(s, j == 0 ? LOOP_M_PARAM0 : -1, s->fit.pname[j]);

    double mean[DIST_DIM_MAX], cov[DIST_DIM_MAX * DIST_DIM_MAX];
    s->data.type->moments(&s->data, s->theta_data, mean, cov);
    s->truth_mean = mean[s->coord];
    s->truth_sd = sqrt(cov[s->coord * s->data.dim + s->coord]);
    switch (s->statistic) {
    case LOOP_STAT_SHARE: s->truth_stat = s->theta_data[s->cls]; break;
    case LOOP_STAT_QUANTILE: s->truth_stat = truth_quantile(s, s->q); break;
    default: s->truth_stat = s->truth_mean;
    }
    s->tlo = s->thi = NAN;
    if (!s->data.type->discrete && s->data.dim == 1) {
        s->tlo = fmax(s->data.lo, truth_quantile(s, 1e-13));
        s->thi = fmin(s->data.hi, truth_quantile(s, 1 - 1e-13));
    }
    s->prepared = 1;
}

int loop_find_col(const SimSpec *s, const char *name)
{
    for (int m = 0; m < s->nmetric; m++)
        if (strcmp(s->mname[m], name) == 0) return m;
    return -1;
}

/* TV between N(m1, s1^2) and N(m2, s2^2): the log-density difference is a quadratic with roots
 * r1, r2 (one when s1 = s2); TV = |[F1(r2) - F1(r1)] - [F2(r2) - F2(r1)]|. */
static double tv_gauss(double m1, double s1, double m2, double s2)
{
    double a = 0.5 / (s2 * s2) - 0.5 / (s1 * s1), b = m1 / (s1 * s1) - m2 / (s2 * s2);
    double c = m2 * m2 / (2 * s2 * s2) - m1 * m1 / (2 * s1 * s1) + log(s2 / s1);
    if (fabs(a) < 1e-12 * (0.5 / (s1 * s1))) {
        double z = fabs(m1 - m2) / (s1 + s2);
        return 2 * gsl_cdf_ugaussian_P(z) - 1;
    }
    double disc = b * b - 4 * a * c;
    if (disc < 0) disc = 0;
    double q = -0.5 * (b + copysign(sqrt(disc), b));
    double r1 = q / a, r2 = q != 0 ? c / q : r1;
    if (r1 > r2) {
        double t = r1;
        r1 = r2;
        r2 = t;
    }
    double p1 = gsl_cdf_gaussian_P(r2 - m1, s1) - gsl_cdf_gaussian_P(r1 - m1, s1);
    double p2 = gsl_cdf_gaussian_P(r2 - m2, s2) - gsl_cdf_gaussian_P(r1 - m2, s2);
    return fabs(p1 - p2);
}

/* E_delta TV(N(delta, s1^2), N(0, s2^2)) with delta ~ N(m, v): the regression's conditional TV
 * averaged over the design. */
static double tv_linreg(const SimSpec *s, const double *ta, const double *tb)
{
    int p = s->fit.k;
    double m = ta[0] - tb[0], v = 0;
    for (int j = 1; j < p; j++) v += (ta[j] - tb[j]) * (ta[j] - tb[j]);
    if (v == 0) return tv_gauss(m, ta[p], 0, tb[p]);
    double sd = sqrt(v), tot = 0, x[16], w[16];
    for (int k = 0; k < 16; k++) {
        pop_gl16(m - 9 * sd + 18 * sd * k / 16, m - 9 * sd + 18 * sd * (k + 1) / 16, x, w);
        for (int i = 0; i < 16; i++) {
            double z = (x[i] - m) / sd;
            tot +=
                w[i] * exp(-0.5 * z * z) / (sd * sqrt(2 * M_PI)) * tv_gauss(x[i], ta[p], 0, tb[p]);
        }
    }
    return tot;
}

/* Upper end of the support that matters for a discrete law (P(X > x) < 1e-15). */
static double disc_top(const Dist *d, const double *theta)
{
    if (d->type == &dist_categorical) return d->k - 1;
    return d->type->quantile(d, theta, 0, 1 - 1e-15) + 5;
}

/* KL(p* || p) and TV by sums (discrete) or quadrature (1-D continuous); kl/tv may be NULL. */
static void kl_tv_numeric(const SimSpec *s, const double *theta, double *kl, double *tv)
{
    const Dist *pd = &s->data, *fd = &s->fit;
    double K = 0, T = 0;
    if (pd->type->discrete) {
        double top =
            fmax(disc_top(pd, s->theta_data), fd->type->discrete ? disc_top(fd, theta) : 0);
        for (double x = 0; x <= top; x++) {
            double lp, lq;
            pd->type->logpdf(pd, s->theta_data, &x, 1, &lp);
            fd->type->logpdf(fd, theta, &x, 1, &lq);
            double p = exp(lp), q = exp(lq);
            if (p > 0) K += q > 0 ? p * (lp - lq) : INFINITY;
            T += fabs(p - q);
        }
    } else {
        double lo = s->tlo, hi = s->thi;
        /* KL over the truth's bulk */
        double x[16], w[16], lp[16], lq[16];
        enum { PAN = 64 };
        for (int k = 0; k < PAN && kl; k++) {
            pop_gl16(lo + (hi - lo) * k / PAN, lo + (hi - lo) * (k + 1) / PAN, x, w);
            pd->type->logpdf(pd, s->theta_data, x, 16, lp);
            fd->type->logpdf(fd, theta, x, 16, lq);
            for (int i = 0; i < 16; i++)
                if (isfinite(lp[i])) K += w[i] * exp(lp[i]) * (lp[i] - lq[i]);
        }
        /* TV over the union of both bulks */
        /* the model's bulk from its moments (quantile functions are slow for some families) */
        double fm, fv;
        fd->type->moments(fd, theta, &fm, &fv);
        double flo = fmax(fd->lo, fm - 12 * sqrt(fv)), fhi = fmin(fd->hi, fm + 12 * sqrt(fv));
        double ulo = fmin(lo, flo), uhi = fmax(hi, fhi);
        /* |p - q| has kinks where the densities cross: a panel whose ends differ in sign is
         * split at the crossing (bisection), so every piece is smooth for Gauss-Legendre */
        double e[PAN + 1], le[2 * (PAN + 1)];
        for (int k = 0; k <= PAN && tv; k++) e[k] = ulo + (uhi - ulo) * k / PAN;
        e[0] += 1e-12 * (uhi - ulo); /* open supports */
        e[PAN] -= 1e-12 * (uhi - ulo);
        if (tv) {
            pd->type->logpdf(pd, s->theta_data, e, PAN + 1, le);
            fd->type->logpdf(fd, theta, e, PAN + 1, le + PAN + 1);
        }
        for (int k = 0; k < PAN && tv; k++) {
            double a = e[k], b = e[k + 1], cuts[3] = {a, b, b};
            int np = 1;
            double da = exp(le[k]) - exp(le[PAN + 1 + k]);
            double db = exp(le[k + 1]) - exp(le[PAN + 2 + k]);
            if ((da > 0) != (db > 0) && da != 0 && db != 0) {
                double l = a, r = b;
                for (int it = 0; it < 60; it++) {
                    double mid = 0.5 * (l + r), p1, q1;
                    pd->type->logpdf(pd, s->theta_data, &mid, 1, &p1);
                    fd->type->logpdf(fd, theta, &mid, 1, &q1);
                    if ((exp(p1) - exp(q1) > 0) == (da > 0))
                        l = mid;
                    else
                        r = mid;
                }
                cuts[1] = 0.5 * (l + r);
                np = 2;
            }
            for (int piece = 0; piece < np; piece++) {
                pop_gl16(cuts[piece], cuts[piece + 1], x, w);
                pd->type->logpdf(pd, s->theta_data, x, 16, lp);
                fd->type->logpdf(fd, theta, x, 16, lq);
                for (int i = 0; i < 16; i++) T += w[i] * fabs(exp(lp[i]) - exp(lq[i]));
            }
        }
    }
    if (kl) *kl = K;
    if (tv) *tv = 0.5 * T;
}

static double w2_gauss_nd(int d, const double *ta, const double *tb)
{
    double A[64], B[64], rB[64], M[64], rM[64], t[64];
    la_unpack(d, ta + d, A);
    la_unpack(d, tb + d, B);
    la_sym_sqrt(d, B, rB);
    /* M = B^1/2 A B^1/2 */
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double v = 0;
            for (int k = 0; k < d; k++) v += A[i * d + k] * rB[k * d + j];
            t[i * d + j] = v;
        }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double v = 0;
            for (int k = 0; k < d; k++) v += rB[i * d + k] * t[k * d + j];
            M[i * d + j] = v;
        }
    la_sym_sqrt(d, M, rM);
    double w = 0;
    for (int i = 0; i < d; i++)
        w += (ta[i] - tb[i]) * (ta[i] - tb[i]) + A[i * d + i] + B[i * d + i] - 2 * rM[i * d + i];
    return sqrt(fmax(w, 0));
}

static double tail_mass(const SimSpec *s, const double *theta, double k)
{
    const Dist *f = &s->fit;
    double a = s->truth_mean - k * s->truth_sd, b = s->truth_mean + k * s->truth_sd;
    double lo, hi;
    if (f->type->discrete) { /* P(X < a) + P(X > b) on the integers */
        lo = ceil(a) - 1 >= 0 ? f->type->cdf(f, theta, s->coord, ceil(a) - 1) : 0;
        hi = 1 - f->type->cdf(f, theta, s->coord, floor(b));
    } else {
        lo = f->type->cdf(f, theta, s->coord, a);
        hi = 1 - f->type->cdf(f, theta, s->coord, b);
    }
    return lo + hi;
}

void loop_metrics(const SimSpec *s, const double *theta, const FitInfo *fi, double n_eff,
                  double n_train, double *row)
{
    const Dist *f = &s->fit;
    int nm = s->nmetric;
    for (int m = 0; m < nm; m++) row[m] = NAN;
    for (int j = 0; j < f->nparam; j++) row[s->col[LOOP_M_PARAM0] + j] = theta[j];
    row[s->col[LOOP_M_NEFF]] = n_eff;
    row[s->col[LOOP_M_NTRAIN]] = n_train;
    row[s->col[LOOP_M_CONVERGED]] = fi->converged;
    if (!fi->converged || !dist_finite(f, theta)) return;
    int d = f->dim, c = s->coord;
    double mean[DIST_DIM_MAX], cov[DIST_DIM_MAX * DIST_DIM_MAX];
    f->type->moments(f, theta, mean, cov);
    double m = mean[c], sd = sqrt(cov[c * d + c]), stat;
    switch (s->statistic) {
    case LOOP_STAT_SHARE: stat = theta[s->cls]; break;
    case LOOP_STAT_QUANTILE: stat = f->type->quantile(f, theta, c, s->q); break;
    default: stat = m;
    }
    row[s->col[LOOP_M_STAT]] = stat;
    row[s->col[LOOP_M_BIAS]] = stat - s->truth_stat;
    row[s->col[LOOP_M_MEAN]] = m;
    row[s->col[LOOP_M_SD]] = sd;
    row[s->col[LOOP_M_DISPERSION]] = sd;
    if (s->col[LOOP_M_COV_TRACE] >= 0) {
        double tr = 0, L[DIST_DIM_MAX * DIST_DIM_MAX];
        for (int i = 0; i < d; i++) tr += cov[i * d + i];
        memcpy(L, cov, sizeof L);
        row[s->col[LOOP_M_COV_TRACE]] = tr;
        row[s->col[LOOP_M_COV_DET]] = la_chol(d, L) ? exp(la_chol_logdet(d, L)) : 0;
    }
    if (s->col[LOOP_M_TAIL2] >= 0) {
        row[s->col[LOOP_M_TAIL2]] = tail_mass(s, theta, 2);
        row[s->col[LOOP_M_TAIL3]] = tail_mass(s, theta, 3);
    }
    /* KL(p* || p_theta) and TV */
    int tvc = s->col[LOOP_M_TV];
    if (is_gauss(f) && is_gauss(&s->data)) {
        double ms = s->theta_data[0], ss = s->data.type == &dist_gaussian ? s->theta_data[1]
                                                                          : sqrt(s->theta_data[1]);
        double mf = theta[0], sf = f->type == &dist_gaussian ? theta[1] : sqrt(theta[1]);
        double dm = ms - mf, r = ss / sf;
        row[s->col[LOOP_M_KL]] = fmax(0, -log(r) + 0.5 * (r * r + dm * dm / (sf * sf)) - 0.5);
        if (tvc >= 0) row[tvc] = tv_gauss(ms, ss, mf, sf);
        row[s->col[LOOP_M_W2]] = sqrt(dm * dm + (ss - sf) * (ss - sf));
    } else {
        int closed = same_family(s) && f->type->kl;
        if (closed) row[s->col[LOOP_M_KL]] = fmax(0, f->type->kl(f, s->theta_data, theta));
        if (f->type == &dist_linreg && closed) {
            if (tvc >= 0) row[tvc] = tv_linreg(s, s->theta_data, theta);
        } else if (is_cat(f) && closed) {
            double t = 0;
            for (int k = 0; k < f->k; k++) t += fabs(theta[k] - s->theta_data[k]);
            if (tvc >= 0) row[tvc] = 0.5 * t;
        } else if (f->dim == 1 && s->data.dim == 1 &&
                   (tvc >= 0 || !closed)) {
            double kl, tv;
            kl_tv_numeric(s, theta, closed ? NULL : &kl, tvc >= 0 ? &tv : NULL);
            if (!closed) row[s->col[LOOP_M_KL]] = fmax(0, kl);
            if (tvc >= 0) row[tvc] = tv;
        }
        if (s->col[LOOP_M_W2] >= 0) row[s->col[LOOP_M_W2]] = w2_gauss_nd(d, s->theta_data, theta);
    }
    if (is_cat(f)) {
        int K = f->k, lost = 0;
        double H = 0, G = 1, lm = 0, zhao = 0;
        for (int k = 0; k < K; k++) {
            double p = theta[k], ps = s->theta_data[k];
            if (p > 0) H -= p * log(p);
            G -= p * p;
            if (p == 0 && ps > 0) lost++, lm += ps;
            /* Zhao et al. (2017) BiasAmp with one outcome and the classes as groups: the mean
             * gain of the classes the truth already favours (p* > 1/K) */
            if (ps > 1.0 / K) zhao += p - ps;
            row[s->col[LOOP_M_SHARE0] + k] = p;
        }
        row[s->col[LOOP_M_ENTROPY]] = H;
        row[s->col[LOOP_M_GINI]] = G;
        row[s->col[LOOP_M_DISPERSION]] = G;
        row[s->col[LOOP_M_LOST]] = lost;
        row[s->col[LOOP_M_LOST_MASS]] = lm;
        row[s->col[LOOP_M_ZHAO]] = zhao;
    }
}
