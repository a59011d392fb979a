/* check_lean: word tokens and hashing (against values computed independently), hashed bags, the
 * lean classifier on synthetic texts (learning, batch = single, thread independence), its file
 * (bit-exact round trip, every corruption an ERR_INVAL naming the field), metrics by hand, and —
 * when ../shared/data is present — loading with exclusions and a small real training run. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "lean.h"
#include "paths.h"
#include "rng.h"
#include "textfeat.h"

Suite *suite_lean(void);

START_TEST(test_hash_known_values)
{
    /* from a separate Python implementation of the documented construction (FNV-1a from a
     * seeded basis, MurmurHash3's fmix64) */
    ck_assert_uint_eq(textfeat_hash("hello", 5, 0), UINT64_C(0xbb1e1afde1a1f846));
    ck_assert_uint_eq(textfeat_hash("hello", 5, 1), UINT64_C(0x6564ace75c61e98c));
    ck_assert_uint_eq(textfeat_hash("", 0, 0), UINT64_C(0x9775a911a90dcf7a));
    ck_assert_uint_eq(textfeat_hash_pair(textfeat_hash("a", 1, 7), textfeat_hash("b", 1, 7)),
                      UINT64_C(0xc8f82b6258878641));
    ck_assert_uint_ne(textfeat_hash_pair(1, 2), textfeat_hash_pair(2, 1));
}
END_TEST

START_TEST(test_words)
{
    const char *s =
        "Don't STOP\xe2\x80\x94the U.S. 2016 caf\xc3\xa9\xe2\x80\x99s well-known 'quote' "
        "x\xff y";
    const char *want[] = {"don't",         "stop", "the",   "u",     "s", "0000",
                          "caf\xc3\xa9's", "well", "known", "quote", "x", "y"};
    char w[TEXTFEAT_WORD_MAX];
    size_t pos = 0, a, b, k = 0, n = strlen(s);
    while (textfeat_next_word(s, n, &pos, w, &a, &b)) {
        ck_assert_msg(k < sizeof want / sizeof *want, "extra word '%s'", w);
        ck_assert_str_eq(w, want[k]);
        k++;
    }
    ck_assert_int_eq(k, sizeof want / sizeof *want);
    /* an over-long word is cut, not overflowed */
    char longw[200];
    memset(longw, 'a', 199);
    longw[199] = '\0';
    pos = 0;
    ck_assert(textfeat_next_word(longw, 199, &pos, w, &a, &b));
    ck_assert_int_eq(strlen(w), TEXTFEAT_WORD_MAX - 1);
    ck_assert_int_eq(b, 199);
}
END_TEST

START_TEST(test_bag_counts)
{
    TextBag bag = {0};
    const int bits = 20;
    uint64_t mask = (1u << bits) - 1, seed = 5;
    textfeat_bag_ngrams(&bag, "A b a", 5, bits, seed, 1);
    uint64_t ha = textfeat_hash("a", 1, seed), hb = textfeat_hash("b", 1, seed);
    uint32_t want[4] = {(uint32_t)(ha & mask), (uint32_t)(hb & mask),
                        (uint32_t)(textfeat_hash_pair(ha, hb) & mask),
                        (uint32_t)(textfeat_hash_pair(hb, ha) & mask)};
    float cnt[4] = {2, 1, 1, 1};
    ck_assert_int_eq(bag.n, 4);
    for (int k = 0; k < 4; k++) {
        size_t j = 0;
        while (j < bag.n && bag.idx[j] != want[k]) j++;
        ck_assert_msg(j < bag.n, "bucket %u missing", want[k]);
        ck_assert(bag.val[j] == cnt[k]);
    }
    for (size_t j = 1; j < bag.n; j++) ck_assert_uint_lt(bag.idx[j - 1], bag.idx[j]);
    textfeat_bag_ngrams(&bag, "", 0, bits, seed, 1);
    ck_assert_int_eq(bag.n, 0);
    textfeat_bag_release(&bag);
}
END_TEST

