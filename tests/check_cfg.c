/* check_cfg: the table-driven INI loader — defaults, types, ranges, file:line errors, overrides,
 * round trip of the effective config, hashing. */
#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "err.h"

typedef struct T {
    long n;
    double x;
    int flag;
    int mode;
    char name[CFG_STR_MAX];
    CfgDList list;
} T;

static const char *const modes[] = {"replace", "preserve", NULL};
#define F(f) offsetof(T, f)
static const CfgKey keys[] = {
    {"a.n", CFG_INT, F(n), "10", 2, 1000, 0, NULL, "a count"},
    {"a.x", CFG_DOUBLE, F(x), "0.5", -1, 1e9, CFG_INF_OK, NULL, "a number"},
    {"a.flag", CFG_BOOL, F(flag), "false", 0, 0, 0, NULL, "a flag"},
    {"b.mode", CFG_ENUM, F(mode), "replace", 0, 0, 0, modes, "a mode"},
    {"b.name", CFG_STRING, F(name), "", 0, 0, 0, NULL, "a name"},
    {"b.list", CFG_DLIST, F(list), "1 2 3", 0, 10, 0, NULL, "a list"},
    {0},
};
#undef F

static char tmp_path[64];

static const char *write_tmp(const char *text, size_t len)
{
    strcpy(tmp_path, "/tmp/biasamp_cfg_XXXXXX");
    int fd = mkstemp(tmp_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return tmp_path;
}

/* Loads text; returns the status and leaves the message in err_msg(). */
static int load_text(Cfg *c, T *t, const char *text)
{
    cfg_init(c, keys, t);
    const char *p = write_tmp(text, strlen(text));
    int st = cfg_load(c, p);
    unlink(p);
    return st;
}

START_TEST(test_defaults)
{
    T t;
    Cfg c;
    cfg_init(&c, keys, &t);
    ck_assert_int_eq(t.n, 10);
    ck_assert(t.x == 0.5);
    ck_assert_int_eq(t.flag, 0);
    ck_assert_int_eq(t.mode, 0);
    ck_assert_str_eq(t.name, "");
    ck_assert_int_eq(t.list.n, 3);
    ck_assert(t.list.v[2] == 3.0);
    ck_assert_str_eq(cfg_origin(&c, "a.n"), "default");
    cfg_release(&c);
}
END_TEST

START_TEST(test_load_values)
{
    T t;
    Cfg c;
    int st = load_text(&c, &t,
                       "; comment\n[a]\nn = 42\nx = inf ; inline comment\nflag = yes\n\n[b]\n"
                       "mode = preserve\nname = hello world\nlist = 0.5, 1e-3 7\n");
    ck_assert_msg(st == ERR_OK, "%s", err_msg());
    ck_assert_int_eq(t.n, 42);
    ck_assert(isinf(t.x));
    ck_assert_int_eq(t.flag, 1);
    ck_assert_int_eq(t.mode, 1);
    ck_assert_str_eq(t.name, "hello world");
    ck_assert_int_eq(t.list.n, 3);
    ck_assert(t.list.v[1] == 1e-3);
    ck_assert_ptr_nonnull(strstr(cfg_origin(&c, "a.n"), ":3"));
    cfg_release(&c);
}
END_TEST

/* Each bad file must fail with ERR_INVAL and a message naming the line (and key). */
static void expect_bad(const char *text, const char *line, const char *needle)
{
    T t;
    Cfg c;
    int st = load_text(&c, &t, text);
    ck_assert_msg(st == ERR_INVAL, "accepted: %s", text);
    ck_assert_msg(strstr(err_msg(), line) != NULL, "'%s' lacks '%s'", err_msg(), line);
    ck_assert_msg(strstr(err_msg(), needle) != NULL, "'%s' lacks '%s'", err_msg(), needle);
    cfg_release(&c);
}

START_TEST(test_bad_inputs)
{
    expect_bad("[a]\nn = 5\nbogus = 1\n", ":3:", "unknown key 'a.bogus'");
    expect_bad("[zz]\nn = 5\n", ":2:", "unknown key 'zz.n'");
    expect_bad("[a]\nn = 5x\n", ":2:", "not an integer");
    expect_bad("[a]\nn = 1\n", ":2:", "out of range");
    expect_bad("[a]\nn = -3\n", ":2:", "out of range");
    expect_bad("[a]\nn = 99999999999999999999999\n", ":2:", "not an integer");
    expect_bad("[a]\nx = nan\n", ":2:", "not a number");
    expect_bad("[a]\nx = 1e400\n", ":2:", "not a number");
    expect_bad("[a]\nx = -inf\n", ":2:", "out of range");
    expect_bad("[a]\nx = \n", ":2:", "not a number");
    expect_bad("[a]\nflag = maybe\n", ":2:", "not a boolean");
    expect_bad("[b]\nmode = sideways\n", ":2:", "not one of");
    expect_bad("[b]\nlist = 1 2 eleven\n", ":2:", "'eleven' is not a number");
    expect_bad("[b]\nlist = 1 2 11\n", ":2:", "out of range");
    expect_bad("[a]\nn = 5\nn = 6\n", ":3:", "duplicate key");
    expect_bad("[a]\nthis line has no equals sign\n", ":2:", "syntax error");
    expect_bad("n = 5\n", ":1:", "outside any [section]");
    char longline[400];
    memset(longline, 'x', sizeof longline);
    memcpy(longline, "[b]\nname = ", 11);
    longline[sizeof longline - 2] = '\n';
    longline[sizeof longline - 1] = '\0';
    expect_bad(longline, ":2:", "longer than");
}
END_TEST

START_TEST(test_nul_byte_and_missing_file)
{
    T t;
    Cfg c;
    cfg_init(&c, keys, &t);
    const char text[] = "[a]\nn = 5\0junk\n";
    const char *p = write_tmp(text, sizeof text - 1);
    ck_assert_int_eq(cfg_load(&c, p), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "NUL"));
    unlink(p);
    ck_assert_int_eq(cfg_load(&c, "/nonexistent/x.ini"), ERR_INVAL);
    cfg_release(&c);
}
END_TEST

