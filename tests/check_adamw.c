/* check_adamw: AdamW against a hand-computed step and a float64 replay; the GPT-2 training step
 * (schedule, clipping, accumulation, loss mask, non-finite guard, a micro model memorising a text,
 * same seed => same loss curve for any thread count); and the checkpoint format (bit-exact
 * round trip, exact resume, truncated / corrupt / foreign / mismatched files). */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "adamw.h"
#include "checkpoint.h"
#include "err.h"
#include "gpt2.h"
#include "gpt2_train.h"
#include "xalloc.h"

/* ---- AdamW ---- */

START_TEST(test_adamw_hand_computed)
{
    AdamWConfig cfg = {.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.1f};
    AdamW *o;
    ck_assert_int_eq(adamw_alloc(&o, 4, &cfg), ERR_OK);
    float p[4] = {1.0f, -2.0f, 0.5f, 3.0f};
    float g1[4] = {0.5f, -1.0f, 2.0f, 7.0f}, g2[4] = {-0.3f, 0.2f, 1.0f, 7.0f};
    AdamWGroup groups[2] = {{.offset = 0, .n = 2, .decay = 1}, {.offset = 2, .n = 1, .decay = 0}};
    float lr = 0.01f;
    adamw_step(o, p, g1, groups, 2, lr, 1.0f);
    /* By hand, step 1: m̂ = g, v̂ = g², so θ = θ (1 - lr wd) - lr g / (|g| + eps):
     * 1 -> 0.999 - 0.01 = 0.989;  -2 -> -1.998 + 0.01 = -1.988;  0.5 -> 0.5 - 0.01 = 0.49. */
    ck_assert(fabsf(p[0] - 0.989f) < 1e-6f);
    ck_assert(fabsf(p[1] - -1.988f) < 1e-6f);
    ck_assert(fabsf(p[2] - 0.49f) < 1e-6f);
    ck_assert(p[3] == 3.0f && o->m[3] == 0.0f && o->v[3] == 0.0f); /* outside every group */
    /* m = 0.1 g, v = 0.001 g² (to float's rendering of 1 - 0.9f and 1 - 0.999f) */
    ck_assert(fabsf(o->m[0] - 0.05f) < 1e-4f * 0.05f && fabsf(o->v[1] - 0.001f) < 1e-4f * 0.001f);
    ck_assert_int_eq((int)o->t, 1);
    /* Step 2 with grad_scale 0.5 against a float64 replay of torch's update. */
    double P[3] = {1.0, -2.0, 0.5}, M[3] = {0}, V[3] = {0};
    for (int t = 1; t <= 2; t++)
        for (int i = 0; i < 3; i++) {
            double g = t == 1 ? g1[i] : 0.5 * g2[i];
            M[i] = 0.9 * M[i] + 0.1 * g;
            V[i] = 0.999 * V[i] + 0.001 * g * g;
            double shrink = i < 2 ? 1.0 - 0.01 * 0.1 : 1.0;
            double denom = sqrt(V[i]) / sqrt(1.0 - pow(0.999, t)) + 1e-8;
            P[i] = P[i] * shrink - 0.01 / (1.0 - pow(0.9, t)) * M[i] / denom;
        }
    adamw_step(o, p, g2, groups, 2, lr, 0.5f);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(fabs(p[i] - P[i]) < 1e-6, "p[%d] = %.9g, replay %.9g", i, p[i], P[i]);
    ck_assert(p[3] == 3.0f);
    adamw_free(o);
    adamw_free(NULL);
}
END_TEST

START_TEST(test_adamw_config_errors)
{
    AdamWConfig c = adamw_config_default();
    ck_assert_int_eq(adamw_config_check(&c), ERR_OK);
    c.beta1 = 1.0f;
    ck_assert_int_eq(adamw_config_check(&c), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "beta1"));
    c = adamw_config_default();
    c.eps = 0.0f;
    AdamW *o = (AdamW *)&c;
    ck_assert_int_eq(adamw_alloc(&o, 3, &c), ERR_INVAL);
    ck_assert_ptr_null(o);
    c = adamw_config_default();
    c.weight_decay = NAN;
    ck_assert_int_eq(adamw_config_check(&c), ERR_INVAL);
}
END_TEST

