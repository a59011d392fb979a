/* quality: TQI — sentence features, a hashed word-bigram language model, controlled corruptions,
 * the level classifier (models/softmax) and its file. Language model: interpolated absolute
 * discounting (Ney, Essen & Kneser 1994) over hashed counts, with <s> and </s> around sentences:
 *   P(w2|w1) = max(c(w1 w2) - d, 0) / c(w1) + d N1+(w1 .) / c(w1) * P(w2),
 *   P(w) = (c(w) + 1/2) / (N + U/2), d = 0.75, U = 2^uni_bits buckets. */
#include "quality.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "rng.h"
#include "softmax.h"
#include "xalloc.h"

#define QUALITY_MAGIC "BIASTQI\0"
#define QUALITY_VERSION 1u
#define DICT_BITS 22
#define LM_DISCOUNT 0.75
/* Stream purpose for corruptions (a private value; rng.h's registry may adopt it). */
#define QUALITY_RNG_PURPOSE UINT64_C(0x545149)
#define DICT_SEED UINT64_C(0x64696374)
/* Each feature enters linearly (standardised) and as a one-hot of its training-quantile bin, so
 * the linear classifier can bend: DIM = NFEAT * (1 + QUALITY_NBIN) columns, 2 NFEAT non-zero. */
#define QUALITY_NBIN 8

struct QualityModel {
    uint64_t seed; /* word hash seed */
    int uni_bits, bi_bits;
    uint32_t *uni, *succ; /* [2^uni_bits] word counts, distinct successors */
    uint32_t *bi;         /* [2^bi_bits] bigram counts */
    uint64_t n_tokens;
    int dict_from_corpus;
    uint64_t *dict;                     /* [2^DICT_BITS / 64] bit set of hashed dictionary words */
    double mu[64], sd[64];              /* feature standardisation */
    double edges[64][QUALITY_NBIN - 1]; /* per-feature quantile bin edges (ascending) */
    Softmax *sm;                        /* K = 4, D = DIM */
};

/* ---- features ---- */

enum {
    F_LOG_WORDS,
    F_LOG_CHARS,
    F_ALPHA,
    F_DIGIT,
    F_PUNCT,
    F_NONASCII,
    F_UPPER,
    F_SPACE,
    F_DICT,
    F_KNOWN,
    F_WORDLEN,
    F_NOVOWEL,
    F_LONGWORD,
    F_UNI_LP,
    F_BI_LP,
    F_PMI,
    F_PMI_MIN,
    F_SEEN_BI,
    F_START_LP,
    F_END_LP,
    F_UNSEEN_N,
    F_LOWPMI_N,
    F_PMI_MIN2,
    F_BI_MIN,
    F_TYPE_TOKEN,
    F_MAX_RUN,
    F_REPEAT_BI,
    F_REPEAT_BI_N,
    F_STARTS_UPPER,
    F_ENDS_TERMINAL,
    F_INNER_TERMINAL,
    F_INNER_CAPS,
    F_COMMA,
    NFEAT
};
#define DIM (NFEAT * (1 + QUALITY_NBIN))

static const char *const feature_names[NFEAT] = {"log_words",
                                                 "log_chars",
                                                 "alpha_frac",
                                                 "digit_frac",
                                                 "punct_frac",
                                                 "nonascii_frac",
                                                 "upper_frac",
                                                 "space_frac",
                                                 "dict_rate",
                                                 "known_rate",
                                                 "mean_word_len",
                                                 "novowel_rate",
                                                 "long_word_rate",
                                                 "uni_logp",
                                                 "bi_logp",
                                                 "pmi",
                                                 "pmi_min",
                                                 "seen_bigram_rate",
                                                 "start_logp",
                                                 "end_logp",
                                                 "unseen_bigrams",
                                                 "low_pmi_transitions",
                                                 "pmi_min2",
                                                 "bi_logp_min",
                                                 "type_token",
                                                 "max_run",
                                                 "repeat_bigram_rate",
                                                 "repeated_bigrams",
                                                 "starts_upper",
                                                 "ends_terminal",
                                                 "inner_terminal_rate",
                                                 "inner_caps_rate",
                                                 "comma_rate"};

int quality_nfeatures(void) { return NFEAT; }
const char *quality_feature_name(int j) { return j >= 0 && j < NFEAT ? feature_names[j] : NULL; }

/* Per-thread scratch: word hashes and sort space. */
typedef struct Scratch {
    uint64_t *h, *tmp;
    size_t cap;
} Scratch;

