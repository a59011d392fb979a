/* checkpoint: save/peek/load of biasamp's GPT-2 checkpoint format (layout in checkpoint.h).
 * The constraint: every byte read from a file is validated before use; a load copies nothing
 * until sizes, tensor table and CRC-32 have all been checked. */
#include "checkpoint.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "err.h"
#include "xalloc.h"

static const char MAGIC[8] = {'B', 'I', 'A', 'S', 'G', 'P', 'T', '2'};
static const char END_MAGIC[8] = {'G', 'P', 'T', '2', 'E', 'N', 'D', '\0'};
enum {
    FIXED_BYTES = 8 + 4 + 4 + 5 * 4 + 4 + 8 + 4 * 4 + 4, /* through ntensors */
    ENTRY_BYTES = 16 + 4 + 3 * 4 + 8,
    TRAILER_BYTES = 4 + 8,
    MAX_HEADER = 1 << 20,
    FLAG_OPTIMIZER = 1
};

/* ---- writing ---- */

typedef struct Writer {
    FILE *f;
    uLong crc;
    int failed;
} Writer;

static void put(Writer *w, const void *p, size_t n)
{
    if (w->failed || n == 0) return;
    if (fwrite(p, 1, n, w->f) != n) w->failed = 1;
    const unsigned char *b = p;
    while (n > 0) { /* crc32 takes a uInt length */
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        w->crc = crc32(w->crc, b, k);
        b += k;
        n -= k;
    }
}

static void put_u32(Writer *w, uint32_t v) { put(w, &v, 4); }
static void put_u64(Writer *w, uint64_t v) { put(w, &v, 8); }
static void put_f32(Writer *w, float v) { put(w, &v, 4); }

static size_t header_bytes(int ntensors)
{
    return ((size_t)FIXED_BYTES + (size_t)ntensors * ENTRY_BYTES + 63) & ~(size_t)63;
}

/* Tensor data in table order from a slab laid out like the parameters (params, m or v). */
static void put_tensors(Writer *w, const Gpt2 *m, const float *slab)
{
    for (int i = 0; i < gpt2_tensor_count(); i++) {
        Gpt2Tensor t = gpt2_tensor(m, i);
        put(w, slab + t.offset, t.numel * sizeof(float));
    }
}

static int fsync_dir(const char *path)
{
    char *copy = xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int checkpoint_save(const char *path, const Gpt2 *m, const AdamW *opt)
{
    if (opt && opt->n != m->num_params)
        return err_set(ERR_INVAL, "checkpoint '%s': optimizer slab (%zu) does not match the model "
                       "(%zu)", path, opt->n, m->num_params);
    /* a diverged model is never written: the previous file (the last good weights) stays */
    for (int i = 0; i < gpt2_tensor_count(); i++) {
        Gpt2Tensor t = gpt2_tensor(m, i);
        for (size_t k = 0; k < t.numel; k++)
            if (!isfinite(m->param_memory[t.offset + k]))
                return err_set(ERR_NUMERIC, "checkpoint '%s': tensor '%s' has a non-finite weight "
                               "at element %zu: not written (an earlier file is kept)", path,
                               t.name, k);
    }
    size_t plen = strlen(path);
    char *tmp = xmalloc(plen + 16);
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return err_set(ERR_IO, "checkpoint '%s': cannot create a temporary file: %s", path,
                       strerror(e));
    }
    Writer w = {.f = fdopen(fd, "wb"), .crc = crc32(0L, Z_NULL, 0)};
    if (!w.f) {
        close(fd);
        unlink(tmp);
        free(tmp);
        return err_set(ERR_IO, "checkpoint '%s': fdopen failed", path);
    }
    setvbuf(w.f, NULL, _IOFBF, 1 << 20);
    int nt = gpt2_tensor_count();
    size_t hb = header_bytes(nt);
    const Gpt2Config *c = &m->config;
    AdamWConfig ac = opt ? opt->cfg : (AdamWConfig){0};
    put(&w, MAGIC, 8);
    put_u32(&w, CHECKPOINT_VERSION);
    put_u32(&w, (uint32_t)hb);
    put_u32(&w, (uint32_t)c->max_seq_len);
    put_u32(&w, (uint32_t)c->vocab_size);
    put_u32(&w, (uint32_t)c->num_layers);
    put_u32(&w, (uint32_t)c->num_heads);
    put_u32(&w, (uint32_t)c->channels);
    put_u32(&w, opt ? FLAG_OPTIMIZER : 0);
    put_u64(&w, opt ? (uint64_t)opt->t : 0);
    put_f32(&w, ac.beta1);
    put_f32(&w, ac.beta2);
    put_f32(&w, ac.eps);
    put_f32(&w, ac.weight_decay);
    put_u32(&w, (uint32_t)nt);
    for (int i = 0; i < nt; i++) {
        Gpt2Tensor t = gpt2_tensor(m, i);
        char name[16] = {0};
        snprintf(name, sizeof name, "%s", t.name);
        put(&w, name, 16);
        put_u32(&w, (uint32_t)t.ndim);
        for (int d = 0; d < 3; d++) put_u32(&w, d < t.ndim ? (uint32_t)t.shape[d] : 0);
        put_u64(&w, t.numel);
    }
    static const char zeros[64];
    put(&w, zeros, hb - (FIXED_BYTES + (size_t)nt * ENTRY_BYTES));
    put_tensors(&w, m, m->param_memory);
    if (opt) {
        put_tensors(&w, m, opt->m);
        put_tensors(&w, m, opt->v);
    }
    uint32_t crc = (uint32_t)w.crc;
    put(&w, &crc, 4);
    put(&w, END_MAGIC, 8);
    int failed = w.failed || fflush(w.f) != 0 || fsync(fileno(w.f)) != 0;
    int e = errno;
    failed |= fclose(w.f) != 0;
    if (!failed && rename(tmp, path) != 0) {
        failed = 1;
        e = errno;
    }
    if (failed) {
        unlink(tmp);
        free(tmp);
        return err_set(ERR_IO, "checkpoint '%s': write failed: %s", path, strerror(e));
    }
    free(tmp);
    fsync_dir(path); /* best effort: the rename is durable once the directory is */
    return ERR_OK;
}