/* ---- training ---- */

static const char *TEXT = "the quick brown fox jumps over the lazy dog and the cat";

/* Character-level micro model (V = 27: a-z and space). */
static const Gpt2Config micro = {
    .max_seq_len = 16, .vocab_size = 27, .num_layers = 2, .num_heads = 4, .channels = 32};

static int char_id(char c) { return c == ' ' ? 26 : c - 'a'; }

/* B windows of length T starting every `stride` characters: tokens and next-char targets. */
static void text_batch(int *tok, int *tgt, int B, int T, int stride)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            tok[b * T + t] = char_id(TEXT[b * stride + t]);
            tgt[b * T + t] = char_id(TEXT[b * stride + t + 1]);
        }
}

static const Gpt2TrainConfig train_cfg = {.lr = 1e-2f, .lr_final = 1e-3f, .warmup_steps = 10,
                                          .total_steps = 300, .grad_clip = 1.0f, .grad_accum = 1};

static void new_trainer(Gpt2 **m, AdamW **o, int B, int T, uint64_t seed)
{
    ck_assert_int_eq(gpt2_alloc(m, &micro, B, T), ERR_OK);
    gpt2_init_random(*m, seed);
    AdamWConfig ac = adamw_config_default();
    ac.weight_decay = 0.0f;
    ck_assert_int_eq(adamw_alloc(o, (*m)->num_params, &ac), ERR_OK);
}

START_TEST(test_lr_schedule)
{
    Gpt2TrainConfig tc = {.lr = 1.0f, .lr_final = 0.1f, .warmup_steps = 4, .total_steps = 10,
                          .grad_clip = 0.0f, .grad_accum = 1};
    ck_assert_int_eq(gpt2_train_config_check(&tc), ERR_OK);
    float want[] = {0.25f, 0.5f, 0.75f, 1.0f, 1.0f, 0.85f, 0.7f, 0.55f, 0.4f, 0.25f, 0.1f, 0.1f};
    for (int s = 0; s < 12; s++)
        ck_assert_msg(fabsf(gpt2_train_lr(&tc, s) - want[s]) < 1e-6f, "step %d: %g", s,
                      gpt2_train_lr(&tc, s));
    tc.total_steps = 0;
    ck_assert(gpt2_train_lr(&tc, 1000) == 1.0f);
    tc.warmup_steps = 0;
    ck_assert(gpt2_train_lr(&tc, 0) == 1.0f);
    tc.grad_accum = 0;
    ck_assert_int_eq(gpt2_train_config_check(&tc), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "grad_accum"));
    tc = train_cfg;
    tc.lr_final = 1.0f; /* > lr */
    ck_assert_int_eq(gpt2_train_config_check(&tc), ERR_INVAL);
}
END_TEST

/* A micro model memorises a short text: the loss goes from ln 27 = 3.3 to ~0. */
START_TEST(test_memorise_text)
{
    int B = 4, T = 16, tok[64], tgt[64];
    text_batch(tok, tgt, B, T, 12);
    Gpt2 *m;
    AdamW *o;
    new_trainer(&m, &o, B, T, 11);
    Gpt2StepStats st = {0};
    float first = 0.0f;
    for (int s = 0; s < 300; s++) {
        ck_assert_int_eq(gpt2_train_step(m, o, &train_cfg, tok, tgt, B, T, &st), ERR_OK);
        if (s == 0) first = st.loss;
    }
    ck_assert_msg(first > 3.0f, "initial loss %g", first);
    ck_assert_msg(st.loss < 0.05f, "final loss %g", st.loss);
    ck_assert_int_eq(st.tokens, B * T);
    ck_assert_int_eq((int)o->t, 300);
    adamw_free(o);
    gpt2_free(m);
}
END_TEST

