/* explore_session: the explorer's config and runs. A run is the population map first (timed, so
 * the answer at n = inf is on screen at once), then sim_run into a folder: the same tables and
 * figures as `biasamp sim`, and the records `table`, `compare`, `plot` and the lessons read. */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "explore.h"
#include "paths.h"
#include "plot.h"
#include "xalloc.h"

static double explore_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int explore_init(Explore *e)
{
    memset(e, 0, sizeof *e);
    cfg_init(&e->cfg, simcfg_keys, &e->sc);
    const char *t = getenv("TMPDIR");
    snprintf(e->tmp, sizeof e->tmp, "%s/biasamp-explore-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(e->tmp)) {
        int st = err_set(ERR_IO, "cannot make a temp folder in %s: %s", t && *t ? t : "/tmp",
                         strerror(errno));
        cfg_release(&e->cfg);
        e->tmp[0] = '\0';
        return st;
    }
    e->tty_out = isatty(STDOUT_FILENO);
    e->interactive = e->tty_out && isatty(STDIN_FILENO);
    return ERR_OK;
}

void explore_release(Explore *e)
{
    for (int i = 0; i < EXPLORE_KEEP; i++) explore_run_free(e->runs[i]);
    if (e->tmp[0]) explore_rmtree(e->tmp);
    cfg_release(&e->cfg);
    memset(e, 0, sizeof *e);
}

static int rmtree_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void explore_rmtree(const char *path)
{
    if (path && *path) nftw(path, rmtree_one, 16, FTW_DEPTH | FTW_PHYS);
}

int explore_load(Explore *e, const char *path)
{
    SimConfig sc;
    Cfg c;
    cfg_init(&c, simcfg_keys, &sc);
    int st = path ? cfg_load(&c, path) : ERR_OK;
    if (!st) {
        e->sc = sc; /* the bound Cfg keeps pointing at e->sc; copy the origins across */
        memcpy(e->cfg.origin, c.origin, (size_t)c.nkeys * sizeof *c.origin);
        snprintf(e->cfg.path, sizeof e->cfg.path, "%s", c.path);
    }
    cfg_release(&c);
    return st;
}

const CfgKey *explore_key(const Explore *e, const char *typed)
{
    const Cfg *c = &e->cfg;
    if (strchr(typed, '.')) {
        const CfgKey *k = cfg_find(c, typed);
        if (!k) err_set(ERR_INVAL, "unknown key '%s' ('show' lists the keys)", typed);
        return k;
    }
    char name[160];
    snprintf(name, sizeof name, "sim.%s", typed);
    const CfgKey *k = cfg_find(c, name);
    if (k) return k;
    const CfgKey *hit = NULL;
    char list[512] = "";
    int nhit = 0;
    for (int i = 0; i < c->nkeys; i++) {
        const char *dot = strchr(c->keys[i].name, '.');
        if (dot && strcmp(dot + 1, typed) == 0) {
            hit = &c->keys[i];
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", nhit++ ? ", " : "",
                     hit->name);
        }
    }
    if (nhit == 1) return hit;
    if (nhit > 1)
        err_set(ERR_INVAL, "ambiguous key '%s': say which, %s", typed, list);
    else
        err_set(ERR_INVAL, "unknown key '%s' ('show' lists the keys)", typed);
    return NULL;
}

int explore_set(Explore *e, const char *typed, const char *value, const char *origin)
{
    const CfgKey *k = explore_key(e, typed);
    if (!k) return ERR_INVAL;
    return cfg_set_value(&e->cfg, k->name, value, origin);
}

int explore_spec(Explore *e, SimSpec *spec) { return simcfg_spec(&e->cfg, &e->sc, spec); }

/* ---- run records ----------------------------------------------------------------------------- */

void explore_run_free(ExploreRun *r)
{
    if (!r) return;
    sim_output_release(&r->out);
    if (r->owns_dir) explore_rmtree(r->dir);
    free(r->vals);
    free(r);
}

void explore_keep(Explore *e, ExploreRun *r)
{
    explore_run_free(e->runs[EXPLORE_KEEP - 1]);
    for (int i = EXPLORE_KEEP - 1; i > 0; i--) e->runs[i] = e->runs[i - 1];
    e->runs[0] = r;
}

static int metric_col(const ExploreRun *r, const char *name)
{
    return loop_find_col(&r->spec, name);
}

