/* safetensors: validated reader (mmap) and atomic F32 writer for the safetensors container.
 * Every number taken from the file is checked before it is used as a size or an offset. */
#include "safetensors.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "xalloc.h"

static const struct {
    const char *name;
    size_t size;
} st_dtypes[] = {[ST_F32] = {"F32", 4}, [ST_F16] = {"F16", 2}, [ST_BF16] = {"BF16", 2},
                 [ST_F64] = {"F64", 8}, [ST_I64] = {"I64", 8}, [ST_I32] = {"I32", 4},
                 [ST_I8] = {"I8", 1},   [ST_U8] = {"U8", 1},   [ST_BOOL] = {"BOOL", 1}};
#define ST_NDTYPES ((int)(sizeof st_dtypes / sizeof st_dtypes[0]))

size_t safetensors_dtype_size(StDtype d) { return st_dtypes[d].size; }
const char *safetensors_dtype_name(StDtype d) { return st_dtypes[d].name; }

float safetensors_f16_to_f32(uint16_t h)
{
    int sign = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    float v;
    if (e == 0)
        v = ldexpf((float)m, -24); /* subnormal: m * 2^-24 */
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexpf((float)(m | 0x400), e - 25);
    return sign ? -v : v;
}

float safetensors_bf16_to_f32(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* A JSON number that is a non-negative integer below 2^53. */
static int st_uint(const cJSON *j, uint64_t *out)
{
    if (!cJSON_IsNumber(j)) return 0;
    double v = j->valuedouble;
    if (!(v >= 0) || v > 9007199254740992.0 || v != floor(v)) return 0;
    *out = (uint64_t)v;
    return 1;
}

static int st_cmp_begin(const void *a, const void *b)
{
    const StTensor *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : (x->end > y->end);
}

static int st_cmp_name(const void *a, const void *b)
{
    return strcmp(((const StTensor *)a)->name, ((const StTensor *)b)->name);
}

/* Parses one header entry into t. */
static int st_entry(const char *path, const cJSON *e, StTensor *t)
{
    const char *name = e->string;
    if (strlen(name) >= ST_NAME_MAX)
        return err_set(ERR_INVAL, "%s: tensor name longer than %d bytes", path, ST_NAME_MAX - 1);
    snprintf(t->name, sizeof t->name, "%s", name);
    if (!cJSON_IsObject(e)) return err_set(ERR_INVAL, "%s: tensor '%s': not an object", path, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dt)) return err_set(ERR_INVAL, "%s: tensor '%s': no dtype", path, name);
    int d = -1;
    for (int i = 0; i < ST_NDTYPES; i++)
        if (strcmp(dt->valuestring, st_dtypes[i].name) == 0) d = i;
    if (d < 0)
        return err_set(ERR_INVAL, "%s: tensor '%s': unsupported dtype '%s'", path, name,
                       dt->valuestring);
    t->dtype = (StDtype)d;
    if (!cJSON_IsArray(sh) || cJSON_GetArraySize(sh) > ST_MAX_DIMS)
        return err_set(ERR_INVAL, "%s: tensor '%s': shape must be an array of at most %d sizes",
                       path, name, ST_MAX_DIMS);
    t->ndim = cJSON_GetArraySize(sh);
    uint64_t numel = 1;
    for (int i = 0; i < t->ndim; i++) {
        uint64_t v;
        if (!st_uint(cJSON_GetArrayItem(sh, i), &v))
            return err_set(ERR_INVAL, "%s: tensor '%s': shape[%d] is not a non-negative integer",
                           path, name, i);
        if (v && numel > UINT64_MAX / 16 / v)
            return err_set(ERR_INVAL, "%s: tensor '%s': shape overflows", path, name);
        numel *= v;
        t->shape[i] = (int64_t)v;
    }
    t->numel = numel;
    if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2 ||
        !st_uint(cJSON_GetArrayItem(of, 0), &t->begin) ||
        !st_uint(cJSON_GetArrayItem(of, 1), &t->end) || t->end < t->begin)
        return err_set(ERR_INVAL, "%s: tensor '%s': data_offsets must be [begin, end], begin <= end",
                       path, name);
    if (t->end - t->begin != numel * st_dtypes[d].size)
        return err_set(ERR_INVAL,
                       "%s: tensor '%s': %llu bytes at data_offsets but shape x %s needs %llu",
                       path, name, (unsigned long long)(t->end - t->begin), st_dtypes[d].name,
                       (unsigned long long)(numel * st_dtypes[d].size));
    return ERR_OK;
}

