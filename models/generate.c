/* generate: KV-cache inference for GPT-2. One step runs a set of token rows — prompt chunks being
 * prefilled and single tokens being decoded, from any mix of sequences — through every layer with
 * shared matmuls; each row attends to its own sequence's cache. Rows are independent of each
 * other in every op, so results do not depend on the batch. */
#include "generate.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "kernels.h"
#include "layers.h"
#include "par.h"
#include "rng.h"
#include "xalloc.h"

struct Gen {
    const Gpt2 *m;
    int S, maxT, R; /* slots, cache length, rows per step */
    int L, C, NH, V, Vp;
    float *kc, *vc;                  /* (L, S, maxT, C) */
    int *row_slot, *row_pos, *row_tok; /* (R) */
    float *x, *ln, *qkv, *atty, *proj, *fch, *fchg; /* (R, C|3C|4C) */
    float *mean, *rstd;              /* (R) */
    float *lnf, *logits;             /* (S, C), (S, Vp) */
    float *att;                      /* (threads, maxT) softmax scratch */
    int *which;                      /* (S) rows whose logits are wanted */
    int nthreads;
    double *cap_block, *cap_mlp;     /* capture sums (L, C), (L, 4C), NULL when off */
    long cap_rows;
    const Gpt2Params *p;             /* the weights used: &m->params, or &bp in bfloat16 mode */
    Gpt2Params bp;                   /* bfloat16 mode: views into bmem */
    float *bmem;                     /* a copy of the parameters, matmul weights rounded */
    void *pk;                        /* NULL, or the matmul weights packed for few-row products:
                                      * float (kernels_pack), or bfloat16 (kernels_bf16_pack)
                                      * when bmem exists */
    size_t pk_layer[4], pk_stride, pk_wte; /* offsets in pk: layer l's qkv, attproj, fc, fcproj
                                            * at l * pk_stride + pk_layer[i]; the LM head */
    int split;                       /* gen_blocks_many splits its prompts over MPI ranks */
};

GenOpts gen_opts_default(void)
{
    return (GenOpts){.max_new = 64, .greedy = 1, .temperature = 1.0f, .top_k = 0, .top_p = 1.0f,
                     .eot = 50256, .seed = 1};
}

int gen_alloc(Gen **out, const Gpt2 *m, int slots, int max_len, int rows)
{
    *out = NULL;
    const Gpt2Config *c = &m->config;
    if (slots < 1 || rows < slots || max_len < 2 || max_len > c->max_seq_len)
        return err_set(ERR_INVAL, "generate: need 1 <= slots <= rows and 2 <= max_len <= %d "
                                  "(got slots %d, rows %d, max_len %d)",
                       c->max_seq_len, slots, rows, max_len);
    Gen *g = xcalloc(1, sizeof *g);
    g->m = m;
    g->S = slots;
    g->maxT = max_len;
    g->R = rows;
    g->L = c->num_layers;
    g->C = c->channels;
    g->NH = c->num_heads;
    g->V = c->vocab_size;
    g->Vp = m->Vp;
    size_t L = (size_t)g->L, C = (size_t)g->C, R = (size_t)rows, S = (size_t)slots;
    g->kc = xcalloc_aligned(L * S * (size_t)max_len * C, sizeof(float));
    g->vc = xcalloc_aligned(L * S * (size_t)max_len * C, sizeof(float));
    g->row_slot = xcalloc(R, sizeof(int));
    g->row_pos = xcalloc(R, sizeof(int));
    g->row_tok = xcalloc(R, sizeof(int));
    g->x = xcalloc_aligned(R * C, sizeof(float));
    g->ln = xcalloc_aligned(R * C, sizeof(float));
    g->qkv = xcalloc_aligned(R * 3 * C, sizeof(float));
    g->atty = xcalloc_aligned(R * C, sizeof(float));
    g->proj = xcalloc_aligned(R * C, sizeof(float));
    g->fch = xcalloc_aligned(R * 4 * C, sizeof(float));
    g->fchg = xcalloc_aligned(R * 4 * C, sizeof(float));
    g->mean = xcalloc(R, sizeof(float));
    g->rstd = xcalloc(R, sizeof(float));
    g->lnf = xcalloc_aligned(S * C, sizeof(float));
    g->logits = xcalloc_aligned(S * (size_t)g->Vp, sizeof(float));
#ifdef _OPENMP
    g->nthreads = omp_get_max_threads();
#else
    g->nthreads = 1;
#endif
    g->att = xcalloc((size_t)g->nthreads * (size_t)max_len, sizeof(float));
    g->which = xcalloc(S, sizeof(int));
    g->p = &m->params;
    *out = g;
    return ERR_OK;
}

