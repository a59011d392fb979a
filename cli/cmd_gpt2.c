/* cmd_gpt2: `biasamp gpt2 info|convert|generate|perplexity` — GPT-2 weights in any of the three
 * formats (biasamp checkpoint, HF safetensors, llm.c .bin), KV-cache generation and perplexity.
 * Each subcommand parses its options and calls one library entry. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "generate.h"
#include "gpt2_io.h"
#include "kernels.h"
#include "progress.h"
#include "tokenizer.h"
#include "xalloc.h"

static void gpt2_help(void)
{
    printf("usage: biasamp gpt2 <info|convert|generate|perplexity> [options] MODEL ...\n\n"
           "MODEL is a biasamp checkpoint, a Hugging Face model.safetensors (GPT2LMHeadModel) or an\n"
           "llm.c .bin checkpoint; the format is detected from the file.\n\n"
           "  info MODEL                      the configuration and parameter count\n"
           "  init OUT [--layers L --heads H --channels C --context T --vocab-size V --seed S]\n"
           "                                  a randomly initialised model (GPT-2's init)\n"
           "  convert IN OUT                  OUT as its extension says: .safetensors (HF layout),\n"
           "                                  .bin (llm.c fp32), anything else a biasamp checkpoint\n"
           "  generate MODEL [options]        continue a prompt (KV cache), print the text\n"
           "  perplexity MODEL FILE...        per-file perplexity, mean and 95%% CI\n\n"
           "common options:\n"
           "  -V, --vocab DIR        tokenizer files (default: the GPT-2 BPE fetched by make deps)\n"
           "  -k, --kernels NAME     scalar | avx2 | avx512 | auto (default auto)\n\n"
           "generate options:\n"
           "  -p, --prompt TEXT      the prompt (default: read stdin)\n"
           "  -n, --tokens N         new tokens (default 64)\n"
           "  -t, --temperature T    sample with temperature T (default: greedy)\n"
           "      --top-k K          sample among the K most likely tokens\n"
           "      --top-p P          nucleus sampling\n"
           "  -s, --seed S           seed of the sampling stream (default 1)\n\n"
           "perplexity options:\n"
           "      --stride S         sliding-window stride for texts longer than the context\n"
           "                         (default: half the context)\n");
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

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (cap - n < 2) buf = xrealloc(buf, cap *= 2);
    }
    buf[n] = '\0';
    *len = n;
    return buf;
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

static int gpt2_init(const char *out, const Gpt2Config *cfg, uint64_t seed)
{
    Gpt2 *m;
    int st = gpt2_config_check(cfg);
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

static int gpt2_generate(const char *path, const char *vocab, const char *prompt, GenOpts *o)
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
    if (!prompt) prompt = owned = read_all(stdin, &len);
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
        FILE *f = fopen(files[i], "rb");
        if (!f) {
            st = err_set(ERR_INVAL, "cannot open '%s'", files[i]);
            break;
        }
        size_t len;
        char *text = read_all(f, &len);
        fclose(f);
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
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *vocab = NULL, *prompt = NULL, *kern = "auto";
    GenOpts o = gen_opts_default();
    Gpt2Config cfg = gpt2_config_124m();
    int stride = 0, c;
    long v;
    char *end;
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "V:k:p:n:t:s:h", opts, NULL)) != -1) {
        switch (c) {
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
        case 's': o.seed = strtoull(optarg, &end, 10); break;
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
        st = gpt2_generate(args[0], vocab, prompt, &o);
    } else if (!strcmp(sub, "perplexity")) {
        if (nargs < 2) return cli_usage_error("gpt2", "perplexity needs MODEL FILE...");
        st = gpt2_perplexity(args[0], vocab, args + 1, nargs - 1, stride);
    } else {
        return cli_usage_error("gpt2", "unknown subcommand '%s'", sub);
    }
    return st ? cli_fail("gpt2", st) : 0;
}
