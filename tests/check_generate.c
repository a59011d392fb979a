/* check_generate: KV-cache inference against full recomputation with gpt2_forward — next-token
 * logits, greedy continuations, per-text NLL with and without a sliding window, activation
 * capture — plus batching invariance (slots, row limits, sampling streams) and the block
 * protocol's boundaries. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "generate.h"
#include "gpt2.h"
#include "kernels.h"

static const Gpt2Config tiny = {.max_seq_len = 32, .vocab_size = 53, .num_layers = 2,
                                .num_heads = 2, .channels = 16};

static Gpt2 *model(int B, int T)
{
    Gpt2 *m;
    ck_assert_int_eq(gpt2_alloc(&m, &tiny, B, T), ERR_OK);
    gpt2_init_random(m, 7);
    /* larger weights than GPT-2's init so that logits are far from uniform */
    for (size_t i = 0; i < m->num_params; i++) m->param_memory[i] *= 8;
    return m;
}

static void prompt(int *p, int len, int salt)
{
    for (int i = 0; i < len; i++) p[i] = (i * 17 + salt * 5 + 3) % 53;
}

/* Argmax of the last position's logits by full recomputation. */
static int full_argmax(Gpt2 *ref, const int *seq, int len, float *logits_out)
{
    ck_assert_int_eq(gpt2_forward(ref, seq, NULL, 1, len, NULL), ERR_OK);
    const float *lg = ref->acts.logits + (size_t)(len - 1) * ref->Vp;
    int best = 0;
    for (int i = 1; i < 53; i++)
        if (lg[i] > lg[best]) best = i;
    if (logits_out) memcpy(logits_out, lg, 53 * sizeof *lg);
    return best;
}

START_TEST(test_kv_cache_equals_recompute)
{
    Gpt2 *m = model(1, 32);
    Gen *g;
    ck_assert_int_eq(gen_alloc(&g, m, 1, 32, 32), ERR_OK);
    int p[9];
    prompt(p, 9, 1);
    GenOpts o = gen_opts_default();
    o.max_new = 20;
    o.eot = -1;
    const int *pp = p;
    int len = 9, *out, out_len;
    ck_assert_int_eq(gen_generate(g, &pp, &len, 1, 0, &o, &out, &out_len, NULL), ERR_OK);
    ck_assert_int_eq(out_len, 20);
    int seq[32];
    memcpy(seq, p, sizeof p);
    int n = 9;
    for (int k = 0; k < 20; k++) { /* token by token, the whole sequence recomputed */
        int t = full_argmax(m, seq, n, NULL);
        ck_assert_msg(t == out[k], "token %d: cache %d, recompute %d", k, out[k], t);
        seq[n++] = t;
    }
    /* the generated text is not degenerate (the test would be weak otherwise) */
    int distinct = 0;
    for (int i = 0; i < 20; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++) seen |= out[j] == out[i];
        distinct += !seen;
    }
    ck_assert_int_ge(distinct, 3);
    free(out);
    gen_free(g);
    gpt2_free(m);
}
END_TEST

START_TEST(test_batched_equals_one_by_one)
{
    Gpt2 *m = model(1, 32);
    enum { N = 7 };
    int store[N][20], lens[N] = {1, 5, 12, 3, 20, 8, 2};
    const int *pr[N];
    for (int i = 0; i < N; i++) {
        prompt(store[i], lens[i], i);
        pr[i] = store[i];
    }
    for (int greedy = 1; greedy >= 0; greedy--) {
        GenOpts o = gen_opts_default();
        o.max_new = 10;
        o.greedy = greedy;
        o.temperature = 0.9f;
        o.top_k = greedy ? 0 : 20;
        o.top_p = greedy ? 1 : 0.95f;
        o.eot = 11; /* some prompts stop early */
        o.seed = 99;
        int *a[N], al[N], *b[N], bl[N];
        Gen *g1, *g2;
        ck_assert_int_eq(gen_alloc(&g1, m, 3, 32, 7), ERR_OK); /* chunked prefill, 3 slots */
        ck_assert_int_eq(gen_alloc(&g2, m, 1, 32, 32), ERR_OK);
        /* _i: plain float, packed float, bfloat16 (decoding rows take the packed paths) */
        ck_assert_int_eq(gen_set_weights(g1, (GenWeights)_i), ERR_OK);
        ck_assert_int_eq(gen_set_weights(g2, (GenWeights)_i), ERR_OK);
        ck_assert_int_eq(gen_generate(g1, pr, lens, N, 0, &o, a, al, NULL), ERR_OK);
        for (int i = 0; i < N; i++) /* one at a time, same global index */
            ck_assert_int_eq(gen_generate(g2, &pr[i], &lens[i], 1, (size_t)i, &o, &b[i], &bl[i], NULL),
                             ERR_OK);
        for (int i = 0; i < N; i++) {
            ck_assert_int_eq(al[i], bl[i]);
            ck_assert_msg(memcmp(a[i], b[i], (size_t)al[i] * sizeof(int)) == 0,
                          "prompt %d differs (greedy %d, weights %d)", i, greedy, _i);
            free(a[i]);
            free(b[i]);
        }
        gen_free(g1);
        gen_free(g2);
    }
    gpt2_free(m);
}
END_TEST