/* Same seed => the same loss curve, bit for bit, with 1 or 2 threads. */
START_TEST(test_same_seed_same_curve)
{
    int B = 2, T = 16, tok[32], tgt[32];
    text_batch(tok, tgt, B, T, 20);
    float curve[3][15];
    for (int run = 0; run < 3; run++) {
#ifdef _OPENMP
        int saved = omp_get_max_threads();
        omp_set_num_threads(run == 2 ? 1 : 2);
#endif
        Gpt2 *m;
        AdamW *o;
        new_trainer(&m, &o, B, T, 5);
        for (int s = 0; s < 15; s++) {
            Gpt2StepStats st;
            ck_assert_int_eq(gpt2_train_step(m, o, &train_cfg, tok, tgt, B, T, &st), ERR_OK);
            curve[run][s] = st.loss;
        }
        adamw_free(o);
        gpt2_free(m);
#ifdef _OPENMP
        omp_set_num_threads(saved);
#endif
    }
    ck_assert(memcmp(curve[0], curve[1], sizeof curve[0]) == 0);
    ck_assert(memcmp(curve[0], curve[2], sizeof curve[0]) == 0);
    ck_assert(curve[0][14] < curve[0][0]); /* and it learns */
}
END_TEST

/* Accumulating 2 micro-batches of B=2 gives the gradient and loss of one batch of B=4. */
START_TEST(test_grad_accumulation)
{
    int T = 16, tok[64], tgt[64];
    text_batch(tok, tgt, 4, T, 12);
    tgt[5] = -1; /* masked positions weigh nothing: 30 + 32 targets, not 2 x 31 */
    tgt[9] = -1;
    Gpt2 *m1, *m2;
    AdamW *o1, *o2;
    new_trainer(&m1, &o1, 4, T, 3);
    new_trainer(&m2, &o2, 2, T, 3);
    Gpt2TrainConfig tc = train_cfg, tc2 = train_cfg;
    tc2.grad_accum = 2;
    Gpt2StepStats s1, s2;
    ck_assert_int_eq(gpt2_train_step(m1, o1, &tc, tok, tgt, 4, T, &s1), ERR_OK);
    ck_assert_int_eq(gpt2_train_step(m2, o2, &tc2, tok, tgt, 2, T, &s2), ERR_OK);
    ck_assert_int_eq(s1.tokens, 62);
    ck_assert_int_eq(s2.tokens, 62);
    ck_assert_msg(fabsf(s1.loss - s2.loss) < 1e-6f * s1.loss, "%g vs %g", s1.loss, s2.loss);
    ck_assert(fabsf(s1.grad_norm - s2.grad_norm) < 1e-5f * s1.grad_norm);
    double maxg = 0.0;
    for (size_t j = 0; j < m1->num_params; j++) maxg = fmax(maxg, fabs(m1->grad_memory[j]));
    for (size_t j = 0; j < m1->num_params; j++)
        ck_assert(fabs(m1->grad_memory[j] - m2->grad_memory[j]) <= 1e-5 * maxg);
    adamw_free(o1);
    adamw_free(o2);
    gpt2_free(m1);
    gpt2_free(m2);
}
END_TEST

/* Clipping: the step equals forward, backward, then AdamW on the gradient scaled by
 * clip / (norm + 1e-6), bit for bit. */
