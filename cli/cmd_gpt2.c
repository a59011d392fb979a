/* cmd_gpt2: `biasamp gpt2 info|init|convert|generate|perplexity|pretrain|finetune` — GPT-2 weights
 * in any of the three formats (biasamp checkpoint, HF safetensors, llm.c .bin), KV-cache
 * generation, perplexity, and training on token files (models/train). Each subcommand parses its
 * options and calls one library entry. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "err.h"
#include "generate.h"
#include "gpt2_io.h"
#include "kernels.h"
#include "checkpoint.h"
#include "csvlog.h"
#include "dp.h"
#include "par.h"
#include "progress.h"
#include "tokenizer.h"
#include "train.h"
#include "xalloc.h"

static void gpt2_help(void)
{
    printf("usage: biasamp gpt2 <info|init|convert|generate|perplexity|pretrain|finetune> [options]"
           " ...\n\n"
           "MODEL is a biasamp checkpoint, a Hugging Face model.safetensors (GPT2LMHeadModel) or an\n"
           "llm.c .bin checkpoint; the format is detected from the file.\n\n"
           "  info MODEL                      the configuration and parameter count\n"
           "  init OUT [--layers L --heads H --channels C --context T --vocab-size V --seed S]\n"
           "                                  a randomly initialised model (GPT-2's init)\n"
           "  convert IN OUT                  OUT as its extension says: .safetensors (HF layout),\n"
           "                                  .bin (llm.c fp32), anything else a biasamp checkpoint\n"
           "  generate MODEL [options]        continue a prompt (KV cache), print the text\n"
           "  perplexity MODEL FILE...        per-file perplexity, mean and 95%% CI\n"
           "  pretrain OUT -d FILE.tok...     train a new model from scratch (sizes as for init)\n"
           "  finetune IN OUT -d FILE.tok...  continue training IN (fresh AdamW), write OUT\n\n"
           "common options:\n"
           "  -V, --vocab DIR        tokenizer files (default: the GPT-2 BPE fetched by make deps)\n"
           "  -k, --kernels NAME     scalar | avx2 | avx512 | auto (default auto)\n\n"
           "generate options:\n"
           "  -p, --prompt TEXT      the prompt (default: read stdin)\n"
           "  -n, --tokens N         new tokens (default 64)\n"
           "  -t, --temperature T    sample with temperature T (default: greedy)\n"
           "      --top-k K          sample among the K most likely tokens\n"
           "      --top-p P          nucleus sampling\n"
           "  -s, --seed S           seed of the sampling stream (default 1)\n"
           "      --weights W        f32 (default: exact, weights also kept packed for decoding)\n"
           "                         | bf16: matmul weights rounded to bfloat16 and read in 16\n"
           "                         bits (about 2x faster decoding, which is bound by memory;\n"
           "                         slightly different logits)\n\n"
           "perplexity options:\n"
           "      --stride S         sliding-window stride for texts longer than the context\n"
           "                         (default: half the context)\n\n"
           "pretrain / finetune options (token files as `biasamp corpus` writes them; the EOT\n"
           "separator is the vocabulary's last id, as in GPT-2's and every trained vocabulary):\n"
           "  -d, --data FILE.tok    training documents (repeatable)\n"
           "      --eval FILE.tok    report the loss on these documents at the end\n"
           "      --epochs E         passes over the data (default 1)\n"
           "      --steps N          stop after N optimizer steps instead of epochs\n"
           "      --batch B          rows per micro-batch (default 8)\n"
           "      --seq T            tokens per row (default: the context, at most 512)\n"
           "      --accum K          micro-batches per step (default 1)\n"
           "      --lr X             peak learning rate (pretrain 6e-4, finetune 5e-5)\n"
           "      --lr-final X       learning rate at the last step (default 0 finetune,\n"
           "                         lr/10 pretrain); linear decay after warm-up\n"
           "      --warmup N         warm-up steps (default 0; pretrain: 2%% of the steps)\n"
           "      --weight-decay W   AdamW weight decay (default 0.01; pretrain 0.1)\n"
           "      --max-docs N       use the first N documents of each file\n"
           "      --max-len N        truncate each document to N tokens\n"
           "      --save-every N     pretrain: checkpoint OUT (with optimizer) every N steps\n"
           "      --resume           pretrain: continue from OUT's checkpoint (exact)\n"
           "  -s, --seed S           initialisation and data-order seed (default 1)\n\n"
           "MPI build: mpirun -n N biasamp gpt2 pretrain|finetune ... trains data-parallel: each\n"
           "step's B x accum rows are shared over the N ranks, gradients and loss summed with\n"
           "MPI_Allreduce, identical weights everywhere; rank 0 writes the model and the log.\n"
           "The loss matches one process's up to float rounding. The other subcommands run on\n"
           "one process.\n");
}

static int load_tokenizer(const char *dir, Tokenizer **tok)
{
    char buf[4096];
    if (!dir) {
        int st = tokenizer_default_dir(buf, sizeof buf);
        if (st) return st;
        dir = buf;
    }
    return tokenizer_load_dir(tok, dir);
}

static int gpt2_info(const char *path)
{
    Gpt2 *m;
    int st = gpt2_load_any(&m, path, 1, 1);
    if (st) return st;
    const Gpt2Config *c = &m->config;
    printf("%s: GPT-2, context %d, vocabulary %d (padded %d), %d layers, %d heads, %d channels, "
           "%zu parameters\n",
           path, c->max_seq_len, c->vocab_size, m->Vp, c->num_layers, c->num_heads, c->channels,
           gpt2_config_num_params(c));
    gpt2_free(m);
    return ERR_OK;
}

/* Refuses a model (and its training state) larger than the available memory, before any work. */
static int gpt2_check_memory(const Gpt2Config *cfg, int B, int T, int optimizer, const char *what)
{
    Gpt2Memory mem = gpt2_memory(cfg, B, T, optimizer);
    char est[256];
    snprintf(est, sizeof est, "weights %.3g GB + gradients %.3g GB + AdamW moments %.3g GB + "
             "activations for B %d x T %d %.3g GB", mem.params / 1e9, mem.grads / 1e9,
             mem.moments / 1e9, B, T, mem.acts / 1e9);
    return xalloc_check(mem.total, what, est);
}