double explore_pop(const ExploreRun *r, const char *name, int g)
{
    int m = metric_col(r, name);
    if (m < 0 || g < 0 || g >= r->out.generations) return NAN;
    return r->out.pop[(size_t)g * (size_t)r->out.nmetric + (size_t)m];
}

double explore_mc(const ExploreRun *r, const char *name, int g, int stat)
{
    int m = metric_col(r, name);
    if (!r->out.sampled || m < 0 || g < 0 || g >= r->out.generations) return NAN;
    return r->out.mc.stat[((size_t)g * (size_t)r->out.nmetric + (size_t)m) * MC_NSTAT +
                          (size_t)stat];
}

double explore_rep(const ExploreRun *r, const char *name, long rep, int g)
{
    int m = metric_col(r, name);
    if (!r->out.sampled || m < 0 || g < 0 || g >= r->out.generations || rep < 0 ||
        rep >= r->out.mc.replicates)
        return NAN;
    return mc_value(&r->out.mc, rep, g, m);
}

double explore_value(const ExploreRun *r, const char *name, int g)
{
    return r->out.sampled ? explore_mc(r, name, g, MC_MEAN) : explore_pop(r, name, g);
}

/* "gaussian model on mixture data, weight tilt, mode replace, n = 1000 x 200" */
static void run_describe(const SimSpec *s, char *buf, size_t n)
{
    int k = snprintf(buf, n, "%s", s->fit.type->name);
    if (s->data.type != s->fit.type) k += snprintf(buf + k, n - (size_t)k, " on %s data",
                                                   s->data.type->name);
    k += snprintf(buf + k, n - (size_t)k, ", weight %s, %s", s->weight->name,
                  loop_mode_names[s->mode]);
    if (s->n > 0)
        snprintf(buf + k, n - (size_t)k, ", n = %ld x %ld replicates", s->n, s->replicates);
    else
        snprintf(buf + k, n - (size_t)k, ", n = inf");
}

/* A bias of the population map that is zero up to rounding, shown as 0 (1e-17 reads as noise). */
static double tidy_bias(const SimSpec *s, double b)
{
    return fabs(b) < 1e-12 * fmax(1, fabs(s->truth_stat)) ? 0.0 : b;
}

/* "bias +0.0714 -> +0.1 (generations 0..10); dispersion 0.175 -> 0.00685" */
static void print_trend(const ExploreRun *r, const double *pop)
{
    const SimSpec *s = &r->spec;
    int G = s->generations, M = s->nmetric, cb = s->col[LOOP_M_BIAS],
        cd = s->col[LOOP_M_DISPERSION];
    double b0 = tidy_bias(s, pop[cb]), b1 = tidy_bias(s, pop[(size_t)(G - 1) * M + cb]);
    double d0 = pop[cd], d1 = pop[(size_t)(G - 1) * M + cd];
    printf("bias %+.4g -> %+.4g, dispersion %.4g -> %.4g (generations 0..%d)", b0, b1, d0, d1,
           G - 1);
}

