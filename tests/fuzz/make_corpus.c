/* make_corpus: writes the fuzzers' seed corpora (tests/fuzz/corpus/<target>/, `make fuzz-corpus`):
 * valid files from the project's own writers (checkpoint, safetensors, llm.c, tokenizer, token
 * files, lean and quality models) on tiny made-up data, plus hand-made edge cases. Deterministic;
 * no third-party text. The whole folder must stay under 1 MB. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "adamw.h"
#include "checkpoint.h"
#include "corpus.h"
#include "err.h"
#include "gpt2.h"
#include "gpt2_io.h"
#include "lean.h"
#include "quality.h"
#include "safetensors.h"
#include "tokenizer.h"

static const char *root;

static void die(const char *what)
{
    fprintf(stderr, "make_corpus: %s: %s\n", what, err_msg());
    exit(1);
}

/* root/target/name, creating root/target. */
static const char *seed_path(const char *target, const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", root, target);
    mkdir(root, 0755);
    mkdir(buf, 0755);
    snprintf(buf, sizeof buf, "%s/%s/%s", root, target, name);
    return buf;
}

static void put(const char *target, const char *name, const void *data, size_t n)
{
    const char *p = seed_path(target, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f)) {
        perror(p);
        exit(1);
    }
}

static void puts_(const char *target, const char *name, const char *text)
{
    put(target, name, text, strlen(text));
}

static void put_gz(const char *target, const char *name, const char *text)
{
    gzFile f = gzopen(seed_path(target, name), "wb9");
    if (!f || gzwrite(f, text, (unsigned)strlen(text)) != (int)strlen(text) || gzclose(f) != Z_OK)
        die("gzip");
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) die(path);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*n + 1);
    if (fread(b, 1, *n, f) != *n) die(path);
    fclose(f);
    return b;
}

/* Copies src into a seed, whole or cut to `keep` bytes (keep 0: whole); removes src if asked. */
static void put_file(const char *target, const char *name, const char *src, size_t keep)
{
    size_t n;
    char *b = slurp(src, &n);
    put(target, name, b, keep && keep < n ? keep : n);
    free(b);
}

/* ---- GPT-2 weights --------------------------------------------------------------------------- */

static void gpt2_seeds(const char *tmp)
{
    Gpt2Config c = {.max_seq_len = 8, .vocab_size = 32, .num_layers = 1, .num_heads = 2,
                    .channels = 8};
    Gpt2 *m;
    if (gpt2_alloc(&m, &c, 1, 4)) die("gpt2_alloc");
    gpt2_init_random(m, 7);
    AdamWConfig ac = adamw_config_default();
    AdamW *opt;
    if (adamw_alloc(&opt, m->num_params, &ac)) die("adamw_alloc");
    for (size_t i = 0; i < opt->n; i++) opt->m[i] = 1e-3f * (float)(i % 7), opt->v[i] = 1e-6f;
    opt->t = 3;
    char p[512];
    snprintf(p, sizeof p, "%s/w.ckpt", tmp);
    if (checkpoint_save(p, m, NULL)) die("checkpoint_save");
    put_file("checkpoint", "weights.ckpt", p, 0);
    put_file("gpt2_io", "weights.ckpt", p, 0);
    put_file("checkpoint", "truncated.ckpt", p, 200);
    if (checkpoint_save(p, m, opt)) die("checkpoint_save");
    put_file("checkpoint", "optimizer.ckpt", p, 0);
    unlink(p);
    snprintf(p, sizeof p, "%s/w.bin", tmp);
    if (gpt2_save_llmc(m, p)) die("gpt2_save_llmc");
    put_file("gpt2_io", "llmc_fp32.bin", p, 0);
    { /* the same as llm.c's bf16 version 5: halves taken from the fp32 words */
        size_t n;
        char *b = slurp(p, &n);
        int32_t h[256];
        memcpy(h, b, sizeof h);
        h[1] = 5;
        size_t nf = (n - 1024) / 4, out = 1024 + 2 * nf;
        char *o = malloc(out);
        memcpy(o, h, sizeof h);
        for (size_t i = 0; i < nf; i++) memcpy(o + 1024 + 2 * i, b + 1024 + 4 * i + 2, 2);
        put("gpt2_io", "llmc_bf16.bin", o, out);
        free(o), free(b);
    }
    unlink(p);
    snprintf(p, sizeof p, "%s/w.safetensors", tmp);
    if (gpt2_save_safetensors(m, p)) die("gpt2_save_safetensors");
    put_file("gpt2_io", "hf.safetensors", p, 0);
    put_file("safetensors", "gpt2_tiny.safetensors", p, 0);
    unlink(p);
    adamw_free(opt);
    gpt2_free(m);
    /* found by fuzzing: layers counted from empty "h.N.ln_1.weight" tensors sized the model */
    {
        enum { C = 64, L = 100 };
        static float emb[C];
        static StWriteItem items[2 + L];
        static char names[L][32];
        items[0] = (StWriteItem){"wte.weight", emb, 2, {1, C}};
        items[1] = (StWriteItem){"wpe.weight", emb, 2, {1, C}};
        for (int l = 0; l < L; l++) {
            snprintf(names[l], sizeof names[l], "h.%d.ln_1.weight", l);
            items[2 + l] = (StWriteItem){names[l], emb, 1, {0}};
        }
        snprintf(p, sizeof p, "%s/layers.safetensors", tmp);
        if (safetensors_write(p, items, 2 + L, NULL, 0)) die("safetensors_write");
        put_file("gpt2_io", "empty_layers.safetensors", p, 0);
        unlink(p);
    }
}