static int gpt2_init(const char *out, const Gpt2Config *cfg, uint64_t seed)
{
    Gpt2 *m;
    int st = gpt2_config_check(cfg);
    if (!st) st = gpt2_check_memory(cfg, 1, 1, 0, "init");
    if (!st) st = gpt2_alloc(&m, cfg, 1, 1);
    if (st) return st;
    gpt2_init_random(m, seed);
    st = gpt2_save_any(m, out);
    gpt2_free(m);
    if (!st) printf("%s\n", out);
    return st;
}

static int gpt2_convert(const char *in, const char *out)
{
    Gpt2 *m;
    int st = gpt2_load_any(&m, in, 1, 1);
    if (st) return st;
    st = gpt2_save_any(m, out);
    gpt2_free(m);
    if (!st) printf("%s\n", out);
    return st;
}

static int gpt2_generate(const char *path, const char *vocab, const char *prompt, GenOpts *o,
                         int bf16)
{
    Tokenizer *tok = NULL;
    Gpt2 *m = NULL;
    Gen *g = NULL;
    TokenizerIds ids = {0};
    char *text = NULL, *owned = NULL, *outtext = NULL;
    int *out = NULL, out_len = 0;
    size_t len;
    int st = load_tokenizer(vocab, &tok);
    if (!st) st = gpt2_load_any(&m, path, 1, 1);
    if (st) goto done;
    if (tokenizer_vocab_size(tok) != m->config.vocab_size) {
        st = err_set(ERR_INVAL, "the tokenizer has %d tokens but the model %d (use --vocab)",
                     tokenizer_vocab_size(tok), m->config.vocab_size);
        goto done;
    }
    if (!prompt) {
        if ((st = cli_slurp("-", &owned, NULL))) goto done;
        prompt = owned;
    }
    if ((st = tokenizer_encode(tok, prompt, strlen(prompt), 0, &ids))) goto done;
    if (ids.n == 0) {
        st = err_set(ERR_INVAL, "the prompt is empty");
        goto done;
    }
    int ctx = m->config.max_seq_len, plen = (int)ids.n;
    if (o->max_new >= ctx) o->max_new = ctx - 1;
    const int *p = ids.ids;
    if (plen + o->max_new > ctx) { /* keep the end of a long prompt */
        p += plen - (ctx - o->max_new);
        plen = ctx - o->max_new;
    }
    o->eot = tokenizer_eot(tok);
    if ((st = gen_alloc(&g, m, 1, plen + o->max_new, plen + 1))) goto done;
    if ((st = gen_set_weights(g, bf16 ? GEN_BF16 : GEN_F32_PACKED))) goto done;
    if ((st = gen_generate(g, &p, &plen, 1, 0, o, &out, &out_len, NULL))) goto done;
    if ((st = tokenizer_decode(tok, out, (size_t)out_len, &outtext, &len))) goto done;
    fwrite(prompt, 1, strlen(prompt), stdout);
    fwrite(outtext, 1, len, stdout);
    fputc('\n', stdout);
done:
    free(text);
    free(owned);
    free(outtext);
    free(out);
    tokenizer_ids_release(&ids);
    gen_free(g);
    gpt2_free(m);
    tokenizer_free(tok);
    return st;
}

