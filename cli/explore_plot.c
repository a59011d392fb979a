/* explore_plot: the explorer's `plot`, `save` and `theory`. Plots of the latest run are drawn from
 * the tables sim_run wrote, by plots/explore_*.gp: text in the terminal by default, a window when a
 * display is there, or a PNG/SVG file. `theory` prints sim/conditions' verdicts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conditions.h"
#include "err.h"
#include "explore.h"
#include "paths.h"
#include "plot.h"

/* "run 3: gaussian, tilt, replace, n = 1000" */
static void plot_title(const ExploreRun *r, char *buf, size_t n)
{
    const SimSpec *s = &r->spec;
    if (s->n > 0)
        snprintf(buf, n, "%s: %s, %s, %s, n = %ld", r->label, s->fit.type->name, s->weight->name,
                 loop_mode_names[s->mode], s->n);
    else
        snprintf(buf, n, "%s: %s, %s, %s, n = inf", r->label, s->fit.type->name, s->weight->name,
                 loop_mode_names[s->mode]);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int explore_plot(Explore *e, int argc, char **argv)
{
    const ExploreRun *r = e->runs[0];
    const char *mode = "auto";
    char file[EXPLORE_PATH_MAX];
    int i = 1;
    if (i < argc && (!strcmp(argv[i], "png") || !strcmp(argv[i], "svg"))) {
        if (i + 1 >= argc) return err_set(ERR_INVAL, "plot %s: missing FILE", argv[i]);
        char ext[8];
        snprintf(ext, sizeof ext, ".%s", argv[i]);
        if (ends_with(argv[i + 1], ext))
            snprintf(file, sizeof file, "%s", argv[i + 1]);
        else
            snprintf(file, sizeof file, "%s%s", argv[i + 1], ext);
        mode = file;
        i += 2;
    } else if (i < argc && (!strcmp(argv[i], "term") || !strcmp(argv[i], "window"))) {
        mode = argv[i++];
    }
    if (!r) return err_set(ERR_INVAL, "nothing to plot yet: type 'run' first");
    if (!plot_available()) return err_set(ERR_IO, "gnuplot not found (install gnuplot-nox)");

    char out[EXPLORE_PATH_MAX], term[64], title[256], list[2048] = "";
    explore_target(e, mode, out, sizeof out, term, sizeof term);
    plot_title(r, title, sizeof title);
    int density = 0, nlist = 0;
    for (int j = i; j < argc; j++) {
        if (!strcmp(argv[j], "density")) {
            density = 1;
        } else if (!strcmp(argv[j], "shares")) {
            if (r->spec.col[LOOP_M_SHARE0] < 0)
                return err_set(ERR_INVAL, "%s has no class shares (not a categorical model)",
                               r->label);
            for (int c = 0; c < r->spec.fit.k; c++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         nlist++ ? " " : "", r->spec.mname[r->spec.col[LOOP_M_SHARE0] + c]);
        } else {
            if (loop_find_col(&r->spec, argv[j]) < 0)
                return err_set(ERR_INVAL, "%s has no metric '%s' ('table %s' lists them)",
                               r->label, argv[j], argv[j]);
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", nlist++ ? " " : "",
                     argv[j]);
        }
    }
    if (density && nlist)
        return err_set(ERR_INVAL, "plot density draws alone: plot it and the metrics separately");
    if (!density && !nlist) snprintf(list, sizeof list, "bias dispersion");

    char gen[EXPLORE_PATH_MAX + 32], pop[EXPLORE_PATH_MAX + 32];
    int st;
    if (density) {
        paths_join(gen, sizeof gen, r->dir, "density.csv");
        const char *args[] = {gen, out, title, r->out.sampled ? "paired" : "single", term};
        st = explore_render("explore_density", args, 5, 1);
    } else {
        paths_join(gen, sizeof gen, r->dir, "generations.csv");
        paths_join(pop, sizeof pop, r->dir, r->out.sampled ? "population.csv" : "generations.csv");
        const char *args[] = {gen, out, pop, title, list, term, r->out.sampled ? "mc" : "pop"};
        st = explore_render("explore_metrics", args, 7, 3);
    }
    if (!st && strcmp(out, "-")) printf("wrote %s\n", out);
    return st;
}

int explore_save(Explore *e, const char *dir)
{
    int figures = plot_available();
    ExploreRun *r = NULL;
    struct stat sb;
    int existed = stat(dir, &sb) == 0;
    int st = explore_run(e, dir, "save", figures, EXPLORE_QUIET, &r);
    if (st) {
        if (!existed) explore_rmtree(dir);
        return st;
    }
    printf("saved config.ini, generations.csv%s, density.csv", r->out.sampled ? ", population.csv"
                                                                               : "");
    if (e->sc.trajectories) printf(", trajectories.csv");
    if (r->out.figures)
        printf(" and %d figures in %s/\n", r->out.figures, dir);
    else
        printf(" in %s/ (no figures: gnuplot not found)\n", dir);
    e->nruns--; /* a save is not a run of its own */
    explore_run_free(r);
    return ERR_OK;
}