/* ---- safetensors ----------------------------------------------------------------------------- */

/* An 8-byte length, the header, then n data bytes. */
static void st_raw(const char *name, const char *hdr, const void *data, size_t n)
{
    size_t h = strlen(hdr);
    char *b = malloc(8 + h + n + 1);
    for (int i = 0; i < 8; i++) b[i] = (char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, hdr, h);
    if (n) memcpy(b + 8 + h, data, n);
    put("safetensors", name, b, 8 + h + n);
    free(b);
}

static void safetensors_seeds(const char *tmp)
{
    float a[6] = {1, -2, 3.5f, 1e-30f, 0, 65504}, b[3] = {7, 8, 9};
    StWriteItem items[] = {{"a", a, 2, {2, 3}}, {"layer.0.bias", b, 1, {3}}};
    const char *meta[] = {"format", "pt", "n_head", "2"};
    char p[512];
    snprintf(p, sizeof p, "%s/s.safetensors", tmp);
    if (safetensors_write(p, items, 2, meta, 2)) die("safetensors_write");
    put_file("safetensors", "two.safetensors", p, 0);
    unlink(p);
    const uint8_t d[16] = {0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 0x80, 0xbf, /* F16 1 -2, BF16 1 -1 */
                           0x7b, 0, 0, 0, 0, 0, 0, 0};                     /* I64 123 */
    st_raw("dtypes.safetensors",
           "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
           "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[4,8]},"
           "\"i\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]},"
           "\"e\":{\"dtype\":\"U8\",\"shape\":[0,5],\"data_offsets\":[16,16]},"
           "\"__metadata__\":{\"k\":\"v\"}}",
           d, sizeof d);
    st_raw("empty.safetensors", "{}", NULL, 0);
    /* found by fuzzing: a second __metadata__ overflowed the arrays sized for the first */
    st_raw("metadata_twice.safetensors",
           "{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\"},\"__metadata__\":{\"c\":\"3\"}}", NULL, 0);
    st_raw("overlap.safetensors",
           "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
           "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
           d, 8);
}

/* ---- tokenizer, corpus, token files ---------------------------------------------------------- */

static const char train_text[] =
    "The committee said that the bill would pass next week, according to officials. "
    "Prices for food and fuel went up again this year; the agency would review the policy. "
    "It's 2024 and we'll see: the senator's office isn't sure they'd vote.\n"
    "Caf\xc3\xa9 na\xc3\xafve r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 <|endoftext|>";

static const char articles[] =
    "{\"ID\":\"a1\",\"title\":\"Vote delayed\",\"content_original\":\"The committee said the bill "
    "would pass next week.\",\"source\":\"Daily A\",\"bias\":0,\"url\":\"x\"}\n"
    "{\"ID\":\"a2\",\"title\":\"Prices up\",\"content_original\":\"Prices for food and fuel went "
    "up.\\nAgain.\",\"source\":\"Daily B\",\"bias\":1}\n"
    "{\"ID\":\"a3\",\"title\":\"Caf\\u00e9\",\"content_original\":\"It's 2024 \\ud83d\\ude00.\","
    "\"source\":\"Daily C\",\"bias\":2}\n"
    "\n"
    "{\"ID\":\"b1\",\"title\":\"\",\"content_original\":\"\",\"source\":\"\",\"bias\":1}\r\n";

