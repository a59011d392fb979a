/* check_corpus: loading and validating an ABP-shaped corpus written here (90 synthetic articles,
 * gzip), split files, the set plan's rules (sizes, disjointness, class mix, seeding) and token
 * files (round trip through a tokenizer trained here, corrupt files). */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "corpus.h"
#include "err.h"
#include "tokenizer.h"

static char dir[64];
static const char *path_of(const char *name)
{
    static char p[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(path_of(name), "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* 90 articles a000..a089, bias i % 3; splits: test = i % 10 == 0, valid = i % 10 == 1. */
enum { N_ART = 90 };
static void write_corpus(void)
{
    gzFile g = gzopen(path_of("articles.jsonl.gz"), "wb");
    for (int i = 0; i < N_ART; i++)
        gzprintf(g,
                 "{\"ID\": \"a%03d\", \"bias\": %d, \"bias_text\": \"x\", \"source\": \"S%d\", "
                 "\"topic\": \"t\", \"date\": \"d\", \"title\": \"Title %d\", "
                 "\"content_original\": \"Body of article %d says %s.\"}\n",
                 i, i % 3, i % 4, i, i,
                 i % 3 == 0 ? "left things"
                 : i % 3    ? "center or right"
                            : "");
    gzclose(g);
    static const char *names[] = {"random_train.tsv", "random_valid.tsv", "random_test.tsv"};
    for (int part = 0; part < 3; part++) {
        FILE *f = fopen(path_of(names[part]), "w");
        fputs("ID\tbias\n", f);
        for (int i = 0; i < N_ART; i++) {
            int p = i % 10 == 0 ? 2 : i % 10 == 1 ? 1 : 0;
            if (p == part) fprintf(f, "a%03d\t%d\n", i, i % 3);
        }
        fclose(f);
    }
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_corpus_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    write_corpus();
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static Corpus *load_ok(void)
{
    Corpus *c;
    ck_assert_msg(corpus_load(&c, path_of("articles.jsonl.gz")) == ERR_OK, "%s", err_msg());
    return c;
}

static void load_splits(const Corpus *c, CorpusSet s[6])
{
    static const char *names[] = {"random_train.tsv", "random_valid.tsv", "random_test.tsv"};
    for (int k = 0; k < 6; k++) /* media = random here */
        ck_assert_msg(corpus_split_load(c, path_of(names[k % 3]), &s[k]) == ERR_OK, "%s",
                      err_msg());
}

START_TEST(test_load_and_format)
{
    Corpus *c = load_ok();
    ck_assert_uint_eq(corpus_size(c), N_ART);
    long k = corpus_find(c, "a042");
    ck_assert_int_eq(k, 42);
    const CorpusArticle *a = corpus_get(c, (size_t)k);
    ck_assert_int_eq(a->bias, CORPUS_LEFT);
    ck_assert_str_eq(a->source, "S2");
    size_t n;
    char *s = corpus_format(a, &n);
    ck_assert_str_eq(s, "title: Title 42\nbody: Body of article 42 says left things.");
    ck_assert_uint_eq(n, strlen(s));
    free(s);
    ck_assert_int_eq(corpus_find(c, "nope"), -1);
    CorpusSet t = {0};
    ck_assert_int_eq(corpus_split_load(c, path_of("random_test.tsv"), &t), ERR_OK);
    ck_assert_uint_eq(t.n, 9);
    ck_assert_uint_eq(t.idx[1], 10);
    corpus_set_release(&t);
    corpus_free(c);
}
END_TEST

static void ck_load_fails(const char *content, const char *where)
{
    Corpus *c = (Corpus *)1;
    write_text("bad.jsonl", content);
    ck_assert_int_eq(corpus_load(&c, path_of("bad.jsonl")), ERR_INVAL);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err_msg(), where), "message: %s", err_msg());
}

START_TEST(test_load_errors)
{
    Corpus *c;
    ck_assert_int_eq(corpus_load(&c, path_of("missing.jsonl.gz")), ERR_IO);
#define ART(id, bias)                                                                              \
    "{\"ID\": \"" id "\", \"bias\": " bias ", \"source\": \"s\", "                                 \
    "\"title\": \"t\", \"content_original\": \"b\"}\n"
    ck_load_fails(ART("x", "0") "\n" ART("y", "1") "{\"ID\": \"z\",\n", "bad.jsonl:4: malformed");
    ck_load_fails(ART("x", "0") "{\"ID\": \"y\", \"bias\": 1}\n",
                  "bad.jsonl:2: missing or non-string field 'title'");
    ck_load_fails(ART("x", "3"), "bad.jsonl:1: field 'bias'");
    ck_load_fails(ART("x", "\"0\""), "bad.jsonl:1: field 'bias'");
    ck_load_fails(ART("x", "0") ART("x", "1"), "bad.jsonl:2: duplicate ID 'x'");
    ck_load_fails("[1, 2]\n", "bad.jsonl:1: malformed");
#undef ART
    /* A corrupt gzip stream: flip bytes in the middle of the real file. */
    FILE *f = fopen(path_of("articles.jsonl.gz"), "r+b");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size / 2, SEEK_SET);
    for (int i = 0; i < 12; i++) fputc(0xA5 ^ i, f);
    fclose(f);
    ck_assert_int_eq(corpus_load(&c, path_of("articles.jsonl.gz")), ERR_INVAL);
    ck_assert_msg(strstr(err_msg(), "articles.jsonl.gz:"), "%s", err_msg());
}
END_TEST

static void ck_split_fails(const Corpus *c, const char *content, const char *where)
{
    CorpusSet s = {0};
    write_text("bad.tsv", content);
    ck_assert_int_eq(corpus_split_load(c, path_of("bad.tsv"), &s), ERR_INVAL);
    ck_assert_ptr_null(s.idx);
    ck_assert_msg(strstr(err_msg(), where), "message: %s", err_msg());
}

START_TEST(test_split_errors)
{
    Corpus *c = load_ok();
    ck_split_fails(c, "id\tbias\na000\t0\n", "bad.tsv:1: expected the header");
    ck_split_fails(c, "ID\tbias\na000\t0\na001 1\n", "bad.tsv:3: expected 'ID<TAB>bias'");
    ck_split_fails(c, "ID\tbias\na000\t0\nzzz\t1\n", "bad.tsv:3: ID 'zzz' is not in the corpus");
    ck_split_fails(c, "ID\tbias\na001\t2\n", "bad.tsv:2: ID 'a001' has bias 2 here but 1");
    ck_split_fails(c, "ID\tbias\na000\t0\n\na000\t0\n", "bad.tsv:4: ID 'a000' repeated");
    ck_split_fails(c, "", "bad.tsv: empty");
    CorpusSet s = {0};
    write_text("ok.tsv", "ID\tbias\r\na000\t0\r\n");
    ck_assert_int_eq(corpus_split_load(c, path_of("ok.tsv"), &s), ERR_OK); /* CRLF is fine */
    ck_assert_uint_eq(s.n, 1);
    corpus_set_release(&s);
    corpus_free(c);
}
END_TEST

static char *in_set(const Corpus *c, const CorpusSet *s)
{
    char *m = calloc(corpus_size(c), 1);
    for (size_t i = 0; i < s->n; i++) m[s->idx[i]] = 1;
    return m;
}

START_TEST(test_plan_rules)
{
    Corpus *c = load_ok();
    CorpusSet sp[6] = {{0}};
    load_splits(c, sp);
    CorpusPlanOpts o = {7, 5, 8, 6, {0.2, 0.4, 0.4}};
    CorpusPlan p, q;
    ck_assert_msg(corpus_plan(c, sp, &o, &p) == ERR_OK, "%s", err_msg());
    size_t n[CORPUS_NCLASS];
    corpus_set_counts(c, &p.set[CORPUS_SET_FINETUNE], n);
    ck_assert(n[0] == 5 && n[1] == 5 && n[2] == 5);
    corpus_set_counts(c, &p.set[CORPUS_SET_FINETUNE_CENTER], n);
    ck_assert(n[0] == 0 && n[1] == 8 && n[2] == 0);
    ck_assert_uint_eq(p.set[CORPUS_SET_QUALITY].n, 6);

    char *ft = in_set(c, &p.set[CORPUS_SET_FINETUNE]),
         *fc = in_set(c, &p.set[CORPUS_SET_FINETUNE_CENTER]);
    char *ql = in_set(c, &p.set[CORPUS_SET_QUALITY]), *pt = in_set(c, &p.set[CORPUS_SET_PRETRAIN]);
    char *test = in_set(c, &sp[2]);
    size_t avail[CORPUS_NCLASS] = {0};
    for (size_t i = 0; i < corpus_size(c); i++) {
        int b = corpus_get(c, i)->bias;
        ck_assert(!(test[i] && (ft[i] || fc[i] || ql[i] || pt[i]))); /* tests stay untouched */
        ck_assert(ft[i] + ql[i] + pt[i] <= 1 && fc[i] + ql[i] + pt[i] <= 1); /* disjoint */
        if (ft[i] && b == CORPUS_CENTER) ck_assert(fc[i]); /* center-only includes them */
        avail[b] += !test[i] && !ft[i] && !fc[i] && !ql[i];
    }
    /* Pretraining: floor(mix[c] * N), N = min_c avail[c] / mix[c]. */
    double N = INFINITY;
    for (int k = 0; k < 3; k++) N = fmin(N, (double)avail[k] / o.mix[k]);
    corpus_set_counts(c, &p.set[CORPUS_SET_PRETRAIN], n);
    for (int k = 0; k < 3; k++) ck_assert_uint_eq(n[k], (size_t)floor(o.mix[k] * N + 1e-9));
    /* Classifier sets: the splits minus every fine-tuning article. */
    for (int k = 0; k < 6; k++) {
        const CorpusSet *s = &p.set[CORPUS_SET_RANDOM_TRAIN + k];
        size_t expect = 0;
        for (size_t i = 0; i < sp[k].n; i++) expect += !ft[sp[k].idx[i]] && !fc[sp[k].idx[i]];
        ck_assert_uint_eq(s->n, expect);
        for (size_t i = 0; i < s->n; i++) ck_assert(!ft[s->idx[i]] && !fc[s->idx[i]]);
        for (size_t i = 1; i < s->n; i++) ck_assert_uint_lt(s->idx[i - 1], s->idx[i]);
    }
    /* Seeded: the same seed gives the same sets, another seed another fine-tuning set. */
    ck_assert_int_eq(corpus_plan(c, sp, &o, &q), ERR_OK);
    for (int k = 0; k < CORPUS_NSETS; k++) {
        ck_assert_uint_eq(p.set[k].n, q.set[k].n);
        ck_assert(memcmp(p.set[k].idx, q.set[k].idx, p.set[k].n * sizeof(size_t)) == 0);
    }
    corpus_plan_release(&q);
    o.seed = 8;
    ck_assert_int_eq(corpus_plan(c, sp, &o, &q), ERR_OK);
    ck_assert(memcmp(p.set[0].idx, q.set[0].idx, p.set[0].n * sizeof(size_t)) != 0);
    corpus_plan_release(&q);
    /* Bad options. */
    CorpusPlanOpts bad = o;
    bad.per_class = 40;
    ck_assert_int_eq(corpus_plan(c, sp, &bad, &q), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "fine-tuning needs"));
    bad = o;
    bad.mix[0] = 0.5;
    ck_assert_int_eq(corpus_plan(c, sp, &bad, &q), ERR_INVAL);
    ck_assert_str_eq(corpus_set_name(CORPUS_SET_PRETRAIN), "pretrain");
    free(ft), free(fc), free(ql), free(pt), free(test);
    corpus_plan_release(&p);
    for (int k = 0; k < 6; k++) corpus_set_release(&sp[k]);
    corpus_free(c);
}
END_TEST