static void scratch_reserve(Scratch *s, size_t n)
{
    if (n <= s->cap) return;
    s->cap = n * 2 + 64;
    s->h = xrealloc(s->h, s->cap * sizeof *s->h);
    s->tmp = xrealloc(s->tmp, s->cap * sizeof *s->tmp);
}

static void scratch_free(Scratch *s)
{
    if (!s) return;
    free(s->h), free(s->tmp);
    free(s);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static size_t count_distinct(uint64_t *v, size_t n)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, cmp_u64);
    size_t d = 1;
    for (size_t i = 1; i < n; i++) d += v[i] != v[i - 1];
    return d;
}

static uint64_t word_hash(const QualityModel *m, const char *w)
{
    return textfeat_hash(w, strlen(w), m->seed);
}

static int dict_has(const QualityModel *m, const char *w)
{
    uint64_t b = textfeat_hash(w, strlen(w), DICT_SEED) & ((UINT64_C(1) << DICT_BITS) - 1);
    return (int)((m->dict[b >> 6] >> (b & 63)) & 1);
}

static void dict_add(QualityModel *m, const char *w)
{
    uint64_t b = textfeat_hash(w, strlen(w), DICT_SEED) & ((UINT64_C(1) << DICT_BITS) - 1);
    m->dict[b >> 6] |= UINT64_C(1) << (b & 63);
}

static double lp_uni(const QualityModel *m, uint64_t h)
{
    double U = (double)(UINT64_C(1) << m->uni_bits);
    uint32_t c = m->uni[h & ((UINT64_C(1) << m->uni_bits) - 1)];
    return log(((double)c + 0.5) / ((double)m->n_tokens + 0.5 * U));
}

static double lp_bi(const QualityModel *m, uint64_t h1, uint64_t h2, double lpu2, uint32_t *c12)
{
    uint64_t um = (UINT64_C(1) << m->uni_bits) - 1, bm = (UINT64_C(1) << m->bi_bits) - 1;
    double c1 = m->uni[h1 & um];
    *c12 = m->bi[textfeat_hash_pair(h1, h2) & bm];
    if (c1 <= 0) return lpu2;
    double p = fmax((double)*c12 - LM_DISCOUNT, 0.0) / c1 +
               LM_DISCOUNT * (double)m->succ[h1 & um] / c1 * exp(lpu2);
    return p > 0 ? log(p) : lpu2;
}

static int is_vowel(char c) { return strchr("aeiouy", c) != NULL; }

