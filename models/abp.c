/* abp: Article-Bias-Prediction articles (gzip JSON lines) and split files.
 * Lines are read with gzgets into a growing buffer, so no line length is assumed; every field is
 * checked and errors name file:line. */
#include "abp.h"

#include <cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "err.h"
#include "xalloc.h"

/* ---- string -> index hash map (open addressing, FNV-1a) ---- */

typedef struct StrMap {
    size_t cap, n; /* cap a power of two, kept at most half full */
    char **key;    /* owned */
    size_t *val;
} StrMap;

static uint64_t strmap_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void strmap_grow(StrMap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    char **key = xcalloc(cap, sizeof *key);
    size_t *val = xcalloc(cap, sizeof *val);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->key[i]) continue;
        size_t j = strmap_hash(m->key[i]) & (cap - 1);
        while (key[j]) j = (j + 1) & (cap - 1);
        key[j] = m->key[i];
        val[j] = m->val[i];
    }
    free(m->key), free(m->val);
    m->key = key, m->val = val, m->cap = cap;
}

/* Slot of key, or of the empty slot where it would go. */
static size_t strmap_slot(const StrMap *m, const char *key)
{
    size_t j = strmap_hash(key) & (m->cap - 1);
    while (m->key[j] && strcmp(m->key[j], key) != 0) j = (j + 1) & (m->cap - 1);
    return j;
}

/* Inserts key (copied) -> val unless present; returns 1 if inserted. */
static int strmap_put(StrMap *m, const char *key, size_t val)
{
    if (2 * (m->n + 1) > m->cap) strmap_grow(m);
    size_t j = strmap_slot(m, key);
    if (m->key[j]) return 0;
    m->key[j] = xstrdup(key);
    m->val[j] = val;
    m->n++;
    return 1;
}

static const size_t *strmap_get(const StrMap *m, const char *key)
{
    if (!m || !m->cap) return NULL;
    size_t j = strmap_slot(m, key);
    return m->key[j] ? &m->val[j] : NULL;
}

static void strmap_release(StrMap *m)
{
    for (size_t i = 0; i < m->cap; i++) free(m->key[i]);
    free(m->key), free(m->val);
    memset(m, 0, sizeof *m);
}

/* ---- ID sets ---- */

struct AbpIdSet {
    StrMap map;
};

AbpIdSet *abp_idset_alloc(void) { return xcalloc(1, sizeof(AbpIdSet)); }

void abp_idset_free(AbpIdSet *s)
{
    if (!s) return;
    strmap_release(&s->map);
    free(s);
}

void abp_idset_add(AbpIdSet *s, const char *id) { strmap_put(&s->map, id, 0); }

int abp_idset_has(const AbpIdSet *s, const char *id)
{
    return s && strmap_get(&s->map, id) != NULL;
}

size_t abp_idset_size(const AbpIdSet *s) { return s ? s->map.n : 0; }

/* Reads one line of any length from a gz stream into *buf (without the newline). Returns 1 for a
 * line, 0 at the end, minus the status on a stream error (message set, naming path:line). */
static int gz_status(gzFile f, const char *path, long line)
{
    int zerr;
    const char *msg = gzerror(f, &zerr);
    if (zerr == Z_OK) return ERR_OK;
    if (zerr == Z_BUF_ERROR) return err_set(ERR_INVAL, "%s:%ld: truncated gzip stream", path, line);
    if (zerr == Z_ERRNO) return err_set(ERR_IO, "%s:%ld: read error: %s", path, line, strerror(errno));
    return err_set(ERR_INVAL, "%s:%ld: corrupt gzip stream (%s)", path, line, msg);
}

/* Reads one line of any length from a gz stream into *buf (without the newline). Returns 1 for a
 * line, 0 at the end, minus the status on a stream error (message set, naming path:line). */
static int gz_line(gzFile f, char **buf, size_t *cap, size_t *len, const char *path, long line)
{
    size_t k = 0;
    if (!*buf) *buf = xmalloc(*cap = 1 << 16);
    for (;;) {
        if (*cap - k < 2) *buf = xrealloc(*buf, *cap *= 2);
        size_t room = *cap - k > INT32_MAX ? INT32_MAX : *cap - k;
        if (!gzgets(f, *buf + k, (int)room)) break; /* end of input or error (checked below) */
        k += strlen(*buf + k);
        if (k > 0 && (*buf)[k - 1] == '\n') break;
    }
    int e = gz_status(f, path, line);
    if (e) return -e;
    if (k == 0) return 0;
    while (k > 0 && ((*buf)[k - 1] == '\n' || (*buf)[k - 1] == '\r')) k--;
    (*buf)[k] = '\0';
    *len = k;
    return 1;
}

int abp_idset_read(AbpIdSet *s, const char *path)
{
    gzFile f = gzopen(path, "rb");
    if (!f) return err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0, len = 0;
    long line = 0;
    int r, st = ERR_OK;
    while ((r = gz_line(f, &buf, &cap, &len, path, line + 1)) == 1) {
        line++;
        char *p = buf + strspn(buf, " \t");
        size_t k = strcspn(p, " \t");
        p[k] = '\0';
        if (!*p || *p == '#' || (line == 1 && strcmp(p, "ID") == 0)) continue;
        abp_idset_add(s, p);
    }
    if (r < 0) st = -r;
    free(buf);
    gzclose(f);
    return st;
}

