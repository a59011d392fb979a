/* check_quality: the sentence splitter on hand-made cases, the 95% CI by hand, corruptions, and
 * the TQI classifier — trained on a synthetic news-like corpus (no data needed) and, when
 * ../shared/data is present, on a small slice of ABP: corrupted held-out sentences must score
 * below their originals by clear margins; file round trip and corrupted-file errors. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "lean.h"
#include "paths.h"
#include "quality.h"
#include "rng.h"
#include "textfeat.h"

Suite *suite_quality(void);

/* Splits s and compares with the expected sentences. */
static void check_split(const char *s, const char *const *want, size_t nwant)
{
    TextSpan *sp = NULL;
    size_t cap = 0, n = textfeat_sentences(s, strlen(s), &sp, &cap);
    ck_assert_msg(n == nwant, "'%s': %zu sentences, expected %zu", s, n, nwant);
    for (size_t k = 0; k < n; k++) {
        size_t len = sp[k].end - sp[k].start;
        ck_assert_msg(strlen(want[k]) == len && memcmp(s + sp[k].start, want[k], len) == 0,
                      "'%s': sentence %zu is '%.*s', expected '%s'", s, k, (int)len,
                      s + sp[k].start, want[k]);
    }
    free(sp);
}

START_TEST(test_sentences)
{
    const char *a[] = {"Hello world.", "This is a test."};
    check_split("Hello world. This is a test.", a, 2);
    const char *b[] = {"Mr. Smith met Dr. Jones in Washington.", "They talked."};
    check_split("Mr. Smith met Dr. Jones in Washington. They talked.", b, 2);
    const char *c[] = {"He said \"Stop!\"", "Then he left."};
    check_split("He said \"Stop!\" Then he left.", c, 2);
    const char *d[] = {"The price rose 3.5 percent.", "Analysts were surprised."};
    check_split("The price rose 3.5 percent. Analysts were surprised.", d, 2);
    const char *e[] = {"What?", "Really?!", "Yes..."};
    check_split("What? Really?! Yes...", e, 3);
    const char *f[] = {"A headline without a period", "Body text here."};
    check_split("  A headline without a period\n\nBody text here.  ", f, 2);
    /* initials, dotted tokens, and a lower-case continuation never split */
    const char *g[] = {"J. K. Rowling and the U.S. Senate agreed. it ended. and then more"};
    check_split(g[0], g, 1);
    const char *h[] = {"\xe2\x80\x9cWe won,\xe2\x80\x9d she said.", "\xe2\x80\x9c"
                                                                    "Again.\xe2\x80\x9d"};
    check_split("\xe2\x80\x9cWe won,\xe2\x80\x9d she said. \xe2\x80\x9c"
                "Again.\xe2\x80\x9d",
                h, 2);
    check_split("", NULL, 0);
    check_split("  \n\n \t ", NULL, 0);
}
END_TEST

START_TEST(test_summary_by_hand)
{
    /* x = 1..4: mean 2.5, s = sqrt(5/3), t(0.975, 3) = 3.182446305284263 */
    double x[4] = {1, 2, 3, 4}, mean, ci;
    quality_summary(x, 4, &mean, &ci);
    ck_assert(fabs(mean - 2.5) < 1e-15);
    ck_assert_msg(fabs(ci - 3.182446305284263 * sqrt(5.0 / 3.0) / 2.0) < 1e-9, "ci %.12g", ci);
    quality_summary(x, 1, &mean, &ci);
    ck_assert(mean == 1 && isnan(ci));
    quality_summary(x, 0, &mean, &ci);
    ck_assert(isnan(mean) && isnan(ci));
}
END_TEST

START_TEST(test_corruptions)
{
    const char *s = "The committee voted on the new budget plan late on Tuesday night.";
    const char *pool = "Officials said markets rallied after strong jobs data arrived early.";
    size_t n = strlen(s);
    int differ[4] = {0};
    for (int rep = 0; rep < 200; rep++) {
        for (int level = 0; level < 4; level++) {
            gsl_rng *r1 = rng_stream_alloc(rng_pcg64, 9, 77, (uint64_t)rep);
            gsl_rng *r2 = rng_stream_alloc(rng_pcg64, 9, 77, (uint64_t)rep);
            char *a = quality_corrupt(s, n, level, pool, r1),
                 *b = quality_corrupt(s, n, level, pool, r2);
            ck_assert_str_eq(a, b); /* deterministic in the stream */
            differ[level] += strcmp(a, s) != 0;
            free(a), free(b);
            gsl_rng_free(r1), gsl_rng_free(r2);
        }
    }
    ck_assert_int_eq(differ[3], 0);
    ck_assert_int_eq(differ[0], 200);
    ck_assert_int_ge(differ[1], 195);
    ck_assert_int_ge(differ[2], 190);
}
END_TEST

/* ---- a synthetic news-like corpus: sentences from a small grammar ---- */

static const char *const subj[] = {
    "The senator", "A local official", "The governor",    "Her campaign", "The committee",
    "Most voters", "The new report",   "The White House", "His office",   "The court"};