void gen_free(Gen *g)
{
    if (!g) return;
    xfree_aligned(g->kc);
    xfree_aligned(g->vc);
    free(g->row_slot);
    free(g->row_pos);
    free(g->row_tok);
    xfree_aligned(g->x);
    xfree_aligned(g->ln);
    xfree_aligned(g->qkv);
    xfree_aligned(g->atty);
    xfree_aligned(g->proj);
    xfree_aligned(g->fch);
    xfree_aligned(g->fchg);
    free(g->mean);
    free(g->rstd);
    xfree_aligned(g->lnf);
    xfree_aligned(g->logits);
    free(g->att);
    free(g->which);
    xfree_aligned(g->bmem);
    xfree_aligned(g->pk);
    free(g);
}

/* Packs the (OC, K) matrix wl at offset `at` of g->pk, in float, or in bfloat16 after which wl
 * (in g's own copy of the parameters) is rounded to the values packed. */
static void gen_pack(Gen *g, size_t at, float *wl, int K, int OC)
{
    if (!g->bmem) {
        kernels_pack((float *)g->pk + at, wl, K, OC);
        return;
    }
    kernels_bf16_pack((uint16_t *)g->pk + at, wl, K, OC);
    size_t n = (size_t)OC * (size_t)K;
    KERNELS_OMP(parallel for schedule(static))
    for (size_t j = 0; j < n; j++) wl[j] = kernels_bf16_round(wl[j]);
}

int gen_set_weights(Gen *g, GenWeights w)
{
    const Gpt2 *m = g->m;
    if (w != GEN_F32 && w != GEN_F32_PACKED && w != GEN_BF16)
        return err_set(ERR_INVAL, "generate: unknown weight format %d", (int)w);
    if (g->pk || g->bmem) return err_set(ERR_INVAL, "generate: the weight format is already set");
    if (w == GEN_F32) return ERR_OK;
    int C = g->C, OCs[4] = {3 * C, C, 4 * C, C}, Ks[4] = {C, C, C, 4 * C};
    if (w == GEN_BF16) { /* a copy of the parameters whose matmul weights get rounded */
        g->bmem = xcalloc_aligned(m->num_params, sizeof(float));
        memcpy(g->bmem, m->param_memory, m->num_params * sizeof(float));
#define GEN_VIEW(name, per_layer, rows, cols, decay) \
    g->bp.name = g->bmem + (m->params.name - m->param_memory);
        GPT2_PARAMS(GEN_VIEW)
#undef GEN_VIEW
        g->p = &g->bp;
    }
    const Gpt2Params *p = g->p;
    float *wts[4] = {p->qkvw, p->attprojw, p->fcw, p->fcprojw};
    size_t off = 0;
    for (int i = 0; i < 4; i++) {
        g->pk_layer[i] = off;
        off += kernels_packed_len(Ks[i], OCs[i]);
    }
    g->pk_stride = off;
    g->pk_wte = (size_t)g->L * off;
    g->pk = xcalloc_aligned(g->pk_wte + kernels_packed_len(C, g->Vp),
                            g->bmem ? sizeof(uint16_t) : sizeof(float));
    for (int l = 0; l < g->L; l++)
        for (int i = 0; i < 4; i++)
            gen_pack(g, (size_t)l * g->pk_stride + g->pk_layer[i],
                     wts[i] + (size_t)l * OCs[i] * Ks[i], Ks[i], OCs[i]);
    gen_pack(g, g->pk_wte, p->wte, C, g->Vp); /* the LM head */
    return ERR_OK;
}