START_TEST(test_metrics_by_hand)
{
    /* confusion [[2,1,0],[0,1,1],[1,0,2]]: P = (2/3, 1/2, 2/3), R = (2/3, 1/2, 2/3) */
    int y[] = {0, 0, 0, 1, 1, 2, 2, 2};
    int p[] = {0, 0, 1, 1, 2, 0, 2, 2};
    LeanMetrics mt;
    lean_metrics(y, p, 8, &mt);
    ck_assert_int_eq(mt.confusion[0][1], 1);
    ck_assert_int_eq(mt.confusion[2][0], 1);
    ck_assert(fabs(mt.f1[0] - 2.0 / 3) < 1e-12 && fabs(mt.f1[1] - 0.5) < 1e-12);
    ck_assert(fabs(mt.macro_f1 - (2.0 / 3 + 0.5 + 2.0 / 3) / 3) < 1e-12);
    ck_assert(fabs(mt.accuracy - 5.0 / 8) < 1e-12);
}
END_TEST

/* Synthetic articles: class c uses its own marker words among shared filler. */
static char *synth_text(int c, gsl_rng *r)
{
    static const char *const marks[3][4] = {{"progressive", "equity", "climate", "union"},
                                            {"bipartisan", "analysts", "data", "report"},
                                            {"conservative", "liberty", "border", "taxes"}};
    static const char *const filler[] = {"the",  "said",      "on",    "a",      "new", "plan",
                                         "week", "officials", "state", "people", "is",  "of"};
    char *s = malloc(2048);
    size_t k = 0;
    for (int w = 0; w < 60; w++) {
        const char *t = gsl_rng_uniform(r) < 0.15 ? marks[c][gsl_rng_uniform_int(r, 4)]
                                                  : filler[gsl_rng_uniform_int(r, 12)];
        k += (size_t)snprintf(s + k, 2048 - k, "%s%s", w ? " " : "", t);
    }
    return s;
}

static void synth_set(size_t n, uint64_t seed, char ***texts, int **y)
{
    gsl_rng *r = rng_stream_alloc(rng_pcg64, seed, RNG_PURPOSE_DATA_SPLIT, 0);
    *texts = malloc(n * sizeof **texts);
    *y = malloc(n * sizeof **y);
    for (size_t i = 0; i < n; i++)
        (*y)[i] = (int)(i % 3), (*texts)[i] = synth_text((int)(i % 3), r);
    gsl_rng_free(r);
}

static void synth_free(char **t, int *y, size_t n)
{
    for (size_t i = 0; i < n; i++) free(t[i]);
    free(t), free(y);
}

static LeanOpts small_opts(void)
{
    LeanOpts o = LEAN_OPTS_DEFAULTS;
    o.hash_bits = 14;
    o.lambda = 1e-4;
    o.threads = 1;
    return o;
}

START_TEST(test_learns_synthetic)
{
    char **tr, **te;
    int *ytr, *yte;
    synth_set(150, 1, &tr, &ytr);
    synth_set(60, 2, &te, &yte);
    LeanOpts o = small_opts();
    LeanModel *m = NULL;
    LeanTrainInfo info;
    ck_assert_int_eq(lean_train(&m, &o, (const char *const *)tr, ytr, 150, &info), ERR_OK);
    ck_assert(info.converged);
    LeanMetrics mt;
    lean_evaluate(m, (const char *const *)te, yte, 60, 0, &mt);
    ck_assert_msg(mt.macro_f1 > 0.95, "macro-F1 %g", mt.macro_f1);
    /* batch == single, for one and three threads */
    double(*p1)[3] = malloc(60 * sizeof *p1), (*p3)[3] = malloc(60 * sizeof *p3);
    lean_predict_batch(m, (const char *const *)te, 60, p1, 1);
    lean_predict_batch(m, (const char *const *)te, 60, p3, 3);
    ck_assert(memcmp(p1, p3, 60 * sizeof *p1) == 0);
    for (int i = 0; i < 60; i++) {
        double p[3];
        lean_predict(m, te[i], p);
        ck_assert(memcmp(p, p1[i], sizeof p) == 0);
        ck_assert(fabs(p[0] + p[1] + p[2] - 1) < 1e-12);
    }
    /* an empty text gets the intercepts' prior (near uniform here: balanced classes) */
    double p[3];
    lean_predict(m, "", p);
    ck_assert(fabs(p[0] - 1.0 / 3) < 0.05);
    free(p1), free(p3);
    lean_free(m);
    synth_free(tr, ytr, 150);
    synth_free(te, yte, 60);
}
END_TEST

