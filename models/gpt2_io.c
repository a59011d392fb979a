/* gpt2_io: HF safetensors <-> engine tensors, and llm.c .bin import. The engine's parameter order
 * is llm.c's, with PyTorch Linear layout [out, in]; HF's GPT-2 uses Conv1D, stored [in, out]. */
#include "gpt2_io.h"

#include <cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "err.h"
#include "safetensors.h"
#include "xalloc.h"

/* HF name of engine tensor i (after "h.<layer>." for per-layer tensors) and whether it is a
 * Conv1D weight (stored transposed). Indices follow GPT2_PARAMS. */
static const struct {
    const char *hf;
    int per_layer, conv1d;
} gpt2_hf_names[] = {
    {"wte.weight", 0, 0},          {"wpe.weight", 0, 0},          {"ln_1.weight", 1, 0},
    {"ln_1.bias", 1, 0},           {"attn.c_attn.weight", 1, 1},  {"attn.c_attn.bias", 1, 0},
    {"attn.c_proj.weight", 1, 1},  {"attn.c_proj.bias", 1, 0},    {"ln_2.weight", 1, 0},
    {"ln_2.bias", 1, 0},           {"mlp.c_fc.weight", 1, 1},     {"mlp.c_fc.bias", 1, 0},
    {"mlp.c_proj.weight", 1, 1},   {"mlp.c_proj.bias", 1, 0},     {"ln_f.weight", 0, 0},
    {"ln_f.bias", 0, 0},
};
#define GPT2_NTENSORS ((int)(sizeof gpt2_hf_names / sizeof gpt2_hf_names[0]))

static void hf_name(char *buf, size_t n, const char *prefix, int i, int l)
{
    if (gpt2_hf_names[i].per_layer)
        snprintf(buf, n, "%sh.%d.%s", prefix, l, gpt2_hf_names[i].hf);
    else
        snprintf(buf, n, "%s%s", prefix, gpt2_hf_names[i].hf);
}

/* One layer's slice of engine tensor i: rows x cols in [out, in] layout (rows 0 for vectors). */
static void slice_shape(const Gpt2Tensor *gt, int per_layer, int *rows, int *cols)
{
    int lead = per_layer ? 1 : 0; /* skip the L dimension */
    *rows = gt->ndim - lead == 2 ? gt->shape[lead] : 0;
    *cols = gt->shape[gt->ndim - 1];
}

/* Finds a tensor under either naming ("transformer." prefix or none). */
static const StTensor *st_get(const SafeTensors *st, const char *prefix, const char *name)
{
    char full[ST_NAME_MAX];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    return safetensors_find(st, full);
}

/* n_head from config.json next to the file, or 0. */
static int heads_from_config_json(const char *path)
{
    char dir[4096], cfg[4200];
    snprintf(dir, sizeof dir, "%s", path);
    snprintf(cfg, sizeof cfg, "%s/config.json", dirname(dir));
    FILE *f = fopen(cfg, "r");
    if (!f) return 0;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *j = cJSON_Parse(buf);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "n_head");
    int heads = cJSON_IsNumber(h) && h->valuedouble >= 1 && h->valuedouble < 4096 ? (int)h->valuedouble : 0;
    cJSON_Delete(j);
    return heads;
}

/* Checks the shape of a tensor against the expected (rows, cols) in HF layout. */
static int st_expect(const char *path, const StTensor *t, int ndim, int64_t d0, int64_t d1)
{
    int ok = t->ndim == ndim && t->shape[0] == d0 && (ndim < 2 || t->shape[1] == d1);
    if (ok) return ERR_OK;
    char got[128] = "";
    size_t u = 0;
    for (int k = 0; k < t->ndim && u < sizeof got; k++)
        u += (size_t)snprintf(got + u, sizeof got - u, "%s%lld", k ? ", " : "", (long long)t->shape[k]);
    if (ndim == 1)
        return err_set(ERR_INVAL, "%s: tensor '%s': shape [%s], expected [%lld]", path, t->name,
                       got, (long long)d0);
    return err_set(ERR_INVAL, "%s: tensor '%s': shape [%s], expected [%lld, %lld]", path, t->name,
                   got, (long long)d0, (long long)d1);
}

