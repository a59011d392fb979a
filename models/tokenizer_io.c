/* tokenizer_io: the two-file format (encoder.json + vocab.bpe) shared by GPT-2 and trained
 * vocabularies. Every input is validated; errors name file:line (cJSON keeps no positions, so the
 * line of a JSON member is recovered by scanning the text). */
#include "tokenizer.h"
#include "tokenizer_impl.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "xalloc.h"

static int read_file(const char *path, char **buf, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 1 << 16, k = 0, got;
    char *b = xmalloc(cap + 1);
    while ((got = fread(b + k, 1, cap - k, f)) > 0)
        if ((k += got) == cap) b = xrealloc(b, (cap *= 2) + 1);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return err_set(ERR_IO, "cannot read '%s'", path);
    }
    b[k] = '\0';
    *buf = b;
    *n = k;
    return ERR_OK;
}

static int line_of(const char *s, size_t pos)
{
    int line = 1;
    for (size_t i = 0; i < pos; i++) line += s[i] == '\n';
    return line;
}

/* The line on which the k-th key of the top-level object starts (cJSON keeps no positions). */
static int json_member_line(const char *s, size_t n, size_t k)
{
    int depth = 0, want_key = 0;
    size_t member = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"') {
            if (depth == 1 && want_key && member++ == k) return line_of(s, i);
            want_key = 0;
            for (i++; i < n && s[i] != '"'; i++) i += s[i] == '\\';
        } else if (c == '{' || c == '[') {
            want_key = ++depth == 1 && c == '{';
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == ',' && depth == 1) {
            want_key = 1;
        }
    }
    return line_of(s, n);
}

/* Maps a token written in the byte alphabet (UTF-8) to its bytes in out (capacity n); returns the
 * byte count or -1 if a character is not in the alphabet (or the UTF-8 is malformed). */
static long alphabet_decode(const char *s, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; k++) {
        unsigned c = (unsigned char)s[i];
        int cp;
        if (c < 0x80) {
            cp = (int)c, i += 1;
        } else if ((c & 0xE0) == 0xC0 && i + 1 < n && ((unsigned char)s[i + 1] & 0xC0) == 0x80) {
            cp = (int)((c & 0x1F) << 6 | ((unsigned char)s[i + 1] & 0x3F)), i += 2;
        } else {
            return -1; /* every alphabet code point is below U+0800 */
        }
        int b = tokenizer_unicode_to_byte(cp);
        if (b < 0 || (cp >= 0x80 && cp < 0xC0 && c < 0xC2)) return -1;
        out[k] = (char)b;
    }
    return (long)k;
}

static int load_encoder(const char *path, char **text, size_t *text_n, char ***tok, size_t **len,
                        int *V)
{
    size_t n;
    int st = read_file(path, text, &n);
    if (st) return st;
    *text_n = n;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(*text, n, &end, 0);
    if (!root) {
        size_t pos = end && end >= *text ? (size_t)(end - *text) : 0;
        return err_set(ERR_INVAL, "%s:%d: malformed JSON", path, line_of(*text, pos));
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return err_set(ERR_INVAL, "%s:1: expected a JSON object token -> id", path);
    }
    int count = cJSON_GetArraySize(root), k = 0;
    *V = count;
    *tok = xcalloc((size_t)count + 1, sizeof **tok);
    *len = xcalloc((size_t)count + 1, sizeof **len);
    for (cJSON *it = root->child; it; it = it->next, k++) {
        double id = cJSON_IsNumber(it) ? it->valuedouble : -1;
        const char *why = NULL;
        size_t kn = strlen(it->string);
        char *b = xmalloc(kn + 1);
        long bn = alphabet_decode(it->string, kn, b);
        if (!(id >= 0 && id < count && id == (double)(int)id))
            why = "id is not an integer in [0, number of tokens)";
        else if (bn <= 0)
            why = "token is empty or not written in the byte alphabet";
        else if ((*tok)[(int)id])
            why = "duplicate id";
        if (why) {
            free(b);
            st = err_set(ERR_INVAL, "%s:%d: key \"%.40s\": %s", path,
                         json_member_line(*text, n, (size_t)k), it->string, why);
            break;
        }
        (*tok)[(int)id] = b;
        (*len)[(int)id] = (size_t)bn;
    }
    cJSON_Delete(root);
    return st;
}

