/* cfg: the table-driven INI loader. libinih parses; a line-counting reader gives the handler the
 * line of every key, so each error names FILE:LINE. Long lines and NUL bytes are refused up front
 * because libinih would silently cut or stop at them. */
#include "cfg.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

#define CFG_LINE_MAX 199 /* bytes, newline excluded; INI_MAX_LINE is 200 including the NUL */
#define CFG_FILE_MAX (1 << 20)

static void *cfg_field(const Cfg *c, const CfgKey *k) { return (char *)c->obj + k->offset; }

const CfgKey *cfg_find(const Cfg *c, const char *name)
{
    for (int i = 0; i < c->nkeys; i++)
        if (strcmp(c->keys[i].name, name) == 0) return &c->keys[i];
    return NULL;
}

const char *cfg_origin(const Cfg *c, const char *name)
{
    const CfgKey *k = cfg_find(c, name);
    return k ? c->origin[k - c->keys] : "";
}

int cfg_error(const Cfg *c, const char *name, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *origin = cfg_origin(c, name);
    if (strcmp(origin, "default") == 0) origin = "default value";
    return err_set(ERR_INVAL, "%s: %s: %s", origin, name, msg);
}

/* strtod/strtol wrappers that accept only a complete number with optional surrounding blanks. */
static int cfg_parse_double(const char *s, double *out)
{
    char *end;
    while (isspace((unsigned char)*s)) s++;
    if (*s == '\0') return 0;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end)) end++;
    if (*end != '\0' || end == s) return 0;
    if (errno == ERANGE && isinf(v)) return 0; /* overflow to HUGE_VAL: not representable */
    *out = v;
    return 1;
}

static int cfg_parse_long(const char *s, long *out)
{
    char *end;
    while (isspace((unsigned char)*s)) s++;
    if (*s == '\0') return 0;
    errno = 0;
    long v = strtol(s, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (*end != '\0' || end == s || errno == ERANGE) return 0;
    *out = v;
    return 1;
}

static int cfg_check_double(const CfgKey *k, double v, const char *origin, const char *text)
{
    if (isnan(v)) return err_set(ERR_INVAL, "%s: %s: '%s' is not a number", origin, k->name, text);
    if (isinf(v) && !(k->flags & CFG_INF_OK))
        return err_set(ERR_INVAL, "%s: %s: '%s' must be finite", origin, k->name, text);
    if (v == INFINITY && (k->flags & CFG_INF_OK)) return ERR_OK; /* "inf" stands for unbounded */
    if (v < k->min || v > k->max)
        return err_set(ERR_INVAL, "%s: %s: %s is out of range [%g, %g]", origin, k->name, text,
                       k->min, k->max);
    return ERR_OK;
}

static int cfg_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) return *out = 1, 1;
        if (strcasecmp(s, no[i]) == 0) return *out = 0, 1;
    }
    return 0;
}

/* What cfg_write cannot write back as it is: a newline (it would split the line), leading or
 * trailing blanks (libinih strips them), ';' first or after a blank (libinih's inline comment:
 * "key=;x" reads as ";x", but "key = ;x" as ""). Returns the reason or NULL. */
static const char *cfg_string_unwritable(const char *s)
{
    size_t n = strlen(s);
    if (n && (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1])))
        return "leading or trailing blanks";
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') return "a newline";
        if (s[i] == ';' && (i == 0 || isspace((unsigned char)s[i - 1])))
            return "';' first or after a blank (an inline comment once written as 'key = value')";
    }
    return NULL;
}