static void features(const QualityModel *m, const char *s, size_t n, double *x, Scratch *sc)
{
    memset(x, 0, NFEAT * sizeof *x);
    /* characters */
    size_t nonspace = 0, alpha = 0, digit = 0, punct = 0, nonascii = 0, upper = 0, space = 0;
    size_t inner_term = 0, commas = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space++;
            continue;
        }
        nonspace++;
        if (c >= 0x80)
            nonascii++;
        else if ((c | 32) >= 'a' && (c | 32) <= 'z')
            alpha++, upper += c <= 'Z';
        else if (c >= '0' && c <= '9')
            digit++;
        else
            punct++;
        if (c == ',') commas++;
        if ((c == '.' || c == '!' || c == '?') && i + 1 < n && s[i + 1] == ' ') inner_term++;
    }
    double ns = nonspace ? (double)nonspace : 1;
    x[F_LOG_CHARS] = log1p((double)n);
    x[F_ALPHA] = alpha / ns;
    x[F_DIGIT] = digit / ns;
    x[F_PUNCT] = punct / ns;
    x[F_NONASCII] = nonascii / ns;
    x[F_UPPER] = alpha ? (double)upper / (double)alpha : 0;
    x[F_SPACE] = n ? (double)space / (double)n : 0;
    size_t k = 0;
    while (k < n && (s[k] == ' ' || s[k] == '\t')) k++;
    unsigned char c0 = k < n ? (unsigned char)s[k] : 0;
    x[F_STARTS_UPPER] = (c0 >= 'A' && c0 <= 'Z') || (c0 >= '0' && c0 <= '9') || c0 == '"' ||
                        c0 == '\'' || c0 == 0xE2;
    size_t e = n;
    while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t')) e--;
    unsigned char cl = e ? (unsigned char)s[e - 1] : 0;
    x[F_ENDS_TERMINAL] = cl == '.' || cl == '!' || cl == '?' || cl == '"' || cl == ')' ||
                         cl == '\'' || (cl >= 0x80 && e >= 3 && (unsigned char)s[e - 3] == 0xE2);
    /* words */
    char w[TEXTFEAT_WORD_MAX];
    size_t pos = 0, a, b, nw = 0, letters_words = 0, in_dict = 0, known = 0, len_sum = 0;
    size_t novowel = 0, longw = 0, inner_caps = 0;
    while (textfeat_next_word(s, n, &pos, w, &a, &b)) {
        scratch_reserve(sc, nw + 2);
        uint64_t h = word_hash(m, w);
        sc->h[nw] = h;
        size_t L = strlen(w);
        int has_letter = 0, has_vowel = 0;
        for (size_t t = 0; t < L; t++) {
            has_letter |= (w[t] >= 'a' && w[t] <= 'z') || (unsigned char)w[t] >= 0x80;
            has_vowel |= is_vowel(w[t]);
        }
        if (has_letter) {
            letters_words++;
            in_dict += dict_has(m, w);
            novowel += !has_vowel;
        }
        known += m->uni[h & ((UINT64_C(1) << m->uni_bits) - 1)] >= 2;
        len_sum += b - a;
        longw += b - a > 15;
        if (nw > 0 && s[a] >= 'A' && s[a] <= 'Z') inner_caps++;
        nw++;
    }
    double dw = nw ? (double)nw : 1;
    x[F_LOG_WORDS] = log1p((double)nw);
    x[F_DICT] = letters_words ? (double)in_dict / (double)letters_words : (nw ? 1 : 0);
    x[F_KNOWN] = known / dw;
    x[F_WORDLEN] = nw ? (double)len_sum / dw / 10.0 : 0;
    x[F_NOVOWEL] = letters_words ? (double)novowel / (double)letters_words : 0;
    x[F_LONGWORD] = longw / dw;
    x[F_INNER_TERMINAL] = inner_term / dw;
    x[F_INNER_CAPS] = inner_caps / dw;
    x[F_COMMA] = commas / dw;
    /* language model over <s> w1 .. wn </s> */
    static const double floor_lp = -20.0;
    uint64_t hs = textfeat_hash("<s>", 3, m->seed), he = textfeat_hash("</s>", 4, m->seed);
    double su = 0, sb = 0, spmi = 0, pmi_min = 0, pmi_min2 = 0, bi_min = 0;
    size_t seen = 0, ntr = nw + 1, low = 0;
    uint64_t prev = hs;
    /* nw + 1 bigram slots: reserved here too, for a sentence without a single word (":::"), which
     * the word loop never reserved for — a NULL write on a fresh scratch, the rare segfault of
     * `biasamp experiment` scoring a degenerate generation */
    scratch_reserve(sc, nw + 2);
    for (size_t i = 0; i <= nw; i++) {
        uint64_t h = i < nw ? sc->h[i] : he;
        double lu = lp_uni(m, h);
        uint32_t c12;
        double lb = lp_bi(m, prev, h, lu, &c12);
        su += lu;
        sb += lb;
        spmi += lb - lu;
        double pmi = lb - lu;
        if (i == 0 || pmi < pmi_min)
            pmi_min2 = i == 0 ? pmi : pmi_min, pmi_min = pmi;
        else if (i == 1 || pmi < pmi_min2)
            pmi_min2 = pmi;
        bi_min = i == 0 || lb < bi_min ? lb : bi_min;
        low += pmi < -2.0;
        seen += c12 > 0;
        if (i == 0) x[F_START_LP] = lb;
        if (i == nw) x[F_END_LP] = lb;
        sc->tmp[i] = textfeat_hash_pair(prev, h); /* bigrams for the repetition count */
        prev = h;
    }
    x[F_UNI_LP] = nw ? su / (double)ntr : floor_lp;
    x[F_BI_LP] = sb / (double)ntr;
    x[F_PMI] = spmi / (double)ntr;
    x[F_PMI_MIN] = pmi_min;
    x[F_PMI_MIN2] = pmi_min2;
    x[F_BI_MIN] = bi_min;
    x[F_UNSEEN_N] = log1p((double)(ntr - seen));
    x[F_LOWPMI_N] = log1p((double)low);
    x[F_SEEN_BI] = (double)seen / (double)ntr;
    /* repetition */
    size_t run = nw ? 1 : 0, max_run = run;
    for (size_t i = 1; i < nw; i++) {
        run = sc->h[i] == sc->h[i - 1] ? run + 1 : 1;
        max_run = run > max_run ? run : max_run;
    }
    x[F_MAX_RUN] = log1p((double)max_run);
    size_t rep = nw > 1 ? nw - 1 - count_distinct(sc->tmp + 1, nw - 1) : 0;
    x[F_REPEAT_BI] = nw > 1 ? (double)rep / (double)(nw - 1) : 0;
    x[F_REPEAT_BI_N] = log1p((double)rep);
    x[F_TYPE_TOKEN] = nw ? (double)count_distinct(sc->h, nw) / dw : 0;
}

