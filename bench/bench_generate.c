/* bench_generate: GPT-2 124M inference speed with the KV cache (random weights; speed does not
 * depend on their values): greedy decode at batch 1 (tokens/s), prefill (tokens/s), and the block
 * protocol's batched throughput (64-token prompts, 64 new tokens, 16 at a time). First, the
 * weight stream of one decoded token alone — the 48 matmuls of the 12 blocks and the LM head at
 * one row — with the kernels' few-row path beside OpenBLAS sgemv and a plain read of the same
 * bytes, all in this run: batch-1 decoding is bound by reading ~0.5 GB of weights per token.
 * Last, the block protocol's throughput for 124M and for the demo configurations' small model. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "err.h"
#include "generate.h"
#include "gpt2.h"
#include "kernels.h"
#include "xalloc.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The weights of one decoded token: per block qkv (2304 x 768), attn proj (768 x 768), fc
 * (3072 x 768), fc proj (768 x 3072); then the LM head (50304 x 768). */
enum { NMAT = 49 };
static void mat_shape(int i, int *K, int *N)
{
    static const int kn[4][2] = {{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}};
    if (i == NMAT - 1) *K = 768, *N = 50304;
    else *K = kn[i % 4][0], *N = kn[i % 4][1];
}

static double sink;

/* Median seconds of 5 passes of fn over all matrices (x, y: input and output rows). */
static uint16_t *wpk[NMAT];
static float *wpf[NMAT];

static double stream_time(int how, float **w, const float *x, float *y)
{
    double t[5];
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (int i = 0; i < NMAT; i++) {
            int K, N;
            mat_shape(i, &K, &N);
            if (how == 0) kernels_get()->matmul_forward(y, x, w[i], NULL, 1, K, N);
            else if (how == 3) kernels_get()->matmul_forward_bf16(y, x, wpk[i], NULL, 1, K, N);
            else if (how == 4) kernels_get()->matmul_forward_packed(y, x, wpf[i], NULL, 1, K, N);
            else if (how == 1)
                cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0f, w[i], K, x, 1, 0.0f, y, 1);
            else { /* read every weight once: the memory-bandwidth floor */
                double s = 0;
                size_t n = (size_t)K * N;
                KERNELS_OMP(parallel for reduction(+ : s) schedule(static))
                for (size_t j = 0; j < n; j += 16) s += w[i][j] + w[i][j + 8];
                sink += s;
            }
        }
        t[r] = now() - t0;
    }
    for (int a = 0; a < 5; a++) /* median of 5 */
        for (int b = a + 1; b < 5; b++)
            if (t[b] < t[a]) { double u = t[a]; t[a] = t[b]; t[b] = u; }
    return t[2];
}

static void weight_stream(void)
{
    float *w[NMAT], *x = xcalloc_aligned(3072, sizeof(float));
    float *y = xcalloc_aligned(50304, sizeof(float));
    double bytes = 0;
    for (int i = 0; i < NMAT; i++) {
        int K, N;
        mat_shape(i, &K, &N);
        w[i] = xcalloc_aligned((size_t)K * N, sizeof(float));
        for (size_t j = 0; j < (size_t)K * N; j++) w[i][j] = (float)((j * 2654435761u) % 1000) * 1e-3f;
        bytes += 4.0 * K * N;
        wpk[i] = xcalloc_aligned(kernels_packed_len(K, N), sizeof(uint16_t));
        kernels_bf16_pack(wpk[i], w[i], K, N);
        wpf[i] = xcalloc_aligned(kernels_packed_len(K, N), sizeof(float));
        kernels_pack(wpf[i], w[i], K, N);
    }
    for (int k = 0; k < 3072; k++) x[k] = (float)(k % 7) * 0.1f;
    stream_time(0, w, x, y); /* warm-up */
    /* OpenBLAS last: its idle threads spin for a while after each call */
    double tk = stream_time(0, w, x, y), tr = stream_time(2, w, x, y);
    double th = kernels_get()->matmul_forward_bf16 ? stream_time(3, w, x, y) : 0;
    double tp = kernels_get()->matmul_forward_packed ? stream_time(4, w, x, y) : 0;
    double tb = stream_time(1, w, x, y);
    printf("weight stream of one token (%.0f MB): kernels %.1f ms (%.1f GB/s, %.1f tokens/s "
           "ceiling), OpenBLAS sgemv %.1f ms (%.1f GB/s): kernels/OpenBLAS speed %.2fx; "
           "plain read %.1f ms (%.1f GB/s): kernels at %.0f%% of it\n",
           bytes / 1e6, 1e3 * tk, bytes / tk / 1e9, 1 / tk, 1e3 * tb, bytes / tb / 1e9, tb / tk,
           1e3 * tr, bytes / tr / 1e9, 100 * tr / tk);
    if (tp > 0)
        printf("  packed float weights: %.1f ms (%.1f tokens/s ceiling): %.2fx the float kernels, "
               "%.0f%% of the plain read\n", 1e3 * tp, 1 / tp, tk / tp, 100 * tr / tp);
    if (th > 0)
        printf("  bfloat16 weights (%.0f MB): %.1f ms (%.1f tokens/s ceiling): %.2fx the float "
               "kernels\n", bytes / 2e6, 1e3 * th, 1 / th, tk / th);
    for (int i = 0; i < NMAT; i++) xfree_aligned(w[i]), xfree_aligned(wpk[i]), xfree_aligned(wpf[i]);
    xfree_aligned(x);
    xfree_aligned(y);
}