static const char *const verb[] = {"said",    "announced", "argued",    "warned",
                                   "claimed", "reported",  "confirmed", "suggested"};
static const char *const obj[] = {
    "that the bill would pass next week",       "that taxes will rise again this year",
    "that the plan had failed in the state",    "that the election was very close",
    "that the new law is working for families", "that the economy is growing slowly",
    "that the agency would review the policy",  "that prices for food and fuel went up"};
static const char *const tail[] = {".", " on Tuesday.", ", according to officials.",
                                   " after the vote.", " in a statement."};

static char *synth_article(gsl_rng *r, int nsent)
{
    char *s = malloc((size_t)nsent * 160 + 1);
    size_t k = 0;
    for (int i = 0; i < nsent; i++)
        k += (size_t)sprintf(s + k, "%s%s %s %s%s", i ? " " : "", subj[gsl_rng_uniform_int(r, 10)],
                             verb[gsl_rng_uniform_int(r, 8)], obj[gsl_rng_uniform_int(r, 8)],
                             tail[gsl_rng_uniform_int(r, 5)]);
    s[k] = '\0';
    return s;
}

static char **synth_corpus(size_t n, uint64_t seed)
{
    gsl_rng *r = rng_stream_alloc(rng_pcg64, seed, RNG_PURPOSE_DATA_SPLIT, 0);
    char **t = malloc(n * sizeof *t);
    for (size_t i = 0; i < n; i++) t[i] = synth_article(r, 10);
    gsl_rng_free(r);
    return t;
}

static void corpus_free_(char **t, size_t n)
{
    for (size_t i = 0; i < n; i++) free(t[i]);
    free(t);
}

static QualityOpts synth_opts(void)
{
    QualityOpts o = QUALITY_OPTS_DEFAULTS;
    o.dict_path = NULL; /* the corpus is the dictionary: no dependence on installed word lists */
    o.uni_bits = 16;
    o.bi_bits = 18;
    o.sentences_per_text = 4;
    o.threads = 1;
    return o;
}

START_TEST(test_synthetic_model)
{
    char **lm = synth_corpus(200, 1), **tr = synth_corpus(150, 2), **te = synth_corpus(60, 3);
    QualityOpts o = synth_opts();
    QualityModel *m = NULL;
    QualityTrainInfo info;
    ck_assert_int_eq(
        quality_train(&m, &o, (const char *const *)lm, 200, (const char *const *)tr, 150, &info),
        ERR_OK);
    ck_assert_int_eq(info.dict_from_corpus, 1);
    ck_assert_int_eq(info.train_sentences, 600);
    QualityEval ev;
    ck_assert_int_eq(quality_evaluate(m, &o, (const char *const *)te, 60, &ev), ERR_OK);
    ck_assert_int_eq(ev.n, 960);
    ck_assert_msg(ev.accuracy > 0.9, "held-out accuracy %g", ev.accuracy);
    /* originals outscore every corruption level, by margins */
    ck_assert_msg(ev.mean_score[3] > 2.5, "clean %g", ev.mean_score[3]);
    ck_assert_msg(ev.mean_score[3] - ev.mean_score[2] > 0.6, "clean %g mild %g", ev.mean_score[3],
                  ev.mean_score[2]);
    ck_assert_msg(ev.mean_score[2] - ev.mean_score[1] > 0.6, "mild %g salad %g", ev.mean_score[2],
                  ev.mean_score[1]);
    ck_assert_msg(ev.mean_score[1] - ev.mean_score[0] > 0.7, "salad %g noise %g", ev.mean_score[1],
                  ev.mean_score[0]);

    /* a sentence without a single word, first on a fresh scorer (regression: features() wrote
     * its bigram slot into a scratch only the word loop reserved: a NULL write, the rare segfault
     * of `biasamp experiment` scoring a degenerate generation such as ':' x 96) */
    QualityScore q0;
    quality_score_init(&q0);
    ck_assert_int_eq(quality_score_text(m, "::::::::::::::::::::::::::::::::", &q0), ERR_OK);
    ck_assert(q0.n >= 1 && isfinite(q0.tqi));
    quality_score_release(&q0);

    /* scoring a text: sentences, levels, expected vs argmax scores, batch = single */
    QualityScore qs;
    quality_score_init(&qs);
    ck_assert_int_eq(quality_score_text(m, te[0], &qs), ERR_OK);
    ck_assert_int_eq(qs.n, 10);
    double sum = 0;
    for (size_t k = 0; k < qs.n; k++) {
        const double *p = qs.p + 4 * k;
        ck_assert(fabs(qs.score[k] - (p[1] + 2 * p[2] + 3 * p[3])) < 1e-12);
        sum += qs.score[k];
    }
    ck_assert(fabs(qs.tqi - sum / 10) < 1e-12);
    ck_assert_msg(qs.tqi > 2.5, "clean article TQI %g", qs.tqi);
    double single = qs.tqi;
    qs.mode = QUALITY_ARGMAX_PROB;
    quality_score_text(m, te[0], &qs);
    for (size_t k = 0; k < qs.n; k++)
        ck_assert(qs.score[k] == qs.level[k] * qs.p[4 * k + qs.level[k]]);
    double tq1[60], tq3[60];
    quality_score_batch(m, (const char *const *)te, 60, QUALITY_EXPECTED, tq1, 1);
    quality_score_batch(m, (const char *const *)te, 60, QUALITY_EXPECTED, tq3, 3);
    ck_assert(memcmp(tq1, tq3, sizeof tq1) == 0);
    ck_assert(tq1[0] == single);
    qs.mode = QUALITY_EXPECTED;
    quality_score_text(m, "", &qs);
    ck_assert(qs.n == 0 && qs.tqi == 0);
    quality_score_text(m, "x7#q zzkq %%$ 9vv@!! qqq", &qs);
    ck_assert_msg(qs.tqi < 1.0, "noise TQI %g", qs.tqi);
    quality_score_release(&qs);

    /* file: round trip bit-exact, corruptions are ERR_INVAL naming the field */
    char path[] = "/tmp/biasamp_tqi_XXXXXX";
    close(mkstemp(path));
    QualityModel *r = NULL;
    ck_assert_int_eq(quality_save(m, path), ERR_OK);
    ck_assert_int_eq(quality_load(&r, path), ERR_OK);
    double tr1[60];
    quality_score_batch(r, (const char *const *)te, 60, QUALITY_EXPECTED, tr1, 0);
    ck_assert(memcmp(tq1, tr1, sizeof tq1) == 0);
    quality_free(r);
    r = NULL;
    ck_assert_int_eq(truncate(path, 100), 0);
    ck_assert_int_eq(quality_load(&r, path), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "truncated in field 'unigram_counts'"));
    ck_assert_int_eq(truncate(path, 3), 0);
    ck_assert_int_eq(quality_load(&r, path), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "field 'magic'"));
    ck_assert_int_eq(quality_save(m, path), ERR_OK);
    FILE *f = fopen(path, "r+b");
    fseek(f, 5000, SEEK_SET);
    fputc(0xAB, f);
    fclose(f);
    ck_assert_int_eq(quality_load(&r, path), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "checksum"));
    ck_assert_ptr_null(r);
    unlink(path);

    quality_free(m);
    corpus_free_(lm, 200), corpus_free_(tr, 150), corpus_free_(te, 60);
}
END_TEST