START_TEST(test_grad_clipping)
{
    int B = 2, T = 16, tok[32], tgt[32];
    text_batch(tok, tgt, B, T, 20);
    Gpt2 *m1, *m2;
    AdamW *o1, *o2;
    new_trainer(&m1, &o1, B, T, 8);
    new_trainer(&m2, &o2, B, T, 8);
    Gpt2TrainConfig tc = train_cfg;
    tc.grad_clip = 0.05f;
    Gpt2StepStats st;
    ck_assert_int_eq(gpt2_train_step(m1, o1, &tc, tok, tgt, B, T, &st), ERR_OK);
    gpt2_zero_grad(m2);
    ck_assert_int_eq(gpt2_forward(m2, tok, tgt, B, T, NULL), ERR_OK);
    ck_assert_int_eq(gpt2_backward(m2, 1.0f), ERR_OK);
    float norm = (float)gpt2_grad_norm(m2);
    ck_assert(norm == st.grad_norm);
    ck_assert_msg(norm > 0.05f, "norm %g: the test needs clipping to bite", norm);
    AdamWGroup groups[32];
    gpt2_adamw_groups(m2, groups);
    adamw_step(o2, m2->param_memory, m2->grad_memory, groups, gpt2_tensor_count(),
               gpt2_train_lr(&tc, 0), 0.05f / (norm + 1e-6f));
    ck_assert(memcmp(m1->param_memory, m2->param_memory, m1->num_params * sizeof(float)) == 0);
    /* AdamW decays the matrices and embeddings only, never biases or LayerNorm parameters */
    const char *decayed = " wte wpe qkvw attprojw fcw fcprojw ";
    for (int i = 0; i < gpt2_tensor_count(); i++) {
        Gpt2Tensor t = gpt2_tensor(m1, i);
        char key[32];
        snprintf(key, sizeof key, " %s ", t.name);
        ck_assert_int_eq(groups[i].decay, strstr(decayed, key) != NULL);
        ck_assert(groups[i].offset == t.offset && groups[i].n == t.size);
    }
    adamw_free(o1);
    adamw_free(o2);
    gpt2_free(m1);
    gpt2_free(m2);
}
END_TEST

/* An all-masked batch changes nothing; a non-finite loss is refused without touching state. */
START_TEST(test_mask_and_nonfinite)
{
    int B = 2, T = 16, tok[32], tgt[32];
    text_batch(tok, tgt, B, T, 20);
    Gpt2 *m;
    AdamW *o;
    new_trainer(&m, &o, B, T, 9);
    size_t n = m->num_params;
    float *before = xcalloc(n, sizeof(float));
    memcpy(before, m->param_memory, n * sizeof(float));
    int none[32];
    for (int i = 0; i < 32; i++) none[i] = -1;
    Gpt2StepStats st;
    ck_assert_int_eq(gpt2_train_step(m, o, &train_cfg, tok, none, B, T, &st), ERR_OK);
    ck_assert_int_eq(st.tokens, 0);
    ck_assert(isnan(st.loss));
    ck_assert(memcmp(before, m->param_memory, n * sizeof(float)) == 0 && o->t == 0);
    m->params.lnfw[3] = NAN;
    memcpy(before, m->param_memory, n * sizeof(float));
    ck_assert_int_eq(gpt2_train_step(m, o, &train_cfg, tok, tgt, B, T, &st), ERR_NUMERIC);
    ck_assert(memcmp(before, m->param_memory, n * sizeof(float)) == 0 && o->t == 0);
    for (size_t j = 0; j < n; j++) ck_assert(o->m[j] == 0.0f);
    free(before);
    adamw_free(o);
    gpt2_free(m);
}
END_TEST

/* ---- checkpoints ---- */

static char tmpdir[64];

static void setup_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/biasamp_ckpt_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            unlink(p);
        }
    closedir(d);
    rmdir(tmpdir);
}

static void trained(Gpt2 **m, AdamW **o, int steps, const int *tok, const int *tgt)
{
    new_trainer(m, o, 2, 16, 21);
    (*o)->cfg.weight_decay = 0.05f;
    for (int s = 0; s < steps; s++)
        ck_assert_int_eq(gpt2_train_step(*m, *o, &train_cfg, tok, tgt, 2, 16, NULL), ERR_OK);
}

static long long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long long n = ftell(f);
    fclose(f);
    return n;
}

