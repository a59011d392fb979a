/* check_train: document packing (rows, overlap, padding) against hand-built batches fed to
 * gpt2_train_step, exact resume after an interruption, seeded shuffling, token-file reading
 * (EOT cuts, truncation), evaluation loss of a model that learns, and the error paths. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adamw.h"
#include "err.h"
#include "gpt2.h"
#include "gpt2_train.h"
#include "train.h"
#include "xalloc.h"

static Gpt2 *micro(int B, int T)
{
    Gpt2Config c = {.max_seq_len = 16, .vocab_size = 11, .num_layers = 1, .num_heads = 2,
                    .channels = 8};
    Gpt2 *m;
    ck_assert_int_eq(gpt2_alloc(&m, &c, B, T), ERR_OK);
    gpt2_init_random(m, 7);
    return m;
}

static void push(TrainDocs *d, const int *t, size_t n) { train_docs_push(d, t, n); }

START_TEST(test_plan_counts)
{
    TrainDocs d = {0};
    int a[] = {1, 2, 3}, b[] = {4, 5, 10};
    push(&d, a, 3);
    push(&d, b, 3); /* already ends with the EOT (10): nothing appended */
    TrainOpts o = train_opts_default();
    o.T = 3;
    o.B = 1;
    o.eot = 10;
    long rows, spe;
    train_plan(&d, &o, &rows, &spe); /* stream 1 2 3 10 4 5 10: 6 targets -> 2 rows */
    ck_assert_int_eq(rows, 2);
    ck_assert_int_eq(spe, 2);
    o.B = 2;
    o.grad_accum = 2;
    train_plan(&d, &o, &rows, &spe);
    ck_assert_int_eq(spe, 1);
    o.eot = -1; /* stream 1 2 3 4 5 10: 5 targets -> 2 rows (the second padded) */
    o.T = 4;
    train_plan(&d, &o, &rows, &spe);
    ck_assert_int_eq(rows, 2);
    train_docs_release(&d);
}
END_TEST

/* train_run (no shuffle) must equal gpt2_train_step on the rows packed by hand. */
START_TEST(test_packing_matches_hand_batches)
{
    TrainDocs d = {0};
    int a[] = {1, 2, 3, 4, 5}, b[] = {6, 7}, c[] = {8};
    push(&d, a, 5);
    push(&d, b, 2);
    push(&d, c, 1);
    /* stream: 1 2 3 4 5 10 6 7 10 8 10 (11 tokens, 10 targets); T = 4 -> rows
     *   in 1 2 3 4 | tg 2 3 4 5;  in 5 10 6 7 | tg 10 6 7 10;  in 10 8 10 0 | tg 8 10 -1 -1
     * B = 2: step 1 = rows 0, 1; step 2 = row 2 + a padding row (all targets -1). */
    int in1[8] = {1, 2, 3, 4, 5, 10, 6, 7}, tg1[8] = {2, 3, 4, 5, 10, 6, 7, 10};
    int in2[8] = {10, 8, 10, 0, 0, 0, 0, 0}, tg2[8] = {8, 10, -1, -1, -1, -1, -1, -1};
    TrainOpts o = train_opts_default();
    o.B = 2;
    o.T = 4;
    o.eot = 10;
    o.shuffle = 0;
    o.lr = 1e-2f;
    o.lr_final = 1e-3f;
    o.epochs = 2;
    Gpt2 *m1 = micro(2, 4), *m2 = micro(2, 4);
    TrainStats s;
    ck_assert_int_eq(train_run(m1, NULL, &d, &o, &s, NULL), ERR_OK);
    ck_assert_int_eq(s.steps, 4);
    ck_assert_int_eq(s.tokens, 20);
    AdamW *opt;
    ck_assert_int_eq(adamw_alloc(&opt, m2->num_params, &o.adamw), ERR_OK);
    Gpt2TrainConfig tc = {.lr = o.lr, .lr_final = o.lr_final, .warmup_steps = 0,
                          .total_steps = 4, .grad_clip = o.grad_clip, .grad_accum = 1};
    Gpt2StepStats ss;
    double first = NAN;
    for (int e = 0; e < 2; e++) {
        ck_assert_int_eq(gpt2_train_step(m2, opt, &tc, in1, tg1, 2, 4, &ss), ERR_OK);
        if (e == 0) first = ss.loss;
        ck_assert_int_eq(gpt2_train_step(m2, opt, &tc, in2, tg2, 2, 4, &ss), ERR_OK);
    }
    ck_assert(fabs(s.loss_first - first) < 1e-6);
    ck_assert(memcmp(m1->param_memory, m2->param_memory, m1->num_params * sizeof(float)) == 0);
    adamw_free(opt);
    gpt2_free(m1);
    gpt2_free(m2);
    train_docs_release(&d);
}
END_TEST

