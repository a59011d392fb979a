/* cmd_sweep: `biasamp sweep CONFIG -g key=lo:hi:steps[:log] [-g key2=...]` — a grid over one or two
 * config keys (sweep_run): a tidy sweep.csv, boundary.csv and the phase diagram; --resume
 * continues a killed sweep. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "par.h"
#include "paths.h"
#include "sweep.h"

#define SWEEP_MAX_OVERRIDES 64

int cmd_sweep(int argc, char **argv); /* the command table's entry (cli.h) */

static void sweep_help(void)
{
    printf("usage: biasamp sweep [options] CONFIG.ini [-g KEY=LO:HI:STEPS[:log]] [-g KEY2=...]\n\n"
           "Runs CONFIG at every point of a grid over one or two config keys (any key of\n"
           "`biasamp sim --help`, set through the same table: KEY=LO:HI:STEPS, log-spaced with\n"
           ":log, whole-number keys rounded; or KEY=V1,V2,... for any values, e.g. weight names).\n"
           "Per point: the last generation's metrics (Monte Carlo mean and SE at finite n, the\n"
           "population map at n = inf), the drift, dispersion ratio, the population verdicts of\n"
           "the conditions and the simulation's agreement: one row of sweep.csv. The phase\n"
           "diagram of METRIC (heatmap for two keys) shows the theory boundaries that exist:\n"
           "the sufficient condition's change, n s = 1 for a category weight, the preservation\n"
           "fixed point. n = inf points run in parallel; Monte Carlo points one at a time with\n"
           "their replicates in parallel. MPI build: mpirun -n N biasamp sweep ... splits both\n"
           "over N ranks (byte-identical tables; rank 0 writes; --resume works as usual).\n\n"
           "options:\n"
           "  -g, --grid KEY=...   a swept key (once or twice; default sweep.grid1/grid2)\n"
           "  -m, --metric NAME    the column drawn (default sweep.metric, bias)\n"
           "  -o, --output DIR     results folder (default results/sweep-<config>_<stamp>)\n"
           "      --resume         continue the sweep in DIR (-o) where it stopped\n"
           "  -s, --set KEY=VALUE  override a config key (repeatable)\n"
           "  -z, --z Z            significance threshold of the simulation's verdict (3)\n"
           "      --no-plot        write the CSV tables only\n"
           "  -q, --quiet          print nothing but errors\n"
           "  -h, --help           this help\n\n"
           "config keys (those of `biasamp sim` and [sweep]):\n");
    cfg_print_keys(sweep_keys(), stdout);
}

int cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {{"grid", required_argument, 0, 'g'},
                                         {"metric", required_argument, 0, 'm'},
                                         {"output", required_argument, 0, 'o'},
                                         {"resume", no_argument, 0, 'R'},
                                         {"set", required_argument, 0, 's'},
                                         {"z", required_argument, 0, 'z'},
                                         {"no-plot", no_argument, 0, 'P'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *outdir = NULL, *grid[2] = {NULL, NULL}, *metric = NULL;
    char *overrides[SWEEP_MAX_OVERRIDES];
    int noverrides = 0, ngrid = 0, plot = 1, quiet = 0, resume = 0, c;
    double z = 3;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "g:m:o:s:z:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'g':
            if (ngrid == 2) return cli_usage_error("sweep", "at most two -g");
            grid[ngrid++] = optarg;
            break;
        case 'm': metric = optarg; break;
        case 'o': outdir = optarg; break;
        case 'R': resume = 1; break;
        case 's':
            if (noverrides == SWEEP_MAX_OVERRIDES) return cli_usage_error("sweep", "too many -s");
            overrides[noverrides++] = optarg;
            break;
        case 'z': {
            char *end;
            z = strtod(optarg, &end);
            if (*end || !(z > 0) || !isfinite(z))
                return cli_usage_error("sweep", "-z wants a positive number, got '%s'", optarg);
            break;
        }
        case 'P': plot = 0; break;
        case 'q': quiet = 1; break;
        case 'h': sweep_help(); return 0;
        default:
            return cli_usage_error("sweep", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("sweep",
                               optind == argc ? "missing CONFIG.ini" : "one CONFIG expected");
    if (resume && !outdir) return cli_usage_error("sweep", "--resume needs the sweep's -o DIR");
    const char *config = argv[optind];
    SweepConfig sc;
    Cfg cfg;
    cfg_init(&cfg, sweep_keys(), &sc);
    char dir[4096], label[512];
    SweepResult res;
    int created = 0, st = cli_load_config(&cfg, config, overrides, noverrides);
    if (st) goto done;
    if ((st = cli_check_gnuplot(plot))) goto done;
    struct stat sb;
    cli_run_label(label, sizeof label, "sweep", config);
    RunInfo ri;
    runinfo_init(&ri, cli_argc, cli_argv);
    if (par_is_root()) { /* several MPI ranks: only rank 0 touches the results folder */
        created = !(outdir && stat(outdir, &sb) == 0);
        char cpath[4200];
        if (resume) { /* config.ini is written after the command line and before any table */
            snprintf(cpath, sizeof cpath, "%s/config.ini", outdir);
            if (stat(cpath, &sb) != 0) {
                st = err_set(ERR_INVAL, "%s holds no sweep to resume (no config.ini: killed before "
                             "it started): run it again without --resume", outdir);
                goto done;
            }
        }
        if ((st = paths_results_dir(dir, sizeof dir, label, outdir))) goto done;
        /* the first command line, kept for the tables of a resumed sweep (command.txt first, then
         * config.ini, which marks a started sweep) */
        char tpath[4200], ppath[4300];
        snprintf(tpath, sizeof tpath, "%s/sweep.csv", dir);
        snprintf(ppath, sizeof ppath, "%s/sweep.csv.part", dir);
        int held = stat(tpath, &sb) == 0 || stat(ppath, &sb) == 0; /* sweep_run refuses it */
        snprintf(cpath, sizeof cpath, "%s/command.txt", dir);
        if ((resume || !held) && (st = runinfo_keep_command(&ri, cpath, resume))) goto done;
        if (!resume && (st = paths_write_config(dir, &cfg))) goto done;
    } else {
        snprintf(dir, sizeof dir, "%s", outdir ? outdir : "results");
    }
    ri.seed = (uint64_t)sc.sim.seed;
    ri.config_hash = cfg_hash(&cfg);
    SweepOpts o = {.config = config,
                   .overrides = overrides,
                   .noverrides = noverrides,
                   .grid = {grid[0], grid[1]},
                   .metric = metric,
                   .dir = dir,
                   .run = &ri,
                   .resume = resume,
                   .plot = plot,
                   .progress = !quiet,
                   .z = z};
    st = sweep_run(&o, &res);
    if (st) {
        if (created && par_is_root()) { /* nothing of value yet: remove what this call made */
            char path[4096];
            if (paths_join(path, sizeof path, dir, "config.ini") == ERR_OK) unlink(path);
            if (paths_join(path, sizeof path, dir, "command.txt") == ERR_OK) unlink(path);
            rmdir(dir);
        }
        goto done;
    }
    if (!quiet) {
        if (res.already_done)
            printf("the sweep in %s/ was already complete (%ld points); boundaries and figure "
                   "redrawn\n", dir, res.points);
        else
            printf("%ld grid points (%ld computed now, %ld resumed); boundaries: %d condition, "
                   "%d n s = 1, %d fixed point segments\n",
                   res.points, res.computed, res.points - res.computed, res.nboundary[0],
                   res.nboundary[1], res.nboundary[2]);
        printf("sweep.csv, boundary.csv%s in %s/\n", res.figures ? " and the figure" : "", dir);
    }
done:
    cfg_release(&cfg);
    return st ? cli_fail("sweep", st) : 0;
}