static int gpt2_perplexity(const char *path, const char *vocab, char **files, int nfiles, int stride)
{
    Tokenizer *tok = NULL;
    Gpt2 *m = NULL;
    Gen *g = NULL;
    int st = load_tokenizer(vocab, &tok);
    if (!st) st = gpt2_load_any(&m, path, 1, 1);
    if (st) goto done;
    int ctx = m->config.max_seq_len;
    if (stride <= 0) stride = ctx / 2 > 0 ? ctx / 2 : 1;
    if ((st = gen_alloc(&g, m, 1, ctx, ctx))) goto done;
    double sum = 0, sum2 = 0;
    int k = 0;
    for (int i = 0; i < nfiles && !st; i++) {
        size_t len;
        char *text;
        if ((st = cli_slurp(files[i], &text, &len))) break;
        TokenizerIds ids = {0};
        st = tokenizer_encode(tok, text, len, 0, &ids);
        free(text);
        if (!st && ids.n < 2) st = err_set(ERR_INVAL, "%s: fewer than 2 tokens", files[i]);
        double nll;
        long cnt;
        const int *tp = ids.ids;
        int n = (int)ids.n;
        if (!st) st = gen_nll(g, &tp, &n, 1, stride, &nll, &cnt, NULL);
        tokenizer_ids_release(&ids);
        if (st) break;
        double ppl = exp(nll / (double)cnt);
        printf("%-40s %10.3f  (%ld tokens)\n", files[i], ppl, cnt);
        sum += ppl;
        sum2 += ppl * ppl;
        k++;
    }
    if (!st && k > 1) {
        double mean = sum / k, sd = sqrt((sum2 - k * mean * mean) / (k - 1));
        printf("mean perplexity %.3f +- %.3f (95%% CI, normal approximation, %d texts)\n", mean,
               1.96 * sd / sqrt(k), k);
    }
done:
    gen_free(g);
    gpt2_free(m);
    tokenizer_free(tok);
    return st;
}

typedef struct TrainCli {
    const char *data[16], *eval;
    int ndata;
    TrainOpts o;
    long max_docs, max_len, save_every;
    int resume, lr_set, lr_final_set, wd_set, warmup_set, seq;
} TrainCli;

typedef struct SaveCtx {
    const char *path;
    long every;
    double t0;
    CsvLog *log; /* OUT.log.csv: the loss curve, one row per step */
} SaveCtx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int on_step_save(void *ctx, const Gpt2 *m, const AdamW *opt, long step, long total,
                        float loss)
{
    SaveCtx *c = ctx;
    if (c->log) {
        double row[3] = {(double)step, loss, now_s() - c->t0};
        int st = csvlog_row(c->log, row);
        if (st) return st;
    }
    if (step % 50 == 0 || step == total)
        fprintf(stderr, "step %ld/%ld  loss %.4f\n", step, total, loss);
    if (c->every > 0 && step % c->every == 0 && step < total)
        return checkpoint_save(c->path, m, opt);
    return ERR_OK;
}

