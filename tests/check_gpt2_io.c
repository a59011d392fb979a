/* check_gpt2_io: GPT-2 weights through HF safetensors and llm.c .bin — bit-exact round trips,
 * identical logits, the Conv1D [in, out] layout checked element by element, the original gpt2
 * naming (no prefix, causal-mask buffers, tied lm_head), and malformed files naming the tensor. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "err.h"
#include "gpt2.h"
#include "gpt2_io.h"
#include "safetensors.h"

static char dir[64], path[128];
static const Gpt2Config tiny = {.max_seq_len = 16, .vocab_size = 37, .num_layers = 2,
                                .num_heads = 2, .channels = 8};

static void setup(void)
{
    strcpy(dir, "/tmp/biasamp_g2io_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static Gpt2 *make_model(uint64_t seed)
{
    Gpt2 *m;
    ck_assert_int_eq(gpt2_alloc(&m, &tiny, 2, 8), ERR_OK);
    gpt2_init_random(m, seed);
    /* LayerNorm weights 1 and biases 0 by default: perturb them so the layout is exercised */
    for (int k = 0; k < gpt2_tensor_count(); k++) { /* real entries only: padding stays zero */
        Gpt2Tensor t = gpt2_tensor(m, k);
        for (size_t i = 0; i < t.numel; i++) m->param_memory[t.offset + i] += 1e-3f * (float)(i % 7);
    }
    return m;
}

/* Same real parameters (padding excluded) and same logits on a fixed batch. */
static void expect_same(Gpt2 *a, Gpt2 *b)
{
    for (int i = 0; i < gpt2_tensor_count(); i++) {
        Gpt2Tensor ta = gpt2_tensor(a, i), tb = gpt2_tensor(b, i);
        ck_assert_int_eq(ta.numel, tb.numel);
        ck_assert_msg(memcmp(a->param_memory + ta.offset, b->param_memory + tb.offset,
                             ta.numel * sizeof(float)) == 0, "tensor %s differs", ta.name);
    }
    int tok[16], tgt[16];
    for (int i = 0; i < 16; i++) tok[i] = (i * 7 + 3) % 37, tgt[i] = (i * 5 + 1) % 37;
    float la, lb;
    ck_assert_int_eq(gpt2_forward(a, tok, tgt, 2, 8, &la), ERR_OK);
    ck_assert_int_eq(gpt2_forward(b, tok, tgt, 2, 8, &lb), ERR_OK);
    ck_assert(la == lb && isfinite(la));
    for (int i = 0; i < 16; i++) /* the real vocabulary's logits of every position */
        ck_assert(memcmp(a->acts.logits + (size_t)i * a->Vp, b->acts.logits + (size_t)i * b->Vp,
                         37 * sizeof(float)) == 0);
}

START_TEST(test_safetensors_roundtrip)
{
    Gpt2 *m = make_model(1), *r;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    ck_assert_int_eq(gpt2_save_safetensors(m, path), ERR_OK);
    ck_assert_msg(gpt2_load_safetensors(&r, path, 2, 8) == ERR_OK, "%s", err_msg());
    ck_assert_int_eq(r->config.num_heads, 2); /* from the metadata */
    expect_same(m, r);
    /* the Conv1D layout, element by element: HF c_attn.weight[c][r] = engine qkvw[r][c] */
    SafeTensors *st;
    ck_assert_int_eq(safetensors_open(&st, path), ERR_OK);
    const StTensor *t = safetensors_find(st, "transformer.h.1.attn.c_attn.weight");
    ck_assert_ptr_nonnull(t);
    ck_assert(t->shape[0] == 8 && t->shape[1] == 24);
    float *w = malloc(t->numel * sizeof *w);
    safetensors_read_f32(st, t, w, 0);
    const float *q = m->params.qkvw + 24 * 8; /* layer 1 */
    for (int rr = 0; rr < 24; rr++)
        for (int c = 0; c < 8; c++) ck_assert(w[c * 24 + rr] == q[rr * 8 + c]);
    ck_assert_ptr_null(safetensors_find(st, "lm_head.weight"));
    free(w);
    safetensors_close(st);
    gpt2_free(m);
    gpt2_free(r);
}
END_TEST

/* Rewrites a saved model under the original gpt2 naming (no prefix), adding the causal-mask
 * buffers and an lm_head; `lm_scale` != 1 unties it. */