/* bfloat16 mode = the float path on a model whose matmul weights were rounded beforehand (then
 * rounding again changes nothing): the same greedy tokens for every prompt,
 * whichever path (packed 16-bit few-row, or float) each step took. */
START_TEST(test_bf16_equals_rounded_model)
{
    Gpt2 *m = model(1, 32), *r = model(1, 32);
    int L = tiny.num_layers, C = tiny.channels;
    struct {
        float *w;
        size_t n;
    } mats[] = {{r->params.qkvw, (size_t)L * 3 * C * C}, {r->params.attprojw, (size_t)L * C * C},
                {r->params.fcw, (size_t)L * 4 * C * C},  {r->params.fcprojw, (size_t)L * 4 * C * C},
                {r->params.wte, (size_t)r->Vp * C}};
    for (size_t i = 0; i < sizeof mats / sizeof mats[0]; i++)
        for (size_t j = 0; j < mats[i].n; j++) mats[i].w[j] = kernels_bf16_round(mats[i].w[j]);
    ck_assert(memcmp(m->param_memory, r->param_memory, m->num_params * sizeof(float)) != 0);
    enum { N = 4 };
    int store[N][12], lens[N] = {1, 6, 12, 3}, *a[N], al[N], *b[N], bl[N];
    const int *pr[N];
    for (int i = 0; i < N; i++) {
        prompt(store[i], lens[i], i + 3);
        pr[i] = store[i];
    }
    GenOpts o = gen_opts_default();
    o.max_new = 16;
    o.eot = -1;
    for (int packed = 0; packed < 2; packed++) { /* the float side plain, then packed */
        Gen *gb, *gf;
        ck_assert_int_eq(gen_alloc(&gb, m, 1, 32, 32), ERR_OK);
        ck_assert_int_eq(gen_set_weights(gb, GEN_BF16), ERR_OK);
        ck_assert_int_eq(gen_set_weights(gb, GEN_F32), ERR_INVAL); /* once only */
        ck_assert_int_eq(gen_alloc(&gf, r, 2, 32, 9), ERR_OK); /* other batching, float */
        ck_assert_int_eq(gen_set_weights(gf, packed ? GEN_F32_PACKED : GEN_F32), ERR_OK);
        ck_assert_int_eq(gen_generate(gb, pr, lens, N, 0, &o, a, al, NULL), ERR_OK);
        ck_assert_int_eq(gen_generate(gf, pr, lens, N, 0, &o, b, bl, NULL), ERR_OK);
        for (int i = 0; i < N; i++) {
            ck_assert_int_eq(al[i], bl[i]);
            ck_assert_msg(memcmp(a[i], b[i], (size_t)al[i] * sizeof(int)) == 0,
                          "prompt %d (packed float %d)", i, packed);
            free(a[i]);
            free(b[i]);
        }
        gen_free(gb);
        gen_free(gf);
    }
    gpt2_free(m);
    gpt2_free(r);
}
END_TEST

START_TEST(test_nll_matches_forward)
{
    Gpt2 *m = model(1, 32);
    Gen *g;
    ck_assert_int_eq(gen_alloc(&g, m, 2, 32, 5), ERR_OK); /* small rows: chunked feeding */
    int t[80];
    prompt(t, 80, 4);
    const int *tp = t;
    /* a text inside the context: one forward with targets gives the mean loss */
    int len = 30;
    double nll;
    long cnt;
    ck_assert_int_eq(gen_nll(g, &tp, &len, 1, 16, &nll, &cnt, NULL), ERR_OK);
    ck_assert_int_eq(cnt, 29);
    int tgt[30];
    for (int i = 0; i < 30; i++) tgt[i] = i + 1 < 30 ? t[i + 1] : -1;
    float loss;
    ck_assert_int_eq(gpt2_forward(m, t, tgt, 1, 30, &loss), ERR_OK);
    ck_assert_msg(fabs(nll / cnt - loss) < 1e-5 * fabs(loss), "%g vs %g", nll / cnt, loss);
    /* a text longer than the context: windows of 32 advancing by 16, each target scored once */
    len = 80;
    ck_assert_int_eq(gen_nll(g, &tp, &len, 1, 16, &nll, &cnt, NULL), ERR_OK);
    ck_assert_int_eq(cnt, 79);
    double ref = 0;
    int scored_to = 1;
    for (int w = 0; scored_to < 80; w += 16) {
        int end = w + 32 < 80 ? w + 32 : 80, T = end - w, tg[32];
        for (int i = 0; i < T; i++) {
            int k = w + i + 1; /* target index */
            tg[i] = (k < end && k >= scored_to) ? t[k] : -1;
        }
        ck_assert_int_eq(gpt2_forward(m, t + w, tg, 1, T, &loss), ERR_OK);
        ref += (double)loss * m->num_targets;
        scored_to = end;
    }
    ck_assert_msg(fabs(nll - ref) < 1e-5 * fabs(ref), "%g vs %g", nll, ref);
    gen_free(g);
    gpt2_free(m);
}
END_TEST

