/* cmd_theory: `biasamp theory CONFIG` — the framework's conditions checked on a simulator config
 * (conditions_run), printed as a table; `--list` and `--eval NAME ARGS...` give the closed-form
 * library by name. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "conditions.h"
#include "csvlog.h"
#include "err.h"
#include "paths.h"
#include "simcfg.h"
#include "theory.h"

#define THEORY_MAX_OVERRIDES 64


static void theory_help(void)
{
    printf("usage: biasamp theory [options] CONFIG.ini\n"
           "       biasamp theory --list\n"
           "       biasamp theory --eval NAME [ARG...] [-t T | -t T1:T2]\n\n"
           "Checks the framework's conditions for bias amplification on a simulator config: the\n"
           "population trajectory b_t (n = inf), the one-step push Delta_t and its covariance\n"
           "form Cov(w, s)/E[w] + pull, the necessary condition (the map moves the statistic)\n"
           "and the sufficient one (Delta_t != 0 and Delta_t b_t >= 0 at every generation, with\n"
           "the first generation where it breaks); then runs the Monte Carlo replicates at the config's n\n"
           "and reports whether the simulation agrees (z standard errors), and compares every\n"
           "closed form that applies. Writes theory.csv, verdicts.csv, forms.csv, config.ini and\n"
           "the figures trajectory and forms into the results folder.\n\n"
           "options:\n"
           "  -o, --output DIR     results folder (default results/theory-<config>_<UTC stamp>)\n"
           "  -s, --set KEY=VALUE  override a config key (repeatable)\n"
           "  -z, --z Z            significance threshold in standard errors (default 3)\n"
           "      --no-sim         population map and closed forms only\n"
           "      --no-plot        write the CSV tables only\n"
           "  -q, --quiet          print nothing but errors\n"
           "      --list           list the closed-form library\n"
           "      --eval NAME      evaluate a closed form at t fits (t = generation + 1)\n"
           "  -t, --t T[:T2]       fits for --eval (default 1)\n"
           "  -h, --help           this help\n\n"
           "Config keys: those of `biasamp sim --help`.\n");
}

static void theory_list(void)
{
    printf("%-24s %-5s %-22s %s\n", "name", "kind", "arguments", "quantity = formula  [source]");
    for (const TheoryForm *f = theory_forms; f->name; f++)
        printf("%-24s %-5s %-22s %s = %s  [%s]%s\n", f->name, theory_kind_names[f->kind],
               *f->args ? f->args : "-", f->quantity, f->formula, f->source,
               f->applies ? "" : " (formula only)");
}

/* `--eval NAME [ARG...] [-t T | -t T1:T2]`, parsed by hand: arguments may be negative numbers. */
static int theory_eval_cmd(int argc, char **argv)
{
    const char *name = NULL, *trange = NULL;
    double a[THEORY_ARG_MAX];
    int na = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--eval") || !strncmp(argv[i], "--eval=", 7)) {
            name = argv[i][6] == '=' ? argv[i] + 7 : (i + 1 < argc ? argv[++i] : NULL);
            continue;
        }
        if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "--t")) {
            if (i + 1 == argc) return cli_usage_error("theory", "-t needs T or T1:T2");
            trange = argv[++i];
            continue;
        }
        char *end;
        if (na == THEORY_ARG_MAX) return cli_usage_error("theory", "too many arguments");
        a[na] = strtod(argv[i], &end);
        if (end == argv[i] || *end)
            return cli_usage_error("theory", "'%s' is not a number", argv[i]);
        na++;
    }
    if (!name) return cli_usage_error("theory", "--eval needs a form's name (--list)");
    double t1 = 1, t2 = 1;
    if (trange) {
        char *end;
        t1 = t2 = strtod(trange, &end);
        if (*end == ':') t2 = strtod(end + 1, &end);
        if (*end || !(t1 >= 1) || !(t2 >= t1) || t2 > 1e6)
            return cli_usage_error("theory", "-t wants T or T1:T2 with 1 <= T1 <= T2");
    }
    for (double t = t1; t <= t2; t++) {
        double v;
        int st = theory_eval(name, a, na, t, &v);
        if (st) return cli_fail("theory", st);
        if (t1 == t2)
            printf("%.10g\n", v);
        else
            printf("%g %.10g\n", t, v);
    }
    return 0;
}

