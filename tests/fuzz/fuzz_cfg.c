/* fuzz_cfg: cfg_load (INI through libinih) on arbitrary bytes, with a key table that has one key
 * of every CfgType; a loaded config must format, hash and reload; every line is also tried as a
 * `-s section.key=value` override. */
#include <stddef.h>

#include "cfg.h"
#include "err.h"
#include "fuzz_util.h"

typedef struct FuzzCfg {
    long n;
    double x, cap;
    int flag, mode;
    char name[CFG_STR_MAX];
    CfgDList list;
} FuzzCfg;

static const char *const modes[] = {"alpha", "beta", "gamma", NULL};

static const CfgKey keys[] = {
    {"run.n", CFG_INT, offsetof(FuzzCfg, n), "3", -10, 1e6, 0, NULL, "an integer"},
    {"run.x", CFG_DOUBLE, offsetof(FuzzCfg, x), "0.5", -1e3, 1e3, 0, NULL, "a bounded double"},
    {"run.cap", CFG_DOUBLE, offsetof(FuzzCfg, cap), "inf", 0, 1e300, CFG_INF_OK, NULL,
     "a double that may be inf"},
    {"opt.flag", CFG_BOOL, offsetof(FuzzCfg, flag), "false", 0, 0, 0, NULL, "a boolean"},
    {"opt.mode", CFG_ENUM, offsetof(FuzzCfg, mode), "alpha", 0, 0, 0, modes, "a choice"},
    {"out.name", CFG_STRING, offsetof(FuzzCfg, name), "", 0, 0, 0, NULL, "a string"},
    {"out.list", CFG_DLIST, offsetof(FuzzCfg, list), "1 2 3", -1e9, 1e9, 0, NULL, "a list"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

/* The effective configuration (cfg_write) must load back to the same values (hash). */
static void reload(const Cfg *c, const char *path2)
{
    FILE *f = fopen(path2, "w");
    FUZZ_CHECK(f);
    FUZZ_CHECK(cfg_write(c, f) == ERR_OK);
    fclose(f);
    FuzzCfg obj2;
    Cfg c2;
    cfg_init(&c2, keys, &obj2);
    int st = cfg_load(&c2, path2);
    if (st) fprintf(stderr, "fuzz_cfg: effective config does not load: %s\n", err_msg());
    FUZZ_CHECK(st == ERR_OK);
    FUZZ_CHECK(cfg_hash(&c2) == cfg_hash(c));
    cfg_release(&c2);
    unlink(path2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512], path2[512];
    fuzz_path(path, sizeof path, "fuzz.ini");
    fuzz_path(path2, sizeof path2, "effective.ini");
    fuzz_write(path, data, size);
    FuzzCfg obj;
    Cfg c;
    cfg_init(&c, keys, &obj);
    int st = cfg_load(&c, path);
    FUZZ_CHECK(st == ERR_OK || st == ERR_INVAL);
    if (st == ERR_OK) reload(&c, path2);
    /* each line as an override; what they set must also write out loadably */
    char *text = fuzz_strndup(data, size), *save = NULL;
    int lines = 0, set = 0;
    for (char *ln = strtok_r(text, "\n", &save); ln && lines < 64; ln = strtok_r(NULL, "\n", &save)) {
        st = cfg_set(&c, ln);
        FUZZ_CHECK(st == ERR_OK || st == ERR_INVAL);
        set += st == ERR_OK;
        lines++;
    }
    if (set) reload(&c, path2);
    char buf[2 * CFG_STR_MAX];
    for (int i = 0; keys[i].name; i++) cfg_format(&c, &keys[i], buf, sizeof buf);
    free(text);
    cfg_release(&c);
    unlink(path);
    return 0;
}