static int st_parse(SafeTensors *st, const char *path, const char *hdr, size_t hlen)
{
    cJSON *root = cJSON_ParseWithLength(hdr, hlen);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return err_set(ERR_INVAL, "%s: header is not a JSON object", path);
    }
    int count = 0, st_status = ERR_OK;
    for (const cJSON *e = root->child; e; e = e->next) count++;
    st->tensors = xcalloc((size_t)count + 1, sizeof *st->tensors);
    for (const cJSON *e = root->child; e && !st_status; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0) {
            if (!cJSON_IsObject(e)) {
                st_status = err_set(ERR_INVAL, "%s: __metadata__ is not an object", path);
                break;
            }
            if (st->meta_keys) { /* cJSON keeps duplicate keys; the arrays are sized for one */
                st_status = err_set(ERR_INVAL, "%s: __metadata__ appears twice", path);
                break;
            }
            int nm = cJSON_GetArraySize(e);
            st->meta_keys = xcalloc((size_t)nm + 1, sizeof *st->meta_keys);
            st->meta_values = xcalloc((size_t)nm + 1, sizeof *st->meta_values);
            for (const cJSON *m = e->child; m; m = m->next) {
                if (!cJSON_IsString(m)) {
                    st_status = err_set(ERR_INVAL, "%s: __metadata__ '%s' is not a string", path,
                                        m->string);
                    break;
                }
                st->meta_keys[st->nmeta] = xstrdup(m->string);
                st->meta_values[st->nmeta++] = xstrdup(m->valuestring);
            }
            continue;
        }
        st_status = st_entry(path, e, &st->tensors[st->n]);
        if (!st_status) st->n++;
    }
    cJSON_Delete(root);
    if (st_status) return st_status;
    /* unique names */
    qsort(st->tensors, (size_t)st->n, sizeof *st->tensors, st_cmp_name);
    for (int i = 1; i < st->n; i++)
        if (strcmp(st->tensors[i - 1].name, st->tensors[i].name) == 0)
            return err_set(ERR_INVAL, "%s: tensor '%s' appears twice", path, st->tensors[i].name);
    /* inside the buffer, no overlap, no hole */
    qsort(st->tensors, (size_t)st->n, sizeof *st->tensors, st_cmp_begin);
    uint64_t pos = 0;
    for (int i = 0; i < st->n; i++) {
        const StTensor *t = &st->tensors[i];
        if (t->end > st->data_len)
            return err_set(ERR_INVAL, "%s: tensor '%s': data_offsets [%llu, %llu] beyond the %llu-byte buffer",
                           path, t->name, (unsigned long long)t->begin,
                           (unsigned long long)t->end, (unsigned long long)st->data_len);
        if (t->begin == t->end) continue; /* empty tensors occupy no bytes */
        if (t->begin < pos)
            return err_set(ERR_INVAL, "%s: tensor '%s' overlaps the previous tensor", path, t->name);
        if (t->begin > pos)
            return err_set(ERR_INVAL, "%s: tensor '%s': hole of %llu bytes before it", path,
                           t->name, (unsigned long long)(t->begin - pos));
        pos = t->end;
    }
    if (pos != st->data_len)
        return err_set(ERR_INVAL, "%s: %llu trailing bytes not covered by any tensor", path,
                       (unsigned long long)(st->data_len - pos));
    return ERR_OK;
}

int safetensors_open(SafeTensors **out, const char *path)
{
    *out = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return err_set(errno == ENOENT ? ERR_INVAL : ERR_IO, "cannot open '%s': %s", path,
                       strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        close(fd);
        return err_set(ERR_INVAL, "%s: not a regular file", path);
    }
    size_t len = (size_t)sb.st_size;
    if (len < 8) {
        close(fd);
        return err_set(ERR_INVAL, "%s: %zu bytes, too short for a safetensors header", path, len);
    }
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return err_set(ERR_IO, "cannot map '%s': %s", path, strerror(errno));
    const uint8_t *p = map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | p[i]; /* little endian */
    SafeTensors *st = xcalloc(1, sizeof *st);
    st->map = map;
    st->map_len = len;
    int status;
    if (hlen > ST_HEADER_MAX || hlen > len - 8) {
        status = err_set(ERR_INVAL, "%s: header length %llu exceeds the file (%zu bytes) or %u",
                         path, (unsigned long long)hlen, len, ST_HEADER_MAX);
    } else if (hlen < 2 || p[8] != '{') {
        status = err_set(ERR_INVAL, "%s: header does not start with '{'", path);
    } else {
        st->data = p + 8 + hlen;
        st->data_len = len - 8 - hlen;
        status = st_parse(st, path, (const char *)p + 8, (size_t)hlen);
    }
    if (status) {
        safetensors_close(st);
        return status;
    }
    *out = st;
    return ERR_OK;
}

