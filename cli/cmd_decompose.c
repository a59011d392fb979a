/* cmd_decompose: `biasamp decompose CONFIG` — the 2x2x2 experiment (decompose_run) printed as a
 * cell table: weighting off/on x n = inf/finite x well-specified/misspecified. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "decompose.h"
#include "err.h"
#include "par.h"
#include "paths.h"

#define DECOMPOSE_MAX_OVERRIDES 64

int cmd_decompose(int argc, char **argv); /* the command table's entry (cli.h) */

static void decompose_help(void)
{
    printf("usage: biasamp decompose [options] CONFIG.ini\n\n"
           "The 2x2x2 experiment that separates bias amplification from model collapse: the\n"
           "base config (well-specified, with a weight and a finite n) is rerun with the weight\n"
           "off/on, at n = inf/finite n, and on the well-specified/misspecified truth\n"
           "([decompose] data_family, data_k, data_params). Per cell: the bias b_{G-1}, the drift\n"
           "b_{G-1} - b_0 and the dispersion ratio D_{G-1}/D* at the last generation, mean +- SE\n"
           "(SE = 0 at n = inf), whether the bias is significant (z SE) and whether the\n"
           "dispersion collapsed. Writes decompose.csv, decompose_generations.csv, config.ini and\n"
           "decompose.png into the results folder.\n\n"
           "options:\n"
           "  -o, --output DIR     results folder (default results/decompose-<config>_<stamp>)\n"
           "  -s, --set KEY=VALUE  override a config key (repeatable)\n"
           "      --no-plot        write the CSV tables only\n"
           "  -q, --quiet          print nothing but errors\n"
           "  -h, --help           this help\n\n"
           "MPI build: mpirun -n N biasamp decompose ... splits each cell's replicates over N\n"
           "ranks (byte-identical tables; rank 0 writes).\n\n"
           "config keys (those of `biasamp sim` and [decompose]):\n");
    cfg_print_keys(decompose_keys(), stdout);
}

static void decompose_print(const DecomposeResult *r, const char *dir)
{
    printf("%-4s %-9s %-6s %-15s %9s %12s %10s %12s %10s %10s %9s  %-5s %s\n", "cell", "weighting",
           "n", "form", "reps", "bias", "SE", "drift", "SE", "D/D*", "SE", "bias", "collapse");
    for (int i = 0; i < DECOMPOSE_CELLS; i++) {
        const DecomposeCell *c = &r->cell[i];
        char n[32];
        if (c->n > 0)
            snprintf(n, sizeof n, "%ld", c->n);
        else
            snprintf(n, sizeof n, "inf");
        printf("%-4d %-9s %-6s %-15s %9ld %12.5g %10.3g %12.5g %10.3g %10.5g %9.3g  %-5s %s\n", i,
               c->weighted ? "on" : "off", n, c->misspecified ? "misspecified" : "well-specified",
               c->replicates, c->s.bias, c->s.bias_se, c->s.drift, c->s.drift_se, c->s.disp_ratio,
               c->s.disp_ratio_se, c->bias_sig > 0 ? "+" : c->bias_sig < 0 ? "-" : "0",
               c->collapse ? "yes" : "no");
    }
    printf("bias: sign of a significant b_%d (|b| > %g SE; any nonzero at n = inf); collapse: "
           "D/D* significantly below 1\n",
           r->generations - 1, r->z);
    printf("tables%s in %s/\n", "", dir);
}

int cmd_decompose(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"set", required_argument, 0, 's'},
                                         {"no-plot", no_argument, 0, 'P'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *outdir = NULL;
    char *overrides[DECOMPOSE_MAX_OVERRIDES];
    int noverrides = 0, plot = 1, quiet = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:s:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 's':
            if (noverrides == DECOMPOSE_MAX_OVERRIDES)
                return cli_usage_error("decompose", "too many -s");
            overrides[noverrides++] = optarg;
            break;
        case 'P': plot = 0; break;
        case 'q': quiet = 1; break;
        case 'h': decompose_help(); return 0;
        default:
            return cli_usage_error("decompose", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("decompose",
                               optind == argc ? "missing CONFIG.ini" : "one CONFIG expected");
    const char *config = argv[optind];
    DecomposeConfig dc;
    Cfg cfg;
    cfg_init(&cfg, decompose_keys(), &dc);
    DecomposeResult res;
    memset(&res, 0, sizeof res);
    SimSpec specs[DECOMPOSE_CELLS];
    char dir[4096], label[512];
    int created = 0, st = cli_load_config(&cfg, config, overrides, noverrides);
    /* validate every cell before anything is written */
    if (!st) st = decompose_specs(config, overrides, noverrides, specs, &dc);
    if (st) goto done;
    if ((st = cli_check_gnuplot(plot))) goto done;
    struct stat sb;
    cli_run_label(label, sizeof label, "decompose", config);
    if (par_is_root()) { /* several MPI ranks: only rank 0 touches the results folder */
        created = !(outdir && stat(outdir, &sb) == 0);
        if ((st = paths_results_dir(dir, sizeof dir, label, outdir))) goto done;
        if ((st = paths_write_config(dir, &cfg))) goto done;
    } else {
        snprintf(dir, sizeof dir, "%s", outdir ? outdir : "results");
    }
    RunInfo ri;
    runinfo_init(&ri, cli_argc, cli_argv);
    ri.seed = (uint64_t)dc.sim.seed;
    ri.config_hash = cfg_hash(&cfg);
    DecomposeOpts o = {.config = config,
                       .overrides = overrides,
                       .noverrides = noverrides,
                       .dir = dir,
                       .run = &ri,
                       .plot = plot,
                       .progress = !quiet};
    st = decompose_run(&o, &res);
    if (st && par_is_root()) {
        char path[4096];
        if (paths_join(path, sizeof path, dir, "config.ini") == ERR_OK) unlink(path);
        if (created) rmdir(dir);
    }
    if (st) goto done;
    if (!quiet) decompose_print(&res, dir);
done:
    decompose_release(&res);
    cfg_release(&cfg);
    return st ? cli_fail("decompose", st) : 0;
}