int cfg_set_value(Cfg *c, const char *name, const char *value, const char *origin)
{
    const CfgKey *k = cfg_find(c, name);
    if (!k) return err_set(ERR_INVAL, "%s: unknown key '%s'", origin, name);
    void *field = cfg_field(c, k);
    /* STRING and DLIST values are checked after parsing for fitting on one line of an effective
     * config; the field is restored when they do not */
    union {
        char s[CFG_STR_MAX];
        CfgDList l;
    } saved;
    size_t fsize = k->type == CFG_STRING  ? CFG_STR_MAX
                   : k->type == CFG_DLIST ? sizeof(CfgDList)
                                          : 0;
    memcpy(&saved, field, fsize);
    switch (k->type) {
    case CFG_INT: {
        long v;
        if (!cfg_parse_long(value, &v))
            return err_set(ERR_INVAL, "%s: %s: '%s' is not an integer", origin, name, value);
        if ((double)v < k->min || (double)v > k->max)
            return err_set(ERR_INVAL, "%s: %s: %ld is out of range [%.0f, %.0f]", origin, name, v,
                           k->min, k->max);
        *(long *)field = v;
        break;
    }
    case CFG_DOUBLE: {
        double v;
        if (!cfg_parse_double(value, &v))
            return err_set(ERR_INVAL, "%s: %s: '%s' is not a number", origin, name, value);
        int st = cfg_check_double(k, v, origin, value);
        if (st) return st;
        *(double *)field = v;
        break;
    }
    case CFG_BOOL: {
        int v;
        if (!cfg_parse_bool(value, &v))
            return err_set(ERR_INVAL, "%s: %s: '%s' is not a boolean (true/false)", origin, name,
                           value);
        *(int *)field = v;
        break;
    }
    case CFG_ENUM: {
        int idx = -1;
        for (int i = 0; k->choices[i]; i++)
            if (strcmp(k->choices[i], value) == 0) idx = i;
        if (idx < 0) {
            char list[256] = "";
            for (int i = 0; k->choices[i]; i++) {
                if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, k->choices[i], sizeof list - strlen(list) - 1);
            }
            return err_set(ERR_INVAL, "%s: %s: '%s' is not one of: %s", origin, name, value, list);
        }
        *(int *)field = idx;
        break;
    }
    case CFG_STRING: {
        if (strlen(value) >= CFG_STR_MAX)
            return err_set(ERR_INVAL, "%s: %s: value longer than %d bytes", origin, name,
                           CFG_STR_MAX - 1);
        const char *why = cfg_string_unwritable(value);
        if (why)
            return err_set(ERR_INVAL, "%s: %s: '%s' has %s, which a config file cannot hold",
                           origin, name, value, why);
        strcpy((char *)field, value);
        break;
    }
    case CFG_DLIST: {
        CfgDList list = {0};
        char buf[CFG_STR_MAX * 2];
        snprintf(buf, sizeof buf, "%s", value);
        char *save = NULL;
        for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
            if (list.n == CFG_LIST_MAX)
                return err_set(ERR_INVAL, "%s: %s: more than %d values", origin, name,
                               CFG_LIST_MAX);
            double v;
            if (!cfg_parse_double(tok, &v))
                return err_set(ERR_INVAL, "%s: %s: '%s' is not a number", origin, name, tok);
            int st = cfg_check_double(k, v, origin, tok);
            if (st) return st;
            list.v[list.n++] = v;
        }
        *(CfgDList *)field = list;
        break;
    }
    }
    if (fsize) { /* cfg_emit writes "KEY = VALUE" with KEY the part after the section's dot */
        char text[CFG_LIST_MAX * 32 + CFG_STR_MAX];
        cfg_format(c, k, text, sizeof text);
        const char *dot = strchr(name, '.');
        size_t line = strlen(dot ? dot + 1 : name) + 3 + strlen(text);
        if (line > CFG_LINE_MAX) {
            memcpy(field, &saved, fsize);
            return err_set(ERR_INVAL, "%s: %s: value too long: written back as '%s = ...' it "
                           "takes %zu bytes, over the %d of a config line", origin, name,
                           dot ? dot + 1 : name, line, CFG_LINE_MAX);
        }
    }
    snprintf(c->origin[k - c->keys], CFG_ORIGIN_MAX, "%s", origin);
    return ERR_OK;
}

void cfg_init(Cfg *c, const CfgKey *keys, void *obj)
{
    memset(c, 0, sizeof *c);
    c->keys = keys;
    c->obj = obj;
    while (keys[c->nkeys].name) c->nkeys++;
    c->origin = xcalloc((size_t)c->nkeys + 1, sizeof *c->origin);
    for (int i = 0; i < c->nkeys; i++) {
        int st = cfg_set_value(c, keys[i].name, keys[i].def, "default");
        (void)st;
        assert(st == ERR_OK && "bad default in a config table");
    }
}