/* The file's tensor for layer l of engine tensor i, checked against the shape m's config gives
 * (m may be a shell without memory: only its config and Vp are read). */
static int st_tensor_for(const SafeTensors *st, const char *path, const char *prefix,
                         const Gpt2 *m, int i, int l, const StTensor **out)
{
    Gpt2Tensor gt = gpt2_tensor(m, i);
    int rows, cols;
    slice_shape(&gt, gpt2_hf_names[i].per_layer, &rows, &cols);
    char name[ST_NAME_MAX];
    hf_name(name, sizeof name, prefix, i, l);
    const StTensor *t = *out = safetensors_find(st, name);
    if (!t) return err_set(ERR_INVAL, "%s: tensor '%s' is missing", path, name);
    if (rows == 0) return st_expect(path, t, 1, cols, 0);
    if (gpt2_hf_names[i].conv1d) return st_expect(path, t, 2, cols, rows); /* Conv1D: [in, out] */
    return st_expect(path, t, 2, rows, cols);
}

int gpt2_load_safetensors(Gpt2 **out, const char *path, int B, int T)
{
    *out = NULL;
    SafeTensors *st;
    int s = safetensors_open(&st, path);
    if (s) return s;
    Gpt2 *m = NULL;
    float *tmp = NULL;
    const char *prefix = safetensors_find(st, "transformer.wte.weight") ? "transformer." : "";
    const StTensor *wte = st_get(st, prefix, "wte.weight"), *wpe = st_get(st, prefix, "wpe.weight");
    if (!wte || !wpe || wte->ndim != 2 || wpe->ndim != 2 || wte->shape[1] != wpe->shape[1]) {
        s = err_set(ERR_INVAL, "%s: no GPT-2 embeddings (wte.weight [V, C], wpe.weight [T, C])",
                    path);
        goto done;
    }
    Gpt2Config cfg = {.vocab_size = (int)wte->shape[0], .max_seq_len = (int)wpe->shape[0],
                      .channels = (int)wte->shape[1]};
    while (1) { /* layers: h.0 .. h.(L-1) */
        char name[64];
        snprintf(name, sizeof name, "h.%d.ln_1.weight", cfg.num_layers);
        if (!st_get(st, prefix, name)) break;
        cfg.num_layers++;
    }
    const char *nh = safetensors_meta(st, "n_head");
    if (nh) { /* strtol, not atoi: an out-of-range string is UB for atoi */
        long v = strtol(nh, NULL, 10);
        cfg.num_heads = v > INT_MAX ? INT_MAX : v < 0 ? 0 : (int)v; /* config check refuses */
    } else {
        cfg.num_heads = heads_from_config_json(path);
    }
    if (cfg.num_heads <= 0) cfg.num_heads = cfg.channels % 64 == 0 ? cfg.channels / 64 : 1;
    if ((s = gpt2_config_check(&cfg))) {
        err_prefix(s, "%s", path);
        goto done;
    }
    int L = cfg.num_layers;
    /* Every tensor present and of its shape before allocating: the header alone (e.g. a thousand
     * empty "h.N.ln_1.weight") must not make a small file reserve gigabytes. */
    Gpt2 shell = {.config = cfg};
    shell.Vp = (cfg.vocab_size + GPT2_VOCAB_PAD - 1) / GPT2_VOCAB_PAD * GPT2_VOCAB_PAD;
    for (int i = 0; i < GPT2_NTENSORS; i++) {
        for (int l = 0; l < (gpt2_hf_names[i].per_layer ? L : 1); l++) {
            const StTensor *t;
            if ((s = st_tensor_for(st, path, prefix, &shell, i, l, &t))) goto done;
        }
    }
    if ((s = gpt2_alloc(&m, &cfg, B, T))) goto done;
    size_t maxnumel = 0;
    for (int i = 0; i < GPT2_NTENSORS; i++) {
        Gpt2Tensor gt = gpt2_tensor(m, i);
        size_t slice = gt.numel / (gpt2_hf_names[i].per_layer ? (size_t)L : 1);
        if (slice > maxnumel) maxnumel = slice;
    }
    tmp = xmalloc(maxnumel * sizeof *tmp);
    for (int i = 0; i < GPT2_NTENSORS; i++) {
        Gpt2Tensor gt = gpt2_tensor(m, i);
        int per_layer = gpt2_hf_names[i].per_layer, rows, cols;
        slice_shape(&gt, per_layer, &rows, &cols);
        size_t numel = (size_t)(rows ? rows : 1) * (size_t)cols;
        for (int l = 0; l < (per_layer ? L : 1); l++) {
            const StTensor *t;
            if ((s = st_tensor_for(st, path, prefix, m, i, l, &t))) goto done;
            if ((s = safetensors_read_f32(st, t, tmp, 0))) {
                err_prefix(s, "%s", path);
                goto done;
            }
            float *d = m->param_memory + gt.offset + (size_t)l * numel;
            if (gpt2_hf_names[i].conv1d) {
                for (int r = 0; r < rows; r++) /* d[r][c] = W[c][r] */
                    for (int c = 0; c < cols; c++) d[(size_t)r * cols + c] = tmp[(size_t)c * rows + r];
            } else {
                memcpy(d, tmp, numel * sizeof *d);
            }
        }
    }
    /* the rest: causal-mask buffers are skipped; a tied lm_head must equal wte */
    for (int k = 0; k < st->n; k++) {
        const char *name = st->tensors[k].name;
        const char *rest = strncmp(name, prefix, strlen(prefix)) == 0 ? name + strlen(prefix) : name;
        if (strstr(rest, ".attn.bias") || strstr(rest, ".attn.masked_bias")) continue;
        if (strcmp(name, "lm_head.weight") == 0) {
            const StTensor *t = &st->tensors[k];
            if ((s = st_expect(path, t, 2, cfg.vocab_size, cfg.channels))) goto done;
            float *w = xmalloc(t->numel * sizeof *w);
            s = safetensors_read_f32(st, t, w, 0);
            int same = !s && memcmp(w, m->params.wte, t->numel * sizeof *w) == 0;
            free(w);
            if (s) goto done;
            if (!same) {
                s = err_set(ERR_INVAL, "%s: tensor 'lm_head.weight' differs from wte (untied heads "
                                       "are not supported)", path);
                goto done;
            }
            continue;
        }
        int known = 0;
        for (int i = 0; i < GPT2_NTENSORS && !known; i++) {
            for (int l = 0; l < L && !known; l++) {
                char nm[ST_NAME_MAX];
                hf_name(nm, sizeof nm, prefix, i, l);
                known = strcmp(nm, name) == 0;
            }
        }
        if (!known) {
            s = err_set(ERR_INVAL, "%s: unexpected tensor '%s' (not part of GPT-2 with %d layers)",
                        path, name, L);
            goto done;
        }
    }
done:
    free(tmp);
    safetensors_close(st);
    if (s) {
        gpt2_free(m);
        return s;
    }
    *out = m;
    return ERR_OK;
}