/* ---- split files ---- */

void abp_split_release(AbpSplit *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->id[i]);
    free(s->id), free(s->bias);
    memset(s, 0, sizeof *s);
}

int abp_split_read(AbpSplit *out, const char *path)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) return err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    char *line = NULL;
    size_t lcap = 0, cap = 0;
    ssize_t len;
    long ln = 0;
    int st = ERR_OK;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        ln++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (ln == 1) {
            if (strcmp(line, "ID\tbias") != 0) {
                st = err_set(ERR_INVAL, "%s:1: expected the header 'ID<TAB>bias'", path);
                break;
            }
            continue;
        }
        if (len == 0) continue;
        char *tab = strchr(line, '\t');
        char *end = NULL;
        long b = tab ? strtol(tab + 1, &end, 10) : -1;
        if (!tab || tab == line || end == tab + 1 || *end || b < 0 || b > 2) {
            st = err_set(ERR_INVAL, "%s:%ld: expected 'ID<TAB>bias' with bias 0, 1 or 2", path, ln);
            break;
        }
        *tab = '\0';
        if (out->n == cap) {
            cap = cap ? 2 * cap : 1024;
            out->id = xrealloc(out->id, cap * sizeof *out->id);
            out->bias = xrealloc(out->bias, cap * sizeof *out->bias);
        }
        out->id[out->n] = xstrdup(line);
        out->bias[out->n++] = (int)b;
    }
    if (!st && ferror(f)) st = err_set(ERR_IO, "cannot read '%s'", path);
    if (!st && ln == 0) st = err_set(ERR_INVAL, "%s: empty file (expected a header)", path);
    free(line);
    fclose(f);
    if (st) abp_split_release(out);
    return st;
}

int abp_split_path(char *buf, size_t n, const char *root, const char *split, const char *part)
{
    if (strcmp(split, "random") != 0 && strcmp(split, "media") != 0)
        return err_set(ERR_INVAL, "unknown split '%s' (random, media)", split);
    if (strcmp(part, "train") != 0 && strcmp(part, "valid") != 0 && strcmp(part, "test") != 0)
        return err_set(ERR_INVAL, "unknown split part '%s' (train, valid, test)", part);
    if ((size_t)snprintf(buf, n, "%s/abp/splits/%s/%s.tsv", root, split, part) >= n)
        return err_set(ERR_INVAL, "path too long: '%s/abp/splits/...'", root);
    return ERR_OK;
}

int abp_articles_path(char *buf, size_t n, const char *root)
{
    if ((size_t)snprintf(buf, n, "%s/abp/articles.jsonl.gz", root) >= n)
        return err_set(ERR_INVAL, "path too long: '%s/abp/articles.jsonl.gz'", root);
    return ERR_OK;
}

/* ---- articles ---- */

static int json_str(const cJSON *o, const char *name, char **dst, const char *path, long line)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v) || !v->valuestring)
        return err_set(ERR_INVAL, "%s:%ld: missing or non-string field '%s'", path, line, name);
    *dst = xstrdup(v->valuestring);
    return ERR_OK;
}

static void article_release(AbpArticle *a)
{
    free(a->id), free(a->source), free(a->topic), free(a->title), free(a->content);
    memset(a, 0, sizeof *a);
}

/* Parses one line into *a; ERR_INVAL naming path:line. *a is empty on error. */
static int parse_article(const char *text, AbpArticle *a, const char *path, long line,
                         const AbpIdSet *want, int *keep)
{
    memset(a, 0, sizeof *a);
    *keep = 0;
    cJSON *o = cJSON_Parse(text);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return err_set(ERR_INVAL, "%s:%ld: not a JSON object", path, line);
    }
    int st = json_str(o, "ID", &a->id, path, line);
    if (!st && want && !abp_idset_has(want, a->id)) goto done; /* skipped: fields not needed */
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "bias");
    if (!st && (!cJSON_IsNumber(b) || b->valuedouble != (double)(int)b->valuedouble ||
                b->valueint < 0 || b->valueint > 2))
        st = err_set(ERR_INVAL, "%s:%ld: field 'bias' must be 0, 1 or 2", path, line);
    if (!st) a->bias = b->valueint;
    if (!st) st = json_str(o, "source", &a->source, path, line);
    if (!st) st = json_str(o, "topic", &a->topic, path, line);
    if (!st) st = json_str(o, "title", &a->title, path, line);
    if (!st) st = json_str(o, "content_original", &a->content, path, line);
    if (!st) *keep = 1;
done:
    cJSON_Delete(o);
    if (st || !*keep) article_release(a);
    return st;
}