static void write_original_naming(const char *src, const char *dst, float lm_scale, int drop_meta)
{
    SafeTensors *st;
    ck_assert_int_eq(safetensors_open(&st, src), ERR_OK);
    StWriteItem items[64];
    char names[64][ST_NAME_MAX];
    float *bufs[64];
    int n = 0;
    for (int i = 0; i < st->n; i++, n++) {
        const StTensor *t = &st->tensors[i];
        snprintf(names[n], ST_NAME_MAX, "%s", t->name + strlen("transformer."));
        bufs[n] = malloc(t->numel * sizeof(float));
        safetensors_read_f32(st, t, bufs[n], 0);
        items[n] = (StWriteItem){names[n], bufs[n], t->ndim, {t->shape[0], t->shape[1]}};
    }
    static float mask[16 * 16], masked = -1e4f;
    for (int l = 0; l < 2; l++) {
        snprintf(names[n], ST_NAME_MAX, "h.%d.attn.bias", l);
        bufs[n] = NULL;
        items[n++] = (StWriteItem){names[n - 1], mask, 4, {1, 1, 16, 16}};
        snprintf(names[n], ST_NAME_MAX, "h.%d.attn.masked_bias", l);
        bufs[n] = NULL;
        items[n++] = (StWriteItem){names[n - 1], &masked, 0, {0}};
    }
    const StTensor *wte = safetensors_find(st, "transformer.wte.weight");
    bufs[n] = malloc(wte->numel * sizeof(float));
    safetensors_read_f32(st, wte, bufs[n], 0);
    bufs[n][5] *= lm_scale;
    snprintf(names[n], ST_NAME_MAX, "lm_head.weight");
    items[n] = (StWriteItem){names[n], bufs[n], 2, {37, 8}};
    n++;
    const char *meta[] = {"format", "pt", "n_head", "2"};
    ck_assert_int_eq(safetensors_write(dst, items, n, meta, drop_meta ? 1 : 2), ERR_OK);
    for (int i = 0; i < n; i++) free(bufs[i]);
    safetensors_close(st);
}

START_TEST(test_original_gpt2_naming)
{
    Gpt2 *m = make_model(2), *r;
    char src[160], cfgjson[160];
    snprintf(src, sizeof src, "%s/fine.safetensors", dir);
    snprintf(path, sizeof path, "%s/orig.safetensors", dir);
    ck_assert_int_eq(gpt2_save_safetensors(m, src), ERR_OK);
    write_original_naming(src, path, 1.0f, 0);
    ck_assert_msg(gpt2_load_safetensors(&r, path, 2, 8) == ERR_OK, "%s", err_msg());
    expect_same(m, r);
    gpt2_free(r);
    /* without n_head metadata: config.json next to the file decides */
    write_original_naming(src, path, 1.0f, 1);
    snprintf(cfgjson, sizeof cfgjson, "%s/config.json", dir);
    FILE *f = fopen(cfgjson, "w");
    fputs("{\"model_type\": \"gpt2\", \"n_head\": 2, \"n_embd\": 8}\n", f);
    fclose(f);
    ck_assert_int_eq(gpt2_load_safetensors(&r, path, 2, 8), ERR_OK);
    ck_assert_int_eq(r->config.num_heads, 2);
    gpt2_free(r);
    /* an untied lm_head is refused by name */
    write_original_naming(src, path, 2.0f, 0);
    ck_assert_int_eq(gpt2_load_safetensors(&r, path, 2, 8), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "lm_head.weight"));
    gpt2_free(m);
}
END_TEST

