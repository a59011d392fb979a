/* cmd_sim: `biasamp sim CONFIG [-o DIR] [-s key=value]... [--no-plot] [--resume]` — parse, call
 * sim_run (with the Monte Carlo checkpoints of sim/mcstate), print the per-generation table beside
 * the population map and the closed form. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli.h"
#include "err.h"
#include "family.h"
#include "par.h"
#include "paths.h"
#include "sim.h"
#include "mcstate.h"
#include "weights.h"
#include "xalloc.h"

#define SIM_MAX_OVERRIDES 64

static void sim_help(void)
{
    printf("usage: biasamp sim [options] CONFIG.ini\n"
           "       biasamp sim --resume -o DIR [CONFIG.ini]\n\n"
           "Runs the fit-sample-refit loop of CONFIG: Monte Carlo replicates at the configured n,\n"
           "the exact population map (n = inf) and, where known, the closed form. Writes\n"
           "generations.csv, population.csv, density.csv (and trajectories.csv), config.ini and\n"
           "figures into the results folder, and prints the table per generation.\n"
           "Monte Carlo replicates are saved in chunks of %d as they finish (DIR/%s/, removed\n"
           "when the tables are complete): a killed run continues with --resume, and its tables\n"
           "are byte-identical to an uninterrupted run's.\n\n"
           "options:\n"
           "  -o, --output DIR     results folder (default results/<config>_<UTC stamp>)\n"
           "  -s, --set KEY=VALUE  override a config key, e.g. -s sim.n=inf (repeatable)\n"
           "      --no-plot        write the CSV tables only\n"
           "      --resume         continue the killed run in DIR (CONFIG defaults to\n"
           "                       DIR/config.ini; the same config and overrides)\n"
           "  -q, --quiet          print nothing but errors\n"
           "  -h, --help           this help\n\n"
           "MPI build: mpirun -n N biasamp sim ... splits the replicates over N ranks; the\n"
           "tables are byte-identical to one process's and only rank 0 writes them (and the\n"
           "resumable state of its own share of the replicates).\n\n"
           "config keys:\n", MC_CHUNK, MCSTATE_DIR);
    cfg_print_keys(simcfg_keys, stdout);
}

/* At most this many parameters are printed (the CSVs have all of them). */
#define SIM_PRINT_PARAMS 4

static void sim_print(const SimSpec *s, const SimOutput *out, const char *dir)
{
    const Dist *f = &s->fit;
    int np = out->nparam < SIM_PRINT_PARAMS ? out->nparam : SIM_PRINT_PARAMS, M = out->nmetric;
    int P0 = loop_col(s, LOOP_M_PARAM0);
    printf("%s model, %s data, weight %s (scope %s), mode %s, n = ", f->type->name,
           s->data.type->name, s->weight->name, weight_scope_names[s->scope],
           loop_mode_names[s->mode]);
    if (s->n > 0)
        printf("%ld, %ld replicate%s\n", s->n, s->replicates, s->replicates > 1 ? "s" : "");
    else
        printf("inf\n");
    printf("%4s", "gen");
    if (out->sampled) {
        for (int j = 0; j < np; j++) printf(" %11s", f->pname[j]);
        printf(" %9s %9s |", "stat", "sd");
    }
    for (int j = 0; j < np; j++) printf(" %9s_inf", f->pname[j]);
    if (out->closed) {
        printf(" |");
        for (int j = 0; j < np; j++) printf(" %9s_cf", f->pname[j]);
    }
    printf("\n");
    int cs = loop_col(s, LOOP_M_STAT), csd = loop_col(s, LOOP_M_SD);
    for (int g = 0; g < out->generations; g++) {
        printf("%4d", g);
        if (out->sampled) {
            const double *st = out->mc.stat + (size_t)g * (size_t)M * MC_NSTAT;
            for (int j = 0; j < np; j++) printf(" %11.5g", st[(P0 + j) * MC_NSTAT]);
            printf(" %9.5g %9.5g |", st[cs * MC_NSTAT], st[csd * MC_NSTAT]);
        }
        for (int j = 0; j < np; j++)
            printf(" %13.8g", out->pop[(size_t)g * (size_t)M + (size_t)(P0 + j)]);
        if (out->closed) {
            printf(" |");
            for (int j = 0; j < np; j++)
                printf(" %12.8g", out->closed[(size_t)g * (size_t)out->nparam + (size_t)j]);
        }
        printf("\n");
    }
    printf("tables%s in %s/\n", out->figures ? " and figures" : "", dir);
}

/* Removes what this run created in `dir` when it fails (CSV .part files are gone already). */
static void sim_cleanup(const char *dir, int created)
{
    char path[4096];
    mcstate_remove(dir);
    if (paths_join(path, sizeof path, dir, "config.ini") == ERR_OK) unlink(path);
    if (created) rmdir(dir); /* only if empty */
}