void quality_features(const QualityModel *m, const char *s, size_t n, double *x)
{
    Scratch sc = {0};
    features(m, s, n, x, &sc);
    free(sc.h), free(sc.tmp);
}

/* The classifier's sparse row of a feature vector: NFEAT standardised values (columns 0..NFEAT-1)
 * then, for feature j, a 1 in column NFEAT + j * NBIN + bin_j(x_j). Columns ascend. */
static void encode(const QualityModel *m, const double *x, uint32_t *col, float *val)
{
    for (int j = 0; j < NFEAT; j++) {
        col[j] = (uint32_t)j;
        val[j] = (float)((x[j] - m->mu[j]) / m->sd[j]);
        int b = 0;
        while (b < QUALITY_NBIN - 1 && x[j] > m->edges[j][b]) b++;
        col[NFEAT + j] = (uint32_t)(NFEAT + j * QUALITY_NBIN + b);
        val[NFEAT + j] = 1.0f;
    }
}

static void predict_levels(const QualityModel *m, const double *x, double *p)
{
    uint32_t col[2 * NFEAT];
    float val[2 * NFEAT];
    encode(m, x, col, val);
    softmax_predict(m->sm, col, val, 2 * NFEAT, p);
}

/* ---- scoring ---- */

void quality_score_init(QualityScore *s)
{
    memset(s, 0, sizeof *s);
    s->mode = QUALITY_EXPECTED;
}

void quality_score_release(QualityScore *s)
{
    free(s->span), free(s->level), free(s->p), free(s->score);
    scratch_free(s->scratch);
    int mode = s->mode;
    memset(s, 0, sizeof *s);
    s->mode = mode;
}

static double sentence_score(const double *p, int mode, int *level)
{
    int k = 0;
    for (int l = 1; l < QUALITY_NLEVEL; l++)
        if (p[l] > p[k]) k = l;
    *level = k;
    if (mode == QUALITY_ARGMAX_PROB) return k * p[k];
    double e = 0;
    for (int l = 0; l < QUALITY_NLEVEL; l++) e += l * p[l];
    return e;
}

int quality_score_text(const QualityModel *m, const char *text, QualityScore *out)
{
    size_t len = strlen(text);
    if (!out->scratch) out->scratch = xcalloc(1, sizeof(Scratch));
    out->n = textfeat_sentences(text, len, &out->span, &out->span_cap);
    if (out->n > out->cap) {
        out->cap = out->n;
        out->level = xrealloc(out->level, out->cap * sizeof *out->level);
        out->p = xrealloc(out->p, out->cap * QUALITY_NLEVEL * sizeof *out->p);
        out->score = xrealloc(out->score, out->cap * sizeof *out->score);
    }
    double sum = 0, x[NFEAT];
    for (size_t i = 0; i < out->n; i++) {
        const TextSpan *sp = &out->span[i];
        features(m, text + sp->start, sp->end - sp->start, x, out->scratch);
        double *p = out->p + i * QUALITY_NLEVEL;
        predict_levels(m, x, p);
        out->score[i] = sentence_score(p, out->mode, &out->level[i]);
        sum += out->score[i];
    }
    out->tqi = out->n ? sum / (double)out->n : 0;
    return ERR_OK;
}

void quality_score_batch(const QualityModel *m, const char *const *texts, size_t n, int mode,
                         double *tqi, int threads)
{
#ifdef _OPENMP
#pragma omp parallel num_threads(threads > 0 ? threads : omp_get_max_threads())
#endif
    {
        QualityScore qs;
        quality_score_init(&qs);
        qs.mode = mode;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 8)
#endif
        for (size_t i = 0; i < n; i++) {
            quality_score_text(m, texts[i], &qs);
            tqi[i] = qs.tqi;
        }
        quality_score_release(&qs);
    }
}

void quality_summary(const double *x, size_t n, double *mean, double *ci95)
{
    *mean = *ci95 = NAN;
    if (n == 0) return;
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    *mean = s / (double)n;
    if (n == 1) return;
    for (size_t i = 0; i < n; i++) ss += (x[i] - *mean) * (x[i] - *mean);
    double sd = sqrt(ss / (double)(n - 1));
    *ci95 = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
}

