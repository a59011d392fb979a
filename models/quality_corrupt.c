/* quality_corrupt: the controlled corruptions behind TQI's four levels (quality.h): word
 * shuffles, substitutions from a pool and character noise, from a seeded stream. Split from
 * quality.c, which scores and trains. */
#include "quality.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

typedef struct Toks {
    char **t;
    size_t n, cap;
} Toks;

static void toks_push(Toks *k, const char *s, size_t len)
{
    if (k->n == k->cap) k->t = xrealloc(k->t, (k->cap = k->cap ? 2 * k->cap : 32) * sizeof *k->t);
    char *c = xmalloc(len + 1);
    memcpy(c, s, len);
    c[len] = '\0';
    k->t[k->n++] = c;
}

/* White-space separated tokens (punctuation stays attached). */
static void toks_split(Toks *k, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        size_t a = i;
        while (i < n && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        if (i > a) toks_push(k, s + a, i - a);
    }
}

static void toks_free(Toks *k)
{
    for (size_t i = 0; i < k->n; i++) free(k->t[i]);
    free(k->t);
    memset(k, 0, sizeof *k);
}

static char *toks_join(char **t, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++) len += strlen(t[i]) + 1;
    char *out = xmalloc(len), *p = out;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(t[i]);
        if (i) *p++ = ' ';
        memcpy(p, t[i], l);
        p += l;
    }
    *p = '\0';
    return out;
}

static size_t rnd(gsl_rng *r, size_t k) { return k ? (size_t)gsl_rng_uniform_int(r, k) : 0; }

static void shuffle(char **t, size_t n, gsl_rng *r)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd(r, i);
        char *x = t[i - 1];
        t[i - 1] = t[j];
        t[j] = x;
    }
}

static char random_char(gsl_rng *r)
{
    static const char punct[] = ".,;:!?-'\"()[]/&%$#@*+=<>_~^|";
    double u = gsl_rng_uniform(r);
    if (u < 0.15) return ' ';
    if (u < 0.70) return (char)((gsl_rng_uniform(r) < 0.2 ? 'A' : 'a') + rnd(r, 26));
    if (u < 0.80) return (char)('0' + rnd(r, 10));
    return punct[rnd(r, sizeof punct - 1)];
}

static char *corrupt_noise(const char *s, size_t n, size_t nw, gsl_rng *r)
{
    size_t len = n < 8 ? 8 : n;
    char *o = xmalloc(len + 16);
    int kind = (int)rnd(r, 4);
    size_t k = 0;
    if (kind == 0) { /* random characters */
        for (k = 0; k < len; k++) o[k] = random_char(r);
    } else if (kind == 1) { /* pronounceable-looking nonsense words */
        for (size_t w = 0; w < (nw ? nw : 4) && k + 14 < len + 16; w++) {
            size_t L = 1 + rnd(r, 10);
            for (size_t t = 0; t < L && k + 2 < len + 16; t++) o[k++] = (char)('a' + rnd(r, 26));
            o[k++] = ' ';
        }
    } else if (kind == 2) { /* most characters replaced */
        double rate = 0.4 + 0.5 * gsl_rng_uniform(r);
        for (k = 0; k < n; k++)
            o[k] = s[k] != ' ' && gsl_rng_uniform(r) < rate ? random_char(r) : s[k];
    } else { /* symbol and digit soup */
        static const char sym[] = "0123456789.,;:!?-_/\\|#@$%^&*()[]{}<>~=+";
        for (k = 0; k < len; k++)
            o[k] = gsl_rng_uniform(r) < 0.12 ? ' ' : sym[rnd(r, sizeof sym - 1)];
    }
    o[k] = '\0';
    return o;
}

