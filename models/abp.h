/* abp: the minimal Article-Bias-Prediction reader the lean and quality classifiers need —
 * articles.jsonl.gz (zlib, cJSON), the split TSVs, and ID sets for exclusions.
 * The constraint: nothing from the data is trusted; every malformed line is ERR_INVAL naming
 * file:line. (A stand-in until models/corpus lands; the two are to be merged.) */
#ifndef BIASAMP_ABP_H
#define BIASAMP_ABP_H

#include <stddef.h>

enum { ABP_LEFT = 0, ABP_CENTER = 1, ABP_RIGHT = 2, ABP_NCLASS = 3 };

/* A set of article IDs (owned copies of the strings). */
typedef struct AbpIdSet AbpIdSet;

AbpIdSet *abp_idset_alloc(void);
void abp_idset_free(AbpIdSet *s); /* NULL is a no-op */
void abp_idset_add(AbpIdSet *s, const char *id);
int abp_idset_has(const AbpIdSet *s, const char *id); /* s may be NULL (empty set) */
size_t abp_idset_size(const AbpIdSet *s);
/* Adds the IDs listed in PATH: one per line, the first tab- or space-separated field; blank lines,
 * lines starting with '#' and a header line "ID..." are skipped. ERR_IO / ERR_INVAL (file:line). */
int abp_idset_read(AbpIdSet *s, const char *path);

/* One split file: IDs and labels in file order. */
typedef struct AbpSplit {
    size_t n;
    char **id;  /* [n] owned */
    int *bias;  /* [n] 0 left, 1 center, 2 right */
} AbpSplit;

/* Reads a split TSV with header "ID<TAB>bias". ERR_IO if unreadable, ERR_INVAL naming file:line for
 * a wrong header, a missing field or a label outside 0..2. On error *out is empty. */
int abp_split_read(AbpSplit *out, const char *path);
void abp_split_release(AbpSplit *s);
/* ROOT/abp/splits/SPLIT/PART.tsv; SPLIT is "random" or "media", PART "train", "valid" or "test"
 * (ERR_INVAL otherwise, or if it does not fit). ROOT is the data root (paths_data_root). */
int abp_split_path(char *buf, size_t n, const char *root, const char *split, const char *part);
/* ROOT/abp/articles.jsonl.gz */
int abp_articles_path(char *buf, size_t n, const char *root);

typedef struct AbpArticle {
    char *id;
    int bias;
    char *source;
    char *topic;
    char *title;
    char *content; /* content_original */
} AbpArticle;

typedef struct AbpCorpus {
    size_t n;
    AbpArticle *a; /* [n] in file order */
    void *index;   /* ID -> position (internal) */
} AbpCorpus;

/* Loads articles.jsonl.gz (or a plain .jsonl: gzip reads both). Only articles whose ID is in
 * `want` are kept (want NULL: all). Every line must be a JSON object with string fields ID,
 * source, topic, title, content_original and an integer bias in 0..2: anything else, a line that
 * is not valid JSON or a corrupt gzip stream is ERR_INVAL naming PATH:line. Lines of any length. */
int abp_load(AbpCorpus **out, const char *path, const AbpIdSet *want);
void abp_free(AbpCorpus *c); /* NULL is a no-op */
/* The article with this ID, or NULL. */
const AbpArticle *abp_find(const AbpCorpus *c, const char *id);

/* Texts and labels of a split's articles in split order, skipping IDs in `exclude` (may be NULL)
 * and keeping at most `max` (0: all). Each text is a new string title + "\n" + content; free all
 * with abp_texts_free. ERR_INVAL if a split ID is missing from the corpus or its label disagrees
 * with the article's. */
int abp_texts(const AbpCorpus *c, const AbpSplit *s, const AbpIdSet *exclude, size_t max,
              char ***texts, int **labels, size_t *n);
/* Frees what abp_texts returned. */
void abp_texts_free(char **texts, int *labels, size_t n);

/* Texts and labels of one split part. */
typedef struct AbpPart {
    char name[32]; /* "random/test" */
    size_t n;
    char **text;   /* title + "\n" + content_original */
    int *y;
} AbpPart;

/* Loads the parts named "SPLIT/PART" (e.g. "random/train", "media/test") from the data ROOT,
 * reading articles.jsonl.gz once. Articles whose ID is in exclude (may be NULL) are dropped; each
 * part keeps at most max texts (0: all), in split-file order. ERR_IO / ERR_INVAL from the files;
 * on error every part is empty. */
int abp_parts_load(AbpPart *parts, const char *const *names, int nparts, const char *root,
                   const AbpIdSet *exclude, size_t max);
void abp_part_release(AbpPart *p);

#endif