/* out = inp · wᵀ + bias through the packed weights when they exist and the rows are few
 * (decoding), else through the float weights (equal results: see kernels.h). */
static void gen_matmul(const Gen *g, float *out, const float *inp, const float *w, size_t pk_off,
                       const float *bias, int nrows, int C, int OC)
{
    const KernelSet *ks = kernels_get();
    if (g->pk && nrows <= KERNELS_BF16_MAX_ROWS && g->bmem && ks->matmul_forward_bf16)
        ks->matmul_forward_bf16(out, inp, (const uint16_t *)g->pk + pk_off, bias, nrows, C, OC);
    else if (g->pk && nrows <= KERNELS_BF16_MAX_ROWS && !g->bmem && ks->matmul_forward_packed)
        ks->matmul_forward_packed(out, inp, (const float *)g->pk + pk_off, bias, nrows, C, OC);
    else
        ks->matmul_forward(out, inp, w, bias, nrows, C, OC);
}

/* The cache row of (layer l, slot s, position t). */
static float *cache_at(const Gen *g, float *base, int l, int s, int t)
{
    return base + (((size_t)l * g->S + (size_t)s) * g->maxT + (size_t)t) * g->C;
}

/* q · k over n values in 16 interleaved partial sums, added pairwise: independent chains that the
 * compiler turns into vector FMAs/adds (a single running sum is one long dependency chain, and
 * this loop is most of the attention time at long contexts). The order depends on n alone. */
static inline float gen_dot(const float *q, const float *k, int n)
{
    enum { P = 16 };
    float acc[P] = {0};
    int i = 0;
    for (; i + P <= n; i += P) {
        KERNELS_OMP(simd)
        for (int j = 0; j < P; j++) acc[j] += q[i + j] * k[i + j];
    }
    for (int j = 0; i < n; i++, j++) acc[j] += q[i] * k[i];
    for (int w = P / 2; w > 0; w /= 2)
        for (int j = 0; j < w; j++) acc[j] += acc[j + w];
    return acc[0];
}

/* y += w v over n values (vectorised; each y[i] is its own sum, so the order is fixed). */
static inline void gen_axpy(float *restrict y, float w, const float *restrict v, int n)
{
    KERNELS_OMP(simd)
    for (int i = 0; i < n; i++) y[i] += w * v[i];
}

/* Causal attention of each row against its slot's cache (positions 0 .. row_pos). */
/* One head of one row: y (hs) = softmax(scale q·k_t) weighted sum of v_t over t < npos, keys and
 * values at kc + t stride, vc + t stride; a (npos) is scratch. Compiled twice (AVX2 and the
 * baseline), picked at load time: the same operations in the same order (no contraction:
 * -ffp-contract=off), so both give the same bits; AVX2 is twice as wide. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#endif
static void gen_head(float *y, float *a, const float *q, const float *kc, const float *vc,
                     size_t stride, int npos, int hs, float scale)
{
    float mx = -INFINITY;
    for (int t = 0; t < npos; t++) {
        a[t] = gen_dot(q, kc + (size_t)t * stride, hs) * scale;
        if (a[t] > mx) mx = a[t];
    }
    float sum = 0;
    for (int t = 0; t < npos; t++) {
        a[t] = expf(a[t] - mx);
        sum += a[t];
    }
    for (int i = 0; i < hs; i++) y[i] = 0;
    for (int t = 0; t < npos; t++) gen_axpy(y, a[t] / sum, vc + (size_t)t * stride, hs);
}

static void gen_attention(Gen *g, int l, int nrows)
{
    int C = g->C, NH = g->NH, hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    KERNELS_OMP(parallel for schedule(dynamic, 1))
    for (int rh = 0; rh < nrows * NH; rh++) {
        int r = rh / NH, h = rh % NH, s = g->row_slot[r], pos = g->row_pos[r];
#ifdef _OPENMP
        float *a = g->att + (size_t)omp_get_thread_num() * g->maxT;
#else
        float *a = g->att;
#endif
        gen_head(g->atty + (size_t)r * C + (size_t)h * hs, a,
                 g->qkv + (size_t)r * 3 * C + (size_t)h * hs, cache_at(g, g->kc, l, s, 0) + (size_t)h * hs,
                 cache_at(g, g->vc, l, s, 0) + (size_t)h * hs, (size_t)C, pos + 1, hs, scale);
    }
}

/* Runs rows 0..nrows-1 (row_slot, row_pos, row_tok set) through the model, writing their keys and
 * values into the cache; leaves the final residual stream in g->x. */