static void text_seeds(const char *tmp)
{
    const char *texts[1] = {train_text};
    size_t lens[1] = {sizeof train_text - 1};
    TokenizerTrainOpts o = {300, 1};
    Tokenizer *t;
    if (tokenizer_train(texts, lens, 1, &o, &t)) die("tokenizer_train");
    if (tokenizer_save_dir(t, tmp)) die("tokenizer_save_dir");
    char pe[512], pb[512];
    snprintf(pe, sizeof pe, "%s/encoder.json", tmp);
    snprintf(pb, sizeof pb, "%s/vocab.bpe", tmp);
    size_t ne, nb;
    char *e = slurp(pe, &ne), *b = slurp(pb, &nb), *both = malloc(ne + nb);
    memcpy(both, e, ne), memcpy(both + ne, b, nb);
    put("tokenizer_load", "trained_300.txt", both, ne + nb);
    put("tokenizer_load", "no_merges.txt", both, ne + 14); /* "#version: 0.2\n" only */
    free(e), free(b), free(both);
    unlink(pe), unlink(pb);

    /* encode: texts that reach every branch of the pre-tokeniser */
    puts_("tokenizer_encode", "ascii.txt", "Hello world! It's 2024; we'll see, they've said.");
    puts_("tokenizer_encode", "utf8.txt", train_text);
    puts_("tokenizer_encode", "spaces.txt", "a  b   c\t\t\n\n  \r\n   \xc2\xa0\xe3\x80\x80 end   ");
    puts_("tokenizer_encode", "invalid_utf8.txt", "ok \xff\xfe \xc3 \xe2\x82 \xed\xa0\x80 \xf4\x90\x80\x80 ok");
    puts_("tokenizer_encode", "eot.txt", "<|endoftext|>a<|endoftext|><|endoftext|>b<|endof");
    puts_("tokenizer_encode", "digits.txt", "1234567890 3.14159 1e-9 0x1F '''s 'S 'Ll");
    put("tokenizer_encode", "nul.txt", "a\0b\0\0 c", 7);

    /* corpus (jsonl, gz, broken) */
    puts_("corpus", "articles.jsonl", articles);
    put_gz("corpus", "articles.jsonl.gz", articles);
    {
        char p[512];
        snprintf(p, sizeof p, "%s/a.gz", tmp);
        gzFile g = gzopen(p, "wb9");
        gzwrite(g, articles, (unsigned)strlen(articles));
        gzclose(g);
        put_file("corpus", "truncated.jsonl.gz", p, 60);
        unlink(p);
    }
    puts_("corpus", "bad_bias.jsonl",
          "{\"ID\":\"a\",\"title\":\"t\",\"content_original\":\"c\",\"source\":\"s\",\"bias\":1.5}\n");
    puts_("corpus", "duplicate.jsonl",
          "{\"ID\":\"a\",\"title\":\"t\",\"content_original\":\"c\",\"source\":\"s\",\"bias\":0}\n"
          "{\"ID\":\"a\",\"title\":\"t\",\"content_original\":\"c\",\"source\":\"s\",\"bias\":0}\n");

    /* splits against fuzz_corpus_split's corpus: a1 a2 a3 b1 b2 ID with bias 0 1 2 0 1 2 */
    puts_("corpus_split", "split.tsv", "ID\tbias\na1\t0\nb2\t1\n\nID\t2\r\n");
    put_gz("corpus_split", "split.tsv.gz", "ID\tbias\na3\t2\nb1\t0\n");
    puts_("corpus_split", "repeated.tsv", "ID\tbias\na1\t0\na1\t0\n");
    puts_("corpus_split", "header_only.tsv", "ID\tbias\n");

    /* token files from corpus_tokens_write */
    char p[512];
    snprintf(p, sizeof p, "%s/articles.jsonl", tmp);
    FILE *f = fopen(p, "w");
    fputs(articles, f);
    fclose(f);
    Corpus *c;
    if (corpus_load(&c, p)) die("corpus_load");
    unlink(p);
    size_t idx[4] = {0, 1, 2, 3};
    CorpusSet s = {idx, 4};
    snprintf(p, sizeof p, "%s/set.tok", tmp);
    if (corpus_tokens_write(p, t, c, &s, NULL)) die("corpus_tokens_write");
    put_file("corpus_tokens", "set_u16.tok", p, 0);
    {
        size_t n;
        char *b = slurp(p, &n);
        /* the same tokens as uint32 (dtype 4) */
        uint64_t nt;
        memcpy(&nt, b + 16, 8);
        char *o = malloc(32 + 4 * nt);
        memcpy(o, b, 32);
        uint32_t four = 4;
        memcpy(o + 24, &four, 4);
        for (uint64_t i = 0; i < nt; i++) {
            uint16_t v;
            memcpy(&v, b + 32 + 2 * i, 2);
            uint32_t w = v;
            memcpy(o + 32 + 4 * i, &w, 4);
        }
        put("corpus_tokens", "set_u32.tok", o, 32 + 4 * nt);
        put("corpus_tokens", "header_only.tok", b, 32);
        uint64_t wrap = UINT64_C(1) << 63; /* found by fuzzing: 32 + n * 2 wrapped to 32 */
        memcpy(b + 16, &wrap, 8);
        put("corpus_tokens", "count_wraps.tok", b, 32);
        free(o), free(b);
    }
    unlink(p);
    corpus_free(c);
    tokenizer_free(t);

    /* the trainer's input: JSON lines with a "text" field */
    const char *lines = "{\"text\":\"The committee said the bill would pass.\"}\n"
                        "{\"text\":\"Prices went up again \\u00e9\\n\",\"other\":1}\n"
                        "{\"text\":\"\"}\n";
    puts_("trainer_file", "docs.jsonl", lines);
    put_gz("trainer_file", "docs.jsonl.gz", lines);
    puts_("trainer_file", "plain.txt", train_text);
}