/* pretrain (in == NULL: a new model of cfg) or finetune (from in, a fresh optimizer). */
static int gpt2_train_cmd(const char *in, const char *out, const Gpt2Config *cfg_in, TrainCli *t)
{
    TrainDocs d = {0}, ev = {0};
    Gpt2 *m = NULL;
    AdamW *opt = NULL;
    SaveCtx sc = {0};
    Gpt2Config cfg = *cfg_in;
    int st = ERR_OK, V = 0;
    /* the vocabulary (hence the EOT, its last id) comes from the model or the first token file */
    if (in) {
        if ((st = gpt2_load_any(&m, in, 1, 1))) goto done;
        cfg = m->config;
        gpt2_free(m);
        m = NULL;
    } else {
        TrainDocs probe = {0};
        if ((st = train_docs_read(&probe, t->data[0], -1, 1, 1, &V))) goto done;
        train_docs_release(&probe);
        cfg.vocab_size = V;
    }
    int eot = cfg.vocab_size - 1;
    for (int i = 0; i < t->ndata && !st; i++) {
        st = train_docs_read(&d, t->data[i], eot, (size_t)t->max_docs, (size_t)t->max_len, &V);
        if (!st && V != cfg.vocab_size)
            st = err_set(ERR_INVAL, "%s: vocabulary of %d tokens, the model has %d", t->data[i], V,
                         cfg.vocab_size);
    }
    if (!st && t->eval) st = train_docs_read(&ev, t->eval, eot, 0, (size_t)t->max_len, NULL);
    if (st) goto done;
    TrainOpts *o = &t->o;
    o->eot = eot;
    o->T = t->seq > 0 ? t->seq : (cfg.max_seq_len < 512 ? cfg.max_seq_len : 512);
    if (!in) { /* pretraining defaults (GPT-2/nanoGPT style) unless given */
        if (!t->lr_set) o->lr = 6e-4f;
        if (!t->lr_final_set) o->lr_final = o->lr / 10;
        if (!t->wd_set) o->adamw.weight_decay = 0.1f;
    }
    if ((st = gpt2_config_check(&cfg))) goto done;
    if ((st = gpt2_check_memory(&cfg, o->B, o->T, 1, in ? "finetune" : "pretrain"))) goto done;
    if (in) st = gpt2_load_any(&m, in, o->B, o->T);
    else st = gpt2_alloc(&m, &cfg, o->B, o->T);
    if (st) goto done;
    if ((st = adamw_alloc(&opt, m->num_params, &o->adamw))) goto done;
    long rows, spe;
    train_plan(&d, o, &rows, &spe);
    long total = o->max_steps > 0 ? o->max_steps : spe * o->epochs;
    if (!in && !t->warmup_set) o->warmup_steps = (int)(total / 50);
    if (!in && t->resume) {
        if ((st = checkpoint_load(out, m, opt))) goto done;
        fprintf(stderr, "resuming %s at step %lld of %ld\n", out, opt->t, total);
    } else if (!in) {
        gpt2_init_random(m, o->seed);
    }
    printf("%s: %zu parameters; %zu documents, %zu tokens -> %ld rows of %d, %ld steps/epoch, "
           "%ld steps (B %d x accum %d)\n",
           in ? "finetune" : "pretrain", gpt2_config_num_params(&cfg), d.n, d.n_tok, rows, o->T,
           spe, total, o->B, o->grad_accum);
    fflush(stdout);
    sc = (SaveCtx){.path = out, .every = in ? 0 : t->save_every, .t0 = now_s()};
    char logpath[4200];
    snprintf(logpath, sizeof logpath, "%s.log.csv", out);
    RunInfo ri;
    runinfo_init(&ri, cli_argc, cli_argv);
    ri.seed = o->seed;
    ri.kernels = kernels_name();
    if ((st = csvlog_open(&sc.log, logpath, "gpt2_train", &ri))) goto done;
    csvlog_meta(sc.log, "mode", "%s", in ? "finetune" : "pretrain");
    csvlog_meta(sc.log, "steps", "%ld", total);
    static const char *const logcols[] = {"step", "loss", "seconds"};
    csvlog_header(sc.log, logcols, 3);
    o->on_step = on_step_save;
    o->ctx = &sc;
    TrainStats s;
    Progress prog;
    progress_start(&prog, in ? "finetune" : "pretrain", total);
    st = dp_train_run(m, opt, &d, o, &s, &prog);
    progress_end(&prog);
    if (st) goto done;
    st = in ? gpt2_save_any(m, out) : checkpoint_save(out, m, opt);
    if (st) goto done;
    printf("%ld steps, %ld tokens in %.1f s (%.0f tokens/s); loss first %.4f, last epoch %.4f%s\n",
           s.steps, s.tokens, s.seconds, s.seconds > 0 ? s.tokens / s.seconds : 0.0, s.loss_first,
           s.loss_last, s.skipped ? " (some steps skipped: non-finite)" : "");
    if (t->eval) {
        double l;
        long n;
        if ((st = train_eval_loss(m, &ev, o->B, o->T, eot, &l, &n))) goto done;
        printf("eval %s: loss %.4f, perplexity %.3f (%ld tokens)\n", t->eval, l, exp(l), n);
    }
    printf("%s\n", out);
done:
    if (sc.log) { /* a failed run leaves no log that looks complete */
        int cst = csvlog_close(sc.log, st == ERR_OK);
        if (!st) st = cst;
    }
    train_docs_release(&d);
    train_docs_release(&ev);
    adamw_free(opt);
    gpt2_free(m);
    return st;
}