int cmd_sim(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"set", required_argument, 0, 's'},
                                         {"no-plot", no_argument, 0, 'P'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"resume", no_argument, 0, 'R'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *outdir = NULL;
    char *overrides[SIM_MAX_OVERRIDES];
    int noverrides = 0, plot = 1, quiet = 0, resume = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:s:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 's':
            if (noverrides == SIM_MAX_OVERRIDES) return cli_usage_error("sim", "too many -s");
            overrides[noverrides++] = optarg;
            break;
        case 'P': plot = 0; break;
        case 'q': quiet = 1; break;
        case 'R': resume = 1; break;
        case 'h': sim_help(); return 0;
        default:
            return cli_usage_error("sim", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (resume && !outdir) return cli_usage_error("sim", "--resume needs the run's -o DIR");
    char cfgpath[4200];
    const char *config;
    if (optind == argc && resume) {
        snprintf(cfgpath, sizeof cfgpath, "%s/config.ini", outdir);
        config = cfgpath;
    } else if (optind != argc - 1) {
        return cli_usage_error("sim",
                               optind == argc ? "missing CONFIG.ini" : "one CONFIG expected");
    } else {
        config = argv[optind];
    }

    SimConfig sc;
    Cfg cfg;
    cfg_init(&cfg, simcfg_keys, &sc);
    SimSpec spec;
    SimOutput out = {0};
    char dir[4096];
    int created = 0, st = cli_load_config(&cfg, config, overrides, noverrides);
    if (!st) st = simcfg_spec(&cfg, &sc, &spec);
    if (st) goto done;
    if ((st = cli_check_gnuplot(plot))) goto done;
    if (spec.n > 0) { /* the Monte Carlo run's memory, before any output */
        int threads = 1;
#ifdef _OPENMP
        threads = omp_get_max_threads();
#endif
        char est[256];
        snprintf(est, sizeof est, "Monte Carlo: %ld replicates x %d generations x %d metrics, "
                 "%d thread%s with their sample buffers", spec.replicates, spec.generations,
                 loop_nmetric(&spec), threads, threads > 1 ? "s" : "");
        if ((st = xalloc_check(mc_memory_bytes(&spec, threads), "sim", est))) goto done;
    }
    struct stat sb;
    RunInfo ri;
    runinfo_init(&ri, cli_argc, cli_argv);
    ri.seed = spec.seed;
    ri.config_hash = cfg_hash(&cfg);
    McState ms;
    int use_state = 0, complete = 0;
    if (par_is_root()) { /* several MPI ranks: only rank 0 touches the results folder */
        created = !(outdir && stat(outdir, &sb) == 0);
        char gpath[4200];
        if (outdir) snprintf(gpath, sizeof gpath, "%s/generations.csv", outdir);
        char cipath[4200];
        if (outdir) snprintf(cipath, sizeof cipath, "%s/config.ini", outdir);
        /* config.ini is written after the state folder and its command line: without it, a
         * killed run recorded nothing */
        if (resume && mcstate_exists(outdir) && stat(cipath, &sb) != 0) {
            st = err_set(ERR_INVAL, "%s holds no Monte Carlo run to resume (killed before it "
                         "wrote config.ini): run the config without --resume", outdir);
            goto done;
        }
        if (resume && !mcstate_exists(outdir)) {
            if (stat(gpath, &sb) == 0) {
                if (!quiet) printf("the run in %s/ is complete: nothing to resume\n", outdir);
                complete = 1;
                goto decided;
            }
            st = err_set(ERR_INVAL, "%s holds no Monte Carlo run to resume (no %s/): run the "
                         "config without --resume", outdir, MCSTATE_DIR);
            goto done;
        }
        if (!resume && outdir && mcstate_exists(outdir)) {
            if (stat(cipath, &sb) == 0) {
                st = err_set(ERR_INVAL, "%s holds an unfinished run (%s/): continue it with "
                             "--resume or choose another folder", outdir, MCSTATE_DIR);
                goto done;
            }
            mcstate_remove(outdir); /* a run killed before it recorded anything: start afresh */
        }
        if ((st = paths_results_dir(dir, sizeof dir, config, outdir))) goto done;
        /* the state folder and the first command line before any output: a resumed run writes
         * the tables an uninterrupted one would have */
        use_state = spec.n > 0;
        if (use_state) {
            char cmdpath[4400];
            if ((st = mcstate_open(&ms, dir, ri.config_hash, &spec))) goto fail;
            snprintf(cmdpath, sizeof cmdpath, "%s/command.txt", ms.dir);
            if ((st = runinfo_keep_command(&ri, cmdpath, resume))) goto fail;
        }
        char cpath[4200];
        snprintf(cpath, sizeof cpath, "%s/config.ini", dir);
        if (!(resume && stat(cpath, &sb) == 0) && (st = paths_write_config(dir, &cfg))) goto fail;
    } else {
        snprintf(dir, sizeof dir, "%s", outdir ? outdir : "results");
    }
decided:
    par_bcast(&complete, sizeof complete); /* every rank takes the same path */
    if (complete) goto done;
    SimRunOpts o = {.dir = dir,
                    .run = &ri,
                    .trajectories = sc.trajectories,
                    .plot = plot,
                    .format = simcfg_formats[sc.plot_format],
                    .title = sc.title,
                    .progress = !quiet,
                    .hooks = use_state ? &ms.hooks : NULL};
    st = sim_run(&spec, &o, &out);
    if (!st && use_state) st = mcstate_remove(dir);
    if (st) goto fail;
    if (!quiet && use_state && ms.loaded)
        printf("resumed: %ld of %ld replicate chunks read back from %s/\n", ms.loaded,
               ms.loaded + ms.saved, MCSTATE_DIR);
    if (!quiet) sim_print(&spec, &out, dir);
    goto done;
fail:
    if (!resume && par_is_root()) sim_cleanup(dir, created); /* a resumable state is kept */
done:
    sim_output_release(&out);
    cfg_release(&cfg);
    return st ? cli_fail("sim", st) : 0;
}
