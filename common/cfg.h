/* cfg: table-driven INI configuration (libinih underneath). Every key has a default in code; a
 * file, or `-s section.key=value`, can only set keys the table knows, through the same validation.
 * Errors name file:line and key; they are ERR_INVAL (exit code 2). */
#ifndef BIASAMP_CFG_H
#define BIASAMP_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_STR_MAX 192  /* libinih cuts lines at 200 bytes; longer lines are refused */
#define CFG_LIST_MAX 16  /* elements in a CFG_DLIST value */
#define CFG_ORIGIN_MAX 320

typedef enum {
    CFG_INT,    /* long, range [min, max] */
    CFG_DOUBLE, /* double, range [min, max]; never nan; inf only with CFG_INF_OK */
    CFG_BOOL,   /* int 0/1; accepts true/false, yes/no, on/off, 1/0 */
    CFG_ENUM,   /* int index into `choices` */
    CFG_STRING, /* char[CFG_STR_MAX] */
    CFG_DLIST   /* CfgDList: 0..CFG_LIST_MAX doubles, separated by spaces or commas */
} CfgType;

enum { CFG_INF_OK = 1u << 0 };

typedef struct CfgDList {
    int n;
    double v[CFG_LIST_MAX];
} CfgDList;

typedef struct CfgKey {
    const char *name;  /* "section.key" */
    CfgType type;
    size_t offset;     /* of the field inside the target struct */
    const char *def;   /* default, written as in a file ("" = empty list/string) */
    double min, max;   /* numbers and list elements */
    unsigned flags;
    const char *const *choices; /* CFG_ENUM: NULL-terminated */
    const char *help;  /* one line, shown by --help and written into effective configs */
} CfgKey;              /* tables end with an entry whose name is NULL */

typedef struct Cfg {
    const CfgKey *keys;
    void *obj;
    int nkeys;
    char path[512];                 /* last file loaded ("" if none) */
    char (*origin)[CFG_ORIGIN_MAX]; /* per key: "default", "FILE:LINE" or "-s" */
} Cfg;

/* Binds `keys` to `obj` and sets every field to its default. A bad default is a programmer error
 * (assert). Release with cfg_release. */
void cfg_init(Cfg *c, const CfgKey *keys, void *obj);
void cfg_release(Cfg *c);

/* Loads an INI file over the current values. Unknown section/key, a duplicate key, a malformed or
 * out-of-range value, a line over 199 bytes, a NUL byte or a syntax error: ERR_INVAL with
 * "FILE:LINE: ..."; a missing file: ERR_INVAL; an unreadable one: ERR_IO. On error the object
 * may be partly updated. */
int cfg_load(Cfg *c, const char *path);

/* Applies one "section.key=value" override (origin "-s"). */
int cfg_set(Cfg *c, const char *assignment);

/* Sets one key from text; `origin` names where the text came from (for messages). */
int cfg_set_value(Cfg *c, const char *name, const char *value, const char *origin);

/* The key entry for "section.key", or NULL. */
const CfgKey *cfg_find(const Cfg *c, const char *name);

/* Where a key's value came from ("default", "FILE:LINE", "-s"); "" for an unknown key. */
const char *cfg_origin(const Cfg *c, const char *name);

/* Sets an ERR_INVAL message "ORIGIN: NAME: <fmt...>" for a value that passed the table but fails a
 * cross-field check done by the caller. Returns ERR_INVAL. */
int cfg_error(const Cfg *c, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Formats the current value of a key as it would appear in a file. */
void cfg_format(const Cfg *c, const CfgKey *k, char *buf, size_t n);

/* Writes the effective configuration as a loadable INI file (help lines as comments). */
int cfg_write(const Cfg *c, FILE *f);

/* FNV-1a 64 of the effective configuration without comments: equal configs, equal hashes. */
uint64_t cfg_hash(const Cfg *c);

/* Prints the key table (name, default, range, help) for --help output. */
void cfg_print_keys(const CfgKey *keys, FILE *f);

#endif
