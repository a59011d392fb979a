/* rng: PCG32 / PCG64 (M.E. O'Neill, "PCG: A family of simple fast space-efficient statistically
 * good algorithms for random number generation", 2014) as gsl_rng types, written from the paper
 * and the reference's definitions. The constraint: outputs must match the reference bit for bit
 * (tests/check_rng.c holds its published vectors), so no step here may be "improved". */
#include "rng.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static_assert(ULONG_MAX == UINT64_MAX, "rng_pcg64 returns 64-bit values through unsigned long");

__extension__ typedef unsigned __int128 u128;

#define U128(hi, lo) (((u128)(hi) << 64) | (u128)(lo))

/* LCG multipliers of the reference (PCG_DEFAULT_MULTIPLIER_64 / _128). */
#define PCG_MULT_64 UINT64_C(6364136223846793005)
#define PCG_MULT_128 U128(0x2360ED051FC65DA4u, 0x4385DF649FCCF645u)

/* Salts for PCG64's derived high words: the first two SHA-512 IV words, i.e. arbitrary fixed
 * "nothing up my sleeve" constants; distinct so the state and stream high words differ. */
#define SALT_STATE_HI UINT64_C(0x6a09e667f3bcc908)
#define SALT_SEQ_HI UINT64_C(0xbb67ae8584caa73b)

typedef struct {
    uint64_t state, inc; /* inc is odd: (initseq << 1) | 1 */
} Pcg32;

typedef struct {
    u128 state, inc;
} Pcg64;

/* splitmix64's output function (Steele, Lea, Flood 2014) applied to x + golden gamma: a
 * bijection of 64-bit words with good avalanche, so distinct inputs stay distinct. */