START_TEST(test_checkpoint_roundtrip_and_resume)
{
    setup_tmpdir();
    char path[128];
    snprintf(path, sizeof path, "%s/a.ckpt", tmpdir);
    int tok[32], tgt[32];
    text_batch(tok, tgt, 2, 16, 20);
    Gpt2 *m, *m2;
    AdamW *o, *o2;
    trained(&m, &o, 3, tok, tgt);
    ck_assert_int_eq(checkpoint_save(path, m, o), ERR_OK);
    CheckpointInfo info;
    ck_assert_int_eq(checkpoint_peek(path, &info), ERR_OK);
    ck_assert(info.has_optimizer && info.step == 3 && info.config.channels == 32);
    ck_assert(info.adamw.weight_decay == 0.05f);
    new_trainer(&m2, &o2, 2, 16, 999); /* different weights, to be overwritten */
    ck_assert_int_eq(checkpoint_load(path, m2, o2), ERR_OK);
    size_t n = m->num_params;
    ck_assert(memcmp(m->param_memory, m2->param_memory, n * sizeof(float)) == 0);
    ck_assert(memcmp(o->m, o2->m, n * sizeof(float)) == 0);
    ck_assert(memcmp(o->v, o2->v, n * sizeof(float)) == 0);
    ck_assert(o2->t == 3 && memcmp(&o->cfg, &o2->cfg, sizeof o->cfg) == 0);
    for (int s = 0; s < 2; s++) { /* exact resume */
        Gpt2StepStats a, b;
        ck_assert_int_eq(gpt2_train_step(m, o, &train_cfg, tok, tgt, 2, 16, &a), ERR_OK);
        ck_assert_int_eq(gpt2_train_step(m2, o2, &train_cfg, tok, tgt, 2, 16, &b), ERR_OK);
        ck_assert(a.loss == b.loss);
    }
    ck_assert(memcmp(m->param_memory, m2->param_memory, n * sizeof(float)) == 0);
    /* weights only: loads without an optimizer, refuses to fill one */
    ck_assert_int_eq(checkpoint_save(path, m, NULL), ERR_OK);
    ck_assert_int_eq(checkpoint_peek(path, &info), ERR_OK);
    ck_assert(!info.has_optimizer && info.step == 0);
    ck_assert_int_eq(checkpoint_load(path, m2, o2), ERR_INVAL);
    ck_assert_int_eq(checkpoint_load(path, m2, NULL), ERR_OK);
    DIR *d = opendir(tmpdir); /* no temporary left behind */
    struct dirent *e;
    while ((e = readdir(d))) ck_assert_ptr_null(strstr(e->d_name, ".tmp."));
    closedir(d);
    adamw_free(o);
    adamw_free(o2);
    gpt2_free(m);
    gpt2_free(m2);
    remove_tmpdir();
}
END_TEST

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Truncated, corrupt, foreign, wrong-version and mismatched files: a clear error, the model
 * untouched, never a crash. */