START_TEST(test_train_thread_independent)
{
    char **tr;
    int *ytr;
    synth_set(90, 4, &tr, &ytr);
    LeanOpts o = small_opts();
    LeanModel *a = NULL, *b = NULL;
    o.threads = 1;
    ck_assert_int_eq(lean_train(&a, &o, (const char *const *)tr, ytr, 90, NULL), ERR_OK);
    o.threads = 3;
    ck_assert_int_eq(lean_train(&b, &o, (const char *const *)tr, ytr, 90, NULL), ERR_OK);
    char pa[] = "/tmp/biasamp_leanA_XXXXXX", pb[] = "/tmp/biasamp_leanB_XXXXXX";
    close(mkstemp(pa)), close(mkstemp(pb));
    ck_assert_int_eq(lean_save(a, pa), ERR_OK);
    ck_assert_int_eq(lean_save(b, pb), ERR_OK);
    FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
    int ca, cb, same = 1;
    do {
        ca = fgetc(fa), cb = fgetc(fb);
        same &= ca == cb;
    } while (ca != EOF && cb != EOF);
    fclose(fa), fclose(fb);
    ck_assert_msg(same, "model files differ between 1 and 3 threads");
    unlink(pa), unlink(pb);
    lean_free(a), lean_free(b);
    synth_free(tr, ytr, 90);
}
END_TEST

static long fsize(const char *p)
{
    FILE *f = fopen(p, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void poke(const char *p, long off, unsigned char v)
{
    FILE *f = fopen(p, "r+b");
    fseek(f, off, SEEK_SET);
    fputc(v, f);
    fclose(f);
}

START_TEST(test_save_load)
{
    char **tr;
    int *ytr;
    synth_set(60, 5, &tr, &ytr);
    LeanOpts o = small_opts();
    LeanModel *m = NULL, *r = NULL;
    ck_assert_int_eq(lean_train(&m, &o, (const char *const *)tr, ytr, 60, NULL), ERR_OK);
    char path[] = "/tmp/biasamp_lean_XXXXXX";
    close(mkstemp(path));
    ck_assert_int_eq(lean_save(m, path), ERR_OK);
    ck_assert_int_eq(lean_load(&r, path), ERR_OK);
    LeanOpts ro = lean_opts(r);
    ck_assert_int_eq(ro.hash_bits, 14);
    ck_assert_uint_eq(ro.hash_seed, o.hash_seed);
    ck_assert(ro.lambda == o.lambda && ro.idf == 1 && ro.bigrams == 1);
    ck_assert_int_eq(lean_n_train(r), 60);
    for (int i = 0; i < 60; i++) {
        double p[3], q[3];
        lean_predict(m, tr[i], p);
        lean_predict(r, tr[i], q);
        ck_assert(memcmp(p, q, sizeof p) == 0);
    }
    lean_free(r);
    r = NULL;
    long n = fsize(path);
    /* header: magic 8, version 4, hash_bits 4, seed 8, bigrams 4, idf 4, n_train 8, lambda 8 */
    const long off_bits = 12, off_idf_data = 48;
    ck_assert_int_eq(truncate(path, off_idf_data + 100), 0);
    ck_assert_int_eq(lean_load(&r, path), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "truncated in field 'idf'"));
    ck_assert_ptr_nonnull(strstr(err_msg(), path));
    ck_assert_int_eq(lean_save(m, path), ERR_OK);
    ck_assert_int_eq(truncate(path, n - 100), 0);
    ck_assert_int_eq(lean_load(&r, path), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "truncated in field 'weights'"));
    ck_assert_int_eq(lean_save(m, path), ERR_OK);
    poke(path, 1, 'X');
    ck_assert_int_eq(lean_load(&r, path), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "field 'magic'"));
    ck_assert_int_eq(lean_save(m, path), ERR_OK);
    poke(path, 8, 9);
    ck_assert_int_eq(lean_load(&r, path), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "field 'version'"));
    ck_assert_int_eq(lean_save(m, path), ERR_OK);
    poke(path, off_bits, 40);
    ck_assert_int_eq(lean_load(&r, path), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "field 'hash_bits' is 40"));
    ck_assert_int_eq(lean_save(m, path), ERR_OK);
    poke(path, n - 1000, 0x77);
    ck_assert_int_eq(lean_load(&r, path), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "checksum"));
    ck_assert_ptr_null(r);
    unlink(path);
    lean_free(m);
    synth_free(tr, ytr, 60);
}
END_TEST

START_TEST(test_bad_input)
{
    LeanOpts o = small_opts();
    LeanModel *m = NULL;
    const char *t[1] = {"text"};
    int y[1] = {3};
    ck_assert_int_eq(lean_train(&m, &o, t, y, 1, NULL), ERR_INVAL);
    y[0] = 0;
    o.hash_bits = 30;
    ck_assert_int_eq(lean_train(&m, &o, t, y, 1, NULL), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "hash_bits"));
    ck_assert_ptr_null(m);
}
END_TEST