/* Finds the member index (hence line) holding token id `id`: the k-th key whose value is id. */
static int encoder_line_of_id(const char *text, size_t n, int id)
{
    cJSON *root = cJSON_ParseWithLength(text, n);
    int k = 0, line = 1;
    for (cJSON *it = root ? root->child : NULL; it; it = it->next, k++)
        if (cJSON_IsNumber(it) && it->valuedouble == id) {
            line = json_member_line(text, n, (size_t)k);
            break;
        }
    cJSON_Delete(root);
    return line;
}

static int load_merges(const char *path, Tokenizer *t, int32_t (**merges)[2], int *n_merges,
                       int **lines)
{
    char *text, *b = NULL;
    size_t n;
    int st = read_file(path, &text, &n);
    if (st) return st;
    size_t cap = 0;
    *merges = NULL;
    *lines = NULL;
    *n_merges = 0;
    int line = 1;
    if (strncmp(text, "#version", 8) != 0) {
        st = err_set(ERR_INVAL, "%s:1: expected a '#version' first line", path);
        goto done;
    }
    b = xmalloc(n + 1);
    for (char *p = strchr(text, '\n'); p && p[1]; line++) {
        char *s = p + 1, *e = strchr(s, '\n');
        if (!e) e = s + strlen(s);
        p = *e ? e : NULL;
        char *sp = memchr(s, ' ', (size_t)(e - s));
        long na = sp ? alphabet_decode(s, (size_t)(sp - s), b) : -1;
        long nb = sp ? alphabet_decode(sp + 1, (size_t)(e - sp - 1), b + (na > 0 ? na : 0)) : -1;
        int32_t a = na > 0 ? tok_lookup(t, b, (size_t)na) : -1;
        int32_t c = na > 0 && nb > 0 ? tok_lookup(t, b + na, (size_t)nb) : -1;
        if (!sp || na <= 0 || nb <= 0) {
            st = err_set(ERR_INVAL, "%s:%d: expected 'left right' in the byte alphabet", path,
                         line + 1);
            goto done;
        }
        if (a < 0 || c < 0) {
            st = err_set(ERR_INVAL, "%s:%d: merge names a token not in the vocabulary", path,
                         line + 1);
            goto done;
        }
        if ((size_t)*n_merges == cap) {
            cap = cap ? 2 * cap : 1024;
            *merges = xrealloc(*merges, cap * sizeof **merges);
            *lines = xrealloc(*lines, cap * sizeof **lines);
        }
        (*merges)[*n_merges][0] = a;
        (*merges)[*n_merges][1] = c;
        (*lines)[(*n_merges)++] = line + 1;
    }
done:
    free(b);
    free(text);
    return st;
}

int tokenizer_load(Tokenizer **out, const char *encoder_json, const char *vocab_bpe)
{
    *out = NULL;
    char *text = NULL, **tok = NULL;
    size_t *len = NULL, text_n = 0;
    int V = 0, bad, n_merges = 0, *lines = NULL;
    int32_t(*merges)[2] = NULL;
    Tokenizer *t = NULL;
    int st = load_encoder(encoder_json, &text, &text_n, &tok, &len, &V);
    if (st) goto done;
    st = tok_new_vocab(&t, (const char *const *)tok, len, V, &bad);
    if (st) {
        if (bad >= 0)
            err_prefix(st, "%s:%d", encoder_json, encoder_line_of_id(text, text_n, bad));
        else
            err_prefix(st, "%s", encoder_json);
        goto done;
    }
    st = load_merges(vocab_bpe, t, &merges, &n_merges, &lines);
    if (st) goto done;
    st = tok_add_merges(t, (const int32_t(*)[2])merges, n_merges, &bad);
    if (st) {
        err_prefix(st, "%s:%d", vocab_bpe, bad >= 0 ? lines[bad] : 1);
        goto done;
    }
    *out = t;
    t = NULL;
done:
    for (int i = 0; tok && i < V; i++) free(tok[i]);
    free(tok), free(len), free(text), free(merges), free(lines);
    tokenizer_free(t);
    return st;
}