char *quality_corrupt(const char *s, size_t n, int level, const char *pool, void *rv)
{
    gsl_rng *r = rv;
    Toks t = {0}, pt = {0};
    toks_split(&t, s, n);
    if (pool) toks_split(&pt, pool, strlen(pool));
    if (pt.n == 0) toks_split(&pt, s, n);
    char *out = NULL;
    if (level >= QUALITY_CLEAN || t.n == 0) {
        out = xmalloc(n + 1);
        memcpy(out, s, n);
        out[n] = '\0';
        if (level < QUALITY_CLEAN && t.n == 0) { /* nothing to rearrange: noise */
            free(out);
            out = corrupt_noise(s, n, 0, r);
        }
    } else if (level == QUALITY_NOISE) {
        out = corrupt_noise(s, n, t.n, r);
    } else if (level == QUALITY_SALAD) {
        int kind = (int)rnd(r, 20);
        if (kind < 13) { /* all words shuffled */
            shuffle(t.t, t.n, r);
        } else if (kind < 18) { /* random words of the pool in random order */
            for (size_t i = 0; i < t.n; i++) {
                free(t.t[i]);
                t.t[i] = xstrdup(pt.t[rnd(r, pt.n)]);
            }
        } else { /* a short phrase looped to the sentence's length */
            size_t L = 1 + rnd(r, 3 < t.n ? 3 : t.n), a = rnd(r, t.n - L + 1);
            Toks u = {0};
            for (size_t i = 0; i < t.n; i++) toks_push(&u, t.t[a + i % L], strlen(t.t[a + i % L]));
            toks_free(&t);
            t = u;
        }
        out = toks_join(t.t, t.n);
    } else { /* QUALITY_MILD: one or two small edits */
        int ops = 1 + (int)rnd(r, 2);
        Toks u = {0};
        for (int op = 0; op < ops; op++) {
            int kind = (int)rnd(r, 5);
            size_t N = t.n;
            if (kind == 0 && N >= 2) { /* swap adjacent words */
                size_t swaps = 1 + rnd(r, 2);
                for (size_t q = 0; q < swaps; q++) {
                    size_t i = rnd(r, N - 1);
                    char *x = t.t[i];
                    t.t[i] = t.t[i + 1];
                    t.t[i + 1] = x;
                }
            } else if (kind == 1 && N >= 3) { /* shuffle a window of 3-4 words */
                size_t W = 3 + rnd(r, 2);
                if (W > N) W = N;
                shuffle(t.t + rnd(r, N - W + 1), W, r);
            } else if (kind == 2) { /* repeat a span of 1-4 words once or twice */
                size_t L = 1 + rnd(r, 4 < N ? 4 : N), a = rnd(r, N - L + 1), times = 1 + rnd(r, 2);
                for (size_t i = 0; i < N; i++) {
                    toks_push(&u, t.t[i], strlen(t.t[i]));
                    if (i == a + L - 1)
                        for (size_t q = 0; q < times; q++)
                            for (size_t j = a; j < a + L; j++)
                                toks_push(&u, t.t[j], strlen(t.t[j]));
                }
            } else if (kind == 3) { /* substitute 20-30% of the words */
                size_t subs = (size_t)ceil((0.2 + 0.1 * gsl_rng_uniform(r)) * (double)N);
                for (size_t q = 0; q < subs; q++) {
                    size_t i = rnd(r, N);
                    free(t.t[i]);
                    t.t[i] = xstrdup(pt.t[rnd(r, pt.n)]);
                }
            } else { /* drop 20-30% of the words (at least one, never all) */
                size_t drop = (size_t)ceil((0.2 + 0.1 * gsl_rng_uniform(r)) * (double)N);
                if (drop >= N) drop = N - 1;
                for (size_t i = 0, left = N; i < N; i++) {
                    /* keep token i with the probability that leaves exactly N - drop */
                    size_t need_keep = N - drop - (u.n);
                    if (need_keep > 0 && rnd(r, left) < need_keep)
                        toks_push(&u, t.t[i], strlen(t.t[i]));
                    left--;
                }
            }
            if (u.n) { /* the edit built a new list */
                toks_free(&t);
                t = u;
                memset(&u, 0, sizeof u);
            }
        }
        out = toks_join(t.t, t.n);
    }
    toks_free(&t);
    toks_free(&pt);
    return out;
}