static size_t rnd(gsl_rng *r, size_t k) { return k ? (size_t)gsl_rng_uniform_int(r, k) : 0; }

/* ---- model lifetime ---- */

static QualityModel *model_alloc(int uni_bits, int bi_bits, uint64_t seed)
{
    QualityModel *m = xcalloc(1, sizeof *m);
    m->seed = seed;
    m->uni_bits = uni_bits;
    m->bi_bits = bi_bits;
    m->uni = xcalloc(UINT64_C(1) << uni_bits, sizeof *m->uni);
    m->succ = xcalloc(UINT64_C(1) << uni_bits, sizeof *m->succ);
    m->bi = xcalloc(UINT64_C(1) << bi_bits, sizeof *m->bi);
    m->dict = xcalloc((UINT64_C(1) << DICT_BITS) / 64, sizeof *m->dict);
    for (int j = 0; j < NFEAT; j++) m->sd[j] = 1;
    m->sm = softmax_alloc(QUALITY_NLEVEL, DIM);
    return m;
}

void quality_free(QualityModel *m)
{
    if (!m) return;
    free(m->uni), free(m->succ), free(m->bi), free(m->dict);
    softmax_free(m->sm);
    free(m);
}

/* ---- language model and dictionary ---- */

typedef struct Sent {
    TextSpan *span;
    size_t cap;
} Sent;

static void lm_add_text(QualityModel *m, const char *text, Sent *st)
{
    uint64_t um = (UINT64_C(1) << m->uni_bits) - 1, bm = (UINT64_C(1) << m->bi_bits) - 1;
    uint64_t hs = textfeat_hash("<s>", 3, m->seed), he = textfeat_hash("</s>", 4, m->seed);
    size_t len = strlen(text), ns = textfeat_sentences(text, len, &st->span, &st->cap);
    char w[TEXTFEAT_WORD_MAX];
    for (size_t i = 0; i < ns; i++) {
        const char *s = text + st->span[i].start;
        size_t n = st->span[i].end - st->span[i].start, pos = 0, a, b;
        uint64_t prev = hs;
        int more = 1;
        m->uni[hs & um]++; /* <s> counts as a history, not as a token */
        while (more) {
            more = textfeat_next_word(s, n, &pos, w, &a, &b);
            uint64_t h = more ? word_hash(m, w) : he;
            if (m->uni[h & um] < UINT32_MAX) m->uni[h & um]++;
            uint32_t *c = &m->bi[textfeat_hash_pair(prev, h) & bm];
            if (*c == 0) m->succ[prev & um]++;
            if (*c < UINT32_MAX) (*c)++;
            m->n_tokens++;
            prev = h;
        }
    }
}

/* Adds every word of a word list (one per line) to the dictionary; returns the count, or 0 if
 * the file cannot be read. */
static size_t dict_load(QualityModel *m, const char *path)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) return 0;
    char *line = NULL, w[TEXTFEAT_WORD_MAX];
    size_t cap = 0, count = 0, pos, a, b;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        pos = 0;
        while (textfeat_next_word(line, (size_t)len, &pos, w, &a, &b)) dict_add(m, w), count++;
    }
    free(line);
    fclose(f);
    return count;
}

/* Fallback dictionary: the corpus words seen at least 3 times. */
static size_t dict_from_corpus(QualityModel *m, const char *const *texts, size_t n)
{
    uint64_t um = (UINT64_C(1) << m->uni_bits) - 1;
    char w[TEXTFEAT_WORD_MAX];
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t pos = 0, a, b, len = strlen(texts[i]);
        while (textfeat_next_word(texts[i], len, &pos, w, &a, &b))
            if (m->uni[word_hash(m, w) & um] >= 3 && !dict_has(m, w)) dict_add(m, w), count++;
    }
    return count;
}

/* ---- examples: chosen sentences of each text at all four levels ---- */

typedef struct Examples {
    double *x; /* [n][NFEAT] */
    int *y;
    size_t n, cap;
} Examples;

static size_t word_count(const char *s, size_t n)
{
    char w[TEXTFEAT_WORD_MAX];
    size_t pos = 0, a, b, k = 0;
    while (textfeat_next_word(s, n, &pos, w, &a, &b)) k++;
    return k;
}

/* Text i's stream is (seed, purpose, base + i): the examples do not depend on what else is built.
 */