int explore_run(Explore *e, const char *dir, const char *label, int figures, int verbose,
                ExploreRun **out)
{
    *out = NULL;
    ExploreRun *r = xcalloc(1, sizeof *r);
    double *pop = NULL;
    int st = explore_spec(e, &r->spec);
    if (st) goto fail;
    if (figures && !plot_available()) {
        st = err_set(ERR_IO, "gnuplot not found (install gnuplot-nox)");
        goto fail;
    }
    r->id = ++e->nruns;
    if (label)
        snprintf(r->label, sizeof r->label, "%s", label);
    else
        snprintf(r->label, sizeof r->label, "run %d", r->id);
    if (dir) {
        snprintf(r->dir, sizeof r->dir, "%s", dir);
    } else {
        snprintf(r->dir, sizeof r->dir, "%s/run-%d", e->tmp, r->id);
        r->owns_dir = 1;
    }
    if ((st = paths_mkdirs(r->dir))) goto fail;
    r->nkeys = e->cfg.nkeys;
    r->vals = xcalloc((size_t)r->nkeys, sizeof *r->vals);
    for (int i = 0; i < r->nkeys; i++)
        cfg_format(&e->cfg, &e->cfg.keys[i], r->vals[i], sizeof r->vals[i]);

    /* the population map on its own first: no sampling, answers at once */
    const SimSpec *s = &r->spec;
    pop = xcalloc((size_t)s->generations * (size_t)s->nmetric, sizeof *pop);
    double t0 = explore_now();
    if ((st = loop_population(s, pop))) goto fail;
    r->pop_ms = 1e3 * (explore_now() - t0);
    if (verbose) {
        char what[256];
        run_describe(s, what, sizeof what);
        printf("%s: %s\n", r->label, what);
        printf("  population map (n = inf) in %.1f ms: ", r->pop_ms);
        print_trend(r, pop);
        printf("\n");
        if (s->n > 0)
            printf("  Monte Carlo: %ld replicate%s at n = %ld ...\n", s->replicates,
                   s->replicates > 1 ? "s" : "", s->n);
        fflush(stdout);
    }
    if ((st = paths_write_config(r->dir, &e->cfg))) goto fail;
    RunInfo ri;
    runinfo_init(&ri, cli_argc, cli_argv);
    ri.seed = s->seed;
    ri.config_hash = cfg_hash(&e->cfg);
    SimRunOpts o = {.dir = r->dir,
                    .run = &ri,
                    .trajectories = e->sc.trajectories,
                    .plot = figures,
                    .format = simcfg_formats[e->sc.plot_format],
                    .title = e->sc.title,
                    .progress = 1};
    t0 = explore_now();
    if ((st = sim_run(s, &o, &r->out))) goto fail;
    r->mc_s = explore_now() - t0;
    if (verbose >= EXPLORE_TABLE) explore_table(e, r, NULL, 0);
    if (verbose && r->out.sampled) {
        int G = s->generations;
        printf("  Monte Carlo in %.2f s: bias at generation %d = %+.4g +- %.2g (SE), "
               "dispersion %.4g\n",
               r->mc_s, G - 1, explore_mc(r, "bias", G - 1, MC_MEAN),
               explore_mc(r, "bias", G - 1, MC_SE), explore_mc(r, "dispersion", G - 1, MC_MEAN));
    }
    free(pop);
    *out = r;
    return ERR_OK;
fail:
    free(pop);
    explore_run_free(r);
    return st;
}

/* ---- tables ---------------------------------------------------------------------------------- */

static const char *const default_metrics[] = {"bias", "dispersion"};

/* ERR_INVAL naming the first metric the run does not have, with the list of those it has. */
static int check_metrics(const ExploreRun *r, char **metrics, int n)
{
    for (int i = 0; i < n; i++) {
        if (metric_col(r, metrics[i]) >= 0) continue;
        char list[2048] = "";
        for (int m = 0; m < r->spec.nmetric; m++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", m ? " " : "",
                     r->spec.mname[m]);
        return err_set(ERR_INVAL, "%s has no metric '%s' (it has: %s)", r->label, metrics[i],
                       list);
    }
    return ERR_OK;
}

/* About a dozen generations: all of them when few, else evenly spaced with the first and last. */
static int thin_rows(int G, int *rows)
{
    if (G <= 13) {
        for (int g = 0; g < G; g++) rows[g] = g;
        return G;
    }
    int k = 0;
    for (int i = 0; i <= 11; i++) {
        int g = (int)lround((double)i * (G - 1) / 11.0);
        if (k == 0 || rows[k - 1] != g) rows[k++] = g;
    }
    return k;
}

int explore_table(const Explore *e, const ExploreRun *r, char **metrics, int nmetrics)
{
    (void)e;
    if (!metrics || nmetrics == 0) {
        metrics = (char **)default_metrics;
        nmetrics = 2;
    }
    int st = check_metrics(r, metrics, nmetrics);
    if (st) return st;
    int mc = r->out.sampled, rows[16], nrows = thin_rows(r->out.generations, rows);
    printf("  %4s", "gen");
    for (int i = 0; i < nmetrics; i++) {
        char h[64];
        snprintf(h, sizeof h, "%.14s_inf", metrics[i]);
        printf(" |%15s", h);
        if (mc) {
            snprintf(h, sizeof h, "%.16s MC", metrics[i]);
            printf(" %19s %9s", h, "+-SE");
        }
    }
    printf("\n");
    for (int j = 0; j < nrows; j++) {
        int g = rows[j];
        printf("  %4d", g);
        for (int i = 0; i < nmetrics; i++) {
            double v = explore_pop(r, metrics[i], g);
            printf(" |%15.6g", strcmp(metrics[i], "bias") ? v : tidy_bias(&r->spec, v));
            if (mc)
                printf(" %19.6g %9.2g", explore_mc(r, metrics[i], g, MC_MEAN),
                       explore_mc(r, metrics[i], g, MC_SE));
        }
        printf("\n");
    }
    return ERR_OK;
}

