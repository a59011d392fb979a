/* fastnorm: SPEED-UP FILE. Standard normal draws by Doornik's ZIGNOR ziggurat (128 layers) on one
 * 64-bit generator output per draw in the fast path (~99 %). GSL's gsl_ran_gaussian_ziggurat
 * makes two gsl_rng_uniform_int calls (with divisions) per draw; this is about twice as fast on
 * the simulator's hot loop (the Gaussian families' samplers). Exact in distribution like GSL's;
 * the stream of values differs. Generators whose outputs are not full 64-bit words (PCG32) fall
 * back to GSL's ziggurat. */
#ifndef BIASAMP_FASTNORM_H
#define BIASAMP_FASTNORM_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

/* n standard normal draws times sigma plus mu into x. */
void fastnorm_fill(gsl_rng *r, double mu, double sigma, size_t n, double *x);

/* One standard normal draw. */
double fastnorm_draw(gsl_rng *r);

#endif
