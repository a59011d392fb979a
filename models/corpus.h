/* corpus: the Article-Bias-Prediction corpus (articles.jsonl.gz + split TSVs) turned into the
 * paper's data sets — balanced and center-only fine-tuning sets, classifier sets without any
 * fine-tuning article, a held-out text-quality set, a pretraining corpus with a class-mix knob —
 * and binary token files. Every set is a seeded function of (corpus file order, options). */
#ifndef BIASAMP_CORPUS_H
#define BIASAMP_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "csvlog.h"
#include "tokenizer.h"

enum { CORPUS_LEFT = 0, CORPUS_CENTER = 1, CORPUS_RIGHT = 2, CORPUS_NCLASS = 3 }; /* ABP's bias */

typedef struct {
    const char *id, *title, *body, *source;
    int bias; /* CORPUS_LEFT.. */
} CorpusArticle;

typedef struct Corpus Corpus;

/* Loads articles.jsonl(.gz): one JSON object per line with string ID, title, content_original,
 * source and integer bias in {0, 1, 2}. ERR_IO if unreadable; ERR_INVAL naming path:line for
 * malformed JSON, a missing or mistyped field, a bias out of range, a duplicate ID or a corrupt
 * gzip stream. *out owns everything (corpus_free). */
int corpus_load(Corpus **out, const char *path);
void corpus_free(Corpus *c); /* NULL is a no-op */
size_t corpus_size(const Corpus *c);
const CorpusArticle *corpus_get(const Corpus *c, size_t i);
long corpus_find(const Corpus *c, const char *id); /* index, or -1 */

/* "title: <title>\nbody: <body>" — the paper's document format. New buffer (free()), *len its
 * length. */
char *corpus_format(const CorpusArticle *a, size_t *len);

/* A set of article indices. Caller-owned struct: zero-initialise; corpus_set_release frees. */
typedef struct {
    size_t *idx;
    size_t n;
} CorpusSet;
void corpus_set_release(CorpusSet *s);
void corpus_set_counts(const Corpus *c, const CorpusSet *s, size_t counts[CORPUS_NCLASS]);

/* Reads a split file (TSV, header "ID<TAB>bias"). ERR_INVAL naming path:line for a bad header or
 * line, an ID not in the corpus, a bias that disagrees with the article's, or a repeated ID. */
int corpus_split_load(const Corpus *c, const char *tsv, CorpusSet *out);

/* The sets of a plan, in file-name order ("finetune", "finetune_center", ...). */
enum {
    CORPUS_SET_FINETUNE,        /* per_class articles of each class */
    CORPUS_SET_FINETUNE_CENTER, /* center_only center articles (includes the balanced set's) */
    CORPUS_SET_QUALITY,         /* held out for text-quality training */
    CORPUS_SET_PRETRAIN,        /* the rest, subsampled to the class mix */
    CORPUS_SET_RANDOM_TRAIN,    /* classifier sets: the split minus both fine-tuning sets */
    CORPUS_SET_RANDOM_VALID,
    CORPUS_SET_RANDOM_TEST,
    CORPUS_SET_MEDIA_TRAIN,
    CORPUS_SET_MEDIA_VALID,
    CORPUS_SET_MEDIA_TEST,
    CORPUS_NSETS
};
const char *corpus_set_name(int k);

typedef struct {
    uint64_t seed;
    int per_class;             /* balanced fine-tuning set: articles per class (paper: 506) */
    int center_only;           /* center-only variant size (default 3 * 506) */
    int quality;               /* held-out text-quality articles */
    double mix[CORPUS_NCLASS]; /* pretraining class shares, summing to 1 */
} CorpusPlanOpts;
#define CORPUS_PLAN_DEFAULTS                                                                       \
    {                                                                                              \
        42, 506, 1518, 1000, { 0.10, 0.45, 0.45 }                                                  \
    }

typedef struct {
    CorpusSet set[CORPUS_NSETS];
} CorpusPlan;

/* Builds every set. splits[0..5] are random train/valid/test then media train/valid/test.
 * Rules: articles in either test split are never used for fine-tuning, quality or pretraining.
 * Fine-tuning draws per_class articles of each class from a seeded permutation of that class
 * (the center-only variant takes the first center_only of the same center permutation). Quality
 * takes the first `quality` of a seeded permutation of what is left. Pretraining takes the
 * remainder, then per class floor(mix[c] * N) articles with N as large as the scarcest class
 * allows. Classifier sets are the splits minus both fine-tuning sets. Every set is in corpus
 * order. ERR_INVAL for bad options or too few articles. Release with corpus_plan_release. */