START_TEST(test_bad_options)
{
    QualityOpts o = synth_opts();
    QualityModel *m = NULL;
    const char *t[1] = {"Too short."};
    o.min_words = 5, o.max_words = 4;
    ck_assert_int_eq(quality_train(&m, &o, t, 1, t, 1, NULL), ERR_INVAL);
    o = synth_opts();
    ck_assert_int_eq(quality_train(&m, &o, t, 1, t, 1, NULL), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "no training sentence"));
    ck_assert_ptr_null(m);
}
END_TEST

/* ---- with the shared data ---- */

START_TEST(test_data_margins)
{
    char root[4096], p[4200];
    paths_data_root(root, sizeof root);
    snprintf(p, sizeof p, "%s/abp/articles.jsonl.gz", root);
    if (access(p, R_OK) != 0) {
        printf("check_quality: skipping a data test: %s not found (set BIASAMP_DATA)\n", p);
        return;
    }
    const char *names[2] = {"random/train", "random/valid"};
    LeanTexts s[2];
    ck_assert_int_eq(lean_texts_load(s, names, 2, root, NULL, 600), ERR_OK);
    QualityOpts o = QUALITY_OPTS_DEFAULTS;
    o.sentences_per_text = 4;
    o.threads = 1;
    QualityModel *m = NULL;
    /* language model: 600 train articles; classifier: 400 valid articles; held out: 200 more */
    ck_assert_int_eq(quality_train(&m, &o, (const char *const *)s[0].text, 600,
                                   (const char *const *)s[1].text, 400, NULL),
                     ERR_OK);
    QualityEval ev;
    ck_assert_int_eq(quality_evaluate(m, &o, (const char *const *)s[1].text + 400, 200, &ev),
                     ERR_OK);
    ck_assert_msg(ev.accuracy > 0.78, "held-out accuracy %g", ev.accuracy);
    ck_assert_msg(ev.mean_score[3] - ev.mean_score[2] > 0.35, "clean %g mild %g", ev.mean_score[3],
                  ev.mean_score[2]);
    ck_assert_msg(ev.mean_score[3] - ev.mean_score[1] > 1.3, "clean %g salad %g", ev.mean_score[3],
                  ev.mean_score[1]);
    ck_assert_msg(ev.mean_score[3] - ev.mean_score[0] > 2.4, "clean %g noise %g", ev.mean_score[3],
                  ev.mean_score[0]);
    quality_free(m);
    for (int k = 0; k < 2; k++) lean_texts_release(&s[k]);
}
END_TEST

Suite *suite_quality(void)
{
    Suite *s = suite_create("quality");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sentences);
    tcase_add_test(tc, test_summary_by_hand);
    tcase_add_test(tc, test_corruptions);
    tcase_add_test(tc, test_synthetic_model);
    tcase_add_test(tc, test_bad_options);
    tcase_add_test(tc, test_data_margins);
    suite_add_tcase(s, tc);
    return s;
}