/* summary.csv: metadata naming the codes, the header, then one numeric row per (set, class)
 * agreeing with sum; the vocab metadata line equals vocab_line if given. */
static void ck_summary(const char *path, const char *vocab_line,
                       uint64_t sum[CORPUS_NSETS][CORPUS_NCLASS][2])
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    int rows = 0, header = 0, codes = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') {
            codes += strncmp(line, "# set_codes=0:finetune 1:finetune_center 2:quality", 50) == 0;
            codes += strcmp(line, "# class_codes=0:left 1:center 2:right\n") == 0;
            if (vocab_line && strncmp(line, "# vocab=", 8) == 0) ck_assert_str_eq(line, vocab_line);
            continue;
        }
        if (!header++) {
            ck_assert_str_eq(line, "set,class,articles,tokens\n");
            continue;
        }
        int k, j;
        unsigned long long a, t;
        char end;
        ck_assert_msg(sscanf(line, "%d,%d,%llu,%llu%c", &k, &j, &a, &t, &end) == 5 && end == '\n',
                      "not a numeric row: %s", line);
        ck_assert_int_eq(k, rows / CORPUS_NCLASS);
        ck_assert_int_eq(j, rows % CORPUS_NCLASS);
        ck_assert_uint_eq(a, sum[k][j][0]);
        ck_assert_uint_eq(t, sum[k][j][1]);
        rows++;
    }
    fclose(f);
    ck_assert_int_eq(codes, 2);
    ck_assert_int_eq(rows, CORPUS_NSETS * CORPUS_NCLASS);
}

