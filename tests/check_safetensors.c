/* check_safetensors: the container reader/writer — round trip, F16/BF16 conversion against known
 * bit patterns, and a catalogue of malformed files that must fail with the tensor's name. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "safetensors.h"

static char dir[] = "/tmp/biasamp_st_XXXXXX";
static char path[128];

static void setup(void)
{
    strcpy(dir, "/tmp/biasamp_st_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

/* Writes an 8-byte length, the header text and `data` bytes. */
static void write_raw(const char *hdr, const void *data, size_t dlen, int64_t hlen_override)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    uint64_t h = hlen_override >= 0 ? (uint64_t)hlen_override : strlen(hdr);
    for (int i = 0; i < 8; i++) fputc((int)(h >> (8 * i)) & 0xff, f);
    fwrite(hdr, 1, strlen(hdr), f);
    if (dlen) fwrite(data, 1, dlen, f);
    fclose(f);
}

START_TEST(test_roundtrip)
{
    float a[6] = {1, -2, 3.5f, 1e-30f, 0, 65504}, b[3] = {7, 8, 9};
    StWriteItem items[] = {{"wte.weight", a, 2, {2, 3}}, {"h.0.ln_1.bias", b, 1, {3}}};
    const char *meta[] = {"format", "pt"};
    ck_assert_int_eq(safetensors_write(path, items, 2, meta, 1), ERR_OK);
    SafeTensors *st;
    ck_assert_msg(safetensors_open(&st, path) == ERR_OK, "%s", err_msg());
    ck_assert_int_eq(st->n, 2);
    ck_assert_str_eq(safetensors_meta(st, "format"), "pt");
    const StTensor *t = safetensors_find(st, "wte.weight");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->ndim, 2);
    ck_assert_int_eq(t->shape[1], 3);
    float got[6];
    ck_assert_int_eq(safetensors_read_f32(st, t, got, 0), ERR_OK);
    ck_assert(memcmp(got, a, sizeof a) == 0);
    t = safetensors_find(st, "h.0.ln_1.bias");
    ck_assert_int_eq(safetensors_read_f32(st, t, got, 0), ERR_OK);
    ck_assert(got[2] == 9);
    ck_assert_ptr_null(safetensors_find(st, "nope"));
    ck_assert_int_eq((int)((uintptr_t)st->data % 8), 0); /* the buffer is 8-byte aligned */
    safetensors_close(st);
}
END_TEST

START_TEST(test_half_precision)
{
    ck_assert(safetensors_f16_to_f32(0x3c00) == 1.0f);
    ck_assert(safetensors_f16_to_f32(0xc000) == -2.0f);
    ck_assert(safetensors_f16_to_f32(0x7bff) == 65504.0f);
    ck_assert(safetensors_f16_to_f32(0x0001) == ldexpf(1, -24)); /* smallest subnormal */
    ck_assert(safetensors_f16_to_f32(0x03ff) == ldexpf(1023, -24));
    ck_assert(safetensors_f16_to_f32(0x3555) == 0.333251953125f);
    ck_assert(isinf(safetensors_f16_to_f32(0x7c00)));
    ck_assert(isnan(safetensors_f16_to_f32(0x7e00)));
    ck_assert(safetensors_bf16_to_f32(0x3f80) == 1.0f);
    ck_assert(safetensors_bf16_to_f32(0xc0a0) == -5.0f);
    /* an F16 and a BF16 tensor read through the file path; a NaN is refused unless allowed */
    uint16_t d[4] = {0x3c00, 0xc000, 0x3f80, 0x7fc0}; /* bf16 0x7fc0 is a quiet NaN */
    write_raw("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
              "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[4,8]}}",
              d, sizeof d, -1);
    SafeTensors *st;
    ck_assert_msg(safetensors_open(&st, path) == ERR_OK, "%s", err_msg());
    float v[2];
    ck_assert_int_eq(safetensors_read_f32(st, safetensors_find(st, "a"), v, 0), ERR_OK);
    ck_assert(v[0] == 1.0f && v[1] == -2.0f);
    ck_assert_int_eq(safetensors_read_f32(st, safetensors_find(st, "b"), v, 0), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "'b'"));
    ck_assert_int_eq(safetensors_read_f32(st, safetensors_find(st, "b"), v, 1), ERR_OK);
    ck_assert(v[0] == 1.0f && isnan(v[1]));
    safetensors_close(st);
}
END_TEST