static size_t add_examples(const QualityModel *m, const QualityOpts *o, const char *text,
                           uint64_t stream, Examples *ex, Sent *st, Scratch *sc)
{
    size_t len = strlen(text), ns = textfeat_sentences(text, len, &st->span, &st->cap);
    size_t *cand = xmalloc((ns ? ns : 1) * sizeof *cand), nc = 0;
    for (size_t i = 0; i < ns; i++) {
        size_t nw = word_count(text + st->span[i].start, st->span[i].end - st->span[i].start);
        if ((int)nw >= o->min_words && (int)nw <= o->max_words) cand[nc++] = i;
    }
    gsl_rng *r = rng_stream_alloc(rng_pcg64, o->seed, QUALITY_RNG_PURPOSE, stream);
    size_t take = nc < (size_t)o->sentences_per_text ? nc : (size_t)o->sentences_per_text;
    for (size_t k = 0; k < take; k++) { /* partial Fisher-Yates: a uniform subset, in draw order */
        size_t j = k + rnd(r, nc - k), t = cand[k];
        cand[k] = cand[j];
        cand[j] = t;
    }
    for (size_t k = 0; k < take; k++) {
        const TextSpan sp = st->span[cand[k]];
        for (int level = 0; level < QUALITY_NLEVEL; level++) {
            char *c = quality_corrupt(text + sp.start, sp.end - sp.start, level, text, r);
            if (ex->n == ex->cap) {
                ex->cap = ex->cap ? 2 * ex->cap : 4096;
                ex->x = xrealloc(ex->x, ex->cap * NFEAT * sizeof *ex->x);
                ex->y = xrealloc(ex->y, ex->cap * sizeof *ex->y);
            }
            features(m, c, strlen(c), ex->x + ex->n * NFEAT, sc);
            ex->y[ex->n++] = level;
            free(c);
        }
    }
    gsl_rng_free(r);
    free(cand);
    return take;
}