START_TEST(test_safetensors_bad_models)
{
    Gpt2 *m = make_model(3), *r;
    snprintf(path, sizeof path, "%s/bad.safetensors", dir);
    /* only the embeddings and one LayerNorm: the first missing tensor is named */
    float nanv[8] = {0, 0, NAN, 0, 0, 0, 0, 0};
    StWriteItem base[] = {{"wte.weight", m->params.wte, 2, {37, 8}},
                          {"wpe.weight", m->params.wpe, 2, {16, 8}},
                          {"h.0.ln_1.weight", m->params.ln1w, 1, {8}}};
    ck_assert_int_eq(safetensors_write(path, base, 3, NULL, 0), ERR_OK);
    ck_assert_int_eq(gpt2_load_safetensors(&r, path, 2, 8), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "is missing"));
    /* a NaN weight, a wrong shape, an extra tensor */
    char src[160];
    snprintf(src, sizeof src, "%s/good.safetensors", dir);
    ck_assert_int_eq(gpt2_save_safetensors(m, src), ERR_OK);
    SafeTensors *st;
    ck_assert_int_eq(safetensors_open(&st, src), ERR_OK);
    StWriteItem items[64];
    float *bufs[64];
    int n = st->n;
    for (int i = 0; i < n; i++) {
        const StTensor *t = &st->tensors[i];
        bufs[i] = malloc(t->numel * sizeof(float));
        safetensors_read_f32(st, t, bufs[i], 0);
        items[i] = (StWriteItem){t->name, bufs[i], t->ndim, {t->shape[0], t->shape[1]}};
    }
    for (int i = 0; i < n; i++)
        if (!strcmp(items[i].name, "transformer.h.0.ln_2.bias")) items[i].data = nanv;
    ck_assert_int_eq(safetensors_write(path, items, n, NULL, 0), ERR_OK);
    ck_assert_int_eq(gpt2_load_safetensors(&r, path, 2, 8), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "transformer.h.0.ln_2.bias"));
    for (int i = 0; i < n; i++) {
        items[i].data = bufs[i];
        if (!strcmp(items[i].name, "transformer.h.1.mlp.c_fc.weight")) { /* [8,32] -> [32,8] */
            items[i].shape[0] = 32;
            items[i].shape[1] = 8;
        }
    }
    ck_assert_int_eq(safetensors_write(path, items, n, NULL, 0), ERR_OK);
    ck_assert_int_eq(gpt2_load_safetensors(&r, path, 2, 8), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "transformer.h.1.mlp.c_fc.weight': shape [32, 8], expected [8, 32]"));
    for (int i = 0; i < n; i++)
        if (!strcmp(items[i].name, "transformer.h.1.mlp.c_fc.weight")) items[i].shape[0] = 8, items[i].shape[1] = 32;
    /* an n_head beyond int (atoi's UB before) is refused by the config check */
    const char *meta[] = {"n_head", "99999999999"};
    ck_assert_int_eq(safetensors_write(path, items, n, meta, 1), ERR_OK);
    ck_assert_int_eq(gpt2_load_safetensors(&r, path, 2, 8), ERR_INVAL);
    ck_assert_msg(strstr(err_msg(), "num_heads must be in [1, 1024] (got 2147483647)"), "%s",
                  err_msg());
    items[n] = (StWriteItem){"transformer.h.7.ln_1.gamma", nanv, 1, {2}};
    nanv[2] = 0;
    ck_assert_int_eq(safetensors_write(path, items, n + 1, NULL, 0), ERR_OK);
    ck_assert_int_eq(gpt2_load_safetensors(&r, path, 2, 8), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "unexpected tensor 'transformer.h.7.ln_1.gamma'"));
    for (int i = 0; i < n; i++) free(bufs[i]);
    safetensors_close(st);
    gpt2_free(m);
}
END_TEST

/* Regression (fuzz_gpt2_io): 80 kB naming 1024 layers through empty "h.N.ln_1.weight" tensors made
 * the loader allocate a 7-billion-parameter model (58 GB) before checking any layer tensor. The
 * tensors are now checked first; the address space is capped meanwhile (out of memory is fatal).
 */
START_TEST(test_safetensors_header_cannot_reserve_memory)
{
    enum { C = 768, L = 1024 };
    static float emb[C];
    static StWriteItem items[2 + L];
    static char names[L][32];
    items[0] = (StWriteItem){"wte.weight", emb, 2, {1, C}};
    items[1] = (StWriteItem){"wpe.weight", emb, 2, {1, C}};
    for (int l = 0; l < L; l++) {
        snprintf(names[l], sizeof names[l], "h.%d.ln_1.weight", l);
        items[2 + l] = (StWriteItem){names[l], emb, 1, {0}};
    }
    snprintf(path, sizeof path, "%s/layers.safetensors", dir);
    ck_assert_int_eq(safetensors_write(path, items, 2 + L, NULL, 0), ERR_OK);
    struct rlimit old_as;
    int capped = 0;
#ifndef __SANITIZE_ADDRESS__ /* ASan's shadow mappings do not survive an address-space cap */
    unsigned long vm_pages = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (statm && fscanf(statm, "%lu", &vm_pages) == 1 && getrlimit(RLIMIT_AS, &old_as) == 0) {
        struct rlimit cap = old_as;
        cap.rlim_cur = (rlim_t)vm_pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)1 << 30);
        capped = (old_as.rlim_max == RLIM_INFINITY || cap.rlim_cur < old_as.rlim_max) &&
                 setrlimit(RLIMIT_AS, &cap) == 0;
    }
    if (statm) fclose(statm);