int abp_load(AbpCorpus **out, const char *path, const AbpIdSet *want)
{
    *out = NULL;
    gzFile f = gzopen(path, "rb");
    if (!f) return err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    gzbuffer(f, 1 << 18);
    AbpCorpus *c = xcalloc(1, sizeof *c);
    StrMap *index = xcalloc(1, sizeof *index);
    c->index = index;
    char *buf = NULL;
    size_t bcap = 0, len = 0, cap = 0;
    long line = 0;
    int r, st = ERR_OK;
    while ((r = gz_line(f, &buf, &bcap, &len, path, line + 1)) == 1) {
        line++;
        if (len == 0) continue;
        AbpArticle a;
        int keep;
        if ((st = parse_article(buf, &a, path, line, want, &keep))) break;
        if (!keep) continue;
        if (!strmap_put(index, a.id, c->n)) {
            st = err_set(ERR_INVAL, "%s:%ld: duplicate ID '%s'", path, line, a.id);
            article_release(&a);
            break;
        }
        if (c->n == cap) c->a = xrealloc(c->a, (cap = cap ? 2 * cap : 1024) * sizeof *c->a);
        c->a[c->n++] = a;
    }
    if (r < 0) st = -r;
    free(buf);
    gzclose(f);
    if (st) {
        abp_free(c);
        return st;
    }
    *out = c;
    return ERR_OK;
}

void abp_free(AbpCorpus *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) article_release(&c->a[i]);
    free(c->a);
    if (c->index) strmap_release(c->index);
    free(c->index);
    free(c);
}

const AbpArticle *abp_find(const AbpCorpus *c, const char *id)
{
    const size_t *k = strmap_get(c->index, id);
    return k ? &c->a[*k] : NULL;
}

int abp_texts(const AbpCorpus *c, const AbpSplit *s, const AbpIdSet *exclude, size_t max,
              char ***texts, int **labels, size_t *n)
{
    *texts = NULL, *labels = NULL, *n = 0;
    char **t = xcalloc(s->n ? s->n : 1, sizeof *t);
    int *y = xcalloc(s->n ? s->n : 1, sizeof *y);
    size_t k = 0;
    for (size_t i = 0; i < s->n && (max == 0 || k < max); i++) {
        if (abp_idset_has(exclude, s->id[i])) continue;
        const AbpArticle *a = abp_find(c, s->id[i]);
        if (!a || a->bias != s->bias[i]) {
            abp_texts_free(t, y, k);
            if (!a) return err_set(ERR_INVAL, "article '%s' of the split is not in the corpus",
                                   s->id[i]);
            return err_set(ERR_INVAL, "article '%s': split label %d disagrees with bias %d",
                           s->id[i], s->bias[i], a->bias);
        }
        size_t lt = strlen(a->title), lc = strlen(a->content);
        t[k] = xmalloc(lt + lc + 2);
        memcpy(t[k], a->title, lt);
        t[k][lt] = '\n';
        memcpy(t[k] + lt + 1, a->content, lc + 1);
        y[k++] = a->bias;
    }
    *texts = t, *labels = y, *n = k;
    return ERR_OK;
}

void abp_texts_free(char **texts, int *labels, size_t n)
{
    for (size_t i = 0; texts && i < n; i++) free(texts[i]);
    free(texts), free(labels);
}

void abp_part_release(AbpPart *p)
{
    abp_texts_free(p->text, p->y, p->n);
    p->text = NULL, p->y = NULL, p->n = 0;
}

int abp_parts_load(AbpPart *parts, const char *const *names, int nparts, const char *root,
                   const AbpIdSet *exclude, size_t max)
{
    AbpSplit *sp = xcalloc((size_t)nparts, sizeof *sp);
    AbpIdSet *want = abp_idset_alloc();
    AbpCorpus *c = NULL;
    char path[4096];
    int st = ERR_OK, k;
    for (k = 0; k < nparts; k++) memset(&parts[k], 0, sizeof parts[k]);
    for (k = 0; k < nparts && !st; k++) {
        char split[16], part[16];
        const char *slash = strchr(names[k], '/');
        if (!slash || slash - names[k] >= (long)sizeof split || strlen(slash + 1) >= sizeof part) {
            st = err_set(ERR_INVAL, "expected SPLIT/PART (e.g. random/test), got '%s'", names[k]);
            break;
        }
        memcpy(split, names[k], (size_t)(slash - names[k]));
        split[slash - names[k]] = '\0';
        strcpy(part, slash + 1);
        snprintf(parts[k].name, sizeof parts[k].name, "%s/%s", split, part);
        st = abp_split_path(path, sizeof path, root, split, part);
        if (!st) st = abp_split_read(&sp[k], path);
        for (size_t i = 0; !st && i < sp[k].n; i++) abp_idset_add(want, sp[k].id[i]);
    }
    if (!st) st = abp_articles_path(path, sizeof path, root);
    if (!st) st = abp_load(&c, path, want);
    for (k = 0; k < nparts && !st; k++)
        st = abp_texts(c, &sp[k], exclude, max, &parts[k].text, &parts[k].y, &parts[k].n);
    for (k = 0; k < nparts; k++) {
        abp_split_release(&sp[k]);
        if (st) abp_part_release(&parts[k]);
    }
    free(sp);
    abp_idset_free(want);
    abp_free(c);
    return st;
}