int corpus_plan(const Corpus *c, const CorpusSet splits[6], const CorpusPlanOpts *o,
                CorpusPlan *out);
void corpus_plan_release(CorpusPlan *p);

/* Token files, little-endian: a 32-byte header
 *   char magic[8] = "BIASTOK\0"; uint32 version = 1; uint32 vocab_size; uint64 n_tokens;
 *   uint32 dtype (2 = uint16, 4 = uint32: the width of each token); uint32 reserved = 0
 * then n_tokens tokens. Each document is its formatted text followed by the EOT token. */
#define CORPUS_TOKENS_MAGIC "BIASTOK"
enum { CORPUS_TOKENS_VERSION = 1 };

/* Encodes the set's documents (parallel, in chunks) and writes them to path. tokens[c] (may be
 * NULL) receives the tokens per class, EOTs included. ERR_INVAL if the vocabulary has no EOT;
 * ERR_IO on write failure. */
int corpus_tokens_write(const char *path, const Tokenizer *tok, const Corpus *c, const CorpusSet *s,
                        uint64_t tokens[CORPUS_NCLASS]);
/* Reads a token file into *out (appended). ERR_INVAL naming path for a bad magic, version or
 * dtype, a size that disagrees with n_tokens, or a token >= vocab_size. */
int corpus_tokens_read(const char *path, TokenizerIds *out, int *vocab_size);

/* How corpus_write_plan writes. A zero struct (or NULL) means: no run metadata, OpenMP's default
 * thread count, no progress line. */
typedef struct {
    const RunInfo *run;         /* command line, seed, config hash for the summary (may be NULL) */
    const CorpusPlanOpts *plan; /* the plan's options, recorded in the summary (may be NULL) */
    const char *vocab;          /* where the vocabulary came from, recorded (may be NULL) */
    const char *data;           /* where the corpus came from, recorded (may be NULL) */
    int threads;                /* encoding threads; <= 0: OpenMP's default */
    int progress;               /* a progress line (common/progress) while tokenising */
} CorpusWriteOpts;

/* Writes every set of the plan into dir (which must exist): <name>.ids (one article ID per line,
 * corpus order), <name>.tok, and summary.csv (csvlog, kind=corpus_summary; numeric columns set,
 * class, articles, tokens with the codes of corpus_set_name() and CORPUS_LEFT.. written in the
 * metadata as set_codes= and class_codes=). summary.csv is written last, so its presence marks a
 * complete folder. summary (may be NULL) receives [set][class] = {articles, tokens}. Each article
 * is encoded once and kept in memory (dtype bytes per token) while the sets are written.
 * ERR_INVAL if the vocabulary has no EOT; ERR_IO on write failure. */
int corpus_write_plan(const char *dir, const Tokenizer *tok, const Corpus *c, const CorpusPlan *p,
                      const CorpusWriteOpts *o, uint64_t summary[CORPUS_NSETS][CORPUS_NCLASS][2]);

/* ---- One call: ABP folder -> every set (what `biasamp corpus` runs) -------------------------- */

/* The file names under the ABP folder: articles.jsonl.gz, then splits/random/{train,valid,test}.tsv
 * and splits/media/{train,valid,test}.tsv in the order corpus_plan expects. */
extern const char *const corpus_abp_files[7];

typedef struct {
    const char *abp_dir;   /* the Article-Bias-Prediction folder (corpus_abp_files under it) */
    const char *vocab_dir; /* encoder.json + vocab.bpe; the vocabulary needs an EOT token */
    const char *out_dir;   /* existing output folder */
    CorpusPlanOpts plan;
    CorpusWriteOpts write; /* .plan, .vocab and .data are filled in by corpus_build */
} CorpusBuildOpts;

typedef struct {
    size_t n_articles; /* in the corpus */
    size_t by_class[CORPUS_NCLASS];
    int vocab_size;
    uint64_t summary[CORPUS_NSETS][CORPUS_NCLASS][2]; /* {articles, tokens} */
    double load_s, write_s; /* wall seconds: loading + planning, tokenising + writing */
} CorpusBuildResult;

/* Loads the corpus and its six split files, loads the vocabulary, plans the sets and writes them
 * with corpus_write_plan. Errors are those of the steps, each naming its file. */
int corpus_build(const CorpusBuildOpts *o, CorpusBuildResult *r);

#endif
