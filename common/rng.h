/* rng: PCG32 and PCG64 written here and registered as gsl_rng types, so every gsl_ran_* sampler
 * runs on them; plus named streams and O(log n) jump-ahead.
 * The constraint: a replicate's stream depends only on (seed, purpose, index), never on thread
 * count or scheduling, so Monte Carlo output is byte-identical for any number of threads. */
#ifndef BIASAMP_RNG_H
#define BIASAMP_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* PCG32 (pcg_setseq_64_xsh_rr_32): 64-bit LCG state, XSH-RR output, period 2^64, 2^63 streams.
 * gsl_rng_get returns [0, 0xffffffff]; gsl_rng_uniform returns output / 2^32 in [0, 1). */
extern const gsl_rng_type *rng_pcg32;

/* PCG64 (pcg_setseq_128_xsl_rr_64): 128-bit LCG state, XSL-RR output, period 2^128, 2^127
 * streams. gsl_rng_get returns [0, UINT64_MAX]; gsl_rng_uniform returns (x >> 11) * 2^-53,
 * i.e. 53 random bits in [0, 1). */
extern const gsl_rng_type *rng_pcg64;

/* Purposes: the second coordinate of a stream (seed, purpose, index). One per consumer of
 * randomness, so adding draws to one consumer never shifts another's sequence. */
enum {
    RNG_PURPOSE_PRETRAIN_DATA = 1,
    RNG_PURPOSE_REPLICATE = 2,
    RNG_PURPOSE_TRUTH = 3,
    RNG_PURPOSE_MODEL = 4,
    RNG_PURPOSE_GENERATE = 5,
    RNG_PURPOSE_DATA_SPLIT = 6
};

/* The stream gsl_rng_set(r, seed) selects: rng_seed_stream(r, seed, RNG_DEFAULT_STREAM). Its
 * PCG32 increment (2*stream+1) equals the reference PCG32_INITIALIZER's, 0xda3e39cb94b95bdb. */
#define RNG_DEFAULT_STREAM UINT64_C(0x6d1f1ce5ca5caded)

/* Seeds r exactly as the reference pcg32_srandom_r / pcg64_srandom_r(initstate, initseq):
 * state = 0; inc = (initseq << 1) | 1; step; state += initstate; step.
 * For PCG32 all 64 bits of initstate are used and the top bit of initseq is shifted out (2^63
 * streams), as in the reference. For PCG64 the arguments are the LOW 64 bits of the 128-bit
 * initstate/initseq; each high word is splitmix64(x ^ salt) | 1 (salt differs for state and
 * stream), so it is never zero and a 64-bit seed still spreads over all 128 bits. Hence PCG64
 * here does NOT reproduce the reference pcg64_srandom_r(42, 54); use rng_seed_stream128 for that.
 * Every seed is valid, including 0 (nothing is remapped).
 * r must be of type rng_pcg32 or rng_pcg64 (assert). */
void rng_seed_stream(gsl_rng *r, uint64_t initstate, uint64_t initseq);

/* PCG64 only (assert): the reference pcg64_srandom_r with full 128-bit arguments
 * initstate = state_hi:state_lo and initseq = seq_hi:seq_lo. */
void rng_seed_stream128(gsl_rng *r, uint64_t state_hi, uint64_t state_lo, uint64_t seq_hi,
                        uint64_t seq_lo);

/* Jumps r ahead by delta steps (as if gsl_rng_get were called delta times) in O(log delta)
 * multiplications. Arithmetic is modulo the period, so for PCG32 advancing by 2^64 - 1 and then
 * by 1 returns to the starting state. r must be of type rng_pcg32 or rng_pcg64 (assert). */
void rng_advance(gsl_rng *r, uint64_t delta);

/* A splitmix64-style hash of (seed, purpose, index): deterministic, well mixed, and for a fixed
 * (seed, purpose) injective in index. Part of the reproducibility contract: changing it changes
 * every stream. */
uint64_t rng_hash3(uint64_t seed, uint64_t purpose, uint64_t index);

/* Allocates a generator of type T (rng_pcg32 or rng_pcg64) on the stream named by
 * (seed, purpose, index): h = rng_hash3(seed, purpose, index), then
 * rng_seed_stream(r, h, splitmix64(h)). Replicate k of a run owns (seed, RNG_PURPOSE_REPLICATE, k)
 * whichever thread runs it. The caller frees with gsl_rng_free. Out of memory is fatal. */
gsl_rng *rng_stream_alloc(const gsl_rng_type *T, uint64_t seed, uint64_t purpose, uint64_t index);

/* The type named "pcg32" or "pcg64" (exact match), or NULL with err_set(ERR_INVAL, ...) if the
 * name is unknown. name must not be NULL. */
const gsl_rng_type *rng_type_find(const char *name);

#endif