static void examples_free(Examples *ex) { free(ex->x), free(ex->y); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int check_opts(const QualityOpts *o)
{
    if (o->uni_bits < 10 || o->uni_bits > 26 || o->bi_bits < 10 || o->bi_bits > 28)
        return err_set(ERR_INVAL, "quality: uni_bits must lie in 10..26 and bi_bits in 10..28");
    if (o->sentences_per_text < 1 || o->min_words < 1 || o->max_words < o->min_words)
        return err_set(ERR_INVAL,
                       "quality: need sentences_per_text >= 1, 1 <= min_words <= max_words");
    if (!(o->lambda >= 0) || !isfinite(o->lambda) || o->max_iter < 0)
        return err_set(ERR_INVAL, "quality: lambda must be finite >= 0 and max_iter >= 0");
    return ERR_OK;
}

#define EVAL_STREAM_BASE (UINT64_C(1) << 40)

int quality_train(QualityModel **out, const QualityOpts *o, const char *const *lm_texts,
                  size_t n_lm, const char *const *texts, size_t n, QualityTrainInfo *info)
{
    *out = NULL;
    int st = check_opts(o);
    if (st) return st;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    QualityTrainInfo inf = {0};
    QualityModel *m = model_alloc(o->uni_bits, o->bi_bits, o->seed);
    Sent sent = {0};
    Scratch sc = {0};
    for (size_t i = 0; i < n_lm; i++) lm_add_text(m, lm_texts[i], &sent);
    inf.lm_texts = n_lm;
    inf.lm_tokens = m->n_tokens;
    inf.dict_words = dict_load(m, o->dict_path);
    if (inf.dict_words == 0) {
        m->dict_from_corpus = inf.dict_from_corpus = 1;
        inf.dict_words = dict_from_corpus(m, lm_texts, n_lm);
    }
    Examples ex = {0};
    for (size_t i = 0; i < n; i++)
        inf.train_sentences += add_examples(m, o, texts[i], i, &ex, &sent, &sc);
    if (ex.n == 0) {
        st = err_set(ERR_INVAL, "quality: no training sentence with %d..%d words", o->min_words,
                     o->max_words);
        goto done;
    }
    /* standardisation and quantile bin edges from the training examples */
    double *col = xmalloc(ex.n * sizeof *col);
    for (int j = 0; j < NFEAT; j++) {
        double s = 0, ss = 0;
        for (size_t i = 0; i < ex.n; i++) s += (col[i] = ex.x[i * NFEAT + j]);
        m->mu[j] = s / (double)ex.n;
        for (size_t i = 0; i < ex.n; i++) ss += (col[i] - m->mu[j]) * (col[i] - m->mu[j]);
        m->sd[j] = fmax(sqrt(ss / (double)ex.n), 1e-6);
        qsort(col, ex.n, sizeof *col, cmp_double);
        for (int b = 0; b < QUALITY_NBIN - 1; b++)
            m->edges[j][b] = col[(size_t)((double)(b + 1) / QUALITY_NBIN * (double)(ex.n - 1))];
    }
    free(col);
    SoftmaxData X;
    softmax_data_init(&X, DIM);
    uint32_t cols[2 * NFEAT];
    float z[2 * NFEAT];
    for (size_t i = 0; i < ex.n; i++) {
        encode(m, ex.x + i * NFEAT, cols, z);
        softmax_data_add(&X, cols, z, 2 * NFEAT, ex.y[i]);
    }
    SoftmaxTrainOpts so = SOFTMAX_TRAIN_DEFAULTS;
    SoftmaxTrainInfo si;
    so.lambda = o->lambda;
    so.max_iter = o->max_iter;
    so.threads = o->threads;
    so.tol = 1e-8;
    st = softmax_train(m->sm, &X, &so, &si);
    if (!st) {
        size_t correct = 0;
        double p[QUALITY_NLEVEL];
        for (size_t i = 0; i < X.n; i++) {
            softmax_predict(m->sm, X.col + X.row[i], X.val + X.row[i], 2 * NFEAT, p);
            int lv;
            sentence_score(p, QUALITY_EXPECTED, &lv);
            correct += lv == X.y[i];
        }
        inf.train_accuracy = (double)correct / (double)X.n;
        inf.iters = si.iters;
        inf.converged = si.converged;
        inf.f = si.f;
    }
    softmax_data_release(&X);
done:
    examples_free(&ex);
    free(sent.span), free(sc.h), free(sc.tmp);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    inf.seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (st) {
        quality_free(m);
        return st;
    }
    if (info) *info = inf;
    *out = m;
    return ERR_OK;
}

int quality_evaluate(const QualityModel *m, const QualityOpts *o, const char *const *texts,
                     size_t n, QualityEval *ev)
{
    memset(ev, 0, sizeof *ev);
    int st = check_opts(o);
    if (st) return st;
    Examples ex = {0};
    Sent sent = {0};
    Scratch sc = {0};
    for (size_t i = 0; i < n; i++)
        add_examples(m, o, texts[i], EVAL_STREAM_BASE + i, &ex, &sent, &sc);
    size_t correct = 0, per[4] = {0};
    for (size_t i = 0; i < ex.n; i++) {
        double p[QUALITY_NLEVEL];
        int lv, y = ex.y[i];
        predict_levels(m, ex.x + i * NFEAT, p);
        double score = sentence_score(p, QUALITY_EXPECTED, &lv);
        ev->confusion[y][lv]++;
        correct += lv == y;
        per[y]++;
        ev->mean_score[y] += score;
        ev->mean_p_true[y] += p[y];
    }
    ev->n = ex.n;
    ev->accuracy = ex.n ? (double)correct / (double)ex.n : NAN;
    for (int l = 0; l < QUALITY_NLEVEL; l++) {
        ev->mean_score[l] = per[l] ? ev->mean_score[l] / (double)per[l] : NAN;
        ev->mean_p_true[l] = per[l] ? ev->mean_p_true[l] / (double)per[l] : NAN;
    }
    examples_free(&ex);
    free(sent.span), free(sc.h), free(sc.tmp);
    return ERR_OK;
}

/* ---- files ---- */

int quality_save(const QualityModel *m, const char *path)
{
    SoftmaxFile f;
    softmax_file_begin(&f, QUALITY_MAGIC, QUALITY_VERSION);
    softmax_file_put_u64(&f, m->seed);
    softmax_file_put_u32(&f, (uint32_t)m->uni_bits);
    softmax_file_put_u32(&f, (uint32_t)m->bi_bits);
    softmax_file_put_u64(&f, m->n_tokens);
    softmax_file_put(&f, m->uni, (sizeof *m->uni) << m->uni_bits);
    softmax_file_put(&f, m->succ, (sizeof *m->succ) << m->uni_bits);
    softmax_file_put(&f, m->bi, (sizeof *m->bi) << m->bi_bits);
    softmax_file_put_u32(&f, DICT_BITS);
    softmax_file_put_u32(&f, (uint32_t)m->dict_from_corpus);
    softmax_file_put(&f, m->dict, ((sizeof *m->dict) << DICT_BITS) / 64);
    softmax_file_put_u32(&f, NFEAT);
    softmax_file_put(&f, m->mu, NFEAT * sizeof *m->mu);
    softmax_file_put(&f, m->sd, NFEAT * sizeof *m->sd);
    softmax_file_put_u32(&f, QUALITY_NBIN);
    softmax_file_put(&f, m->edges, sizeof m->edges[0] * NFEAT);
    softmax_file_put_model(&f, m->sm);
    return softmax_file_save(&f, path);
}

/* An array field of exactly `bytes` bytes (the truncation message names it). */
static int get_array(SoftmaxFile *f, void *dst, size_t bytes, const char *field)
{
    return softmax_file_get(f, dst, bytes, field);
}

int quality_load(QualityModel **out, const char *path)
{
    *out = NULL;
    SoftmaxFile f;
    int st = softmax_file_open(&f, path, "quality model", QUALITY_MAGIC, QUALITY_VERSION);
    if (st) return st;
    uint64_t seed, ntok;
    uint32_t ub, bb, db, fromc, nf;
    QualityModel *m = NULL;
    st = softmax_file_get_u64(&f, &seed, "hash_seed");
    if (!st) st = softmax_file_get_u32(&f, &ub, "uni_bits", 10, 26);
    if (!st) st = softmax_file_get_u32(&f, &bb, "bi_bits", 10, 28);
    if (!st) st = softmax_file_get_u64(&f, &ntok, "n_tokens");
    if (st) goto done;
    /* check the sizes before allocating what a corrupt header asks for */
    size_t need = (sizeof(uint32_t) << ub) * 2 + (sizeof(uint32_t) << bb);
    if (f.n - f.off < need) {
        st = softmax_file_get(&f, NULL, need,
                              f.n - f.off < (sizeof(uint32_t) << ub) ? "unigram_counts"
                                                                     : "bigram_counts");
        goto done;
    }
    m = model_alloc((int)ub, (int)bb, seed);
    m->n_tokens = ntok;
    st = get_array(&f, m->uni, sizeof(uint32_t) << ub, "unigram_counts");
    if (!st) st = get_array(&f, m->succ, sizeof(uint32_t) << ub, "successor_counts");
    if (!st) st = get_array(&f, m->bi, sizeof(uint32_t) << bb, "bigram_counts");
    if (!st) st = softmax_file_get_u32(&f, &db, "dict_bits", DICT_BITS, DICT_BITS);
    if (!st) st = softmax_file_get_u32(&f, &fromc, "dict_from_corpus", 0, 1);
    if (!st) st = get_array(&f, m->dict, ((sizeof *m->dict) << DICT_BITS) / 64, "dictionary");
    if (!st) st = softmax_file_get_u32(&f, &nf, "features", NFEAT, NFEAT);
    if (!st) st = get_array(&f, m->mu, NFEAT * sizeof *m->mu, "feature_means");
    if (!st) st = get_array(&f, m->sd, NFEAT * sizeof *m->sd, "feature_sds");
    for (int j = 0; j < NFEAT && !st; j++)
        if (!isfinite(m->mu[j]) || !(m->sd[j] > 0) || !isfinite(m->sd[j]))
            st = err_set(ERR_INVAL,
                         "quality model '%s': field 'feature_sds' or 'feature_means' holds "
                         "a bad value for feature %d",
                         path, j);
    uint32_t nbin;
    if (!st) st = softmax_file_get_u32(&f, &nbin, "bins", QUALITY_NBIN, QUALITY_NBIN);
    if (!st) st = get_array(&f, m->edges, sizeof m->edges[0] * NFEAT, "bin_edges");
    for (int j = 0; j < NFEAT && !st; j++)
        for (int b = 0; b < QUALITY_NBIN - 1 && !st; b++)
            if (!isfinite(m->edges[j][b]) || (b && m->edges[j][b] < m->edges[j][b - 1]))
                st = err_set(ERR_INVAL,
                             "quality model '%s': field 'bin_edges' is not finite and "
                             "ascending for feature %d",
                             path, j);
    if (st) goto done;
    m->dict_from_corpus = (int)fromc;
    softmax_free(m->sm);
    m->sm = NULL;
    st = softmax_file_get_model(&f, &m->sm, QUALITY_NLEVEL, DIM);
done:
    if (!st)
        st = softmax_file_close(&f);
    else
        softmax_file_release(&f);
    if (st) {
        quality_free(m);
        return st;
    }
    *out = m;
    return ERR_OK;
}