/* Each malformed file fails with ERR_INVAL and a message containing `needle`. */
static void expect_bad(const char *hdr, size_t dlen, int64_t hlen, const char *needle)
{
    static const uint8_t zeros[64] = {0};
    write_raw(hdr, zeros, dlen, hlen);
    SafeTensors *st = (SafeTensors *)1;
    int s = safetensors_open(&st, path);
    ck_assert_msg(s == ERR_INVAL, "accepted: %s", hdr);
    ck_assert_ptr_null(st);
    ck_assert_msg(strstr(err_msg(), needle) != NULL, "'%s' lacks '%s'", err_msg(), needle);
}

START_TEST(test_malformed)
{
#define T(n, dt, sh, b, e) "\"" n "\":{\"dtype\":\"" dt "\",\"shape\":" sh ",\"data_offsets\":[" #b "," #e "]}"
    expect_bad("{" T("x", "F32", "[2]", 0, 8) "}", 8, 1000, "header length");
    expect_bad("[1,2]", 0, -1, "does not start with '{'");
    expect_bad("{\"x\": nonsense}", 0, -1, "not a JSON object");
    expect_bad("{" T("w", "F8", "[2]", 0, 2) "}", 2, -1, "tensor 'w': unsupported dtype 'F8'");
    expect_bad("{" T("w", "F32", "[2]", 0, 8) "}", 4, -1, "tensor 'w': data_offsets [0, 8] beyond");
    expect_bad("{" T("w", "F32", "[2]", 0, 4) "}", 4, -1, "tensor 'w': 4 bytes at data_offsets but");
    expect_bad("{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[2]", 4, 12) "}", 12, -1,
               "tensor 'b' overlaps");
    expect_bad("{" T("a", "F32", "[1]", 0, 4) "," T("b", "F32", "[1]", 8, 12) "}", 12, -1,
               "tensor 'b': hole");
    expect_bad("{" T("a", "F32", "[1]", 0, 4) "}", 8, -1, "trailing bytes");
    expect_bad("{" T("a", "F32", "[-1]", 0, 4) "}", 4, -1, "tensor 'a': shape[0]");
    expect_bad("{" T("a", "F32", "[1.5]", 0, 4) "}", 4, -1, "tensor 'a': shape[0]");
    expect_bad("{" T("a", "F32", "[1]", 4, 0) "}", 4, -1, "tensor 'a': data_offsets must be");
    expect_bad("{" T("a", "F32", "[1]", 0, 4) "," T("a", "F32", "[1]", 4, 8) "}", 8, -1,
               "tensor 'a' appears twice");
    expect_bad("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, -1, "tensor 'a': no dtype");
    expect_bad("{\"__metadata__\":{\"k\":1}}", 0, -1, "__metadata__ 'k' is not a string");
    /* regression (fuzz_safetensors): a second, smaller __metadata__ was written past the arrays
     * sized for the first (heap overflow) */
    expect_bad("{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\"},\"__metadata__\":{\"c\":\"3\"}}", 0,
               -1, "__metadata__ appears twice");
    expect_bad("{" T("a", "F32", "[4294967296,4294967296,4294967296]", 0, 4) "}", 4, -1,
               "shape overflows");
#undef T
    /* too short for a header at all */
    FILE *f = fopen(path, "wb");
    fputs("abc", f);
    fclose(f);
    SafeTensors *st;
    ck_assert_int_eq(safetensors_open(&st, path), ERR_INVAL);
    ck_assert_int_eq(safetensors_open(&st, "/nonexistent/m.safetensors"), ERR_INVAL);
}
END_TEST

START_TEST(test_empty_tensor_and_padding)
{
    /* a zero-size tensor occupies no bytes; spaces after the JSON (alignment padding) are fine */
    float v = 3;
    write_raw("{\"e\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[4,4]},"
              "\"v\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}      ",
              &v, 4, -1);
    SafeTensors *st;
    ck_assert_msg(safetensors_open(&st, path) == ERR_OK, "%s", err_msg());
    ck_assert_int_eq(safetensors_find(st, "e")->numel, 0);
    ck_assert_int_eq(safetensors_find(st, "v")->numel, 1); /* a scalar */
    safetensors_close(st);
}
END_TEST

Suite *suite_safetensors(void);
Suite *suite_safetensors(void)
{
    Suite *s = suite_create("safetensors");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_half_precision);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_empty_tensor_and_padding);
    suite_add_tcase(s, tc);
    return s;
}