int gpt2_save_safetensors(const Gpt2 *m, const char *path)
{
    const Gpt2Config *cfg = &m->config;
    int L = cfg->num_layers, n = 0;
    StWriteItem *items = xcalloc((size_t)GPT2_NTENSORS * (size_t)L, sizeof *items);
    char (*names)[ST_NAME_MAX] = xcalloc((size_t)GPT2_NTENSORS * (size_t)L, sizeof *names);
    float **bufs = xcalloc((size_t)GPT2_NTENSORS * (size_t)L, sizeof *bufs);
    for (int i = 0; i < GPT2_NTENSORS; i++) {
        Gpt2Tensor gt = gpt2_tensor(m, i);
        int per_layer = gpt2_hf_names[i].per_layer, rows, cols;
        slice_shape(&gt, per_layer, &rows, &cols);
        size_t numel = (size_t)(rows ? rows : 1) * (size_t)cols;
        for (int l = 0; l < (per_layer ? L : 1); l++, n++) {
            hf_name(names[n], ST_NAME_MAX, "transformer.", i, l);
            items[n].name = names[n];
            const float *src = m->param_memory + gt.offset + (size_t)l * numel;
            if (gpt2_hf_names[i].conv1d) { /* engine [out=rows, in=cols] -> HF [in, out] */
                float *t = bufs[n] = xmalloc(numel * sizeof *t);
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < cols; c++) t[(size_t)c * rows + r] = src[(size_t)r * cols + c];
                items[n].data = t;
                items[n].ndim = 2;
                items[n].shape[0] = cols;
                items[n].shape[1] = rows;
            } else {
                items[n].data = src;
                items[n].ndim = rows ? 2 : 1;
                items[n].shape[0] = rows ? rows : cols;
                items[n].shape[1] = cols;
            }
        }
    }
    char v[5][32];
    snprintf(v[0], sizeof v[0], "%d", cfg->num_heads);
    snprintf(v[1], sizeof v[1], "%d", cfg->max_seq_len);
    snprintf(v[2], sizeof v[2], "%d", cfg->channels);
    snprintf(v[3], sizeof v[3], "%d", L);
    snprintf(v[4], sizeof v[4], "%d", cfg->vocab_size);
    const char *meta[] = {"format", "pt", "n_head", v[0], "n_ctx", v[1],
                          "n_embd", v[2], "n_layer", v[3], "vocab_size", v[4]};
    int s = safetensors_write(path, items, n, meta, 6);
    for (int i = 0; i < n; i++) free(bufs[i]);
    free(bufs);
    free(names);
    free(items);
    return s;
}