void safetensors_close(SafeTensors *st)
{
    if (!st) return;
    if (st->map) munmap(st->map, st->map_len);
    for (int i = 0; i < st->nmeta; i++) {
        free(st->meta_keys[i]);
        free(st->meta_values[i]);
    }
    free(st->meta_keys);
    free(st->meta_values);
    free(st->tensors);
    free(st);
}

const StTensor *safetensors_find(const SafeTensors *st, const char *name)
{
    for (int i = 0; i < st->n; i++)
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    return NULL;
}

const char *safetensors_meta(const SafeTensors *st, const char *key)
{
    for (int i = 0; i < st->nmeta; i++)
        if (strcmp(st->meta_keys[i], key) == 0) return st->meta_values[i];
    return NULL;
}

int safetensors_read_f32(const SafeTensors *st, const StTensor *t, float *dst, int allow_nonfinite)
{
    const uint8_t *src = st->data + t->begin;
    for (uint64_t i = 0; i < t->numel; i++) {
        float v;
        switch (t->dtype) {
        case ST_F32: memcpy(&v, src + 4 * i, 4); break;
        case ST_F16: {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            v = safetensors_f16_to_f32(h);
            break;
        }
        case ST_BF16: {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            v = safetensors_bf16_to_f32(h);
            break;
        }
        case ST_F64: {
            double d;
            memcpy(&d, src + 8 * i, 8);
            v = (float)d;
            break;
        }
        default:
            return err_set(ERR_INVAL, "tensor '%s': dtype %s is not a float type", t->name,
                           st_dtypes[t->dtype].name);
        }
        if (!allow_nonfinite && !isfinite(v))
            return err_set(ERR_INVAL, "tensor '%s': non-finite value at element %llu", t->name,
                           (unsigned long long)i);
        dst[i] = v;
    }
    return ERR_OK;
}

int safetensors_write(const char *path, const StWriteItem *items, int n, const char *const *meta,
                      int nmeta)
{
    cJSON *root = cJSON_CreateObject();
    if (nmeta > 0) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        for (int i = 0; i < nmeta; i++) cJSON_AddStringToObject(m, meta[2 * i], meta[2 * i + 1]);
    }
    uint64_t pos = 0;
    for (int i = 0; i < n; i++) {
        if (cJSON_GetObjectItemCaseSensitive(root, items[i].name)) {
            cJSON_Delete(root);
            return err_set(ERR_INVAL, "safetensors: tensor '%s' given twice", items[i].name);
        }
        cJSON *e = cJSON_AddObjectToObject(root, items[i].name);
        cJSON_AddStringToObject(e, "dtype", "F32");
        cJSON *sh = cJSON_AddArrayToObject(e, "shape");
        uint64_t numel = 1;
        for (int k = 0; k < items[i].ndim; k++) {
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)items[i].shape[k]));
            numel *= (uint64_t)items[i].shape[k];
        }
        cJSON *of = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)pos));
        pos += 4 * numel;
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)pos));
    }
    char *hdr = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    size_t hlen = strlen(hdr), padded = (hlen + 7) & ~(size_t)7; /* align the buffer to 8 bytes */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.part", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(hdr);
        return err_set(ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    }
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    fwrite(len8, 1, 8, f);
    fwrite(hdr, 1, hlen, f);
    for (size_t i = hlen; i < padded; i++) fputc(' ', f);
    free(hdr);
    for (int i = 0; i < n; i++) {
        uint64_t numel = 1;
        for (int k = 0; k < items[i].ndim; k++) numel *= (uint64_t)items[i].shape[k];
        fwrite(items[i].data, 4, numel, f); /* little-endian hosts only (x86-64, aarch64) */
    }
    int bad = ferror(f) || fflush(f) || fsync(fileno(f));
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        unlink(tmp);
        return err_set(ERR_IO, "cannot write '%s'", path);
    }
    return ERR_OK;
}