static uint64_t mix64(uint64_t z)
{
    z += UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint32_t rotr32(uint32_t x, unsigned r) { return (x >> r) | (x << ((32 - r) & 31)); }
static uint64_t rotr64(uint64_t x, unsigned r) { return (x >> r) | (x << ((64 - r) & 63)); }

/* ---- PCG32: state' = a*state + inc (mod 2^64); output XSH-RR of the OLD state ---- */

static void pcg32_step(Pcg32 *g) { g->state = g->state * PCG_MULT_64 + g->inc; }

static uint32_t pcg32_next(Pcg32 *g)
{
    uint64_t old = g->state;
    pcg32_step(g);
    /* XSH-RR: xorshift the high bits down, keep 32 bits (58..27), rotate by the top 5 bits */
    uint32_t x = (uint32_t)(((old >> 18) ^ old) >> 27);
    return rotr32(x, (unsigned)(old >> 59));
}

static void pcg32_seed(Pcg32 *g, uint64_t initstate, uint64_t initseq)
{
    g->state = 0;
    g->inc = (initseq << 1) | 1;
    pcg32_step(g);
    g->state += initstate;
    pcg32_step(g);
}

static void pcg32_set(void *state, unsigned long seed)
{
    pcg32_seed(state, seed, RNG_DEFAULT_STREAM);
}

static unsigned long pcg32_get(void *state) { return pcg32_next(state); }

static double pcg32_get_double(void *state) { return (double)pcg32_next(state) * 0x1.0p-32; }

/* ---- PCG64: state' = a*state + inc (mod 2^128); output XSL-RR of the NEW state ----
 * (The reference's 128-bit generators step first and permute the new state; the 64-bit ones
 * permute the old state. Both are reproduced here.) */

static void pcg64_step(Pcg64 *g) { g->state = g->state * PCG_MULT_128 + g->inc; }

static uint64_t pcg64_next(Pcg64 *g)
{
    pcg64_step(g);
    /* xor the halves, rotate by the top 6 bits */
    uint64_t x = (uint64_t)(g->state >> 64) ^ (uint64_t)g->state;
    return rotr64(x, (unsigned)(g->state >> 122));
}

static void pcg64_seed(Pcg64 *g, u128 initstate, u128 initseq)
{
    g->state = 0;
    g->inc = (initseq << 1) | 1;
    pcg64_step(g);
    g->state += initstate;
    pcg64_step(g);
}

static void pcg64_seed_stream(Pcg64 *g, uint64_t initstate, uint64_t initseq)
{
    uint64_t state_hi = mix64(initstate ^ SALT_STATE_HI) | 1;
    uint64_t seq_hi = mix64(initseq ^ SALT_SEQ_HI) | 1;
    pcg64_seed(g, U128(state_hi, initstate), U128(seq_hi, initseq));
}

static void pcg64_set(void *state, unsigned long seed)
{
    pcg64_seed_stream(state, seed, RNG_DEFAULT_STREAM);
}

static unsigned long pcg64_get(void *state) { return pcg64_next(state); }

/* 53 random bits, the most a double holds exactly */
static double pcg64_get_double(void *state)
{
    return (double)(pcg64_next(state) >> 11) * 0x1.0p-53;
}

/* ---- GSL type tables ---- */

static const gsl_rng_type pcg32_type = {
    "pcg32", UINT32_MAX, 0, sizeof(Pcg32), pcg32_set, pcg32_get, pcg32_get_double,
};
static const gsl_rng_type pcg64_type = {
    "pcg64", UINT64_MAX, 0, sizeof(Pcg64), pcg64_set, pcg64_get, pcg64_get_double,
};

const gsl_rng_type *rng_pcg32 = &pcg32_type;
const gsl_rng_type *rng_pcg64 = &pcg64_type;

/* ---- public API ---- */

void rng_seed_stream(gsl_rng *r, uint64_t initstate, uint64_t initseq)
{
    assert(r && (r->type == &pcg32_type || r->type == &pcg64_type));
    if (r->type == &pcg32_type)
        pcg32_seed(r->state, initstate, initseq);
    else
        pcg64_seed_stream(r->state, initstate, initseq);
}

void rng_seed_stream128(gsl_rng *r, uint64_t state_hi, uint64_t state_lo, uint64_t seq_hi,
                        uint64_t seq_lo)
{
    assert(r && r->type == &pcg64_type);
    pcg64_seed(r->state, U128(state_hi, state_lo), U128(seq_hi, seq_lo));
}

/* Jump-ahead for x' = a*x + c (F. Brown, "Random number generation with arbitrary strides",
 * Trans. Am. Nucl. Soc. 71, 1994). delta steps compose to x' = A*x + C with
 *   A = a^delta,  C = c * (a^(delta-1) + ... + a + 1),
 * built by square-and-multiply over the bits of delta: (a, c) for a stride of 2^k squares to
 * (a*a, (a+1)*c) for 2^(k+1), and strides compose as (a1, c1) then (a2, c2) = (a2*a1, a2*c1 + c2).
 * Everything is mod 2^64 / 2^128 by unsigned wrap-around. */
static uint64_t lcg_advance_64(uint64_t x, uint64_t delta, uint64_t a, uint64_t c)
{
    uint64_t acc_a = 1, acc_c = 0;
    while (delta > 0) {
        if (delta & 1) {
            acc_a *= a;
            acc_c = acc_c * a + c;
        }
        c = (a + 1) * c;
        a *= a;
        delta >>= 1;
    }
    return acc_a * x + acc_c;
}

static u128 lcg_advance_128(u128 x, uint64_t delta, u128 a, u128 c)
{
    u128 acc_a = 1, acc_c = 0;
    while (delta > 0) {
        if (delta & 1) {
            acc_a *= a;
            acc_c = acc_c * a + c;
        }
        c = (a + 1) * c;
        a *= a;
        delta >>= 1;
    }
    return acc_a * x + acc_c;
}

void rng_advance(gsl_rng *r, uint64_t delta)
{
    assert(r && (r->type == &pcg32_type || r->type == &pcg64_type));
    if (r->type == &pcg32_type) {
        Pcg32 *g = r->state;
        g->state = lcg_advance_64(g->state, delta, PCG_MULT_64, g->inc);
    } else {
        Pcg64 *g = r->state;
        g->state = lcg_advance_128(g->state, delta, PCG_MULT_128, g->inc);
    }
}

/* Chained through the bijection mix64, so for fixed (seed, purpose) distinct indices give
 * distinct hashes; across purposes a collision needs a 2^-64 coincidence. */
uint64_t rng_hash3(uint64_t seed, uint64_t purpose, uint64_t index)
{
    return mix64(mix64(mix64(seed) ^ purpose) ^ index);
}

gsl_rng *rng_stream_alloc(const gsl_rng_type *T, uint64_t seed, uint64_t purpose, uint64_t index)
{
    assert(T == &pcg32_type || T == &pcg64_type);
    gsl_rng *r = gsl_rng_alloc(T);
    if (!r) {
        fprintf(stderr, "biasamp: out of memory (gsl_rng_alloc %s)\n", T->name);
        abort();
    }
    uint64_t h = rng_hash3(seed, purpose, index);
    rng_seed_stream(r, h, mix64(h));
    return r;
}

const gsl_rng_type *rng_type_find(const char *name)
{
    assert(name);
    if (strcmp(name, "pcg32") == 0) return rng_pcg32;
    if (strcmp(name, "pcg64") == 0) return rng_pcg64;
    err_set(ERR_INVAL, "unknown rng '%s' (expected pcg32 or pcg64)", name);
    return NULL;
}