static void gen_step(Gen *g, int nrows)
{
    const Gpt2Params *p = g->p;
    size_t C = (size_t)g->C;
    KERNELS_OMP(parallel for schedule(static) if (nrows > 1))
    for (int r = 0; r < nrows; r++) {
        const float *te = p->wte + (size_t)g->row_tok[r] * C, *pe = p->wpe + (size_t)g->row_pos[r] * C;
        float *x = g->x + (size_t)r * C;
        for (size_t i = 0; i < C; i++) x[i] = te[i] + pe[i];
    }
    for (int l = 0; l < g->L; l++) {
        size_t lc = (size_t)l * C;
        layernorm_forward(g->ln, g->mean, g->rstd, g->x, p->ln1w + lc, p->ln1b + lc, nrows, g->C);
        size_t pkl = (size_t)l * g->pk_stride;
        gen_matmul(g, g->qkv, g->ln, p->qkvw + lc * 3 * C, pkl + g->pk_layer[0], p->qkvb + lc * 3,
                   nrows, g->C, 3 * g->C);
        for (int r = 0; r < nrows; r++) { /* q | k | v: keys and values into the cache */
            const float *row = g->qkv + (size_t)r * 3 * C;
            memcpy(cache_at(g, g->kc, l, g->row_slot[r], g->row_pos[r]), row + C, C * sizeof(float));
            memcpy(cache_at(g, g->vc, l, g->row_slot[r], g->row_pos[r]), row + 2 * C,
                   C * sizeof(float));
        }
        gen_attention(g, l, nrows);
        gen_matmul(g, g->proj, g->atty, p->attprojw + lc * C, pkl + g->pk_layer[1],
                   p->attprojb + lc, nrows, g->C, g->C);
        residual_forward(g->x, g->x, g->proj, (size_t)nrows * C);
        layernorm_forward(g->ln, g->mean, g->rstd, g->x, p->ln2w + lc, p->ln2b + lc, nrows, g->C);
        gen_matmul(g, g->fch, g->ln, p->fcw + lc * 4 * C, pkl + g->pk_layer[2], p->fcb + lc * 4,
                   nrows, g->C, 4 * g->C);
        gelu_forward(g->fchg, g->fch, (size_t)nrows * 4 * C);
        gen_matmul(g, g->proj, g->fchg, p->fcprojw + lc * 4 * C, pkl + g->pk_layer[3],
                   p->fcprojb + lc, nrows, 4 * g->C, g->C);
        residual_forward(g->x, g->x, g->proj, (size_t)nrows * C);
        if (g->cap_block) {
            double *cb = g->cap_block + lc, *cm = g->cap_mlp + lc * 4;
            KERNELS_OMP(parallel for schedule(static))
            for (size_t i = 0; i < 4 * C; i++) { /* threads own units: a fixed order of sums */
                double sm = 0, sb = 0;
                for (int r = 0; r < nrows; r++) {
                    sm += g->fchg[(size_t)r * 4 * C + i];
                    if (i < C) sb += g->x[(size_t)r * C + i];
                }
                cm[i] += sm;
                if (i < C) cb[i] += sb;
            }
        }
    }
    if (g->cap_block) g->cap_rows += nrows;
}

