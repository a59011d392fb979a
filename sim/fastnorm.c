/* fastnorm: SPEED-UP FILE (see fastnorm.h). Doornik, "An improved ziggurat method to generate
 * normal random samples" (2005): 128 rectangles of equal area V; a draw picks rectangle i and
 * u in (-1, 1), accepts u x_i when |u| < x_{i+1} / x_i (the part of the rectangle under the
 * curve), else samples the tail (i = 0, beyond R) or tests the wedge against the density. */
#include "fastnorm.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdint.h>

#define ZIG_C 128
#define ZIG_R 3.442619855899
#define ZIG_V 9.91256303526217e-3

static double zig_x[ZIG_C + 1], zig_ratio[ZIG_C];

/* Tables at load time (read-only afterwards, so threads share them safely). */
__attribute__((constructor)) static void fastnorm_init(void)
{
    double f = exp(-0.5 * ZIG_R * ZIG_R);
    zig_x[0] = ZIG_V / f; /* the bottom block: rectangle plus tail, width V / f(R) */
    zig_x[1] = ZIG_R;
    zig_x[ZIG_C] = 0;
    for (int i = 2; i < ZIG_C; i++) {
        zig_x[i] = sqrt(-2 * log(ZIG_V / zig_x[i - 1] + f));
        f = exp(-0.5 * zig_x[i] * zig_x[i]);
    }
    for (int i = 0; i < ZIG_C; i++) zig_ratio[i] = zig_x[i + 1] / zig_x[i];
}

/* Marsaglia's tail method beyond R. */
static double fastnorm_tail(gsl_rng *r, int negative)
{
    double x, y;
    do {
        x = log(gsl_rng_uniform_pos(r)) / ZIG_R;
        y = log(gsl_rng_uniform_pos(r));
    } while (-2 * y < x * x);
    return negative ? x - ZIG_R : ZIG_R - x;
}

static double fastnorm_slow(gsl_rng *r, unsigned i, double u)
{
    for (;;) {
        if (fabs(u) < zig_ratio[i]) return u * zig_x[i];
        if (i == 0) return fastnorm_tail(r, u < 0);
        double x = u * zig_x[i];
        double f0 = exp(-0.5 * (zig_x[i] * zig_x[i] - x * x));
        double f1 = exp(-0.5 * (zig_x[i + 1] * zig_x[i + 1] - x * x));
        if (f1 + gsl_rng_uniform(r) * (f0 - f1) < 1.0) return x;
        uint64_t b = gsl_rng_get(r);
        i = (unsigned)(b & 0x7F);
        u = 2 * ((double)(b >> 11) * 0x1p-53) - 1;
    }
}

double fastnorm_draw(gsl_rng *r)
{
    if (gsl_rng_max(r) != UINT64_MAX) return gsl_ran_gaussian_ziggurat(r, 1.0);
    uint64_t b = gsl_rng_get(r);
    unsigned i = (unsigned)(b & 0x7F);            /* 7 low bits: the rectangle */
    double u = 2 * ((double)(b >> 11) * 0x1p-53) - 1; /* 53 high bits: u in [-1, 1) */
    if (fabs(u) < zig_ratio[i]) return u * zig_x[i];
    return fastnorm_slow(r, i, u);
}

void fastnorm_fill(gsl_rng *r, double mu, double sigma, size_t n, double *x)
{
    if (gsl_rng_max(r) != UINT64_MAX) {
        for (size_t k = 0; k < n; k++) x[k] = mu + gsl_ran_gaussian_ziggurat(r, sigma);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        uint64_t b = gsl_rng_get(r);
        unsigned i = (unsigned)(b & 0x7F);
        double u = 2 * ((double)(b >> 11) * 0x1p-53) - 1;
        double z = fabs(u) < zig_ratio[i] ? u * zig_x[i] : fastnorm_slow(r, i, u);
        x[k] = mu + sigma * z;
    }
}