/* ---- llm.c ----------------------------------------------------------------------------------- */

int gpt2_load_llmc(Gpt2 **out, const char *path, int B, int T)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(errno == ENOENT ? ERR_INVAL : ERR_IO, "cannot open '%s': %s", path,
                       strerror(errno));
    int32_t h[256];
    Gpt2 *m = NULL;
    int s = ERR_OK;
    struct stat sb;
    if (fstat(fileno(f), &sb) || fread(h, sizeof h, 1, f) != 1) {
        s = err_set(ERR_INVAL, "%s: shorter than the 1024-byte llm.c header", path);
        goto done;
    }
    if (h[0] != GPT2_LLMC_MAGIC) {
        s = err_set(ERR_INVAL, "%s: header: magic %d, expected %d (not an llm.c checkpoint)", path,
                    h[0], GPT2_LLMC_MAGIC);
        goto done;
    }
    if (h[1] != 3 && h[1] != 5) {
        s = err_set(ERR_INVAL, "%s: header: version %d, expected 3 (fp32) or 5 (bf16)", path, h[1]);
        goto done;
    }
    Gpt2Config cfg = {.max_seq_len = h[2], .vocab_size = h[3], .num_layers = h[4],
                      .num_heads = h[5], .channels = h[6]};
    int Vp = h[7];
    if ((s = gpt2_config_check(&cfg))) {
        err_prefix(s, "%s: header", path);
        goto done;
    }
    if (Vp < cfg.vocab_size || Vp > cfg.vocab_size + 4096) {
        s = err_set(ERR_INVAL, "%s: header: padded vocabulary %d outside [V=%d, V+4096]", path, Vp,
                    cfg.vocab_size);
        goto done;
    }
    size_t elt = h[1] == 3 ? 4 : 2;
    size_t total = gpt2_config_num_params(&cfg) + (size_t)(Vp - cfg.vocab_size) * cfg.channels;
    if ((uint64_t)sb.st_size != 1024 + total * elt) {
        s = err_set(ERR_INVAL, "%s: %lld bytes, expected %zu for this header (truncated or padded)",
                    path, (long long)sb.st_size, 1024 + total * elt);
        goto done;
    }
    if ((s = gpt2_alloc(&m, &cfg, B, T))) goto done;
    enum { CHUNK = 65536 };
    uint16_t *half = xmalloc(CHUNK * sizeof *half);
    float *buf = xmalloc(CHUNK * sizeof *buf);
    for (int i = 0; i < gpt2_tensor_count() && !s; i++) {
        Gpt2Tensor gt = gpt2_tensor(m, i);
        size_t file_numel = i == 0 ? (size_t)Vp * cfg.channels : gt.numel;
        float *dst = m->param_memory + gt.offset;
        for (size_t k = 0; k < file_numel && !s;) {
            size_t chunk = file_numel - k < CHUNK ? file_numel - k : CHUNK;
            if (elt == 4) {
                if (fread(buf, 4, chunk, f) != chunk) s = err_set(ERR_IO, "%s: read failed", path);
            } else {
                if (fread(half, 2, chunk, f) != chunk) s = err_set(ERR_IO, "%s: read failed", path);
                for (size_t j = 0; j < chunk; j++) buf[j] = safetensors_bf16_to_f32(half[j]);
            }
            for (size_t j = 0; j < chunk && !s; j++) {
                size_t e = k + j;
                if (i == 0 && e >= gt.numel) continue; /* llm.c's padded rows */
                if (!isfinite(buf[j]))
                    s = err_set(ERR_INVAL, "%s: tensor '%s': non-finite value at element %zu", path,
                                gt.name, e);
                dst[e] = buf[j];
            }
            k += chunk;
        }
    }
    free(half);
    free(buf);