START_TEST(test_token_files)
{
    Corpus *c = load_ok();
    CorpusSet sp[6] = {{0}};
    load_splits(c, sp);
    CorpusPlanOpts o = {1, 3, 4, 2, {0.1, 0.45, 0.45}};
    CorpusPlan p;
    ck_assert_int_eq(corpus_plan(c, sp, &o, &p), ERR_OK);
    /* A small vocabulary trained on the corpus itself (EOT last). */
    TokenizerTrainer *tr = tokenizer_trainer_alloc();
    for (size_t i = 0; i < corpus_size(c); i++) {
        size_t n;
        char *s = corpus_format(corpus_get(c, i), &n);
        tokenizer_trainer_add(tr, s, n);
        free(s);
    }
    TokenizerTrainOpts to = {300, 2};
    Tokenizer *t;
    ck_assert_int_eq(tokenizer_trainer_run(tr, &to, &t), ERR_OK);
    tokenizer_trainer_free(tr);

    uint64_t sum[CORPUS_NSETS][CORPUS_NCLASS][2];
    CorpusWriteOpts wo = {.plan = &o, .vocab = "trained\nhere", .threads = 2};
    ck_assert_msg(corpus_write_plan(dir, t, c, &p, &wo, sum) == ERR_OK, "%s", err_msg());
    ck_assert_uint_eq(sum[CORPUS_SET_FINETUNE][CORPUS_RIGHT][0], 3);
    TokenizerIds ids = {0};
    int V;
    ck_assert_int_eq(corpus_tokens_read(path_of("finetune.tok"), &ids, &V), ERR_OK);
    ck_assert_int_eq(V, 300);
    ck_assert_uint_eq(ids.n, sum[0][0][1] + sum[0][1][1] + sum[0][2][1]);
    /* Decoding gives each formatted document followed by <|endoftext|>, in corpus order. */
    char *text, expect[4096] = "";
    size_t len;
    ck_assert_int_eq(tokenizer_decode(t, ids.ids, ids.n, &text, &len), ERR_OK);
    for (size_t i = 0; i < p.set[0].n; i++) {
        size_t n;
        char *s = corpus_format(corpus_get(c, p.set[0].idx[i]), &n);
        strcat(expect, s);
        strcat(expect, TOKENIZER_EOT_TEXT);
        free(s);
    }
    ck_assert_str_eq(text, expect);
    free(text);
    ck_summary(path_of("summary.csv"), "# vocab=trained here\n", sum); /* newline replaced */
    /* Corrupt files: truncated, bad magic, token out of range. */
    FILE *f;
    ck_assert_int_eq(truncate(path_of("finetune.tok"), 32 + 2 * 5), 0);
    ck_assert_int_eq(corpus_tokens_read(path_of("finetune.tok"), &ids, NULL), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "file size disagrees"));
    /* regression (fuzz_corpus_tokens): 2^63 tokens of 2 bytes wrapped 32 + n * dtype to the size
     * of a bare header, and the read loop then failed with ERR_IO */
    f = fopen(path_of("wrap.tok"), "wb");
    unsigned char hdr[32] = "BIASTOK";
    hdr[8] = 1, hdr[12] = 0x2c, hdr[13] = 1, hdr[23] = 0x80, hdr[24] = 2; /* v1, V 300, 2^63, u16 */
    fwrite(hdr, 1, sizeof hdr, f);
    fclose(f);
    ck_assert_int_eq(corpus_tokens_read(path_of("wrap.tok"), &ids, NULL), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "file size disagrees"));
    write_text("x.tok", "NOTATOKENFILE...................");
    ck_assert_int_eq(corpus_tokens_read(path_of("x.tok"), &ids, NULL), ERR_INVAL);
    f = fopen(path_of("quality.tok"), "r+b");
    fseek(f, 32, SEEK_SET);
    fputc(0xff, f), fputc(0xff, f);
    fclose(f);
    ck_assert_int_eq(corpus_tokens_read(path_of("quality.tok"), &ids, NULL), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "outside the vocabulary"));
    tokenizer_ids_release(&ids);
    tokenizer_free(t);
    corpus_plan_release(&p);
    for (int k = 0; k < 6; k++) corpus_set_release(&sp[k]);
    corpus_free(c);
}
END_TEST

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