void cfg_release(Cfg *c)
{
    if (!c) return;
    free(c->origin);
    c->origin = NULL;
}

int cfg_set(Cfg *c, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return err_set(ERR_INVAL, "-s '%s': expected section.key=value", assignment);
    char name[128];
    size_t len = (size_t)(eq - assignment);
    while (len && isspace((unsigned char)assignment[len - 1])) len--;
    if (len >= sizeof name) return err_set(ERR_INVAL, "-s '%s': key too long", assignment);
    memcpy(name, assignment, len);
    name[len] = '\0';
    const char *value = eq + 1;
    while (isspace((unsigned char)*value)) value++;
    return cfg_set_value(c, name, value, "-s");
}

/* The INI text is read from memory by a reader that counts lines, so the handler knows where it
 * is; only the first error is kept (libinih keeps parsing after an error). */
typedef struct CfgParse {
    Cfg *c;
    const char *path;
    const char *pos;
    int line;
    int err_line;
    int status;
    unsigned char *seen;
} CfgParse;

static char *cfg_reader(char *str, int num, void *stream)
{
    CfgParse *p = stream;
    if (*p->pos == '\0') return NULL;
    const char *nl = strchr(p->pos, '\n');
    size_t len = nl ? (size_t)(nl - p->pos) + 1 : strlen(p->pos);
    if (len > (size_t)num - 1) len = (size_t)num - 1; /* pre-scan guarantees this never cuts */
    memcpy(str, p->pos, len);
    str[len] = '\0';
    p->pos += len;
    p->line++;
    return str;
}

static int cfg_handler(void *user, const char *section, const char *key, const char *value)
{
    CfgParse *p = user;
    if (p->status) return 1; /* keep the first error only */
    char name[2 * CFG_STR_MAX], origin[CFG_ORIGIN_MAX];
    snprintf(name, sizeof name, "%s.%s", section, key);
    snprintf(origin, sizeof origin, "%s:%d", p->path, p->line);
    const CfgKey *k = cfg_find(p->c, name);
    if (!k) {
        p->status = section[0] ? err_set(ERR_INVAL, "%s: unknown key '%s'", origin, name)
                               : err_set(ERR_INVAL, "%s: key '%s' outside any [section]", origin,
                                         key);
    } else if (p->seen[k - p->c->keys]) {
        p->status = err_set(ERR_INVAL, "%s: duplicate key '%s' (first set at %s)", origin, name,
                            p->c->origin[k - p->c->keys]);
    } else {
        p->seen[k - p->c->keys] = 1;
        p->status = cfg_set_value(p->c, name, value, origin);
    }
    if (p->status) {
        p->err_line = p->line;
        return 0;
    }
    return 1;
}

static int cfg_read_file(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f) /* a path the user typed that does not exist is bad input, not a runtime failure */
        return err_set(errno == ENOENT ? ERR_INVAL : ERR_IO, "cannot open config '%s': %s", path,
                       strerror(errno));
    char *buf = xmalloc(CFG_FILE_MAX + 1);
    size_t n = fread(buf, 1, CFG_FILE_MAX + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return err_set(ERR_IO, "cannot read config '%s'", path);
    }
    if (n > CFG_FILE_MAX) {
        free(buf);
        return err_set(ERR_INVAL, "%s: config larger than %d bytes", path, CFG_FILE_MAX);
    }
    /* Refuse what libinih would silently mangle: NUL bytes and over-long lines. */
    int line = 1;
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\0') {
            free(buf);
            return err_set(ERR_INVAL, "%s:%d: NUL byte (not a text file)", path, line);
        }
        if (buf[i] == '\n') {
            line++;
            col = 0;
        } else if (++col > CFG_LINE_MAX) {
            free(buf);
            return err_set(ERR_INVAL, "%s:%d: line longer than %d bytes", path, line,
                           CFG_LINE_MAX);
        }
    }
    buf[n] = '\0';
    *out = buf;
    return ERR_OK;
}