START_TEST(test_checkpoint_bad_files)
{
    setup_tmpdir();
    char good[128], bad[128];
    snprintf(good, sizeof good, "%s/good.ckpt", tmpdir);
    snprintf(bad, sizeof bad, "%s/bad.ckpt", tmpdir);
    int tok[32], tgt[32];
    text_batch(tok, tgt, 2, 16, 20);
    Gpt2 *m;
    AdamW *o;
    trained(&m, &o, 1, tok, tgt);
    ck_assert_int_eq(checkpoint_save(good, m, o), ERR_OK);
    long long size = file_size(good);
    unsigned char *bytes = xmalloc((size_t)size);
    FILE *f = fopen(good, "rb");
    ck_assert_int_eq(fread(bytes, 1, (size_t)size, f), size);
    fclose(f);
    size_t n = m->num_params;
    float *before = xcalloc(n, sizeof(float));
    memcpy(before, m->param_memory, n * sizeof(float));
    m->param_memory[0] += 1.0f; /* a load that succeeded would restore it */
    memcpy(before, m->param_memory, n * sizeof(float));

    long long cuts[] = {0, 7, 40, 67, 100, 1023, 1024, 5000, size / 2, size - 13, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_bytes(bad, bytes, (size_t)cuts[i]);
        ck_assert_int_eq(checkpoint_load(bad, m, o), ERR_INVAL);
        CheckpointInfo info;
        ck_assert_int_eq(checkpoint_peek(bad, &info), ERR_INVAL);
    }
    unsigned char *b2 = xmalloc((size_t)size);
    memcpy(b2, bytes, (size_t)size);
    b2[size / 2] ^= 0x10; /* one flipped bit in the data */
    write_bytes(bad, b2, (size_t)size);
    ck_assert_int_eq(checkpoint_load(bad, m, o), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "checksum"));
    memcpy(b2, bytes, (size_t)size);
    b2[8] = 9; /* version */
    write_bytes(bad, b2, (size_t)size);
    ck_assert_int_eq(checkpoint_load(bad, m, o), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "version"));
    memcpy(b2, bytes, (size_t)size);
    b2[16 + 12] = 3; /* num_heads 4 -> 3: 32 % 3 != 0 */
    write_bytes(bad, b2, (size_t)size);
    ck_assert_int_eq(checkpoint_load(bad, m, o), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "num_heads"));
    memcpy(b2, bytes, (size_t)size);
    b2[68 + 40 + 20] ^= 1; /* a shape in the tensor table */
    write_bytes(bad, b2, (size_t)size);
    ck_assert_int_eq(checkpoint_load(bad, m, o), ERR_INVAL);
    const char *text = "{\"not\": \"a checkpoint\"}\n";
    write_bytes(bad, (const unsigned char *)text, strlen(text));
    ck_assert_int_eq(checkpoint_load(bad, m, o), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "magic"));
    memcpy(b2, bytes, (size_t)size);
    write_bytes(bad, b2, (size_t)size);
    FILE *fa = fopen(bad, "ab"); /* trailing garbage */
    fputs("xyz", fa);
    fclose(fa);
    ck_assert_int_eq(checkpoint_load(bad, m, o), ERR_INVAL);
    ck_assert(memcmp(before, m->param_memory, n * sizeof(float)) == 0);

    Gpt2Config other = micro;
    other.channels = 48;
    Gpt2 *m3;
    ck_assert_int_eq(gpt2_alloc(&m3, &other, 1, 4), ERR_OK);
    ck_assert_int_eq(checkpoint_load(good, m3, NULL), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "differs"));
    gpt2_free(m3);
    snprintf(bad, sizeof bad, "%s/missing.ckpt", tmpdir);
    ck_assert_int_eq(checkpoint_load(bad, m, o), ERR_IO);
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.ckpt", tmpdir);
    ck_assert_int_eq(checkpoint_save(bad, m, o), ERR_IO);
    ck_assert_int_eq(checkpoint_load(good, m, o), ERR_OK); /* and the good file still loads */
    free(bytes);
    free(b2);
    free(before);
    adamw_free(o);
    gpt2_free(m);
    remove_tmpdir();
}
END_TEST

Suite *suite_adamw(void);
Suite *suite_adamw(void)
{
    Suite *s = suite_create("adamw");
    TCase *to = tcase_create("optimizer");
    tcase_add_test(to, test_adamw_hand_computed);
    tcase_add_test(to, test_adamw_config_errors);
    suite_add_tcase(s, to);
    TCase *tt = tcase_create("train");
    tcase_set_timeout(tt, 60);
    tcase_add_test(tt, test_lr_schedule);
    tcase_add_test(tt, test_memorise_text);
    tcase_add_test(tt, test_same_seed_same_curve);
    tcase_add_test(tt, test_grad_accumulation);
    tcase_add_test(tt, test_grad_clipping);
    tcase_add_test(tt, test_mask_and_nonfinite);
    suite_add_tcase(s, tt);
    TCase *tk = tcase_create("checkpoint");
    tcase_set_timeout(tk, 30);
    tcase_add_test(tk, test_checkpoint_roundtrip_and_resume);
    tcase_add_test(tk, test_checkpoint_bad_files);
    suite_add_tcase(s, tk);
    return s;
}
