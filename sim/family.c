/* family: the registry of distribution families and Dist construction. Adding a family = one file
 * + one line here. */
#include "family.h"

#include <math.h>
#include <string.h>

#include "err.h"

static const DistType *const dist_registry[] = {
    &dist_beta,    &dist_gaussian, &dist_gaussian_nd, &dist_categorical,
    &dist_poisson, &dist_mixture,  &dist_linreg};
const char *const dist_names[] = {"beta",    "gaussian", "gaussian_nd", "categorical",
                                  "poisson", "mixture",  "linreg",      NULL};

const DistType *dist_find(const char *name)
{
    for (size_t i = 0; i < sizeof dist_registry / sizeof dist_registry[0]; i++)
        if (strcmp(dist_registry[i]->name, name) == 0) return dist_registry[i];
    return NULL;
}

int dist_init(Dist *d, const DistType *t, int k)
{
    memset(d, 0, sizeof *d);
    d->type = t;
    if (t->kname) {
        if (k == 0) k = t->kdef;
        if (k < t->kmin || k > t->kmax)
            return err_set(ERR_INVAL, "%s: %s = %d is out of range [%d, %d]", t->name, t->kname, k,
                           t->kmin, t->kmax);
    } else {
        k = 0;
    }
    d->k = k;
    d->lo = -INFINITY;
    d->hi = INFINITY;
    t->init(d);
    return ERR_OK;
}

Dist dist_fixed(const DistType *t)
{
    Dist d;
    int st = dist_init(&d, t, 0);
    (void)st;
    return d;
}

int dist_parse(const Dist *d, const double *v, int n, double *theta)
{
    int st;
    if (d->type->parse) {
        if ((st = d->type->parse(d, v, n, theta))) return st;
    } else {
        if (n != d->nparam)
            return err_set(ERR_INVAL, "%s needs %d parameters (%s), got %d", d->type->name,
                           d->nparam, d->type->help, n);
        memcpy(theta, v, (size_t)n * sizeof *theta);
    }
    return d->type->check(d, theta);
}

int dist_finite(const Dist *d, const double *theta)
{
    for (int j = 0; j < d->nparam; j++)
        if (!isfinite(theta[j])) return 0;
    return 1;
}