START_TEST(test_capture_matches_forward)
{
    Gpt2 *m = model(1, 32);
    Gen *g;
    ck_assert_int_eq(gen_alloc(&g, m, 1, 32, 6), ERR_OK);
    int t[2][25], lens[2] = {25, 11};
    prompt(t[0], 25, 8);
    prompt(t[1], 11, 9);
    const int *tp[2] = {t[0], t[1]};
    int L = 2, C = 16;
    double *bm = calloc((size_t)L * C, sizeof *bm), *mm = calloc((size_t)L * 4 * C, sizeof *mm);
    double *rb = calloc((size_t)L * C, sizeof *rb), *rm = calloc((size_t)L * 4 * C, sizeof *rm);
    ck_assert_int_eq(gen_capture(g, tp, lens, 2, bm, mm), ERR_OK);
    for (int i = 0; i < 2; i++) { /* reference: residual3 and fch_gelu of full forwards */
        gpt2_forward(m, t[i], NULL, 1, lens[i], NULL);
        for (int l = 0; l < L; l++)
            for (int r = 0; r < lens[i]; r++) {
                for (int c = 0; c < C; c++)
                    rb[l * C + c] += m->acts.residual3[((size_t)l * lens[i] + r) * C + c] / 36.0;
                for (int c = 0; c < 4 * C; c++)
                    rm[l * 4 * C + c] += m->acts.fch_gelu[((size_t)l * lens[i] + r) * 4 * C + c] / 36.0;
            }
    }
    for (int i = 0; i < L * C; i++) ck_assert_msg(fabs(bm[i] - rb[i]) < 1e-4 * (1 + fabs(rb[i])), "block %d", i);
    for (int i = 0; i < L * 4 * C; i++) ck_assert_msg(fabs(mm[i] - rm[i]) < 1e-4 * (1 + fabs(rm[i])), "mlp %d", i);
    free(bm);
    free(mm);
    free(rb);
    free(rm);
    gen_free(g);
    gpt2_free(m);
}
END_TEST

START_TEST(test_block_protocol)
{
    int starts[8];
    ck_assert_int_eq(gen_block_starts(150, 64, starts, 8), 3);
    ck_assert(starts[0] == 0 && starts[1] == 64 && starts[2] == 128);
    ck_assert_int_eq(gen_block_starts(128, 64, starts, 8), 2);
    ck_assert_int_eq(gen_block_starts(0, 64, starts, 8), 0);
    /* two articles: every block is continued on its own; the result is the concatenation */
    Gpt2 *m = model(1, 32);
    Gen *g;
    ck_assert_int_eq(gen_alloc(&g, m, 4, 32, 16), ERR_OK);
    int title[2][6], body[2][40], tl[2] = {6, 3}, bl[2] = {40, 12};
    for (int a = 0; a < 2; a++) {
        prompt(title[a], tl[a], 20 + a);
        prompt(body[a], bl[a], 30 + a);
    }
    const int *tp[2] = {title[0], title[1]}, *bp[2] = {body[0], body[1]};
    GenOpts o = gen_opts_default();
    o.max_new = 8;
    o.eot = -1;
    int *out[2], ol[2];
    ck_assert_int_eq(gen_blocks_many(g, tp, tl, bp, bl, 2, 16, &o, out, ol, NULL), ERR_OK);
    ck_assert_int_eq(ol[0], 8 * (1 + 3)); /* title + ceil(40/16) blocks */
    ck_assert_int_eq(ol[1], 8 * (1 + 1));
    /* block 2 of article 0 is body[32..40): its continuation is the 4th piece */
    const int *blk = body[0] + 32;
    int blen = 8, *c, cl;
    ck_assert_int_eq(gen_generate(g, &blk, &blen, 1, 0, &o, &c, &cl, NULL), ERR_OK);
    ck_assert(memcmp(out[0] + 24, c, 8 * sizeof(int)) == 0);
    free(c);
    free(out[0]);
    free(out[1]);
    /* bad input */
    int big = 30;
    ck_assert_int_eq(gen_generate(g, &blk, &big, 1, 0, &o, &c, &cl, NULL), ERR_INVAL);
    int badtok[1] = {53};
    const int *bt = badtok;
    int one = 1;
    ck_assert_int_eq(gen_generate(g, &bt, &one, 1, 0, &o, &c, &cl, NULL), ERR_INVAL);
    gen_free(g);
    gpt2_free(m);
}
END_TEST

Suite *suite_generate(void);
Suite *suite_generate(void)
{
    Suite *s = suite_create("generate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_kv_cache_equals_recompute);
    tcase_add_loop_test(tc, test_batched_equals_one_by_one, 0, 3);
    tcase_add_test(tc, test_bf16_equals_rounded_model);
    tcase_add_test(tc, test_nll_matches_forward);
    tcase_add_test(tc, test_capture_matches_forward);
    tcase_add_test(tc, test_block_protocol);
    suite_add_tcase(s, tc);
    return s;
}
