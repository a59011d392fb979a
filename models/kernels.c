/* kernels: run-time dispatch between the kernel variants, and the per-thread packing scratch.
 * Compiled without ISA flags: only __builtin_cpu_supports decides whether a variant may run. */
#include "kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

static const KernelSet *const kernels_table[] = {&kernels_scalar, &kernels_avx2, &kernels_avx512};
#define KERNELS_COUNT (sizeof kernels_table / sizeof kernels_table[0])

static _Atomic(const KernelSet *) kernels_current;

const KernelSet *kernels_find(const char *name)
{
    for (size_t i = 0; name && i < KERNELS_COUNT; i++)
        if (strcmp(kernels_table[i]->name, name) == 0) return kernels_table[i];
    return NULL;
}

int kernels_supported(const KernelSet *ks)
{
    __builtin_cpu_init();
    if (ks == &kernels_scalar) return 1;
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (ks == &kernels_avx2) return avx2;
    if (ks == &kernels_avx512)
        return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    return 0;
}

static const KernelSet *kernels_best(void)
{
    for (size_t i = KERNELS_COUNT; i-- > 0;)
        if (kernels_supported(kernels_table[i])) return kernels_table[i];
    return &kernels_scalar;
}

int kernels_set(const char *name)
{
    const KernelSet *ks;
    if (name && strcmp(name, "auto") == 0) {
        ks = kernels_best();
    } else {
        ks = kernels_find(name);
        if (!ks)
            return err_set(ERR_INVAL, "unknown kernels '%s' (scalar, avx2, avx512 or auto)",
                           name ? name : "(null)");
        if (!kernels_supported(ks))
            return err_set(ERR_UNSUPPORTED, "this CPU cannot run the '%s' kernels", ks->name);
    }
    atomic_store(&kernels_current, ks);
    return ERR_OK;
}

const KernelSet *kernels_get(void)
{
    const KernelSet *ks = atomic_load(&kernels_current);
    if (!ks) {
        /* Benign race: every thread computes the same answer. */
        ks = kernels_best();
        atomic_store(&kernels_current, ks);
    }
    return ks;
}

const char *kernels_name(void) { return kernels_get()->name; }

/* Per-thread scratch: a pthread key whose destructor frees the buffer when the thread exits. */
typedef struct Scratch {
    float *p;
    size_t n;
} Scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_destroy(void *v)
{
    Scratch *s = v;
    xfree_aligned(s->p);
    free(s);
}

static void scratch_key_create(void)
{
    if (pthread_key_create(&scratch_key, scratch_destroy) != 0) abort();
}

float *kernels_scratch(size_t n)
{
    pthread_once(&scratch_once, scratch_key_create);
    Scratch *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = xcalloc(1, sizeof *s);
        if (pthread_setspecific(scratch_key, s) != 0) abort();
    }
    if (s->n < n) {
        xfree_aligned(s->p);
        s->p = xcalloc_aligned(n, sizeof(float));
        s->n = n;
    }
    return s->p;
}

/* bfloat16: round to nearest even on the top 16 bits (NaN kept quiet). */
static uint16_t bf16_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u); /* NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float kernels_bf16_round(float x)
{
    uint32_t u = (uint32_t)bf16_bits(x) << 16;
    float y;
    memcpy(&y, &u, sizeof y);
    return y;
}

size_t kernels_packed_len(int C, int OC)
{
    return (size_t)((OC + 7) / 8) * 8 * (size_t)C;
}

void kernels_bf16_pack(uint16_t *dst, const float *w, int C, int OC)
{
    int ng = (OC + 7) / 8;
    KERNELS_OMP(parallel for schedule(static))
    for (int g = 0; g < ng; g++)
        for (int k = 0; k < C; k++)
            for (int r = 0; r < 8; r++) {
                int o = 8 * g + r;
                dst[((size_t)g * C + k) * 8 + r] = o < OC ? bf16_bits(w[(size_t)o * C + k]) : 0;
            }
}

void kernels_pack(float *dst, const float *w, int C, int OC)
{
    int ng = (OC + 7) / 8;
    KERNELS_OMP(parallel for schedule(static))
    for (int g = 0; g < ng; g++)
        for (int k = 0; k < C; k++)
            for (int r = 0; r < 8; r++) {
                int o = 8 * g + r;
                dst[((size_t)g * C + k) * 8 + r] = o < OC ? w[(size_t)o * C + k] : 0.0f;
            }
}