int tokenizer_load_dir(Tokenizer **out, const char *dir)
{
    size_t n = strlen(dir) + 16;
    char *a = xmalloc(n), *b = xmalloc(n);
    snprintf(a, n, "%s/encoder.json", dir);
    snprintf(b, n, "%s/vocab.bpe", dir);
    int st = tokenizer_load(out, a, b);
    free(a), free(b);
    return st;
}

int tokenizer_default_dir(char *buf, size_t n)
{
    const char *cache = getenv("BIASAMP_CACHE"), *home = getenv("HOME");
    int k;
    if (cache && *cache)
        k = snprintf(buf, n, "%s/gpt2-bpe", cache);
    else if (home && *home)
        k = snprintf(buf, n, "%s/.cache/biasamp/gpt2-bpe", home);
    else
        return err_set(ERR_INVAL, "neither BIASAMP_CACHE nor HOME is set");
    if (k < 0 || (size_t)k >= n) return err_set(ERR_INVAL, "cache path too long");
    return ERR_OK;
}

/* Writes token id in the byte alphabet, as UTF-8; in JSON, '"' and '\\' get a backslash. */
static void put_token(FILE *f, const Tokenizer *t, int32_t id, int json)
{
    for (uint32_t i = t->off[id]; i < t->off[id + 1]; i++) {
        int cp = tokenizer_byte_to_unicode((unsigned char)t->bytes[i]);
        if (json && (cp == '"' || cp == '\\')) fputc('\\', f);
        if (cp < 0x80)
            fputc(cp, f);
        else
            fputc(0xC0 | cp >> 6, f), fputc(0x80 | (cp & 0x3F), f);
    }
}

static int save_file(const char *dir, const char *name, const Tokenizer *t)
{
    size_t n = strlen(dir) + 16;
    char *path = xmalloc(n);
    snprintf(path, n, "%s/%s", dir, name);
    char *tmp = xmalloc(n + 8);
    snprintf(tmp, n + 8, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int st = ERR_OK;
    if (!f) {
        st = err_set(ERR_IO, "cannot create '%s': %s", path, strerror(errno));
        goto done;
    }
    if (name[0] == 'e') {
        fputc('{', f);
        for (int32_t id = 0; id < t->V; id++) {
            fputs(id ? ",\n\"" : "\n\"", f);
            put_token(f, t, id, 1);
            fprintf(f, "\": %d", (int)id);
        }
        fputs("\n}\n", f);
    } else {
        fputs("#version: 0.2\n", f);
        for (int k = 0; k < t->n_merges; k++) {
            put_token(f, t, t->merges[k][0], 0);
            fputc(' ', f);
            put_token(f, t, t->merges[k][1], 0);
            fputc('\n', f);
        }
    }
    /* atomic: temporary file, fsync, rename */
    int bad = fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        unlink(tmp);
        st = err_set(ERR_IO, "cannot write '%s'", path);
    }
done:
    free(tmp);
    free(path);
    return st;
}

int tokenizer_save_dir(const Tokenizer *t, const char *dir)
{
    /* encoder.json last: its presence means the vocabulary is whole (a killed run's is redone) */
    int st = save_file(dir, "vocab.bpe", t);
    return st ? st : save_file(dir, "encoder.json", t);
}