/* Generations to print: all when few, else about 20 evenly spaced and the last. */
static int theory_show(int g, int G)
{
    int step = G <= 25 ? 1 : (G + 19) / 20;
    return g % step == 0 || g == G - 1;
}

static void theory_print(const SimSpec *s, const CondRunOutput *out, const char *dir)
{
    const ConditionReport *r = &out->rep;
    int G = r->generations, M = s->nmetric, cb = loop_col(s, LOOP_M_BIAS);
    printf("%s model, %s data, weight %s (scope %s), mode %s, n = ", s->fit.type->name,
           s->data.type->name, s->weight->name, weight_scope_names[s->scope],
           loop_mode_names[s->mode]);
    if (s->n > 0)
        printf("%ld (%ld replicates)\n", s->n, s->replicates);
    else
        printf("inf\n");
    printf("statistic %s, phi* = %.6g; zero tolerance %.2g\n\n", loop_statistic_names[s->statistic],
           s->truth_stat, r->tol);
    printf("%4s %13s %12s %13s %5s %13s", "gen", "b_t (n=inf)", "Delta_t", "Cov/E[w]+pull",
           "sign", "b_t closed");
    if (out->simulated) printf(" | %13s %10s", "b_t MC", "SE");
    printf("\n");
    for (int g = 0; g < G; g++) {
        if (!theory_show(g, G)) continue;
        const CondGen *c = &r->gen[g];
        printf("%4d %13.6g %12.5g %13.5g %5s %13.6g", g, c->bias, c->delta,
               r->cov_form ? c->delta_cov : c->push + c->pull, c->sign_ok ? "ok" : "x",
               c->bias_closed);
        if (out->simulated) {
            const double *ms = out->mc.stat + ((size_t)g * (size_t)M + (size_t)cb) * MC_NSTAT;
            printf(" | %13.6g %10.3g", ms[MC_MEAN], ms[MC_SE]);
        }
        printf("\n");
    }
    printf("\ncovariance form: %s\n", r->cov_note);
    printf("necessary  (the map moves the statistic, Delta != 0): %s (source: %s)\n",
           conditions_verdict_name(r->necessary), r->source);
    printf("sufficient (Delta_t != 0 and Delta_t b_t >= 0, every t): %s", 
           conditions_verdict_name(r->sufficient));
    if (r->first_break >= 0) printf(", first fails at generation %d", r->first_break);
    printf("\npopulation map: %s", conditions_pop_name(r->pop));
    if (r->pop == COND_POP_BOUNDED) printf(" (fixed point b_inf = %.6g)", r->b_limit);
    printf("; b_0 = %.6g, b_%d = %.6g\n", r->gen[0].bias, G - 1, r->gen[G - 1].bias);
    printf("collapse: dispersion %s, D_%d / D* = %.6g\n", r->collapse ? "falls" : "does not fall",
           G - 1, r->disp_ratio);
    if (out->simulated) {
        const CondMcSummary *m = &r->mcs;
        printf("simulation (%ld replicates, z = %g): %s; b_%d = %.6g +- %.3g, drift b_%d - b_0 = "
               "%.6g +- %.3g, D/D* = %.6g +- %.3g -> %s\n",
               m->replicates, r->z, conditions_mc_name(r->mc), G - 1, m->bias, m->bias_se, G - 1,
               m->drift, m->drift_se, m->disp_ratio, m->disp_ratio_se,
               r->agrees == 1 ? "agrees with the theory"
               : r->agrees == 0 ? "DISAGREES with the theory"
                                : "no population verdict to compare");
    } else {
        printf("simulation: not run (%s)\n", s->n > 0 ? "--no-sim" : "n = inf");
    }
    if (out->nforms) {
        printf("\nclosed forms (t = generation + 1; `biasamp theory --list`):\n");
        printf("  %-24s %-5s %4s %13s %13s %10s %13s  %s\n", "form", "kind", "gen", "theory",
               "Monte Carlo", "SE", "population", "verdict");
        for (int i = 0; i < out->nforms; i++) {
            const TheoryCompare *c = &out->cmp[i];
            int g = c->g_check;
            if (g < 0) continue;
            const char *v = c->agrees == 1 ? "agrees" : c->agrees == 0 ? "DISAGREES" : "shown";
            printf("  %-24s %-5s %4d %13.6g %13.6g %10.3g %13.6g  %s\n", out->forms[i].form->name,
                   theory_kind_names[out->forms[i].form->kind], g, c->pred[g], c->mc[g],
                   c->mc_se[g], c->pop[g], v);
        }
    }
    printf("tables%s in %s/\n", out->figures ? " and figures" : "", dir);
}