/* Logits (n, Vp) of the rows listed in which[0..n), n <= S. */
static void gen_logits(Gen *g, const int *which, int n)
{
    const Gpt2Params *p = g->p;
    size_t C = (size_t)g->C;
    for (int i = 0; i < n; i++) memcpy(g->proj + (size_t)i * C, g->x + (size_t)which[i] * C, C * sizeof(float));
    layernorm_forward(g->lnf, g->mean, g->rstd, g->proj, p->lnfw, p->lnfb, n, g->C);
    gen_matmul(g, g->logits, g->lnf, p->wte, g->pk_wte, NULL, n, g->C, g->Vp);
}

typedef struct LogitId {
    float l;
    int id;
} LogitId;

static int logit_desc(const void *a, const void *b)
{
    const LogitId *x = a, *y = b;
    if (x->l != y->l) return x->l > y->l ? -1 : 1;
    return x->id - y->id;
}

/* Picks the next token from logits (first V entries). */
static int gen_pick(const Gen *g, const float *logits, const GenOpts *o, gsl_rng *r, LogitId *buf)
{
    int V = g->V, best = 0;
    if (o->greedy) {
        for (int i = 1; i < V; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }
    for (int i = 0; i < V; i++) buf[i] = (LogitId){logits[i] / o->temperature, i};
    qsort(buf, (size_t)V, sizeof *buf, logit_desc);
    int k = o->top_k > 0 && o->top_k < V ? o->top_k : V;
    double total = 0, mx = buf[0].l;
    for (int i = 0; i < k; i++) total += exp(buf[i].l - mx);
    if (o->top_p < 1) { /* the smallest prefix whose mass reaches top_p */
        double cum = 0;
        int keep = k;
        for (int i = 0; i < k; i++) {
            cum += exp(buf[i].l - mx) / total;
            if (cum >= o->top_p) {
                keep = i + 1;
                break;
            }
        }
        k = keep;
        total = 0;
        for (int i = 0; i < k; i++) total += exp(buf[i].l - mx);
    }
    double u = gsl_rng_uniform(r) * total, cum = 0;
    for (int i = 0; i < k; i++) {
        cum += exp(buf[i].l - mx);
        if (u < cum) return buf[i].id;
    }
    return buf[k - 1].id;
}

typedef struct Slot {
    long prompt; /* index into the prompt list, -1 when free */
    int fed;     /* prompt tokens already in the cache */
    int made;    /* tokens generated */
    int *out;
    gsl_rng *rng;
} Slot;

int gen_generate(Gen *g, const int *const *prompts, const int *lens, size_t n, size_t index0,
                 const GenOpts *o, int **outs, int *out_lens, Progress *prog)
{
    if (o->max_new < 1) return err_set(ERR_INVAL, "generate: max_new must be >= 1");
    if (!o->greedy && !(o->temperature > 0))
        return err_set(ERR_INVAL, "generate: temperature must be > 0");
    for (size_t i = 0; i < n; i++) {
        outs[i] = NULL;
        out_lens[i] = 0;
        if (lens[i] < 1 || lens[i] + o->max_new > g->maxT)
            return err_set(ERR_INVAL, "generate: prompt %zu has %d tokens; need 1 .. %d for %d new "
                                      "tokens", index0 + i, lens[i], g->maxT - o->max_new, o->max_new);
        for (int k = 0; k < lens[i]; k++)
            if (prompts[i][k] < 0 || prompts[i][k] >= g->V)
                return err_set(ERR_INVAL, "generate: prompt %zu: token %d out of range [0, %d)",
                               index0 + i, prompts[i][k], g->V);
    }
    Slot *sl = xcalloc((size_t)g->S, sizeof *sl);
    for (int s = 0; s < g->S; s++) sl[s].prompt = -1;
    LogitId *buf = o->greedy ? NULL : xmalloc((size_t)g->V * sizeof *buf);
    int *which = xmalloc((size_t)g->S * sizeof *which), *whose = xmalloc((size_t)g->S * sizeof *whose);
    size_t next = 0, finished = 0;
    while (finished < n) {
        for (int s = 0; s < g->S && next < n; s++) /* fill free slots */
            if (sl[s].prompt < 0) {
                sl[s] = (Slot){(long)next, 0, 0, xmalloc((size_t)o->max_new * sizeof(int)), NULL};
                if (!o->greedy)
                    sl[s].rng = rng_stream_alloc(rng_pcg64, o->seed, RNG_PURPOSE_GENERATE,
                                                 (uint64_t)(index0 + next));
                next++;
            }
        /* rows: one per decoding slot first, then prefill chunks in slot order */
        int nrows = 0, nlog = 0;
        for (int s = 0; s < g->S; s++) {
            Slot *q = &sl[s];
            if (q->prompt < 0 || q->fed < lens[q->prompt]) continue;
            int len = lens[q->prompt];
            g->row_slot[nrows] = s;
            g->row_pos[nrows] = len + q->made - 1;
            g->row_tok[nrows] = q->out[q->made - 1];
            which[nlog] = nrows++;
            whose[nlog++] = s;
        }
        for (int s = 0; s < g->S && nrows < g->R; s++) {
            Slot *q = &sl[s];
            if (q->prompt < 0 || q->fed >= lens[q->prompt]) continue;
            int len = lens[q->prompt], take = len - q->fed;
            if (take > g->R - nrows) take = g->R - nrows;
            for (int k = 0; k < take; k++, nrows++) {
                g->row_slot[nrows] = s;
                g->row_pos[nrows] = q->fed + k;
                g->row_tok[nrows] = prompts[q->prompt][q->fed + k];
            }
            q->fed += take;
            if (q->fed == len) {
                which[nlog] = nrows - 1;
                whose[nlog++] = s;
            }
        }
        gen_step(g, nrows);
        if (nlog) gen_logits(g, which, nlog);
        for (int i = 0; i < nlog; i++) {
            Slot *q = &sl[whose[i]];
            int tok = gen_pick(g, g->logits + (size_t)i * g->Vp, o, q->rng, buf);
            int stop = tok == o->eot;
            if (!stop) q->out[q->made++] = tok;
            if (stop || q->made == o->max_new) {
                outs[q->prompt] = q->out;
                out_lens[q->prompt] = q->made;
                if (q->rng) gsl_rng_free(q->rng);
                q->prompt = -1;
                finished++;
                if (prog) progress_update(prog, (long)finished);
            }
        }
    }
    free(which);
    free(whose);
    free(buf);
    free(sl);
    return ERR_OK;
}

int gen_block_starts(int body_len, int block_len, int *starts, int max_blocks)
{
    int nb = 0;
    for (int s = 0; s < body_len; s += block_len) {
        if (nb < max_blocks) starts[nb] = s;
        nb++;
    }
    return nb;
}

/* Several ranks: every rank's continuations of its prompt share ([lens][tokens]) go to rank 0,
 * which stores them at their prompt indices (rank 0's own are in place already). */
static void gen_collect(int **po, int *pol, size_t nprompt)
{
    long lo, hi;
    par_range((long)nprompt, &lo, &hi);
    size_t ntok = 0, m = (size_t)(hi - lo);
    for (long i = lo; i < hi; i++) ntok += (size_t)pol[i];
    int *buf = xmalloc((m + ntok + 1) * sizeof *buf), *at = buf + m;
    for (long i = lo; i < hi; i++) {
        buf[i - lo] = pol[i];
        if (pol[i]) memcpy(at, po[i], (size_t)pol[i] * sizeof *at);
        at += pol[i];
    }
    void *all;
    size_t bytes;
    par_gather(buf, (m + ntok) * sizeof *buf, &all, &bytes);
    free(buf);
    const int *p = all;
    for (int k = 0; k < par_size() && par_is_root(); k++) {
        long a, b;
        par_share((long)nprompt, k, par_size(), &a, &b);
        const int *len = p, *tok = p + (b - a);
        for (long i = a; i < b; i++) {
            if (k > 0) {
                pol[i] = len[i - a];
                po[i] = xmalloc((size_t)(pol[i] > 0 ? pol[i] : 1) * sizeof **po);
                if (pol[i]) memcpy(po[i], tok, (size_t)pol[i] * sizeof *tok);
            }
            tok += len[i - a];
        }
        p = tok;
    }
    free(all);
}

void gen_split_ranks(Gen *g, int on) { g->split = on && par_size() > 1; }

const Gpt2 *gen_model(const Gen *g) { return g->m; }

GenWeights gen_weights(const Gen *g)
{
    return g->bmem ? GEN_BF16 : g->pk ? GEN_F32_PACKED : GEN_F32;
}

void gen_shape(const Gen *g, int *slots, int *max_len, int *rows)
{
    *slots = g->S;
    *max_len = g->maxT;
    *rows = g->R;
}

int gen_blocks_many(Gen *g, const int *const *titles, const int *title_lens,
                    const int *const *bodies, const int *body_lens, size_t n, int block_len,
                    const GenOpts *o, int **outs, int *out_lens, Progress *prog)
{
    if (block_len < 1 || block_len + o->max_new > g->maxT)
        return err_set(ERR_INVAL, "blocks: block length %d + continuation %d exceeds %d", block_len,
                       o->max_new, g->maxT);
    size_t nprompt = 0;
    for (size_t a = 0; a < n; a++)
        nprompt += (title_lens[a] > 0) + (size_t)((body_lens[a] + block_len - 1) / block_len);
    const int **pr = xcalloc(nprompt + 1, sizeof *pr);
    int *pl = xcalloc(nprompt + 1, sizeof *pl), **po = xcalloc(nprompt + 1, sizeof *po);
    int *pol = xcalloc(nprompt + 1, sizeof *pol);
    size_t k = 0;
    for (size_t a = 0; a < n; a++) {
        if (title_lens[a] > 0) { /* the title is one block (cut to block_len tokens) */
            pr[k] = titles[a];
            pl[k++] = title_lens[a] < block_len ? title_lens[a] : block_len;
        }
        for (int s = 0; s < body_lens[a]; s += block_len) {
            pr[k] = bodies[a] + s;
            pl[k++] = body_lens[a] - s < block_len ? body_lens[a] - s : block_len;
        }
    }
    long lo = 0, hi = (long)nprompt; /* this rank's prompts: all of them unless split */
    if (g->split) par_range((long)nprompt, &lo, &hi);
    if (prog) prog->total = hi - lo;
    int st = gen_generate(g, pr + lo, pl + lo, (size_t)(hi - lo), (size_t)lo, o, po + lo, pol + lo,
                          prog);
    if (!st && g->split) gen_collect(po, pol, nprompt);
    k = 0;
    for (size_t a = 0; a < n; a++) {
        size_t nb = (title_lens[a] > 0) + (size_t)((body_lens[a] + block_len - 1) / block_len);
        int total = 0;
        for (size_t b = 0; b < nb; b++) total += pol[k + b];
        outs[a] = xmalloc((size_t)(total > 0 ? total : 1) * sizeof(int));
        out_lens[a] = total;
        int used = 0;
        for (size_t b = 0; b < nb; b++, k++) {
            if (!st && pol[k]) memcpy(outs[a] + used, po[k], (size_t)pol[k] * sizeof(int));
            used += pol[k];
            free(po[k]);
        }
    }
    free(pr);
    free(pl);
    free(po);
    free(pol);
    return st;
}

int gen_blocks(Gen *g, const int *title, int title_len, const int *body, int body_len,
               int block_len, const GenOpts *o, int **out, int *out_len)
{
    return gen_blocks_many(g, &title, &title_len, &body, &body_len, 1, block_len, o, out, out_len,
                           NULL);
}

/* Feeds tokens[0..len) of one sequence into slot 0 in chunks of up to R rows. With nll != NULL,
 * adds -log p(tokens[k+1] | ..) for every k >= score_from - 1 with k + 1 < len. */
static void gen_feed(Gen *g, const int *tokens, int len, int score_from, double *nll, long *count)
{
    for (int start = 0; start < len; start += g->R) {
        int nrows = len - start < g->R ? len - start : g->R;
        for (int r = 0; r < nrows; r++) {
            g->row_slot[r] = 0;
            g->row_pos[r] = start + r;
            g->row_tok[r] = tokens[start + r];
        }
        gen_step(g, nrows);
        if (!nll) continue;
        for (int r0 = 0; r0 < nrows; r0 += g->S) { /* logits S rows at a time */
            int nb = nrows - r0 < g->S ? nrows - r0 : g->S;
            for (int i = 0; i < nb; i++) g->which[i] = r0 + i;
            gen_logits(g, g->which, nb);
            for (int i = 0; i < nb; i++) {
                int kpos = start + r0 + i; /* this row predicts tokens[kpos + 1] */
                if (kpos + 1 >= len || kpos + 1 < score_from) continue;
                const float *lg = g->logits + (size_t)i * g->Vp;
                double mx = lg[0], sum = 0;
                for (int v = 1; v < g->V; v++) mx = lg[v] > mx ? lg[v] : mx;
                for (int v = 0; v < g->V; v++) sum += exp(lg[v] - mx);
                *nll += -(lg[tokens[kpos + 1]] - mx - log(sum));
                (*count)++;
            }
        }
    }
}

int gen_nll(Gen *g, const int *const *texts, const int *lens, size_t n, int stride, double *nll,
            long *count, Progress *prog)
{
    if (stride < 1 || stride > g->maxT)
        return err_set(ERR_INVAL, "perplexity: stride %d outside [1, %d]", stride, g->maxT);
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < lens[i]; k++)
            if (texts[i][k] < 0 || texts[i][k] >= g->V)
                return err_set(ERR_INVAL, "perplexity: text %zu: token %d out of range", i,
                               texts[i][k]);
        nll[i] = 0;
        count[i] = 0;
        int scored_to = 1; /* next target index to score */
        for (int w = 0; scored_to < lens[i]; w += stride) {
            int end = w + g->maxT < lens[i] ? w + g->maxT : lens[i];
            gen_feed(g, texts[i] + w, end - w, scored_to - w, &nll[i], &count[i]);
            scored_to = end;
        }
        if (prog) progress_update(prog, (long)i + 1);
    }
    return ERR_OK;
}