done:
    fclose(f);
    if (s) {
        gpt2_free(m);
        return s;
    }
    *out = m;
    return ERR_OK;
}

int gpt2_save_llmc(const Gpt2 *m, const char *path)
{
    const Gpt2Config *c = &m->config;
    int32_t h[256] = {GPT2_LLMC_MAGIC, 3, c->max_seq_len, c->vocab_size, c->num_layers,
                      c->num_heads, c->channels, m->Vp};
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.part", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return err_set(ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    fwrite(h, sizeof h, 1, f);
    for (int i = 0; i < gpt2_tensor_count(); i++) {
        Gpt2Tensor gt = gpt2_tensor(m, i);
        const float *src = m->param_memory + gt.offset;
        fwrite(src, 4, gt.numel, f);
        if (i == 0) /* padded rows, zero */
            for (size_t k = gt.numel; k < (size_t)m->Vp * c->channels; k++) fwrite(&(float){0}, 4, 1, f);
    }
    int bad = ferror(f) || fflush(f) || fsync(fileno(f));
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        unlink(tmp);
        return err_set(ERR_IO, "cannot write '%s'", path);
    }
    return ERR_OK;
}

/* ---- format detection -------------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int gpt2_load_any(Gpt2 **out, const char *path, int B, int T)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(errno == ENOENT ? ERR_INVAL : ERR_IO, "cannot open '%s': %s", path,
                       strerror(errno));
    unsigned char head[8] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    if (got == 8 && memcmp(head, "BIASGPT2", 8) == 0) {
        CheckpointInfo info;
        int s = checkpoint_peek(path, &info);
        if (s) return s;
        if (T > info.config.max_seq_len) T = info.config.max_seq_len;
        Gpt2 *m;
        if ((s = gpt2_alloc(&m, &info.config, B, T))) return s;
        if ((s = checkpoint_load(path, m, NULL))) {
            gpt2_free(m);
            return s;
        }
        *out = m;
        return ERR_OK;
    }
    int32_t magic;
    memcpy(&magic, head, sizeof magic);
    if (got >= 4 && magic == GPT2_LLMC_MAGIC) {
        /* T is clamped after reading the header: peek at maxT first */
        FILE *h = fopen(path, "rb");
        int32_t hdr[3] = {0};
        size_t ok = h ? fread(hdr, sizeof(int32_t), 3, h) : 0;
        if (h) fclose(h);
        if (ok == 3 && hdr[2] > 0 && T > hdr[2]) T = hdr[2];
        return gpt2_load_llmc(out, path, B, T);
    }
    /* safetensors: the context comes from wpe; clamp by trying the largest that fits */
    SafeTensors *st;
    int s = safetensors_open(&st, path);
    if (s) return err_prefix(s, "not a biasamp checkpoint, llm.c .bin or safetensors file");
    const StTensor *wpe = safetensors_find(st, "transformer.wpe.weight");
    if (!wpe) wpe = safetensors_find(st, "wpe.weight");
    if (wpe && wpe->ndim == 2 && wpe->shape[0] > 0 && T > wpe->shape[0]) T = (int)wpe->shape[0];
    safetensors_close(st);
    return gpt2_load_safetensors(out, path, B, T);
}

int gpt2_save_any(const Gpt2 *m, const char *path)
{
    if (ends_with(path, ".safetensors")) return gpt2_save_safetensors(m, path);
    if (ends_with(path, ".bin")) return gpt2_save_llmc(m, path);
    return checkpoint_save(path, m, NULL);
}