int cfg_load(Cfg *c, const char *path)
{
    char *text = NULL;
    int st = cfg_read_file(path, &text);
    if (st) return st;
    const char *q = text;
    while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
    if (!*q) { /* a truncated or wrong file, never a deliberate config */
        free(text);
        return err_set(ERR_INVAL, "%s:1: empty config file (no [section], no key)", path);
    }
    CfgParse p = {.c = c, .path = path, .pos = text, .seen = xcalloc((size_t)c->nkeys + 1, 1)};
    int rc = ini_parse_stream(cfg_reader, &p, cfg_handler, &p);
    if (rc > 0 && (!p.status || rc < p.err_line))
        st = err_set(ERR_INVAL, "%s:%d: syntax error (expected [section] or key = value)", path, rc);
    else if (rc != 0 && p.status)
        st = p.status;
    else if (rc < 0)
        st = err_set(ERR_IO, "%s: cannot parse (out of memory)", path);
    if (!st) snprintf(c->path, sizeof c->path, "%s", path);
    free(p.seen);
    free(text);
    return st;
}

static void cfg_format_double(double v, char *buf, size_t n)
{
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "inf" : "-inf");
        return;
    }
    /* shortest of %.15g / %.17g that reads back exactly */
    snprintf(buf, n, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, n, "%.17g", v);
}

void cfg_format(const Cfg *c, const CfgKey *k, char *buf, size_t n)
{
    const void *field = (const char *)c->obj + k->offset;
    switch (k->type) {
    case CFG_INT: snprintf(buf, n, "%ld", *(const long *)field); break;
    case CFG_DOUBLE: cfg_format_double(*(const double *)field, buf, n); break;
    case CFG_BOOL: snprintf(buf, n, "%s", *(const int *)field ? "true" : "false"); break;
    case CFG_ENUM: snprintf(buf, n, "%s", k->choices[*(const int *)field]); break;
    case CFG_STRING: snprintf(buf, n, "%s", (const char *)field); break;
    case CFG_DLIST: {
        const CfgDList *l = field;
        size_t used = 0;
        buf[0] = '\0';
        for (int i = 0; i < l->n && used < n; i++) {
            char one[40];
            cfg_format_double(l->v[i], one, sizeof one);
            used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? " " : "", one);
        }
        break;
    }
    }
}

/* Writes keys grouped by section in table order; comments only when `comments` is set. */
static void cfg_emit(const Cfg *c, FILE *f, int comments)
{
    unsigned char *done = xcalloc((size_t)c->nkeys + 1, 1);
    for (int i = 0; i < c->nkeys; i++) {
        if (done[i]) continue;
        const char *dot = strchr(c->keys[i].name, '.');
        size_t slen = (size_t)(dot - c->keys[i].name);
        fprintf(f, "%s[%.*s]\n", i ? "\n" : "", (int)slen, c->keys[i].name);
        for (int j = i; j < c->nkeys; j++) {
            const char *name = c->keys[j].name;
            if (done[j] || strncmp(name, c->keys[i].name, slen + 1) != 0) continue;
            char val[CFG_STR_MAX * 2];
            cfg_format(c, &c->keys[j], val, sizeof val);
            if (comments) fprintf(f, "; %s  (from %s)\n", c->keys[j].help, c->origin[j]);
            fprintf(f, "%s = %s\n", name + slen + 1, val);
            done[j] = 1;
        }
    }
    free(done);
}

int cfg_write(const Cfg *c, FILE *f)
{
    fprintf(f, "; effective configuration written by biasamp (loadable as a config file)\n");
    cfg_emit(c, f, 1);
    return ferror(f) ? err_set(ERR_IO, "cannot write configuration") : ERR_OK;
}

uint64_t cfg_hash(const Cfg *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return 0;
    cfg_emit(c, f, 0);
    fclose(f);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)text[i]) * 1099511628211ull;
    free(text);
    return h;
}

void cfg_print_keys(const CfgKey *keys, FILE *f)
{
    for (const CfgKey *k = keys; k->name; k++) {
        fprintf(f, "  %-28s %s (default: %s", k->name, k->help, k->def[0] ? k->def : "empty");
        if (k->type == CFG_ENUM) {
            fprintf(f, "; one of");
            for (int i = 0; k->choices[i]; i++) fprintf(f, " %s", k->choices[i]);
        }
        fprintf(f, ")\n");
    }
}