START_TEST(test_build)
{
    /* The ABP layout (media = random), a vocabulary trained on the corpus, an output folder. */
    sh("cd '%s' && mkdir -p abp/splits/random abp/splits/media vocab out && "
       "cp articles.jsonl.gz abp/",
       dir);
    static const char *part[] = {"train", "valid", "test"};
    for (int k = 0; k < 3; k++) {
        char cp[128];
        snprintf(cp, sizeof cp, "random_%s.tsv", part[k]);
        sh("cd '%s' && cp %s abp/splits/random/%s.tsv && cp %s abp/splits/media/%s.tsv", dir, cp,
           part[k], cp, part[k]);
    }
    Corpus *c = load_ok();
    TokenizerTrainer *tr = tokenizer_trainer_alloc();
    for (size_t i = 0; i < corpus_size(c); i++) {
        size_t n;
        char *s = corpus_format(corpus_get(c, i), &n);
        tokenizer_trainer_add(tr, s, n);
        free(s);
    }
    corpus_free(c);
    TokenizerTrainOpts to = {300, 2};
    Tokenizer *t;
    ck_assert_int_eq(tokenizer_trainer_run(tr, &to, &t), ERR_OK);
    tokenizer_trainer_free(tr);
    ck_assert_int_eq(tokenizer_save_dir(t, path_of("vocab")), ERR_OK);
    tokenizer_free(t);

    char abp[128], vocab[128], out[128];
    snprintf(abp, sizeof abp, "%s", path_of("abp"));
    snprintf(vocab, sizeof vocab, "%s", path_of("vocab"));
    snprintf(out, sizeof out, "%s", path_of("out"));
    CorpusBuildOpts o = {abp, vocab, out, {1, 3, 4, 2, {0.1, 0.45, 0.45}}, {.threads = 1}};
    CorpusBuildResult r;
    ck_assert_msg(corpus_build(&o, &r) == ERR_OK, "%s", err_msg());
    ck_assert_uint_eq(r.n_articles, N_ART);
    ck_assert_uint_eq(r.by_class[CORPUS_CENTER], N_ART / 3);
    ck_assert_int_eq(r.vocab_size, 300);
    ck_assert_uint_eq(r.summary[CORPUS_SET_FINETUNE][CORPUS_LEFT][0], 3);
    ck_assert_uint_eq(r.summary[CORPUS_SET_FINETUNE_CENTER][CORPUS_CENTER][0], 4);
    ck_assert_uint_eq(r.summary[CORPUS_SET_QUALITY][0][0] + r.summary[CORPUS_SET_QUALITY][1][0] +
                          r.summary[CORPUS_SET_QUALITY][2][0],
                      2);
    ck_summary(path_of("out/summary.csv"), NULL, r.summary);
    TokenizerIds ids = {0};
    int V;
    ck_assert_int_eq(corpus_tokens_read(path_of("out/pretrain.tok"), &ids, &V), ERR_OK);
    ck_assert_uint_eq(ids.n, r.summary[CORPUS_SET_PRETRAIN][0][1] +
                                 r.summary[CORPUS_SET_PRETRAIN][1][1] +
                                 r.summary[CORPUS_SET_PRETRAIN][2][1]);
    tokenizer_ids_release(&ids);
    ck_assert_int_eq(access(path_of("out/media_test.ids"), R_OK), 0);

    /* Errors name the file: a missing split, a missing vocabulary, a bad option. */
    sh("rm '%s/abp/splits/media/valid.tsv'", dir);
    ck_assert_int_eq(corpus_build(&o, &r), ERR_IO);
    ck_assert_msg(strstr(err_msg(), "splits/media/valid.tsv"), "%s", err_msg());
    sh("cd '%s' && cp random_valid.tsv abp/splits/media/valid.tsv", dir);
    o.vocab_dir = abp;
    ck_assert_int_eq(corpus_build(&o, &r), ERR_IO);
    ck_assert_msg(strstr(err_msg(), "encoder.json"), "%s", err_msg());
    o.vocab_dir = vocab;
    o.plan.per_class = 100;
    ck_assert_int_eq(corpus_build(&o, &r), ERR_INVAL);
    ck_assert_msg(strstr(err_msg(), "fine-tuning needs"), "%s", err_msg());
}
END_TEST

Suite *suite_corpus(void);
Suite *suite_corpus(void)
{
    Suite *s = suite_create("corpus");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_load_and_format);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_split_errors);
    tcase_add_test(tc, test_plan_rules);
    tcase_add_test(tc, test_token_files);
    tcase_add_test(tc, test_build);
    suite_add_tcase(s, tc);
    return s;
}