/* 1 if run r was made with the session's current config. */
static int run_is_current(const Explore *e, const ExploreRun *r)
{
    if (!r || r->nkeys != e->cfg.nkeys) return 0;
    for (int i = 0; i < r->nkeys; i++) {
        char buf[EXPLORE_VAL_MAX];
        cfg_format(&e->cfg, &e->cfg.keys[i], buf, sizeof buf);
        if (strcmp(buf, r->vals[i])) return 0;
    }
    return 1;
}

/* Generations to print: all when few, else about a dozen evenly spaced and the last. */
static int theory_show(int g, int G)
{
    int step = G <= 13 ? 1 : (G + 11) / 12;
    return g % step == 0 || g == G - 1;
}

/* The framework's conditions (sim/conditions.h) on the current config: the population map's
 * bias b_t and push Delta_t per generation, the covariance form where it is exact, the closed
 * form where one is known, the necessary and sufficient verdicts; and, when the latest run used
 * this config at a finite n, whether its Monte Carlo replicates agree (z = 3 standard errors). */
int explore_theory(Explore *e)
{
    SimSpec s;
    int st = explore_spec(e, &s);
    if (st) return st;
    ConditionReport r;
    if ((st = conditions_check(&s, &r))) return st;
    const ExploreRun *run = e->runs[0];
    int mc = run && run->out.sampled && run_is_current(e, run);
    if (mc) conditions_compare(&s, &run->out.mc, 3, &r);
    int G = r.generations;
    printf("statistic %s, truth %.6g; population map (n = inf), |x| <= %.2g counts as 0\n",
           loop_statistic_names[s.statistic], s.truth_stat, r.tol);
    printf("  %4s %13s %12s %13s %5s %13s", "gen", "bias b_t", "push D_t", "Cov/E[w]+pull",
           "sign", "b_t closed");
    if (mc) printf(" | %13s %9s", "b_t MC", "+-SE");
    printf("\n");
    for (int g = 0; g < G; g++) {
        if (!theory_show(g, G)) continue;
        const CondGen *c = &r.gen[g];
        double cov = r.cov_form ? c->delta_cov : c->push + c->pull;
        /* what the checker counts as 0 is printed as 0 */
        printf("  %4d %+13.6g %+12.5g %13.5g %5s %13.6g", g, fabs(c->bias) <= r.tol ? 0 : c->bias,
               fabs(c->delta) <= r.tol ? 0 : c->delta, fabs(cov) <= r.tol ? 0 : cov,
               c->sign_ok ? "ok" : "x", c->bias_closed);
        if (mc)
            printf(" | %+13.6g %9.2g", explore_mc(run, "bias", g, MC_MEAN),
                   explore_mc(run, "bias", g, MC_SE));
        printf("\n");
    }
    printf("covariance form: %s\n", r.cov_note);
    printf("necessary  (the map moves the statistic, D_t != 0): %s (source: %s)\n",
           conditions_verdict_name(r.necessary), r.source);
    printf("sufficient (D_t != 0 and D_t b_t >= 0 in every generation): %s",
           conditions_verdict_name(r.sufficient));
    if (r.first_break >= 0) printf(", first fails at generation %d", r.first_break);
    printf("\npopulation map: %s", conditions_pop_name(r.pop));
    if (r.pop == COND_POP_BOUNDED) printf(" (fixed point %.6g)", r.b_limit);
    double b0 = r.gen[0].bias, bl = r.gen[G - 1].bias;
    printf("; b_0 = %.6g, b_%d = %.6g\n", fabs(b0) <= r.tol ? 0 : b0, G - 1,
           fabs(bl) <= r.tol ? 0 : bl);
    printf("collapse: the dispersion %s (D_%d / D* = %.4g)%s\n",
           r.collapse ? "falls" : "does not fall", G - 1, r.disp_ratio,
           r.well_specified ? "" : "; misspecified family (data and model differ)");
    if (mc) {
        const CondMcSummary *m = &r.mcs;
        printf("simulation (%s, %ld replicates): %s; drift b_%d - b_0 = %+.4g +- %.2g -> %s\n",
               run->label, m->replicates, conditions_mc_name(r.mc), G - 1, m->drift,
               m->drift_se,
               r.agrees == 1 ? "agrees with the theory"
               : r.agrees == 0 ? "DISAGREES with the theory"
                               : "no population verdict to compare");
    } else {
        printf("simulation: %s\n", s.n == 0 ? "none at n = inf"
                                   : "'run' this config first to compare its replicates");
    }
    conditions_release(&r);
    return ERR_OK;
}

int explore_configs_dir(char *buf, size_t n)
{
    char plots[EXPLORE_PATH_MAX];
    struct stat sb;
    if (paths_plots_dir(plots, sizeof plots) == ERR_OK) {
        snprintf(buf, n, "%s/../configs", plots);
        if (stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode)) return ERR_OK;
    }
    snprintf(buf, n, "configs");
    if (stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode)) return ERR_OK;
    return err_set(ERR_IO, "cannot find the configs/ folder (next to plots/, or ./configs)");
}