static int parse_num(const char *s, double lo, double hi, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end != s && !*end && *v >= lo && *v <= hi;
}

int cmd_gpt2(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        gpt2_help();
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    static const struct option opts[] = {{"vocab", required_argument, 0, 'V'},
                                         {"kernels", required_argument, 0, 'k'},
                                         {"prompt", required_argument, 0, 'p'},
                                         {"tokens", required_argument, 0, 'n'},
                                         {"temperature", required_argument, 0, 't'},
                                         {"top-k", required_argument, 0, 'K'},
                                         {"top-p", required_argument, 0, 'P'},
                                         {"seed", required_argument, 0, 's'},
                                         {"stride", required_argument, 0, 'S'},
                                         {"layers", required_argument, 0, 'L'},
                                         {"heads", required_argument, 0, 'H'},
                                         {"channels", required_argument, 0, 'C'},
                                         {"context", required_argument, 0, 'T'},
                                         {"vocab-size", required_argument, 0, 'W'},
                                         {"data", required_argument, 0, 'd'},
                                         {"eval", required_argument, 0, 1000},
                                         {"epochs", required_argument, 0, 1001},
                                         {"steps", required_argument, 0, 1002},
                                         {"batch", required_argument, 0, 1003},
                                         {"seq", required_argument, 0, 1004},
                                         {"accum", required_argument, 0, 1005},
                                         {"lr", required_argument, 0, 1006},
                                         {"lr-final", required_argument, 0, 1007},
                                         {"warmup", required_argument, 0, 1008},
                                         {"weight-decay", required_argument, 0, 1009},
                                         {"max-docs", required_argument, 0, 1010},
                                         {"max-len", required_argument, 0, 1011},
                                         {"save-every", required_argument, 0, 1012},
                                         {"resume", no_argument, 0, 1013},
                                         {"weights", required_argument, 0, 1014},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *vocab = NULL, *prompt = NULL, *kern = "auto";
    GenOpts o = gen_opts_default();
    Gpt2Config cfg = gpt2_config_124m();
    int stride = 0, c, bf16 = 0;
    long v;
    char *end;
    double x;
    TrainCli t = {.o = train_opts_default()};
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "V:k:p:n:t:s:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (t.ndata == 16) return cli_usage_error("gpt2", "at most 16 --data files");
            t.data[t.ndata++] = optarg;
            break;
        case 1000: t.eval = optarg; break;
        case 1013: t.resume = 1; break;
        case 1014:
            if (strcmp(optarg, "f32") && strcmp(optarg, "bf16"))
                return cli_usage_error("gpt2", "bad --weights '%s' (f32 or bf16)", optarg);
            bf16 = !strcmp(optarg, "bf16");
            break;
        case 1001: case 1002: case 1003: case 1004: case 1005: case 1008: case 1010: case 1011:
        case 1012:
            if (!parse_num(optarg, c == 1008 || c == 1012 ? 0 : 1, 1e12, &x) || x != (long)x)
                return cli_usage_error("gpt2", "bad value '%s' for --%s", optarg,
                                       opts[c - 1000 + 15].name);
            if (c == 1001) t.o.epochs = (int)x;
            if (c == 1002) t.o.max_steps = (long)x;
            if (c == 1003) t.o.B = (int)x;
            if (c == 1004) t.seq = (int)x;
            if (c == 1005) t.o.grad_accum = (int)x;
            if (c == 1008) t.o.warmup_steps = (int)x, t.warmup_set = 1;
            if (c == 1010) t.max_docs = (long)x;
            if (c == 1011) t.max_len = (long)x;
            if (c == 1012) t.save_every = (long)x;
            break;
        case 1006: case 1007: case 1009:
            if (!parse_num(optarg, 0, 10, &x))
                return cli_usage_error("gpt2", "bad value '%s' for --%s", optarg,
                                       opts[c - 1000 + 15].name);
            if (c == 1006) t.o.lr = (float)x, t.lr_set = 1;
            if (c == 1007) t.o.lr_final = (float)x, t.lr_final_set = 1;
            if (c == 1009) t.o.adamw.weight_decay = (float)x, t.wd_set = 1;
            break;
        case 'V': vocab = optarg; break;
        case 'k': kern = optarg; break;
        case 'p': prompt = optarg; break;
        case 'n':
            o.max_new = (int)strtol(optarg, &end, 10);
            if (*end || o.max_new < 1) return cli_usage_error("gpt2", "bad --tokens '%s'", optarg);
            break;
        case 't':
            o.temperature = strtof(optarg, &end);
            if (*end || !(o.temperature > 0))
                return cli_usage_error("gpt2", "bad --temperature '%s'", optarg);
            o.greedy = 0;
            break;
        case 'K':
            o.top_k = (int)strtol(optarg, &end, 10);
            if (*end || o.top_k < 1) return cli_usage_error("gpt2", "bad --top-k '%s'", optarg);
            o.greedy = 0;
            break;
        case 'P':
            o.top_p = strtof(optarg, &end);
            if (*end || !(o.top_p > 0 && o.top_p <= 1))
                return cli_usage_error("gpt2", "bad --top-p '%s'", optarg);
            o.greedy = 0;
            break;
        case 's': o.seed = t.o.seed = strtoull(optarg, &end, 10); break;
        case 'S':
            stride = (int)strtol(optarg, &end, 10);
            if (*end || stride < 1) return cli_usage_error("gpt2", "bad --stride '%s'", optarg);
            break;
        case 'L': case 'H': case 'C': case 'T': case 'W':
            v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 1000000)
                return cli_usage_error("gpt2", "bad size '%s'", optarg);
            if (c == 'L') cfg.num_layers = (int)v;
            if (c == 'H') cfg.num_heads = (int)v;
            if (c == 'C') cfg.channels = (int)v;
            if (c == 'T') cfg.max_seq_len = (int)v;
            if (c == 'W') cfg.vocab_size = (int)v;
            break;
        case 'h': gpt2_help(); return 0;
        default:
            return cli_usage_error("gpt2", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    int st = kernels_set(kern);
    if (st) return cli_fail("gpt2", st);
    int nargs = argc - optind;
    char **args = argv + optind;
    if (par_size() > 1 && strcmp(sub, "pretrain") && strcmp(sub, "finetune"))
        return cli_usage_error("gpt2", "%s runs on one process; only pretrain and finetune use "
                               "several MPI ranks", sub);
    if (!strcmp(sub, "info")) {
        if (nargs != 1) return cli_usage_error("gpt2", "info needs MODEL");
        st = gpt2_info(args[0]);
    } else if (!strcmp(sub, "init")) {
        if (nargs != 1) return cli_usage_error("gpt2", "init needs OUT");
        st = gpt2_init(args[0], &cfg, o.seed);
    } else if (!strcmp(sub, "convert")) {
        if (nargs != 2) return cli_usage_error("gpt2", "convert needs IN OUT");
        st = gpt2_convert(args[0], args[1]);
    } else if (!strcmp(sub, "generate")) {
        if (nargs != 1) return cli_usage_error("gpt2", "generate needs MODEL");
        st = gpt2_generate(args[0], vocab, prompt, &o, bf16);
    } else if (!strcmp(sub, "perplexity")) {
        if (nargs < 2) return cli_usage_error("gpt2", "perplexity needs MODEL FILE...");
        st = gpt2_perplexity(args[0], vocab, args + 1, nargs - 1, stride);
    } else if (!strcmp(sub, "pretrain") || !strcmp(sub, "finetune")) {
        int pre = sub[0] == 'p';
        if (nargs != (pre ? 1 : 2))
            return cli_usage_error("gpt2", pre ? "pretrain needs OUT" : "finetune needs IN OUT");
        if (!t.ndata) return cli_usage_error("gpt2", "%s needs --data FILE.tok", sub);
        if (!t.lr_final_set && t.o.lr_final > t.o.lr) t.o.lr_final = t.o.lr;
        if (pre && !t.o.max_steps && !t.o.epochs) t.o.epochs = 1;
        /* several MPI ranks: rank 0 runs the command, the others serve its training steps */
        st = par_is_root() ? gpt2_train_cmd(pre ? NULL : args[0], args[pre ? 0 : 1], &cfg, &t)
                           : dp_serve();
        if (!st) dp_release();
    } else {
        return cli_usage_error("gpt2", "unknown subcommand '%s'", sub);
    }
    return st ? cli_fail("gpt2", st) : 0;
}