#endif
    Gpt2 *r = (Gpt2 *)1;
    int st = gpt2_load_safetensors(&r, path, 1, 1);
    if (capped) setrlimit(RLIMIT_AS, &old_as);
    ck_assert_int_eq(st, ERR_INVAL);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err_msg(), "tensor 'h.0.ln_1.weight': shape [0], expected [768]"), "%s",
                  err_msg());
}
END_TEST

START_TEST(test_llmc_roundtrip_and_bf16)
{
    Gpt2 *m = make_model(4), *r;
    snprintf(path, sizeof path, "%s/model.bin", dir);
    ck_assert_int_eq(gpt2_save_llmc(m, path), ERR_OK);
    ck_assert_msg(gpt2_load_llmc(&r, path, 2, 8) == ERR_OK, "%s", err_msg());
    expect_same(m, r);
    gpt2_free(r);
    /* a bf16 (version 5) file written here by truncating each float: values round-trip to the
     * truncated floats exactly */
    FILE *in = fopen(path, "rb");
    int32_t h[256];
    ck_assert_int_eq(fread(h, sizeof h, 1, in), 1);
    char p5[160];
    snprintf(p5, sizeof p5, "%s/model5.bin", dir);
    FILE *out = fopen(p5, "wb");
    h[1] = 5;
    fwrite(h, sizeof h, 1, out);
    float v;
    while (fread(&v, 4, 1, in) == 1) {
        uint32_t u;
        memcpy(&u, &v, 4);
        uint16_t b = (uint16_t)(u >> 16);
        fwrite(&b, 2, 1, out);
    }
    fclose(in);
    fclose(out);
    ck_assert_msg(gpt2_load_llmc(&r, p5, 2, 8) == ERR_OK, "%s", err_msg());
    for (size_t i = 0; i < gpt2_tensor(m, 2).offset; i++) { /* wte and wpe */
        uint32_t u;
        memcpy(&u, &m->param_memory[i], 4);
        u &= 0xffff0000u;
        float t;
        memcpy(&t, &u, 4);
        ck_assert(r->param_memory[i] == t);
    }
    gpt2_free(r);
    gpt2_free(m);
}
END_TEST

static void corrupt_header(const char *src, const char *dst, int index, int32_t value, long truncate)
{
    FILE *in = fopen(src, "rb");
    FILE *out = fopen(dst, "wb");
    int c;
    long pos = 0;
    while ((c = fgetc(in)) != EOF && (truncate < 0 || pos < truncate)) {
        if (pos >= index * 4 && pos < index * 4 + 4) c = (int)((uint32_t)value >> (8 * (pos - index * 4))) & 0xff;
        fputc(c, out);
        pos++;
    }
    fclose(in);
    fclose(out);
}

START_TEST(test_llmc_malformed)
{
    Gpt2 *m = make_model(5), *r;
    char good[160];
    snprintf(good, sizeof good, "%s/good.bin", dir);
    snprintf(path, sizeof path, "%s/bad.bin", dir);
    ck_assert_int_eq(gpt2_save_llmc(m, good), ERR_OK);
    struct {
        int index;
        int32_t value;
        long truncate;
        const char *needle;
    } cases[] = {
        {0, 12345, -1, "magic 12345"},
        {1, 4, -1, "version 4"},
        {5, 3, -1, "header"},          /* 8 channels, 3 heads */
        {7, 30, -1, "padded vocabulary 30"},
        {8, 0, 2000, "bytes, expected"}, /* truncated */
        {8, 0, 100, "shorter than the 1024-byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int idx = cases[i].index < 8 ? cases[i].index : 200;
        corrupt_header(good, path, idx, cases[i].value, cases[i].truncate);
        ck_assert_int_eq(gpt2_load_llmc(&r, path, 2, 8), ERR_INVAL);
        ck_assert_msg(strstr(err_msg(), cases[i].needle) != NULL, "case %zu: %s", i, err_msg());
    }
    gpt2_free(m);
}
END_TEST

Suite *suite_gpt2_io(void);
Suite *suite_gpt2_io(void)
{
    Suite *s = suite_create("gpt2_io");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_safetensors_roundtrip);
    tcase_add_test(tc, test_original_gpt2_naming);
    tcase_add_test(tc, test_safetensors_bad_models);
    tcase_add_test(tc, test_safetensors_header_cannot_reserve_memory);
    tcase_add_test(tc, test_llmc_roundtrip_and_bf16);
    tcase_add_test(tc, test_llmc_malformed);
    suite_add_tcase(s, tc);
    return s;
}