int cmd_theory(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"set", required_argument, 0, 's'},
                                         {"z", required_argument, 0, 'z'},
                                         {"no-sim", no_argument, 0, 'S'},
                                         {"no-plot", no_argument, 0, 'P'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"list", no_argument, 0, 'L'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *outdir = NULL;
    char *overrides[THEORY_MAX_OVERRIDES];
    int noverrides = 0, plot = 1, quiet = 0, simulate = 1, c;
    double z = 3;
    optind = 1;
    opterr = 0;
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--eval", 6)) return theory_eval_cmd(argc, argv);
    while ((c = getopt_long(argc, argv, "o:s:z:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 's':
            if (noverrides == THEORY_MAX_OVERRIDES) return cli_usage_error("theory", "too many -s");
            overrides[noverrides++] = optarg;
            break;
        case 'z': {
            char *end;
            z = strtod(optarg, &end);
            if (*end || !(z > 0) || !isfinite(z))
                return cli_usage_error("theory", "-z wants a positive number, got '%s'", optarg);
            break;
        }
        case 'S': simulate = 0; break;
        case 'P': plot = 0; break;
        case 'q': quiet = 1; break;
        case 'L': theory_list(); return 0;
        case 'h': theory_help(); return 0;
        default:
            return cli_usage_error("theory", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("theory",
                               optind == argc ? "missing CONFIG.ini" : "one CONFIG expected");
    const char *config = argv[optind];

    SimConfig sc;
    Cfg cfg;
    cfg_init(&cfg, simcfg_keys, &sc);
    SimSpec spec;
    CondRunOutput out;
    memset(&out, 0, sizeof out);
    char dir[4096], label[512];
    int created = 0, st = cli_load_config(&cfg, config, overrides, noverrides);
    if (!st) st = simcfg_spec(&cfg, &sc, &spec);
    if (st) goto done;
    if ((st = cli_check_gnuplot(plot))) goto done;
    struct stat sb;
    created = !(outdir && stat(outdir, &sb) == 0);
    cli_run_label(label, sizeof label, "theory", config);
    if ((st = paths_results_dir(dir, sizeof dir, label, outdir))) goto done;
    if ((st = paths_write_config(dir, &cfg))) goto done;
    RunInfo ri;
    runinfo_init(&ri, cli_argc, cli_argv);
    ri.seed = spec.seed;
    ri.config_hash = cfg_hash(&cfg);
    CondRunOpts o = {.dir = dir,
                     .run = &ri,
                     .simulate = simulate,
                     .z = z,
                     .plot = plot,
                     .format = simcfg_formats[sc.plot_format],
                     .title = sc.title,
                     .progress = !quiet};
    st = conditions_run(&spec, &o, &out);
    if (st) {
        char path[4096];
        if (paths_join(path, sizeof path, dir, "config.ini") == ERR_OK) unlink(path);
        if (created) rmdir(dir);
        goto done;
    }
    if (!quiet) theory_print(&spec, &out, dir);
done:
    conditions_run_release(&out);
    cfg_release(&cfg);
    return st ? cli_fail("theory", st) : 0;
}
