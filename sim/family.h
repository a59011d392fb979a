/* family: the plug-in table of distribution families (GSL style: one const DistType per family,
 * one file each, one registry line in family.c) and Dist, a family at a given size (dimension d,
 * classes K, components k, regressors p), like gsl_rng_type / gsl_rng. Fitting goes through
 * averaged sufficient statistics where the MLE is moment matching, so a weighted MLE on n samples
 * and the n = inf population map share one solver; other families (mixtures) add a fit hook. */
#ifndef BIASAMP_FAMILY_H
#define BIASAMP_FAMILY_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

#define DIST_PARAM_MAX 64 /* parameters of a model (e.g. d + d(d+1)/2 for a d-D Gaussian) */
#define DIST_STAT_MAX 64  /* sufficient statistics per sample */
#define DIST_DIM_MAX 8    /* doubles per sample (coordinates) */
#define DIST_PNAME_MAX 24 /* bytes of a parameter's CSV column name */

typedef struct FitInfo {
    int converged; /* 1 if the solver met its tolerance */
    int iterations;
} FitInfo;

typedef struct Dist Dist;

/* A fit-time weight as the closed-form population maps see it: prod_i p_{theta_i}(x)^{gamma_i}
 * (densities of the same family), times a weight of the statistic s = x[coord] (coord >= 0). That
 * weight may depend on the law of s (best-of-K curation), so it is evaluated on nodes of that law:
 * logw_s(ctx, s, lmass, n, out) with node values s and log-masses lmass. */
typedef struct PopWeight {
    int ndens;
    const double *dens_theta[2];
    double dens_gamma[2];
    int coord;
    void (*logw_s)(const void *ctx, const double *s, const double *lmass, size_t n, double *out);
    const void *ctx;
} PopWeight;

typedef struct DistType {
    const char *name;
    const char *help;   /* one line: parameters as written in a config */
    const char *kname;  /* what the size k means ("d", "K", "components", "p"); NULL: fixed */
    int kmin, kmax, kdef;
    int discrete;       /* 1 if samples are integers (population sums instead of integrals) */

    /* Sets d->nparam, nstat, dim, lo, hi and d->pname from d->k (already in [kmin, kmax]). */
    void (*init)(Dist *d);
    /* Config list -> theta (n values as written in a config). ERR_INVAL with a message naming the
     * expected layout. NULL: the list is theta itself (n must equal nparam). */
    int (*parse)(const Dist *d, const double *v, int n, double *theta);
    /* ERR_OK if theta is valid, else ERR_INVAL naming the offending parameter. */
    int (*check)(const Dist *d, const double *theta);
    /* log f(x_i; theta) for n samples (x is n * dim doubles); batched so normalising constants and
     * factorisations are computed once. Multi-coordinate regression samples: the conditional
     * density of y given the design (the design law is fixed and shared by every model). */
    void (*logpdf)(const Dist *d, const double *theta, const double *x, size_t n, double *out);
    /* n independent draws into x (n * dim doubles). */
    void (*sample)(const Dist *d, const double *theta, gsl_rng *r, size_t n, double *x);
    /* The generator-side knob: parameters of the law actually sampled when the model theta
     * generates at temperature tau (categorical p^(1/tau), Gaussian variances times tau). NULL:
     * the family has no such knob (only tau = 1 is valid). */
    void (*temper)(const Dist *d, const double *theta, double tau, double *out);
    /* Sufficient statistics S(x) of one sample, nstat values (NULL when fit is set). */
    void (*stat)(const Dist *d, const double *x, double *s);
    /* Optional fast path: sum_i S(x_i) over n samples into sum (unweighted fits). */
    void (*stat_sum)(const Dist *d, const double *x, size_t n, double *sum);
    /* The MLE from averaged statistics sbar = sum_i w_i S(x_i) / sum_i w_i (moment matching).
     * theta holds a starting point on entry. Non-convergence is data: ERR_OK, fi->converged = 0,
     * theta nan. */
    int (*fit_stat)(const Dist *d, const double *sbar, double *theta, FitInfo *fi);
    /* Optional, for families whose MLE is not moment matching (mixtures: weighted EM): the MLE on
     * n samples with log-weights logw (NULL = unweighted; any additive constant), theta the start
     * on entry (may be nan). No allocation. Same failure contract as fit_stat. */
    int (*fit)(const Dist *d, const double *x, const double *logw, size_t n, double *theta,
               FitInfo *fi);
    /* Optional: multiplies the variance parameters by the small-sample correction for an
     * unbiased refit (ddof = 1) at effective sample size n. */
    void (*unbias)(const Dist *d, double *theta, double n);
    /* Mean vector (dim) and covariance (dim x dim, row-major) of one sample. */
    void (*moments)(const Dist *d, const double *theta, double *mean, double *cov);
    /* Marginal CDF P(X_j <= x) and quantile of coordinate j. */
    double (*cdf)(const Dist *d, const double *theta, int j, double x);
    double (*quantile)(const Dist *d, const double *theta, int j, double q);
    /* Optional: KL(p_a || p_b) in closed form (both in this family). */
    double (*kl)(const Dist *d, const double *ta, const double *tb);
    /* Optional, for multi-coordinate families: the population statistics sbar = E_{Q w}[S] of
     * the law Q = this family at theta_q reweighted by `pw` (see PopWeight in popmap.h).
     * ERR_UNSUPPORTED when pw is beyond the closed forms. */
    int (*pop_stat)(const Dist *d, const double *theta_q, const PopWeight *pw,
                    double *sbar);
} DistType;

struct Dist {
    const DistType *type;
    int k; /* size (0 for fixed-size families) */
    int nparam, nstat, dim;
    double lo, hi; /* support of coordinate 0 (1-D families) */
    char pname[DIST_PARAM_MAX][DIST_PNAME_MAX];
};

extern const DistType dist_beta;
extern const DistType dist_gaussian;
extern const DistType dist_gaussian_nd;
extern const DistType dist_categorical;
extern const DistType dist_poisson;
extern const DistType dist_mixture;
extern const DistType dist_linreg;

/* The family called `name`, or NULL. */
const DistType *dist_find(const char *name);
/* NULL-terminated list of the registered families' names (for config enums and --help). */
extern const char *const dist_names[];

/* Makes the family `t` at size k (0: the family's default). ERR_INVAL when k is out of range. */
int dist_init(Dist *d, const DistType *t, int k);
/* A ready Dist for a fixed-size family (tests and closed forms). */
Dist dist_fixed(const DistType *t);
/* Config list -> validated theta (parse, then check). */
int dist_parse(const Dist *d, const double *v, int n, double *theta);
/* 1 if theta holds no nan (a fit that converged). */
int dist_finite(const Dist *d, const double *theta);

#endif