/* ---- config files ---------------------------------------------------------------------------- */

static void cfg_seeds(void)
{
    puts_("cfg", "all_keys.ini",
          "; every key of the harness's table\n[run]\nn = 42\nx = -0.25\ncap = inf\n\n"
          "[opt]\nflag = yes\nmode = gamma ; inline comment\n\n"
          "[out]\nname = results/run one\nlist = 1, 2.5 -3e2,4\n");
    puts_("cfg", "defaults.ini", "# nothing set\n\n");
    puts_("cfg", "errors.ini", "[run]\nn = 1e3\n[run]\nn = 2\nbogus = 1\n");
    puts_("cfg", "numbers.ini", "[run]\nx = nan\ncap = 1e400\nn = 9223372036854775808\n");
    puts_("cfg", "list16.ini",
          "[out]\nlist = 9e14 9e14 9e14 9e14 9e14 9e14 9e14 9e14 9e14 9e14 9e14 9e14 9e14 9e14 "
          "9e14 9e14\n");
    puts_("cfg", "syntax.ini", "[run\nn\n= 3\n[opt]\nflag: true\n");
    /* found by fuzzing: values whose effective config did not load back (each line is also
     * tried as a -s override) */
    puts_("cfg", "unwritable.ini",
          "[out]\nname=;x\nout.list=5e-324 5e-324 5e-324 5e-324 5e-324 5e-324 5e-324 5e-324 "
          "5e-324 5e-324 5e-324 5e-324 5e-324 5e-324 5e-324 5e-324\nout.name=a ;b\n"
          "out.name=trailing \n");
    char line[260];
    memset(line, 'a', sizeof line);
    memcpy(line, "[out]\nname = ", 13);
    line[sizeof line - 1] = '\n';
    put("cfg", "long_line.ini", line, sizeof line);
    char edge[206];
    memset(edge, 'b', sizeof edge);
    memcpy(edge, "[out]\nname=", 11); /* a 199-byte line then a newline: the longest allowed */
    edge[6 + 199] = '\n';
    put("cfg", "line_199.ini", edge, 6 + 200);
}

/* ---- neurons tables -------------------------------------------------------------------------- */