/* ---- reading ---- */

static int get(FILE *f, void *p, size_t n, const char *path, const char *what)
{
    if (fread(p, 1, n, f) != n)
        return err_set(ERR_INVAL, "checkpoint '%s': truncated while reading %s", path, what);
    return ERR_OK;
}

static uint32_t u32_at(const unsigned char *b) { uint32_t v; memcpy(&v, b, 4); return v; }
static uint64_t u64_at(const unsigned char *b) { uint64_t v; memcpy(&v, b, 8); return v; }
static float f32_at(const unsigned char *b) { float v; memcpy(&v, b, 4); return v; }

/* A Gpt2 shell (no memory) for the tensor table of a config. */
static Gpt2 shell_of(const Gpt2Config *c)
{
    Gpt2 s = {0};
    s.config = *c;
    s.Vp = (c->vocab_size + GPT2_VOCAB_PAD - 1) / GPT2_VOCAB_PAD * GPT2_VOCAB_PAD;
    return s;
}

static size_t table_floats(const Gpt2 *shell)
{
    size_t n = 0;
    for (int i = 0; i < gpt2_tensor_count(); i++) n += gpt2_tensor(shell, i).numel;
    return n;
}

/* Validates everything but the checksum; leaves f positioned at the data. */
static int read_header(FILE *f, const char *path, CheckpointInfo *info, size_t *hb_out)
{
    unsigned char fixed[FIXED_BYTES];
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0)
        return err_set(ERR_IO, "checkpoint '%s': %s", path, strerror(errno));
    size_t got = fread(fixed, 1, sizeof fixed, f);
    if (got >= 8 && memcmp(fixed, MAGIC, 8) != 0)
        return err_set(ERR_INVAL, "checkpoint '%s': not a biasamp GPT-2 checkpoint (bad magic)",
                       path);
    if (got < sizeof fixed)
        return err_set(ERR_INVAL, "checkpoint '%s': too short to be a checkpoint (%lld bytes)",
                       path, (long long)sb.st_size);
    uint32_t version = u32_at(fixed + 8), hb = u32_at(fixed + 12);
    if (version != CHECKPOINT_VERSION)
        return err_set(ERR_INVAL, "checkpoint '%s': version %u, this build reads version %d",
                       path, version, CHECKPOINT_VERSION);
    uint32_t cfgv[5], flags = u32_at(fixed + 36), nt = u32_at(fixed + 64);
    for (int i = 0; i < 5; i++) cfgv[i] = u32_at(fixed + 16 + 4 * i);
    for (int i = 0; i < 5; i++)
        if (cfgv[i] > (uint32_t)INT32_MAX)
            return err_set(ERR_INVAL, "checkpoint '%s': config field %d out of range", path, i);
    Gpt2Config c = {.max_seq_len = (int)cfgv[0], .vocab_size = (int)cfgv[1],
                    .num_layers = (int)cfgv[2], .num_heads = (int)cfgv[3],
                    .channels = (int)cfgv[4]};
    int rc = gpt2_config_check(&c);
    if (rc) return err_prefix(rc, "checkpoint '%s'", path);
    if (flags & ~(uint32_t)FLAG_OPTIMIZER)
        return err_set(ERR_INVAL, "checkpoint '%s': unknown flags 0x%x", path, flags);
    if ((int)nt != gpt2_tensor_count())
        return err_set(ERR_INVAL, "checkpoint '%s': %u tensors, expected %d", path, nt,
                       gpt2_tensor_count());
    if (hb != header_bytes((int)nt) || hb > MAX_HEADER)
        return err_set(ERR_INVAL, "checkpoint '%s': header size %u, expected %zu", path, hb,
                       header_bytes((int)nt));
    info->config = c;
    info->has_optimizer = flags & FLAG_OPTIMIZER;
    info->step = info->has_optimizer ? (long long)u64_at(fixed + 40) : 0;
    info->adamw = (AdamWConfig){.beta1 = f32_at(fixed + 48), .beta2 = f32_at(fixed + 52),
                                .eps = f32_at(fixed + 56), .weight_decay = f32_at(fixed + 60)};
    info->bytes = (long long)sb.st_size;
    if (info->has_optimizer) {
        if (info->step < 0)
            return err_set(ERR_INVAL, "checkpoint '%s': negative optimizer step", path);
        rc = adamw_config_check(&info->adamw);
        if (rc) return err_prefix(rc, "checkpoint '%s'", path);
    }
    Gpt2 shell = shell_of(&c);
    for (uint32_t i = 0; i < nt; i++) {
        unsigned char e[ENTRY_BYTES];
        rc = get(f, e, sizeof e, path, "the tensor table");
        if (rc) return rc;
        Gpt2Tensor t = gpt2_tensor(&shell, (int)i);
        char name[17] = {0};
        memcpy(name, e, 16);
        int ok = strcmp(name, t.name) == 0 && (int)u32_at(e + 16) == t.ndim &&
                 u64_at(e + 32) == t.numel;
        for (int d = 0; d < 3 && ok; d++)
            ok = u32_at(e + 20 + 4 * d) == (d < t.ndim ? (uint32_t)t.shape[d] : 0);
        if (!ok)
            return err_set(ERR_INVAL, "checkpoint '%s': tensor %u is not '%s' of the expected "
                           "shape for this config", path, i, t.name);
    }
    long long expect = (long long)hb +
                       (long long)table_floats(&shell) * 4 * (info->has_optimizer ? 3 : 1) +
                       TRAILER_BYTES;
    if (info->bytes < expect)
        return err_set(ERR_INVAL, "checkpoint '%s': truncated (%lld bytes, expected %lld)", path,
                       info->bytes, expect);
    if (info->bytes > expect)
        return err_set(ERR_INVAL, "checkpoint '%s': %lld trailing bytes after the data", path,
                       info->bytes - expect);
    if (fseek(f, (long)hb, SEEK_SET) != 0)
        return err_set(ERR_IO, "checkpoint '%s': seek failed", path);
    *hb_out = hb;
    return ERR_OK;
}