int gen_capture(Gen *g, const int *const *texts, const int *lens, size_t n, double *block_mean,
                double *mlp_mean)
{
    size_t L = (size_t)g->L, C = (size_t)g->C;
    g->cap_block = block_mean;
    g->cap_mlp = mlp_mean;
    g->cap_rows = 0;
    memset(block_mean, 0, L * C * sizeof *block_mean);
    memset(mlp_mean, 0, L * 4 * C * sizeof *mlp_mean);
    int st = ERR_OK;
    for (size_t i = 0; i < n && !st; i++) {
        int len = lens[i] < g->maxT ? lens[i] : g->maxT;
        for (int k = 0; k < len && !st; k++)
            if (texts[i][k] < 0 || texts[i][k] >= g->V)
                st = err_set(ERR_INVAL, "capture: text %zu: token %d out of range", i, texts[i][k]);
        if (!st) gen_feed(g, texts[i], len, 0, NULL, NULL);
    }
    if (!st && g->cap_rows == 0) st = err_set(ERR_INVAL, "capture: no tokens in the probe set");
    if (!st) {
        for (size_t i = 0; i < L * C; i++) block_mean[i] /= (double)g->cap_rows;
        for (size_t i = 0; i < L * 4 * C; i++) mlp_mean[i] /= (double)g->cap_rows;
    }
    g->cap_block = g->cap_mlp = NULL;
    return st;
}