static void neurons_seeds(void)
{
    /* 2 layers x 3 neurons; the column orders and row orders differ as in the released files */
    char buf[4096];
    size_t k = 0;
    k += (size_t)snprintf(buf + k, sizeof buf - k, "neuron_id,layer,beta_coefficient,p_value\n");
    for (int u = 1; u <= 3; u++)
        for (int l = 1; l <= 2; l++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%d,%d,%g,%g\n", u, l, 10.0 * u - l,
                                  0.001 * u * l);
    k += (size_t)snprintf(buf + k, sizeof buf - k, "\f\xEF\xBB\xBFlayer,neuron_id,beta_coefficient,p_value\r\n");
    for (int l = 1; l <= 2; l++)
        for (int u = 1; u <= 3; u++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%d,%d,%g,%g\r\n", l, u, -1.5 * u,
                                  u == 2 ? 1.0 : 0.2 / u);
    for (int tgt = 0; tgt < 2; tgt++) {
        k += (size_t)snprintf(buf + k, sizeof buf - k, "\f\"neuron_id\", \"layer\",pearson_correlation\n");
        for (int u = 1; u <= 3; u++)
            for (int l = 1; l <= 2; l++)
                k += (size_t)snprintf(buf + k, sizeof buf - k, "%d,%d,%.9f\n", u, l,
                                      (tgt ? 0.3 : -0.4) * (u - 2) / l);
    }
    put("neurons_tables", "grid_2x3.txt", buf, k);
    /* found by fuzzing: two rows naming a 100 x 10^6 grid made the reader allocate it */
    puts_("neurons_tables", "huge_grid.txt",
          "neuron_id,layer,beta_coefficient,p_value\n1,1,1,0.5\n1000000,100,1,0.5\n");
    puts_("neurons_tables", "missing_row.txt",
          "neuron_id,layer,beta_coefficient,p_value\n1,1,1,0.5\n2,2,1,0.5\n\f"
          "layer,neuron_id,beta_coefficient,p_value\n1,1,1,0.5\n");
}

/* ---- lean and quality models ----------------------------------------------------------------- */

static const char *const subj[] = {"The senator", "A local official", "The governor", "Her campaign",
                                   "The committee", "Most voters"};
static const char *const verb[] = {"said", "announced", "argued", "warned", "claimed"};
static const char *const obj[] = {"that the bill would pass next week",
                                  "that taxes will rise again this year",
                                  "that the plan had failed in the state",
                                  "that the economy is growing slowly",
                                  "that prices for food and fuel went up"};

static char *sentences(unsigned seed, int n)
{
    char *s = malloc((size_t)n * 120 + 1);
    size_t k = 0;
    for (int i = 0; i < n; i++, seed = seed * 1103515245u + 12345u)
        k += (size_t)sprintf(s + k, "%s%s %s %s.", i ? " " : "", subj[(seed >> 8) % 6],
                             verb[(seed >> 12) % 5], obj[(seed >> 16) % 5]);
    return s;
}

static void model_seeds(const char *tmp)
{
    enum { N = 60 };
    char *texts[N];
    int y[N];
    for (int i = 0; i < N; i++) texts[i] = sentences(17u * (unsigned)i + 1, 4), y[i] = i % 3;
    LeanOpts lo = LEAN_OPTS_DEFAULTS;
    lo.hash_bits = 10;
    lo.max_iter = 20;
    lo.threads = 1;
    LeanModel *lm;
    if (lean_train(&lm, &lo, (const char *const *)texts, y, N, NULL)) die("lean_train");
    char p[512];
    snprintf(p, sizeof p, "%s/lean.model", tmp);
    if (lean_save(lm, p)) die("lean_save");
    put_file("lean", "trained_bits10.model", p, 0);
    put_file("lean", "truncated.model", p, 64);
    lean_free(lm);
    lo.bigrams = 0;
    lo.idf = 0;
    if (lean_train(&lm, &lo, (const char *const *)texts, y, N, NULL)) die("lean_train");
    if (lean_save(lm, p)) die("lean_save");
    put_file("lean", "no_idf.model", p, 0);
    lean_free(lm);
    unlink(p);

    QualityOpts qo = QUALITY_OPTS_DEFAULTS;
    qo.dict_path = NULL;
    qo.uni_bits = 10;
    qo.bi_bits = 10;
    qo.sentences_per_text = 4;
    qo.max_iter = 30;
    qo.threads = 1;
    QualityModel *qm;
    if (quality_train(&qm, &qo, (const char *const *)texts, N / 2, (const char *const *)texts + N / 2,
                      N / 2, NULL))
        die("quality_train");
    snprintf(p, sizeof p, "%s/quality.model", tmp);
    if (quality_save(qm, p)) die("quality_save");
    put_file("quality", "trained_bits10.model", p, 0);
    put_file("quality", "truncated.model", p, 48);
    quality_free(qm);
    unlink(p);
    for (int i = 0; i < N; i++) free(texts[i]);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus OUTDIR\n");
        return 2;
    }
    root = argv[1];
    char tmp[] = "/tmp/biasamp_make_corpus_XXXXXX";
    if (!mkdtemp(tmp)) die("mkdtemp");
    gpt2_seeds(tmp);
    safetensors_seeds(tmp);
    text_seeds(tmp);
    cfg_seeds();
    neurons_seeds();
    model_seeds(tmp);
    rmdir(tmp);
    return 0;
}