int explore_compare(const Explore *e, char **metrics, int nmetrics)
{
    const ExploreRun *a = e->runs[1], *b = e->runs[0];
    if (!a || !b)
        return err_set(ERR_INVAL, "compare needs two runs (%d so far): change a key, 'run' "
                       "again", b ? 1 : 0);
    if (!metrics || nmetrics == 0) {
        metrics = (char **)default_metrics;
        nmetrics = 2;
    }
    int st = check_metrics(a, metrics, nmetrics);
    if (!st) st = check_metrics(b, metrics, nmetrics);
    if (st) return st;
    char da[256], db[256];
    run_describe(&a->spec, da, sizeof da);
    run_describe(&b->spec, db, sizeof db);
    printf("A = %s: %s\nB = %s: %s\n", a->label, da, b->label, db);
    int ndiff = 0;
    for (int i = 0; i < a->nkeys && i < b->nkeys; i++) {
        if (strcmp(a->vals[i], b->vals[i]) == 0) continue;
        if (!ndiff++) printf("config A -> B:\n");
        printf("  %-20s %s -> %s\n", e->cfg.keys[i].name, a->vals[i][0] ? a->vals[i] : "(empty)",
               b->vals[i][0] ? b->vals[i] : "(empty)");
    }
    if (!ndiff) printf("config A -> B: the same\n");
    printf("values: A %s, B %s\n", a->out.sampled ? "Monte Carlo means" : "population map",
           b->out.sampled ? "Monte Carlo means" : "population map");
    int G = a->out.generations > b->out.generations ? a->out.generations : b->out.generations;
    int rows[16], nrows = thin_rows(G, rows);
    printf("  %4s", "gen");
    for (int i = 0; i < nmetrics; i++) printf(" |%14.12s A %14.12s B", metrics[i], metrics[i]);
    printf("\n");
    for (int j = 0; j < nrows; j++) {
        int g = rows[j];
        printf("  %4d", g);
        for (int i = 0; i < nmetrics; i++)
            printf(" |%16.6g %16.6g", explore_value(a, metrics[i], g),
                   explore_value(b, metrics[i], g));
        printf("\n");
    }
    return ERR_OK;
}

/* ---- plots ----------------------------------------------------------------------------------- */

void explore_target(const Explore *e, const char *mode, char *out, size_t nout, char *term,
                    size_t nterm)
{
    const char *display = getenv("DISPLAY");
    int window = !strcmp(mode, "window") ||
                 (!strcmp(mode, "auto") && display && *display && e->interactive);
    if (strcmp(mode, "auto") && strcmp(mode, "term") && strcmp(mode, "window")) {
        snprintf(out, nout, "%s", mode); /* a file */
        term[0] = '\0';
        return;
    }
    snprintf(out, nout, "-");
    if (window) {
        snprintf(term, nterm, "window");
        return;
    }
    /* the terminal's size when stdout is one, else $COLUMNS/$LINES, else 100 x 30 */
    int w = 100, h = 30;
    const char *cols = getenv("COLUMNS"), *lines = getenv("LINES");
    if (cols && atoi(cols) >= 40) w = atoi(cols);
    if (lines && atoi(lines) >= 12) h = atoi(lines) - 2;
    struct winsize ws;
    if (e->tty_out && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40 &&
        ws.ws_row >= 12) {
        w = ws.ws_col;
        h = ws.ws_row - 2;
    }
    snprintf(term, nterm, "dumb %d %d%s", w > 160 ? 160 : w, h > 50 ? 50 : h,
             e->tty_out ? " ansi" : "");
}

int explore_render(const char *script, const char *const *args, int nargs, int nfiles)
{
    fflush(stdout);
    int st = plot_render(script, args, nargs, nfiles);
    if (!strcmp(args[1], "-")) printf("\n"); /* the text terminal leaves the cursor on its line */
    fflush(stdout);
    return st;
}