static FILE *open_read(const char *path, int *rc)
{
    FILE *f = fopen(path, "rb");
    if (!f) *rc = err_set(ERR_IO, "checkpoint '%s': cannot open: %s", path, strerror(errno));
    return f;
}

int checkpoint_peek(const char *path, CheckpointInfo *info)
{
    int rc = ERR_OK;
    FILE *f = open_read(path, &rc);
    if (!f) return rc;
    size_t hb;
    rc = read_header(f, path, info, &hb);
    fclose(f);
    return rc;
}

/* The tensor holding weight element k (table order, numel without padding) and k's index in it. */
static const char *tensor_of(const Gpt2 *m, size_t k, size_t *at)
{
    for (int i = 0; i < gpt2_tensor_count(); i++) {
        Gpt2Tensor t = gpt2_tensor(m, i);
        if (k < t.numel) {
            *at = k;
            return t.name;
        }
        k -= t.numel;
    }
    *at = k;
    return "?";
}

/* CRC-32 of the file's first `len` bytes, then the trailer check. The weights (nw float32 from
 * byte w0) are checked for non-finite values on the way: a diverged model is refused by name. */
static int verify_crc(FILE *f, const char *path, long long len, const Gpt2 *m, long long w0,
                      long long nw)
{
    if (fseek(f, 0, SEEK_SET) != 0) return err_set(ERR_IO, "checkpoint '%s': seek failed", path);
    enum { BUF = 1 << 20 };
    unsigned char *buf = xmalloc(BUF);
    uLong crc = crc32(0L, Z_NULL, 0);
    long long left = len;
    int rc = ERR_OK;
    while (left > 0 && !rc) {
        size_t k = left > BUF ? BUF : (size_t)left;
        long long pos = len - left; /* file offset of buf[0]; BUF and w0 are multiples of 4 */
        if (fread(buf, 1, k, f) != k) rc = err_set(ERR_IO, "checkpoint '%s': read failed", path);
        else crc = crc32(crc, buf, (uInt)k);
        long long a = pos > w0 ? pos : w0, b = pos + (long long)k < w0 + 4 * nw ?
                                               pos + (long long)k : w0 + 4 * nw;
        for (long long o = a; o < b && !rc; o += 4) {
            float v;
            memcpy(&v, buf + (o - pos), 4);
            if (!isfinite(v)) {
                size_t at;
                const char *name = tensor_of(m, (size_t)((o - w0) / 4), &at);
                rc = err_set(ERR_INVAL, "checkpoint '%s': tensor '%s': non-finite weight at "
                             "element %zu", path, name, at);
            }
        }
        left -= (long long)k;
    }
    unsigned char tr[TRAILER_BYTES];
    if (!rc) rc = get(f, tr, sizeof tr, path, "the trailer");
    if (!rc && memcmp(tr + 4, END_MAGIC, 8) != 0)
        rc = err_set(ERR_INVAL, "checkpoint '%s': bad end marker (corrupt or truncated)", path);
    if (!rc && u32_at(tr) != (uint32_t)crc)
        rc = err_set(ERR_INVAL, "checkpoint '%s': checksum mismatch (corrupt file)", path);
    free(buf);
    return rc;
}

