/* weights: the plug-in table of fit-time weights. The weighted MLE maximises
 * sum_i w(x_i) log f(x_i; theta); only ratios of weights inside a block of data matter (blocks:
 * the real data, each generation's samples; see loop.h), so pointwise weights return log w up to
 * an additive constant. Best-of-K curation is not pointwise on samples: it draws K candidates per
 * slot and keeps one with probability proportional to exp(r) (a Bradley-Terry reward
 * r = lambda s(x)); on a population it is the weight of the kept law (weight_nodes). */
#ifndef BIASAMP_WEIGHTS_H
#define BIASAMP_WEIGHTS_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

#include "family.h"

typedef enum { WEIGHT_SCOPE_ALL = 0, WEIGHT_SCOPE_SYNTHETIC = 1 } WeightScope;
extern const char *const weight_scope_names[]; /* "all", "synthetic" */

typedef struct WeightCtx {
    const Dist *fam;          /* the model family */
    const double *theta_prev; /* the previous model (the pretrained model at generation 0) */
    const double *theta_pre;  /* the fixed pretrained model */
    double gamma;             /* exponent on densities: w = p^gamma */
    double lambda;            /* tilt strength w = exp(lambda s(x)); best-of-K reward scale */
    int coord;                /* the statistic s(x) = x[coord] (continuous and count families) */
    int cls;                  /* categorical: s(x) = 1[x = cls], and the class of `category` */
    double boost;             /* category: w = 1 + boost on class cls */
    int best_of;              /* best_of_k: K candidates per kept sample */
} WeightCtx;

typedef struct WeightType {
    const char *name;
    const char *help;
    /* log w(x_i) for n samples into out; NULL for none and for curation. */
    void (*logw)(const WeightCtx *ctx, const double *x, size_t n, double *out);
    int curate;  /* 1: best-of-K curation of draws */
    int density; /* 1: w = p_theta(x)^gamma of a model (prev/pre); 2 = the fixed pretrained */
} WeightType;

extern const WeightType weight_none;         /* plain MLE */
extern const WeightType weight_prev_density; /* p_{theta_{t-1}}(x)^gamma: the paper's scheme */
extern const WeightType weight_pre_density;  /* p_{theta_pre}(x)^gamma: a fixed pretrained model */
extern const WeightType weight_tilt;         /* exp(lambda s(x)) */
extern const WeightType weight_category;     /* 1 + boost on one class (categorical) */
extern const WeightType weight_best_of_k;    /* best-of-K curation, Bradley-Terry reward */

const WeightType *weight_find(const char *name);
extern const char *const weight_names[]; /* NULL-terminated */

/* The statistic s(x) of one sample. */
double weight_stat(const WeightCtx *ctx, const double *x);

/* Best-of-K on samples: cand holds n groups of K candidates (n * K * dim doubles); out gets the
 * kept sample of each group (n * dim), chosen with probability exp(r_j) / sum_k exp(r_k). */
void weight_curate(const WeightCtx *ctx, gsl_rng *r, const double *cand, size_t n, double *out);

/* Population log-weights on a node set of a law (x_i with log-masses lmass_i, any constant):
 * pointwise weights evaluate logw; best-of-K gives the kept law's density ratio
 * w(x) = K E[e^r(x) / (e^r(x) + sum_{j<K} e^r(X_j))] = K int_0^inf a e^{-t a} phi(t)^{K-1} dt,
 * a = e^{r(x)}, phi(t) = E exp(-t e^{r(X)}) (a Laplace-transform identity, integrated in log t). */
void weight_nodes(const WeightType *wt, const WeightCtx *ctx, const double *x,
                  const double *lmass, size_t n, double *out);

/* The same kept-law weight for rewards r_i given directly (used by weight_nodes and by the
 * closed-form population maps through a PopWeight). */
void weight_best_of_k_rewards(int K, const double *r, const double *lmass, size_t n, double *out);

/* Describes wt for the closed-form population maps of multi-coordinate families (PopWeight in
 * family.h). ERR_UNSUPPORTED when the weight has no such description (category). */
int weight_popweight(const WeightType *wt, const WeightCtx *ctx, PopWeight *pw);

#endif