static int stop_at(void *ctx, const Gpt2 *m, const AdamW *opt, long step, long total, float loss)
{
    return step == *(long *)ctx ? ERR_RUNTIME : ERR_OK;
}

static void random_docs(TrainDocs *d, int n, unsigned seed)
{
    int t[40];
    for (int i = 0; i < n; i++) {
        int len = 3 + (int)((seed + 7u * i) % 29u);
        for (int k = 0; k < len; k++) t[k] = (int)((seed * 31u + 13u * i + 5u * k) % 10u);
        push(d, t, (size_t)len);
    }
}

/* Interrupted after 5 steps and continued with the same optimizer: the same bits as one run,
 * across epoch boundaries, with shuffling, accumulation and warm-up. */
START_TEST(test_resume_exact)
{
    TrainDocs d = {0};
    random_docs(&d, 23, 3);
    TrainOpts o = train_opts_default();
    o.B = 2;
    o.T = 8;
    o.grad_accum = 2;
    o.eot = 10;
    o.epochs = 3;
    o.warmup_steps = 2;
    o.lr = 3e-3f;
    o.seed = 99;
    Gpt2 *m1 = micro(2, 8), *m2 = micro(2, 8);
    TrainStats s1, s2;
    ck_assert_int_eq(train_run(m1, NULL, &d, &o, &s1, NULL), ERR_OK);
    long rows, spe;
    train_plan(&d, &o, &rows, &spe);
    ck_assert_int_eq(s1.steps, 3 * spe);
    ck_assert_int_gt(spe, 2);
    AdamW *opt;
    ck_assert_int_eq(adamw_alloc(&opt, m2->num_params, &o.adamw), ERR_OK);
    long at = spe + 1;
    o.on_step = stop_at;
    o.ctx = &at;
    ck_assert_int_eq(train_run(m2, opt, &d, &o, &s2, NULL), ERR_RUNTIME);
    ck_assert_int_eq(opt->t, at);
    o.on_step = NULL;
    ck_assert_int_eq(train_run(m2, opt, &d, &o, &s2, NULL), ERR_OK);
    ck_assert_int_eq(s2.steps, 3 * spe - at);
    ck_assert(memcmp(m1->param_memory, m2->param_memory, m1->num_params * sizeof(float)) == 0);
    /* another seed gives another order, hence other weights */
    Gpt2 *m3 = micro(2, 8);
    o.seed = 100;
    ck_assert_int_eq(train_run(m3, NULL, &d, &o, &s2, NULL), ERR_OK);
    ck_assert(memcmp(m1->param_memory, m3->param_memory, m1->num_params * sizeof(float)) != 0);
    adamw_free(opt);
    gpt2_free(m1);
    gpt2_free(m2);
    gpt2_free(m3);
    train_docs_release(&d);
}
END_TEST

/* A model trained on a repeated pattern scores it far better than at initialisation; max_steps
 * overrides epochs. */
START_TEST(test_learns_and_eval)
{
    TrainDocs d = {0};
    int t[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    for (int i = 0; i < 8; i++) push(&d, t, 9);
    Gpt2 *m = micro(4, 16);
    double l0, l1;
    long n0, n1;
    ck_assert_int_eq(train_eval_loss(m, &d, 4, 16, 10, &l0, &n0), ERR_OK);
    ck_assert_int_eq(n0, 8 * 10 - 1);
    ck_assert(fabs(l0 - log(11.0)) < 0.5);
    TrainOpts o = train_opts_default();
    o.B = 4;
    o.T = 16;
    o.eot = 10;
    o.lr = 1e-2f;
    o.lr_final = 1e-2f;
    o.max_steps = 60;
    TrainStats s;
    ck_assert_int_eq(train_run(m, NULL, &d, &o, &s, NULL), ERR_OK);
    ck_assert_int_eq(s.steps, 60);
    ck_assert(s.loss_last < s.loss_first);
    ck_assert_int_eq(train_eval_loss(m, &d, 4, 16, 10, &l1, &n1), ERR_OK);
    ck_assert_int_eq(n1, n0);
    ck_assert_msg(l1 < 0.5 * l0, "loss %g -> %g", l0, l1);
    gpt2_free(m);
    train_docs_release(&d);
}
END_TEST

static void write_tok(const char *path, const unsigned short *t, int n, int V)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    unsigned char h[32] = "BIASTOK";
    unsigned v1 = 1, dt = 2, zero = 0;
    unsigned long long nn = (unsigned long long)n;
    memcpy(h + 8, &v1, 4);
    memcpy(h + 12, &V, 4);
    memcpy(h + 16, &nn, 8);
    memcpy(h + 24, &dt, 4);
    memcpy(h + 28, &zero, 4);
    fwrite(h, 1, 32, f);
    fwrite(t, 2, (size_t)n, f);
    fclose(f);
}