START_TEST(test_overrides)
{
    T t;
    Cfg c;
    cfg_init(&c, keys, &t);
    ck_assert_int_eq(cfg_set(&c, "a.n=77"), ERR_OK);
    ck_assert_int_eq(t.n, 77);
    ck_assert_str_eq(cfg_origin(&c, "a.n"), "-s");
    ck_assert_int_eq(cfg_set(&c, "a.n = 1"), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "-s"));
    ck_assert_int_eq(cfg_set(&c, "a.nope=1"), ERR_INVAL);
    ck_assert_int_eq(cfg_set(&c, "novalue"), ERR_INVAL);
    /* regression (fuzz_cfg): values the effective config could not hold are refused and the
     * field keeps its value: a list whose canonical form overflows a line (5e-324 is written as
     * 4.94065645841247e-324), a string with trailing blanks, a newline or an inline comment */
    char list[200] = "b.list=";
    for (int i = 0; i < 16; i++) strcat(list, "5e-324 ");
    ck_assert_int_eq(cfg_set(&c, list), ERR_INVAL);
    ck_assert_msg(strstr(err_msg(), "-s: b.list: value too long: written back as 'list = ...' "
                                    "it takes 358 bytes, over the 199"), "%s", err_msg());
    ck_assert_int_eq(t.list.n, 3);
    ck_assert_int_eq(cfg_set(&c, "b.list=5e-324"), ERR_OK);
    ck_assert_int_eq(cfg_set(&c, "b.name=ok "), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "trailing blanks"));
    ck_assert_int_eq(cfg_set(&c, "b.name=two\nlines"), ERR_INVAL);
    ck_assert_int_eq(cfg_set(&c, "b.name=a ;b"), ERR_INVAL);
    ck_assert_int_eq(cfg_set(&c, "b.name=;b"), ERR_INVAL);
    ck_assert_int_eq(cfg_set(&c, "b.name=a;b"), ERR_OK);
    char name[220] = "b.name=";
    memset(name + 7, 'x', 189), name[7 + 189] = '\0'; /* 'name = ' + 189 bytes: 196, fits */
    ck_assert_int_eq(cfg_set(&c, name), ERR_OK);
    ck_assert_int_eq(cfg_error(&c, "a.n", "too big for %s", "this"), ERR_INVAL);
    ck_assert_str_eq(err_msg(), "-s: a.n: too big for this");
    cfg_release(&c);
}
END_TEST

/* The effective config written by cfg_write loads back to the same values and hash. */
START_TEST(test_write_roundtrip_and_hash)
{
    T t, u;
    Cfg c, d;
    cfg_init(&c, keys, &t);
    cfg_set(&c, "a.x=0.1");
    cfg_set(&c, "b.name=two words");
    cfg_set(&c, "b.list=0.3 1e-7");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(cfg_write(&c, f), ERR_OK);
    fclose(f);
    cfg_init(&d, keys, &u);
    const char *p = write_tmp(text, len);
    ck_assert_msg(cfg_load(&d, p) == ERR_OK, "%s", err_msg());
    unlink(p);
    ck_assert(u.x == 0.1);
    ck_assert_str_eq(u.name, "two words");
    ck_assert_int_eq(u.list.n, 2);
    ck_assert(u.list.v[1] == 1e-7);
    ck_assert(cfg_hash(&c) == cfg_hash(&d));
    cfg_set(&d, "a.n=11");
    ck_assert(cfg_hash(&c) != cfg_hash(&d));
    free(text);
    cfg_release(&c);
    cfg_release(&d);
}
END_TEST

Suite *suite_cfg(void);
Suite *suite_cfg(void)
{
    Suite *s = suite_create("cfg");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_load_values);
    tcase_add_test(tc, test_bad_inputs);
    tcase_add_test(tc, test_nul_byte_and_missing_file);
    tcase_add_test(tc, test_overrides);
    tcase_add_test(tc, test_write_roundtrip_and_hash);
    suite_add_tcase(s, tc);
    return s;
}