/* ---- with the shared data ---- */

static int have_data(char *root, size_t n)
{
    char p[4200];
    paths_data_root(root, n);
    snprintf(p, sizeof p, "%s/abp/articles.jsonl.gz", root);
    if (access(p, R_OK) == 0) return 1;
    printf("check_lean: skipping a data test: %s not found (set BIASAMP_DATA)\n", p);
    return 0;
}

START_TEST(test_data_load_exclude)
{
    char root[4096];
    if (!have_data(root, sizeof root)) return;
    /* the first three IDs of random/train, as an exclusion file with a comment and a header */
    char sp[4200], ex[] = "/tmp/biasamp_ex_XXXXXX", line[256];
    snprintf(sp, sizeof sp, "%s/abp/splits/random/train.tsv", root);
    FILE *in = fopen(sp, "r"), *out = fdopen(mkstemp(ex), "w");
    fputs("ID\n# the fine-tuning set\n", out);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, in)); /* header */
    for (int k = 0; k < 3; k++) {
        ck_assert_ptr_nonnull(fgets(line, sizeof line, in));
        *strchr(line, '\t') = '\0';
        fprintf(out, "%s\n", line);
    }
    fclose(in), fclose(out);
    const char *names[2] = {"random/train", "random/test"};
    LeanTexts a[2], b[2];
    ck_assert_int_eq(lean_texts_load(a, names, 2, root, NULL, 10), ERR_OK);
    ck_assert_int_eq(lean_texts_load(b, names, 2, root, ex, 10), ERR_OK);
    ck_assert_int_eq(a[0].n, 10);
    ck_assert_int_eq(b[0].n, 10);
    ck_assert_str_eq(b[0].text[0], a[0].text[3]); /* the first three are gone */
    ck_assert(strncmp(a[0].text[0], "title: ", 7) == 0 && strstr(a[0].text[0], "\nbody: "));
    for (int k = 0; k < 2; k++) lean_texts_release(&a[k]), lean_texts_release(&b[k]);
    /* an ID the corpus does not hold, and an unknown set */
    out = fopen(ex, "a");
    fputs("NOT-AN-ID\n", out);
    fclose(out);
    ck_assert_int_eq(lean_texts_load(a, names, 1, root, ex, 10), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), ":6:"));
    const char *bad[1] = {"random/dev"};
    ck_assert_int_eq(lean_texts_load(a, bad, 1, root, NULL, 10), ERR_INVAL);
    ck_assert_int_eq(a[0].n, 0);
    unlink(ex);
}
END_TEST

START_TEST(test_data_small_training)
{
    char root[4096];
    if (!have_data(root, sizeof root)) return;
    const char *names[2] = {"random/train", "random/test"};
    LeanTexts s[2];
    ck_assert_int_eq(lean_texts_load(s, names, 2, root, NULL, 900), ERR_OK);
    LeanOpts o = LEAN_OPTS_DEFAULTS;
    o.hash_bits = 16;
    o.lambda = 3e-5;
    o.threads = 1; /* thread independence is tested above; one thread is fastest on a busy box */
    LeanModel *m = NULL;
    ck_assert_int_eq(lean_train(&m, &o, (const char *const *)s[0].text, s[0].y, s[0].n, NULL),
                     ERR_OK);
    LeanMetrics mt;
    lean_evaluate(m, (const char *const *)s[1].text, s[1].y, s[1].n, 0, &mt);
    /* chance is 1/3; 900 articles reach about 0.66 */
    ck_assert_msg(mt.macro_f1 > 0.55, "macro-F1 %g on %zu test articles", mt.macro_f1, mt.n);
    lean_free(m);
    for (int k = 0; k < 2; k++) lean_texts_release(&s[k]);
}
END_TEST

Suite *suite_lean(void)
{
    Suite *s = suite_create("lean");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_hash_known_values);
    tcase_add_test(tc, test_words);
    tcase_add_test(tc, test_bag_counts);
    tcase_add_test(tc, test_metrics_by_hand);
    tcase_add_test(tc, test_learns_synthetic);
    tcase_add_test(tc, test_train_thread_independent);
    tcase_add_test(tc, test_save_load);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_data_load_exclude);
    tcase_add_test(tc, test_data_small_training);
    suite_add_tcase(s, tc);
    return s;
}