/* Prefill and decode speed (tokens/s) of one 64-token prompt continued by 128 greedy tokens;
 * returns the tokens (malloc'd). */
static int *decode_batch1(const Gpt2 *m, GenWeights w, double *prefill_tps, double *decode_tps)
{
    int prompt[64];
    for (int i = 0; i < 64; i++) prompt[i] = (i * 911 + 7) % m->config.vocab_size;
    GenOpts o = gen_opts_default();
    o.eot = -1;
    Gen *g;
    gen_alloc(&g, m, 1, 256, 256);
    gen_set_weights(g, w);
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
    gen_free(g);
    *prefill_tps = 64 / prefill;
    *decode_tps = 128 / dec;
    return out;
}

/* The block protocol's batched throughput: nb blocks of 64 tokens continued by 64 new tokens,
 * `slots` at a time. */
static void block_protocol(const Gpt2 *m, const char *what, int slots, int nb)
{
    int V = m->config.vocab_size;
    int **blocks = malloc((size_t)nb * sizeof *blocks), *lens = malloc((size_t)nb * sizeof(int));
    int **outs = malloc((size_t)nb * sizeof *outs), *outl = malloc((size_t)nb * sizeof(int));
    for (int i = 0; i < nb; i++) {
        blocks[i] = malloc(64 * sizeof(int));
        for (int k = 0; k < 64; k++) blocks[i][k] = (i * 131 + k * 17) % V;
        lens[i] = 64;
    }
    GenOpts o = gen_opts_default();
    o.eot = -1;
    o.max_new = 64;
    Gen *g;
    gen_alloc(&g, m, slots, 128, slots * 64);
    double t0 = now();
    gen_generate(g, (const int *const *)blocks, lens, (size_t)nb, 0, &o, outs, outl, NULL);
    double t = now() - t0;
    printf("block protocol, %s, %d slots: %d blocks x 64 new tokens in %.2f s = %.1f generated "
           "tokens/s\n", what, slots, nb, t, nb * 64 / t);
    for (int i = 0; i < nb; i++) {
        free(outs[i]);
        free(blocks[i]);
    }
    free(blocks);
    free(lens);
    free(outs);
    free(outl);
    gen_free(g);
}

int main(int argc, char **argv)
{
    const char *variant = argc > 1 ? argv[1] : "auto";
    if (kernels_set(variant)) {
        fprintf(stderr, "bench_generate: %s\n", err_msg());
        return 2;
    }
    weight_stream();
    Gpt2Config cfg = gpt2_config_124m();
    Gpt2 *m;
    if (gpt2_alloc(&m, &cfg, 1, 1)) {
        fprintf(stderr, "bench_generate: %s\n", err_msg());
        return 1;
    }
    gpt2_init_random(m, 1);
    printf("GPT-2 124M, kernels %s\n", kernels_name());
    /* batch 1: plain float, packed float and bfloat16 weights in turn (the best of 2 runs each:
     * the machine may be shared) */
    static const char *wname[3] = {"float", "float, packed (gpt2 generate's default)",
                                   "bfloat16 (--weights bf16)"};
    double pre[3] = {0, 0, 0}, dec[3] = {0, 0, 0};
    int *toks[3] = {NULL, NULL, NULL};
    for (int rep = 0; rep < 2; rep++)
        for (int w = 0; w < 3; w++) {
            double p, d;
            int *t = decode_batch1(m, (GenWeights)w, &p, &d);
            if (p > pre[w]) pre[w] = p;
            if (d > dec[w]) dec[w] = d;
            free(toks[w]);
            toks[w] = t;
        }
    for (int w = 0; w < 3; w++) {
        int same = 0;
        while (same < 128 && toks[0][same] == toks[w][same]) same++;
        printf("batch 1, %s weights: prefill %.0f tokens/s (64-token prompt), greedy decode "
               "%.1f tokens/s (128 tokens) = %.2fx plain float; first %d of 128 tokens equal to "
               "plain float's\n", wname[w], pre[w], dec[w], dec[w] / dec[0], same);
    }
    for (int w = 0; w < 3; w++) free(toks[w]);
    block_protocol(m, "GPT-2 124M", 16, 32);
    gpt2_free(m);
    /* the demo configurations' model (configs/demo-*.ini): 4 layers, 128 channels, 4k tokens */
    Gpt2Config small = {.max_seq_len = 128, .vocab_size = 4096, .num_layers = 4, .num_heads = 4,
                        .channels = 128};
    if (gpt2_alloc(&m, &small, 1, 1)) {
        fprintf(stderr, "bench_generate: %s\n", err_msg());
        return 1;
    }
    gpt2_init_random(m, 1);
    block_protocol(m, "demo model (L4 C128 V4096)", 96, 384);
    gpt2_free(m);
    return 0;
}