static int get_tensors(FILE *f, const char *path, Gpt2 *m, float *slab, const char *what)
{
    for (int i = 0; i < gpt2_tensor_count(); i++) {
        Gpt2Tensor t = gpt2_tensor(m, i);
        int rc = get(f, slab + t.offset, t.numel * sizeof(float), path, what);
        if (rc) return rc;
        memset(slab + t.offset + t.numel, 0, (t.size - t.numel) * sizeof(float)); /* padding */
    }
    return ERR_OK;
}

int checkpoint_load(const char *path, Gpt2 *m, AdamW *opt)
{
    int rc = ERR_OK;
    FILE *f = open_read(path, &rc);
    if (!f) return rc;
    CheckpointInfo info;
    size_t hb;
    rc = read_header(f, path, &info, &hb);
    const Gpt2Config *a = &info.config, *b = &m->config;
    if (!rc && (a->max_seq_len != b->max_seq_len || a->vocab_size != b->vocab_size ||
                a->num_layers != b->num_layers || a->num_heads != b->num_heads ||
                a->channels != b->channels))
        rc = err_set(ERR_INVAL, "checkpoint '%s': config (maxT %d, V %d, L %d, NH %d, C %d) "
                     "differs from the model's (maxT %d, V %d, L %d, NH %d, C %d)", path,
                     a->max_seq_len, a->vocab_size, a->num_layers, a->num_heads, a->channels,
                     b->max_seq_len, b->vocab_size, b->num_layers, b->num_heads, b->channels);
    if (!rc && opt && !info.has_optimizer)
        rc = err_set(ERR_INVAL, "checkpoint '%s': holds no optimizer state", path);
    if (!rc && opt && opt->n != m->num_params)
        rc = err_set(ERR_INVAL, "checkpoint '%s': optimizer slab does not match the model", path);
    long long nw = 0;
    for (int i = 0; i < gpt2_tensor_count() && !rc; i++) nw += (long long)gpt2_tensor(m, i).numel;
    if (!rc) rc = verify_crc(f, path, info.bytes - TRAILER_BYTES, m, (long long)hb, nw);
    if (!rc && fseek(f, (long)hb, SEEK_SET) != 0)
        rc = err_set(ERR_IO, "checkpoint '%s': seek failed", path);
    if (!rc) rc = get_tensors(f, path, m, m->param_memory, "the weights");
    if (!rc && opt) {
        rc = get_tensors(f, path, m, opt->m, "the first moments");
        if (!rc) rc = get_tensors(f, path, m, opt->v, "the second moments");
        if (!rc) {
            opt->t = info.step;
            opt->cfg = info.adamw;
        }
    }
    fclose(f);
    return rc;
}
