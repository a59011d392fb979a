/* bench_gpt2: seconds per GPT-2 training step (forward, backward, AdamW) for the 124M shapes at
 * B=4, T=64 with random weights and tokens, per kernel variant; then training tokens/s for small
 * configs. Usage: bench_gpt2 [steps] (default 5): medians of the phases and of their total, and
 * the mean of gpt2_train_step end to end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "adamw.h"
#include "gpt2.h"
#include "gpt2_train.h"
#include "kernels.h"
#include "xalloc.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *x, int n)
{
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

typedef struct Timing {
    double fwd, bwd, opt, step; /* median seconds: forward, zero_grad + backward, AdamW, total */
    double e2e;                 /* mean seconds of gpt2_train_step */
    float loss;
} Timing;

static Timing time_steps(const Gpt2Config *cfg, int B, int T, int steps)
{
    Gpt2 *m;
    if (gpt2_alloc(&m, cfg, B, T)) {
        fprintf(stderr, "bench_gpt2: bad config\n");
        exit(1);
    }
    gpt2_init_random(m, 42);
    int *tok = xcalloc((size_t)B * T, sizeof(int)), *tgt = xcalloc((size_t)B * T, sizeof(int));
    unsigned s = 7u;
    for (int i = 0; i < B * T; i++) {
        s = s * 1664525u + 1013904223u;
        tok[i] = (int)((s >> 8) % (unsigned)cfg->vocab_size);
    }
    for (int i = 0; i < B * T; i++) tgt[i] = tok[(i + 1) % (B * T)];
    AdamW *opt;
    AdamWConfig ac = adamw_config_default();
    adamw_alloc(&opt, m->num_params, &ac);
    AdamWGroup groups[32];
    gpt2_adamw_groups(m, groups);
    Gpt2TrainConfig tc = {.lr = 1e-4f, .lr_final = 1e-5f, .warmup_steps = 2, .total_steps = 100,
                          .grad_clip = 1.0f, .grad_accum = 1};
    double *tf = xcalloc(steps, sizeof(double)), *tb = xcalloc(steps, sizeof(double));
    double *to = xcalloc(steps, sizeof(double)), *ts = xcalloc(steps, sizeof(double));
    Timing r = {0};
    for (int k = -1; k < steps; k++) { /* k = -1: warm-up */
        /* the phases of gpt2_train_step, timed one by one */
        double t0 = now();
        gpt2_forward(m, tok, tgt, B, T, &r.loss);
        double t1 = now();
        gpt2_zero_grad(m);
        gpt2_backward(m, 1.0f);
        double t2 = now();
        float norm = (float)gpt2_grad_norm(m);
        float scale = norm > tc.grad_clip ? tc.grad_clip / (norm + 1e-6f) : 1.0f;
        adamw_step(opt, m->param_memory, m->grad_memory, groups, gpt2_tensor_count(),
                   gpt2_train_lr(&tc, opt->t), scale);
        double t3 = now();
        if (k >= 0) {
            tf[k] = t1 - t0;
            tb[k] = t2 - t1;
            to[k] = t3 - t2;
            ts[k] = t3 - t0;
        }
    }
    /* and the real thing, end to end */
    double t0 = now();
    for (int k = 0; k < steps; k++) gpt2_train_step(m, opt, &tc, tok, tgt, B, T, NULL);
    double whole = (now() - t0) / steps;
    r.fwd = median(tf, steps);
    r.bwd = median(tb, steps);
    r.opt = median(to, steps);
    r.step = median(ts, steps);
    r.e2e = whole;
    free(tf);
    free(tb);
    free(to);
    free(ts);
    adamw_free(opt);
    free(tok);
    free(tgt);
    gpt2_free(m);
    return r;
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 5;
    if (steps < 1) steps = 1;
    int nthreads = 1;
#ifdef _OPENMP
    nthreads = omp_get_max_threads();
#endif
    Gpt2Config c124 = gpt2_config_124m();
    printf("# GPT-2 124M (%zu params), B=4 T=64, random weights and tokens; median of %d steps;"
           " threads=%d\n",
           gpt2_config_num_params(&c124), steps, nthreads);
    printf("%-8s %8s %8s %8s %8s %8s %8s\n", "kernels", "fwd_s", "bwd_s", "adamw_s", "step_s",
           "e2e_s", "loss");
    const char *names[] = {"avx512", "avx2"};
    for (int v = 0; v < 2; v++) {
        if (!kernels_supported(kernels_find(names[v]))) continue;
        kernels_set(names[v]);
        Timing t = time_steps(&c124, 4, 64, steps);
        printf("%-8s %8.3f %8.3f %8.3f %8.3f %8.3f %8.4f\n", names[v], t.fwd, t.bwd, t.opt,
               t.step, t.e2e, t.loss);
        fflush(stdout);
    }
    kernels_set("auto");
    printf("# small configs (kernels=%s), B=8 T=128: training tokens/s (fwd+bwd+AdamW)\n",
           kernels_name());
    printf("%3s %5s %4s %7s %12s %10s\n", "L", "C", "NH", "V", "params", "tokens/s");
    static const int small[][4] = {{4, 128, 4, 8192},  {4, 256, 4, 8192},  {6, 384, 6, 8192},
                                   {4, 128, 4, 50257}, {4, 256, 4, 50257}, {6, 384, 6, 50257}};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        Gpt2Config c = {.max_seq_len = 128, .vocab_size = small[i][3], .num_layers = small[i][0],
                        .num_heads = small[i][2], .channels = small[i][1]};
        Timing t = time_steps(&c, 8, 128, steps);
        printf("%3d %5d %4d %7d %12zu %10.0f\n", c.num_layers, c.channels, c.num_heads,
               c.vocab_size, gpt2_config_num_params(&c), 8 * 128 / t.e2e);
        fflush(stdout);
    }
    return 0;
}
