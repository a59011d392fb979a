/* bench_generate: GPT-2 124M inference speed with the KV cache (random weights; speed does not
 * depend on their values): greedy decode at batch 1 (tokens/s), prefill (tokens/s), and the block
 * protocol's batched throughput (64-token prompts, 64 new tokens, 16 at a time). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "err.h"
#include "generate.h"
#include "gpt2.h"
#include "kernels.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *variant = argc > 1 ? argv[1] : "auto";
    if (kernels_set(variant)) {
        fprintf(stderr, "bench_generate: %s\n", err_msg());
        return 2;
    }
    Gpt2Config cfg = gpt2_config_124m();
    Gpt2 *m;
    if (gpt2_alloc(&m, &cfg, 1, 1)) {
        fprintf(stderr, "bench_generate: %s\n", err_msg());
        return 1;
    }
    gpt2_init_random(m, 1);
    printf("GPT-2 124M, kernels %s\n", kernels_name());
    int prompt[64];
    for (int i = 0; i < 64; i++) prompt[i] = (i * 911 + 7) % cfg.vocab_size;
    GenOpts o = gen_opts_default();
    o.eot = -1;
    Gen *g;
    gen_alloc(&g, m, 1, 256, 256);
    const int *pp = prompt;
    int len = 64, *out, ol;
    o.max_new = 2; /* warm-up */
    gen_generate(g, &pp, &len, 1, 0, &o, &out, &ol, NULL);
    free(out);
    /* prefill: 64 prompt tokens + 1 new token, minus decode time of 1 token */
    o.max_new = 1;
    double t0 = now();
    for (int k = 0; k < 5; k++) {
        gen_generate(g, &pp, &len, 1, 0, &o, &out, &ol, NULL);
        free(out);
    }
    double prefill = (now() - t0) / 5;
    o.max_new = 129;
    t0 = now();
    gen_generate(g, &pp, &len, 1, 0, &o, &out, &ol, NULL);
    double dec = now() - t0 - prefill;
    free(out);
    printf("batch 1: prefill %.0f tokens/s (64-token prompt), greedy decode %.1f tokens/s "
           "(128 tokens)\n", 64 / prefill, 128 / dec);
    gen_free(g);
    /* block protocol: 32 blocks of 64 tokens, 64 new tokens each, 16 slots */
    enum { NB = 32 };
    int *blocks[NB], lens[NB];
    for (int i = 0; i < NB; i++) {
        blocks[i] = malloc(64 * sizeof(int));
        for (int k = 0; k < 64; k++) blocks[i][k] = (i * 131 + k * 17) % cfg.vocab_size;
        lens[i] = 64;
    }
    gen_alloc(&g, m, 16, 128, 16 * 64);
    int *outs[NB], outl[NB];
    o.max_new = 64;
    t0 = now();
    gen_generate(g, (const int *const *)blocks, lens, NB, 0, &o, outs, outl, NULL);
    double t = now() - t0;
    printf("block protocol, 16 slots: %d blocks x 64 new tokens in %.2f s = %.1f generated "
           "tokens/s\n", NB, t, NB * 64 / t);
    for (int i = 0; i < NB; i++) {
        free(outs[i]);
        free(blocks[i]);
    }
    gen_free(g);
    gpt2_free(m);
    return 0;
}