START_TEST(test_docs_read)
{
    char path[] = "/tmp/check_train_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    unsigned short t[] = {1, 2, 3, 9, 4, 9, 5, 6, 7, 8, 9, 3, 3};
    write_tok(path, t, 13, 10);
    TrainDocs d = {0};
    int V = 0;
    ck_assert_int_eq(train_docs_read(&d, path, 9, 0, 0, &V), ERR_OK);
    ck_assert_int_eq(V, 10);
    ck_assert_int_eq(d.n, 4); /* three EOT-terminated documents and a tail */
    ck_assert_int_eq(train_docs_len(&d, 0), 4);
    ck_assert_int_eq(train_docs_len(&d, 2), 5);
    ck_assert_int_eq(train_docs_len(&d, 3), 2);
    ck_assert_int_eq(train_docs_get(&d, 1)[0], 4);
    train_docs_release(&d);
    ck_assert_int_eq(train_docs_read(&d, path, 9, 2, 3, NULL), ERR_OK);
    ck_assert_int_eq(d.n, 2);
    ck_assert_int_eq(train_docs_len(&d, 0), 3);
    ck_assert_int_eq(train_docs_len(&d, 1), 2);
    train_docs_release(&d);
    ck_assert_int_eq(train_docs_read(&d, path, 12, 0, 0, NULL), ERR_INVAL); /* EOT >= V */
    ck_assert_int_eq(train_docs_read(&d, "/nonexistent/x.tok", 9, 0, 0, NULL), ERR_IO);
    train_docs_release(&d);
    unlink(path);
}
END_TEST

START_TEST(test_errors)
{
    Gpt2 *m = micro(2, 8);
    TrainDocs d = {0};
    TrainOpts o = train_opts_default();
    o.B = 2;
    o.T = 8;
    ck_assert_int_eq(train_run(m, NULL, &d, &o, NULL, NULL), ERR_INVAL); /* no data */
    ck_assert(strstr(err_msg(), "no data"));
    int t[] = {1, 2, 3};
    push(&d, t, 3);
    o.T = 16; /* beyond the activations */
    ck_assert_int_eq(train_run(m, NULL, &d, &o, NULL, NULL), ERR_INVAL);
    o.T = 8;
    o.epochs = 0;
    ck_assert_int_eq(train_run(m, NULL, &d, &o, NULL, NULL), ERR_INVAL);
    ck_assert(strstr(err_msg(), "epochs"));
    o.epochs = 1;
    o.lr_final = 1.0f;
    ck_assert_int_eq(train_run(m, NULL, &d, &o, NULL, NULL), ERR_INVAL);
    o.lr_final = 0.0f;
    o.eot = 11;
    ck_assert_int_eq(train_run(m, NULL, &d, &o, NULL, NULL), ERR_INVAL);
    o.eot = -1;
    AdamW *opt;
    ck_assert_int_eq(adamw_alloc(&opt, 5, &o.adamw), ERR_OK);
    ck_assert_int_eq(train_run(m, opt, &d, &o, NULL, NULL), ERR_INVAL);
    double l;
    ck_assert_int_eq(train_eval_loss(m, &d, 4, 8, -1, &l, NULL), ERR_INVAL);
    adamw_free(opt);
    gpt2_free(m);
    train_docs_release(&d);
}
END_TEST

Suite *suite_train(void);
Suite *suite_train(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("train");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_plan_counts);
    tcase_add_test(tc, test_packing_matches_hand_batches);
    tcase_add_test(tc, test_resume_exact);
    tcase_add_test(tc, test_learns_and_eval);
    tcase_add_test(tc, test_docs_read);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}
