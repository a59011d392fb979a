/* explore_lessons: the six lessons on bias amplification versus model collapse. Each one runs its
 * config (and variations of it) through the explorer's session, prints its narrative with the
 * numbers read from those runs, writes its table and draws its figure (plots/lesson_N.gp). The
 * formulas quoted beside the numbers are paper/theory.md's, evaluated on the config's values. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "explore.h"
#include "xalloc.h"

/* ---- helpers over a run's replicates --------------------------------------------------------- */

/* Mean over the replicates of metric m at generation g, of its value or (square) its square;
 * replicates with a non-finite value are skipped. */
static double reps_mean(const ExploreRun *r, const char *m, int g, int square)
{
    double sum = 0;
    long k = 0;
    for (long i = 0; i < r->spec.replicates; i++) {
        double v = explore_rep(r, m, i, g);
        if (!isfinite(v)) continue;
        sum += square ? v * v : v;
        k++;
    }
    return k ? sum / (double)k : NAN;
}

/* Standard error of reps_mean (the replicates' sd over the square root of their number). */
static double reps_se(const ExploreRun *r, const char *m, int g, int square)
{
    double mean = reps_mean(r, m, g, square), ss = 0;
    long k = 0;
    for (long i = 0; i < r->spec.replicates; i++) {
        double v = explore_rep(r, m, i, g);
        if (!isfinite(v)) continue;
        v = square ? v * v : v;
        ss += (v - mean) * (v - mean);
        k++;
    }
    return k > 1 ? sqrt(ss / (double)(k - 1) / (double)k) : NAN;
}

/* A population-map value that is zero up to rounding (|v| < 1e-12) printed as 0. */
static double tidy(double v) { return fabs(v) < 1e-12 ? 0.0 : v; }

/* Fraction of the replicates whose metric m at generation g is above (dir > 0), below (dir < 0)
 * or equal to (dir = 0) the threshold. */
static double reps_frac(const ExploreRun *r, const char *m, int g, double thr, int dir)
{
    long k = 0, n = 0;
    for (long i = 0; i < r->spec.replicates; i++) {
        double v = explore_rep(r, m, i, g);
        if (isnan(v)) continue;
        n++;
        k += dir > 0 ? v > thr : (dir < 0 ? v < thr : v == thr);
    }
    return n ? (double)k / (double)n : NAN;
}

static int need_finite_n(LessonCtx *L, const ExploreRun *r)
{
    if (r->spec.n > 0 && r->spec.replicates >= 2) return ERR_OK;
    return err_set(ERR_INVAL, "lesson %d needs a finite sim.n and at least 2 replicates",
                   L->number);
}

/* A row-major table of nrow rows and up to LT_COLS named columns. */
#define LT_COLS 32
typedef struct LTable {
    int ncol, nrow;
    const char *names[LT_COLS];
    char owned[LT_COLS][32];
    double *v;
} LTable;

static void lt_init(LTable *t, int nrow)
{
    memset(t, 0, sizeof *t);
    t->nrow = nrow;
    t->v = xcalloc((size_t)nrow * LT_COLS, sizeof *t->v);
}

/* Adds a column (name formatted) and returns its index. */
static int lt_col(LTable *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int lt_col(LTable *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->owned[t->ncol], sizeof t->owned[0], fmt, ap);
    va_end(ap);
    t->names[t->ncol] = t->owned[t->ncol];
    return t->ncol++;
}

static void lt_set(LTable *t, int col, int row, double v) { t->v[(size_t)row * LT_COLS + col] = v; }

static int lt_write(LessonCtx *L, LTable *t)
{
    /* pack the rows to ncol values */
    double *packed = xcalloc((size_t)t->nrow * (size_t)t->ncol, sizeof *packed);
    for (int i = 0; i < t->nrow; i++)
        for (int j = 0; j < t->ncol; j++)
            packed[(size_t)i * t->ncol + j] = t->v[(size_t)i * LT_COLS + j];
    int st = lesson_table(L, t->names, t->ncol, t->nrow, packed);
    free(packed);
    free(t->v);
    t->v = NULL;
    return st;
}

/* "0 9 19": the density snapshot generations. */
static void snap_list(const SimSpec *s, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; i < s->nsnap; i++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%d", i ? " " : "", s->snap[i]);
}

/* The run's folder file, e.g. its density.csv. */
static void run_file(const ExploreRun *r, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", r->dir, name);
}

/* ---- lesson 1: collapse from sampling error alone -------------------------------------------- */

static int lesson_sampling(LessonCtx *L)
{
    ExploreRun *r;
    int st = lesson_variant(L, "replace", NULL, &r);
    if (st) return st;
    if ((st = need_finite_n(L, r))) return st;
    const SimSpec *s = &r->spec;
    int G = s->generations, last = G - 1;
    long n = s->n, R = s->replicates;
    double mu = s->theta_data[0], sig = s->theta_data[1], v0 = sig * sig;
    if (s->fit.type != &dist_gaussian)
        return err_set(ERR_INVAL, "lesson 1 is about a Gaussian model");

    lesson_step(L, "The setup");
    lesson_say(L, "The truth is a Gaussian N(%g, %g^2). Generation 0 is fitted to n = %ld "
               "samples of it by plain maximum likelihood: no weights, a correctly specified "
               "family. Each next generation is fitted the same way to %ld samples drawn from the "
               "generation before. The chain runs %d generations and is repeated %ld times with "
               "independent random numbers.", mu, sig, n, n, G, R);
    lesson_cmd(L, "load %s", L->config);
    lesson_cmd(L, "run");

    lesson_step(L, "Without sampling error nothing moves");
    lesson_say(L, "The population map (n = inf) refits the model to its own exact law. At "
               "generation %d its bias is %+.3g and its sd %.4g: the map is the identity.", last,
               tidy(explore_pop(r, "bias", last)), explore_pop(r, "sd", last));

    lesson_step(L, "With n = %ld the variance drains away", n);
    double var = reps_mean(r, "sd", last, 1), vth = v0 * pow((double)(n - 1) / n, last + 1);
    double q50 = explore_mc(r, "sd", last, MC_Q50);
    lesson_say(L, "Averaged over the %ld chains, the fitted variance at generation %d is %.4g +- "
               "%.2g (SE); the truth's is %g. The formula E[sigma^2] = ((n-1)/n)^(g+1) sigma*^2 "
               "gives %.4g. The average flatters the typical chain, because a few chains keep "
               "much more than the rest: the median chain's variance is %.3g, and %.0f %% of the "
               "chains end with less than half the true sd.", R, last, var,
               reps_se(r, "sd", last, 1), v0, vth, q50 * q50,
               100 * reps_frac(r, "sd", last, 0.5 * sig, -1));

    lesson_step(L, "... in no particular direction");
    double b = explore_mc(r, "bias", last, MC_MEAN), se = explore_mc(r, "bias", last, MC_SE);
    double b2 = reps_mean(r, "bias", last, 1);
    lesson_say(L, "The mean of the fitted model wanders: across chains its bias at generation %d "
               "has a spread (root mean square) of %.3g, but its average is %+.3g +- %.2g (SE), "
               "%.1f standard errors from 0, and %.0f %% of the chains end above the truth. The "
               "lost variance went into that random walk: E[sigma^2] + E[(mu - mu*)^2] = %.4g + "
               "%.4g = %.4g, the truth's %g.", last, sqrt(b2), b, se, fabs(b) / se,
               100 * reps_frac(r, "bias", last, 0, 1), var, b2, var + b2, v0);

    /* table: variance (mean, band, formula), the average bias, 12 chains' bias */
    LTable t;
    lt_init(&t, G);
    int cg = lt_col(&t, "generation"), cv = lt_col(&t, "var_mc"),
        cq5 = lt_col(&t, "var_q05"), cq50 = lt_col(&t, "var_q50"), cq95 = lt_col(&t, "var_q95"),
        cth = lt_col(&t, "var_formula"), cb = lt_col(&t, "bias_mc");
    int nrep = R < 12 ? (int)R : 12, crep = t.ncol;
    for (int i = 0; i < nrep; i++) lt_col(&t, "bias_rep_%d", i + 1);
    for (int g = 0; g < G; g++) {
        double q5 = explore_mc(r, "sd", g, MC_Q05), q95 = explore_mc(r, "sd", g, MC_Q95),
               qm = explore_mc(r, "sd", g, MC_Q50);
        lt_set(&t, cg, g, g);
        lt_set(&t, cv, g, reps_mean(r, "sd", g, 1));
        lt_set(&t, cq5, g, q5 * q5);
        lt_set(&t, cq50, g, qm * qm);
        lt_set(&t, cq95, g, q95 * q95);
        lt_set(&t, cth, g, v0 * pow((double)(n - 1) / n, g + 1));
        lt_set(&t, cb, g, explore_mc(r, "bias", g, MC_MEAN));
        for (int i = 0; i < nrep; i++) lt_set(&t, crep + i, g, explore_rep(r, "bias", i, g));
    }
    if ((st = lt_write(L, &t))) return st;
    lesson_step(L, "The figure");
    lesson_say(L, "Left: the bias of %d single chains and the average over all %ld. Right: the "
               "average fitted variance with the formula, the median chain and the chains' "
               "5-95 %% band.", nrep, R);
    if ((st = lesson_figure(L, "lesson_1", NULL, 0, NULL, 0))) return st;
    lesson_end(L, "Takeaway: sampling error alone makes a refitted model collapse (its variance "
               "drains away) without pushing it anywhere: collapse is not bias.",
               "Explore further: biasamp explore %s, then 'run', 'set sim.n 100', 'run', "
               "'compare'; or 'set sim.ddof 1' (the unbiased variance) and 'run'.",
               L->config);
    return ERR_OK;
}

/* ---- lesson 2: bias from weighting without collapse ------------------------------------------ */

static int lesson_tilt(LessonCtx *L)
{
    ExploreRun *r;
    int st = lesson_variant(L, "tilt", NULL, &r);
    if (st) return st;
    if ((st = need_finite_n(L, r))) return st;
    const SimSpec *s = &r->spec;
    if (s->fit.type != &dist_gaussian || s->weight != &weight_tilt)
        return err_set(ERR_INVAL, "lesson 2 is about a tilted Gaussian");
    int G = s->generations, last = G - 1;
    double mu = s->theta_data[0], sig = s->theta_data[1], lam = s->lambda, delta = lam * sig * sig;

    lesson_step(L, "The setup");
    lesson_say(L, "The truth is N(%g, %g^2) and the model a Gaussian, refitted for %d "
               "generations to n = %ld samples of itself (%ld chains). This time every sample "
               "counts with the weight w(x) = exp(lambda x), lambda = %g: samples to the right "
               "count a little more, like a reward that prefers one side.", mu, sig, G, s->n,
               s->replicates, lam);
    lesson_cmd(L, "load %s", L->config);
    lesson_cmd(L, "run");

    lesson_step(L, "The bias grows, generation after generation");
    double p0 = explore_pop(r, "bias", 0), pl = explore_pop(r, "bias", last);
    lesson_say(L, "With no sampling error at all (the population map) the bias is %+.4g after "
               "the first fit and %+.4g at generation %d: %+.4g per generation. The Monte Carlo "
               "chains agree: %+.4g +- %.2g (SE) at generation %d.", p0, pl, last,
               (pl - p0) / last, explore_mc(r, "bias", last, MC_MEAN),
               explore_mc(r, "bias", last, MC_SE), last);

    lesson_step(L, "... and nothing collapses");
    lesson_say(L, "The sd of the population map is %.4g at generation %d (the truth's: %g). "
               "The chains' average sd is %.4g, and only sampling (lesson 1) takes that little.",
               explore_pop(r, "sd", last), last, sig, explore_mc(r, "sd", last, MC_MEAN));

    lesson_step(L, "Why");
    lesson_say(L, "A Gaussian times exp(lambda x) is the same Gaussian moved by lambda sigma^2: "
               "N(mu, sigma^2) e^(lambda x) is proportional to N(mu + lambda sigma^2, sigma^2). "
               "Each fit therefore adds delta = lambda sigma^2 = %.4g to the mean and leaves the "
               "variance alone: after generation g the bias is (g+1) delta, %.4g at generation "
               "%d. The weight covaries with the statistic, so it pushes it.", delta,
               (last + 1) * delta, last);

    LTable t;
    lt_init(&t, G);
    int cg = lt_col(&t, "generation"), cb = lt_col(&t, "bias_mc"),
        cb5 = lt_col(&t, "bias_q05"), cb95 = lt_col(&t, "bias_q95"),
        cbp = lt_col(&t, "bias_pop"), cbf = lt_col(&t, "bias_formula"),
        cs = lt_col(&t, "sd_mc"), cs5 = lt_col(&t, "sd_q05"),
        cs95 = lt_col(&t, "sd_q95"), csp = lt_col(&t, "sd_pop");
    for (int g = 0; g < G; g++) {
        lt_set(&t, cg, g, g);
        lt_set(&t, cb, g, explore_mc(r, "bias", g, MC_MEAN));
        lt_set(&t, cb5, g, explore_mc(r, "bias", g, MC_Q05));
        lt_set(&t, cb95, g, explore_mc(r, "bias", g, MC_Q95));
        lt_set(&t, cbp, g, explore_pop(r, "bias", g));
        lt_set(&t, cbf, g, (g + 1) * delta);
        lt_set(&t, cs, g, explore_mc(r, "sd", g, MC_MEAN));
        lt_set(&t, cs5, g, explore_mc(r, "sd", g, MC_Q05));
        lt_set(&t, cs95, g, explore_mc(r, "sd", g, MC_Q95));
        lt_set(&t, csp, g, explore_pop(r, "sd", g));
    }
    if ((st = lt_write(L, &t))) return st;
    lesson_step(L, "The figure");
    lesson_say(L, "The bias and the sd per generation (Monte Carlo band, population map, "
                  "formula), and the population map's density at the snapshot generations.");
    char dens[EXPLORE_PATH_MAX + 16];
    run_file(r, "density.csv", dens, sizeof dens);
    const char *data[] = {dens};
    char snaps[128];
    snap_list(s, snaps, sizeof snaps);
    const char *strings[] = {snaps};
    if ((st = lesson_figure(L, "lesson_2", data, 1, strings, 1))) return st;
    lesson_end(L, "Takeaway: a weight that favours one side pushes the model that way in every "
               "generation, with no sampling error and no loss of variance: bias amplification "
               "is a different thing from model collapse.",
               "Explore further: biasamp explore %s, then 'run', 'set "
               "sim.lambda -0.1' (the push turns round), 'run', 'compare'.",
               L->config);
    return ERR_OK;
}

/* ---- lesson 3: the paper's demonstration ----------------------------------------------------- */

static int lesson_paper(LessonCtx *L)
{
    ExploreRun *w, *u;
    int st = lesson_variant(L, "weighted", NULL, &w);
    if (st) return st;
    static const char *const unweighted[] = {"sim.weight=none", NULL};
    if ((st = lesson_variant(L, "unweighted", unweighted, &u))) return st;
    if ((st = need_finite_n(L, w))) return st;
    const SimSpec *s = &w->spec;
    if (s->fit.type != &dist_beta) return err_set(ERR_INVAL, "lesson 3 is about the Beta demo");
    int G = s->generations, last = G - 1;
    double mean[DIST_DIM_MAX], cov[DIST_DIM_MAX * DIST_DIM_MAX];
    s->fit.type->moments(&s->fit, s->theta_pre, mean, cov);

    lesson_step(L, "The setup (Wang, Wu et al. 2024, Fig. 10)");
    lesson_say(L, "The truth is Beta(%g, %g), with mean %.4g. A pretrained model Beta(%g, %g) "
               "leans to the right (mean %.4g). It is fine-tuned on n = %ld real samples, each "
               "weighted by the pretrained model's density (gamma = %g); every next generation is "
               "refitted to %ld samples of the last one, each weighted by that model's own "
               "density. %d generations, %ld chains.", s->theta_data[0], s->theta_data[1],
               s->truth_mean, s->theta_pre[0], s->theta_pre[1], mean[0], s->n, s->gamma, s->n, G,
               s->replicates);
    lesson_cmd(L, "load %s", L->config);
    lesson_cmd(L, "run");

    lesson_step(L, "Bias: the mean drifts toward the pretrained model's side");
    lesson_say(L, "The population map's mean is %.4g after generation 0 and %.4g at generation "
               "%d (the truth: %.4g). The chains give %.4g +- %.2g (SE).",
               explore_pop(w, "mean", 0), explore_pop(w, "mean", last), last, s->truth_mean,
               explore_mc(w, "mean", last, MC_MEAN), explore_mc(w, "mean", last, MC_SE));
    double a0 = explore_pop(w, "a", 0), b0 = explore_pop(w, "b", 0);
    lesson_say(L, "Where does it stop? a - 1 and b - 1 grow by the factor 1 + gamma = %g each "
               "generation (see below), so the mean a/(a + b) tends to (a0 - 1)/(a0 + b0 - 2) = "
               "%.4g, the mode of generation 0's Beta(%.4g, %.4g): a point on the pretrained "
               "model's side of the truth, where the sampled chains end too.", 1 + s->gamma,
               (a0 - 1) / (a0 + b0 - 2), a0, b0);
    if (w->out.closed)
        lesson_say(L, "This case has a closed form (sim/theory): at generation %d it is "
                   "Beta(%.6g, %.6g), and the quadrature gives Beta(%.6g, %.6g).", last,
                   w->out.closed[(size_t)last * w->out.nparam],
                   w->out.closed[(size_t)last * w->out.nparam + 1], explore_pop(w, "a", last),
                   explore_pop(w, "b", last));

    lesson_step(L, "Collapse: at the same time the variance halves");
    double sd0 = explore_pop(w, "sd", 0), sdl = explore_pop(w, "sd", last);
    lesson_say(L, "The sd falls from %.4g (generation 0) to %.4g (generation %d). In the last "
               "step the variance shrank by a factor %.4g: weighting by the model's own density "
               "multiplies the law by itself, which sharpens it.", sd0, sdl, last,
               pow(sdl / explore_pop(w, "sd", last - 1), 2));

    lesson_step(L, "The weight is the cause");
    lesson_say(L, "The same loop without the weight (plain MLE): the population map's bias is "
               "%+.3g at every generation (%+.3g at %d) and its sd stays %.4g; the chains' bias "
               "is %+.2g +- %.2g (SE), sampling noise only.", tidy(explore_pop(u, "bias", 0)),
               tidy(explore_pop(u, "bias", last)), last, explore_pop(u, "sd", last),
               explore_mc(u, "bias", last, MC_MEAN), explore_mc(u, "bias", last, MC_SE));
    lesson_cmd(L, "set sim.weight none");
    lesson_cmd(L, "run");
    lesson_cmd(L, "compare mean sd");

    lesson_step(L, "Why both at once");
    lesson_say(L, "Beta(a, b)(x) times Beta(c, d)(x)^gamma is Beta(a + gamma(c-1), b + "
               "gamma(d-1)). Refitting to the weighted law adds the model's own excess "
               "parameters each time, so a - 1 and b - 1 grow by the factor 1 + gamma = %g per "
               "generation. Their ratio stays that of generation 0, which fixes where the mean "
               "goes (away from the truth, toward the pretrained side); their sum grows, which "
               "is the collapse. A Beta's skew ties the two together; lessons 1 and 2 show "
               "each on its own.", 1 + s->gamma);

    LTable t;
    lt_init(&t, G);
    int cg = lt_col(&t, "generation"), ctm = lt_col(&t, "truth_mean");
    int cwp = lt_col(&t, "mean_w_pop"), cwm = lt_col(&t, "mean_w_mc"),
        cw5 = lt_col(&t, "mean_w_q05"), cw95 = lt_col(&t, "mean_w_q95"),
        cup = lt_col(&t, "mean_u_pop"), cum = lt_col(&t, "mean_u_mc"),
        csw = lt_col(&t, "sd_w_pop"), cswm = lt_col(&t, "sd_w_mc"),
        csu = lt_col(&t, "sd_u_pop"), csum = lt_col(&t, "sd_u_mc");
    for (int g = 0; g < G; g++) {
        lt_set(&t, cg, g, g);
        lt_set(&t, ctm, g, s->truth_mean);
        lt_set(&t, cwp, g, explore_pop(w, "mean", g));
        lt_set(&t, cwm, g, explore_mc(w, "mean", g, MC_MEAN));
        lt_set(&t, cw5, g, explore_mc(w, "mean", g, MC_Q05));
        lt_set(&t, cw95, g, explore_mc(w, "mean", g, MC_Q95));
        lt_set(&t, cup, g, explore_pop(u, "mean", g));
        lt_set(&t, cum, g, explore_mc(u, "mean", g, MC_MEAN));
        lt_set(&t, csw, g, explore_pop(w, "sd", g));
        lt_set(&t, cswm, g, explore_mc(w, "sd", g, MC_MEAN));
        lt_set(&t, csu, g, explore_pop(u, "sd", g));
        lt_set(&t, csum, g, explore_mc(u, "sd", g, MC_MEAN));
    }
    if ((st = lt_write(L, &t))) return st;
    lesson_step(L, "The figure");
    lesson_say(L, "The weighted model's density at the snapshot generations, then the mean and "
                  "the sd per generation, weighted and unweighted.");
    char dens[EXPLORE_PATH_MAX + 16];
    run_file(w, "density.csv", dens, sizeof dens);
    const char *data[] = {dens};
    char snaps[128];
    snap_list(s, snaps, sizeof snaps);
    const char *strings[] = {snaps};
    if ((st = lesson_figure(L, "lesson_3", data, 1, strings, 1))) return st;
    lesson_end(L, "Takeaway: weighting samples by the model's own density pulls the model toward "
               "what it already believes: its mean drifts to the pretrained model's side while "
               "its variance collapses, both at once and with no sampling error needed.",
               "Explore further: biasamp explore %s, then 'run', 'set sim.gamma 0.5', 'run', "
               "'compare mean sd'; or 'set pretrained.params 2 3' (a left lean).",
               L->config);
    return ERR_OK;
}

/* ---- lesson 4: mitigations ------------------------------------------------------------------ */

static const char *const loop_modes[3] = {"replace", "accumulate", "preserve"};

static int lesson_mitigations(LessonCtx *L)
{
    ExploreRun *noise[3], *push[3];
    static const char *const nsets[3][3] = {{"sim.weight=none", "sim.mode=replace", NULL},
                                            {"sim.weight=none", "sim.mode=accumulate", NULL},
                                            {"sim.weight=none", "sim.mode=preserve", NULL}};
    static const char *const psets[3][3] = {{"sim.n=inf", "sim.mode=replace", NULL},
                                            {"sim.n=inf", "sim.mode=accumulate", NULL},
                                            {"sim.n=inf", "sim.mode=preserve", NULL}};
    int st = ERR_OK;
    char label[32];
    for (int i = 0; i < 3 && !st; i++) {
        snprintf(label, sizeof label, "noise-%s", loop_modes[i]);
        st = lesson_variant(L, label, nsets[i], &noise[i]);
    }
    for (int i = 0; i < 3 && !st; i++) {
        snprintf(label, sizeof label, "push-%s", loop_modes[i]);
        st = lesson_variant(L, label, psets[i], &push[i]);
    }
    if (st) return st;
    if ((st = need_finite_n(L, noise[0]))) return st;
    const SimSpec *sn = &noise[0]->spec, *sp = &push[0]->spec;
    if (sp->fit.type != &dist_gaussian || sp->weight != &weight_tilt)
        return err_set(ERR_INVAL, "lesson 4 is about a tilted Gaussian");
    int G = sp->generations < sn->generations ? sp->generations : sn->generations, last = G - 1;
    double sig = sp->theta_data[1], v0 = sig * sig, delta = sp->lambda * v0, rho = sp->rho;
    long n = sn->n;

    lesson_step(L, "The setup");
    lesson_say(L, "Two things can go wrong in a loop. Noise: with n = %ld samples per "
               "generation and no weight, a Gaussian loses variance by chance (lesson 1). A "
               "push: with the tilt exp(lambda x), lambda = %g, each fit moves the mean by "
               "delta = lambda sigma^2 = %.4g (lesson 2; here at n = inf, so nothing else "
               "happens). Three ways to train each generation: replace (only the last "
               "generation's samples), accumulate (the real data and every generation so far), "
               "preserve (a share rho = %g of fresh real data each time).", n, sp->lambda, delta,
               rho);
    lesson_cmd(L, "load %s", L->config);
    lesson_cmd(L, "set sim.weight none");
    lesson_cmd(L, "set sim.mode accumulate");
    lesson_cmd(L, "run");

    lesson_step(L, "Noise: keeping real data bounds it");
    double var[3];
    for (int i = 0; i < 3; i++) var[i] = reps_mean(noise[i], "sd", last, 1);
    lesson_say(L, "Average fitted variance at generation %d (the truth's is %g): replace %.4g "
               "(the formula ((n-1)/n)^(g+1) gives %.4g), accumulate %.4g, preserve %.4g. Once "
               "real data stay in the pool, chance errors average out instead of compounding.",
               last, v0, var[0], v0 * pow((double)(n - 1) / n, last + 1), var[1], var[2]);

    lesson_step(L, "A push: only preservation bounds it");
    double b[3], h = 0, bp = 0;
    for (int i = 0; i < 3; i++) b[i] = explore_pop(push[i], "bias", last);
    for (int k = 1; k <= last + 1; k++) h += 1.0 / k;
    for (int g = 0; g <= last; g++) bp = g ? (1 - rho) * bp + delta : delta;
    lesson_say(L, "Bias at generation %d: replace %+.4g (formula (g+1) delta = %.4g), accumulate "
               "%+.4g (delta H_(g+1) = %.4g), preserve %+.4g (the recursion b = (1-rho) b + "
               "delta gives %.4g, settling at delta/rho = %.4g).", last, b[0], (last + 1) * delta,
               b[1], delta * h, b[2], bp, delta / rho);
    lesson_say(L, "Accumulation only dilutes the push: the bias after g+1 fits is the average of "
               "the earlier ones plus delta, which grows like the harmonic series, slowly but "
               "without end (%.4g at generation %d, and it would pass any level given time). "
               "Preserving fresh real data pulls back by a fixed share each generation, so the "
               "bias stops where pull and push balance.", b[1], last);

    LTable t;
    lt_init(&t, G);
    int cg = lt_col(&t, "generation"), cv = t.ncol;
    for (int i = 0; i < 3; i++) lt_col(&t, "var_%s", loop_modes[i]);
    int cb = t.ncol;
    for (int i = 0; i < 3; i++) lt_col(&t, "bias_%s", loop_modes[i]);
    int cf = t.ncol;
    lt_col(&t, "formula_replace");
    lt_col(&t, "formula_accumulate");
    lt_col(&t, "formula_preserve");
    int cvf = lt_col(&t, "var_formula_replace");
    h = 0;
    bp = 0;
    for (int g = 0; g < G; g++) {
        h += 1.0 / (g + 1);
        bp = g ? (1 - rho) * bp + delta : delta;
        lt_set(&t, cg, g, g);
        for (int i = 0; i < 3; i++) {
            lt_set(&t, cv + i, g, reps_mean(noise[i], "sd", g, 1));
            lt_set(&t, cb + i, g, explore_pop(push[i], "bias", g));
        }
        lt_set(&t, cf, g, (g + 1) * delta);
        lt_set(&t, cf + 1, g, delta * h);
        lt_set(&t, cf + 2, g, bp);
        lt_set(&t, cvf, g, v0 * pow((double)(n - 1) / n, g + 1));
    }
    if ((st = lt_write(L, &t))) return st;
    lesson_step(L, "The figure");
    lesson_say(L, "Left: the average fitted variance under noise, per mode. Right: the bias "
                  "under a push (population map), per mode, with the formulas dashed.");
    if ((st = lesson_figure(L, "lesson_4", NULL, 0, NULL, 0))) return st;
    lesson_end(L, "Takeaway: keeping real data in the pool bounds zero-mean noise, but a "
               "systematic push is bounded only by fresh real data in a fixed share "
               "(preserve); accumulation slows it to a logarithmic crawl that never stops.",
               "Explore further: biasamp explore %s, then 'set sim.mode preserve', 'run', 'set "
               "sim.rho 0.1', 'run', 'compare' (right after the lesson, 'compare' already shows "
               "its last two runs).", L->config);
    return ERR_OK;
}

/* ---- lesson 5: class shares, drift versus selection ------------------------------------------ */

#define SHARES_N 3

static int lesson_shares(LessonCtx *L)
{
    /* sample sizes: n s well below 1, about 1, well above 1 for the config's boost s */
    static const char *const sets[SHARES_N][2] = {{"sim.n=4", NULL}, {"sim.n=20", NULL},
                                                  {"sim.n=400", NULL}};
    ExploreRun *r[SHARES_N];
    int st = ERR_OK;
    for (int i = 0; i < SHARES_N && !st; i++) {
        char label[16];
        snprintf(label, sizeof label, "n%s", strchr(sets[i][0], '=') + 1);
        st = lesson_variant(L, label, sets[i], &r[i]);
    }
    if (st) return st;
    if ((st = need_finite_n(L, r[0]))) return st;
    const SimSpec *s = &r[0]->spec;
    if (s->fit.type != &dist_categorical || s->weight != &weight_category)
        return err_set(ERR_INVAL, "lesson 5 is about a category weight on a categorical model");
    int G = s->generations, last = G - 1, c = s->cls;
    const char *col = s->mname[s->col[LOOP_M_SHARE0] + c], *cname = col + strlen("share_");
    double p = s->theta_data[c], sb = s->boost;

    lesson_step(L, "The setup");
    lesson_say(L, "Three classes, like the Left / Center / Right labels of news articles. The "
               "truth's shares are %.3g / %.3g / %.3g. The model is refitted to n samples of its "
               "own output each generation, and at fit time class '%s' counts 1 + s = %g times: "
               "a mild preference. %d generations, %ld chains, at n = %ld, %ld and %ld.",
               s->theta_data[0], s->fit.k > 1 ? s->theta_data[1] : 0,
               s->fit.k > 2 ? s->theta_data[2] : 0, cname, 1 + sb, G, s->replicates,
               r[0]->spec.n, r[1]->spec.n, r[2]->spec.n);
    lesson_cmd(L, "load %s", L->config);
    lesson_cmd(L, "set sim.n 4");
    lesson_cmd(L, "run");
    lesson_cmd(L, "plot shares");

    lesson_step(L, "Without sampling error the preference always wins");
    double p0 = explore_pop(r[0], col, 0), pl = explore_pop(r[0], col, last);
    lesson_say(L, "The population map takes '%s' from %.3g to %.3g (generation 0) and %.3g "
               "(generation %d). Its odds grow by the factor 1 + s = %g per generation: %.4g "
               "measured in the last step.", cname, p, p0, pl, last, 1 + sb,
               (pl / (1 - pl)) / (explore_pop(r[0], col, last - 1) /
                                  (1 - explore_pop(r[0], col, last - 1))));

    lesson_step(L, "With finite n, chance competes");
    for (int i = 0; i < SHARES_N; i++) {
        double ns = r[i]->spec.n * sb, k = 2 * ns;
        double u = k > 0 ? (1 - exp(-k * p)) / (1 - exp(-k)) : p;
        lesson_say(L, "n = %ld (n s = %.3g): '%s' ends at %.3g +- %.2g on average; it gained "
                   "in %.0f %% of the chains, took over in %.0f %% and vanished in %.0f %%. "
                   "Kimura's fixation probability for this n s is %.2f (without a preference: "
                   "%.2f).", r[i]->spec.n, ns, cname, explore_mc(r[i], col, last, MC_MEAN),
                   explore_mc(r[i], col, last, MC_SE), 100 * reps_frac(r[i], col, last, p, 1),
                   100 * reps_frac(r[i], col, last, 1, 0), 100 * reps_frac(r[i], col, last, 0, 0),
                   u, p);
    }

    lesson_step(L, "Why n s is the boundary");
    lesson_say(L, "Each generation the preference moves a share by about s p (1 - p); sampling "
               "moves it at random by about sqrt(p (1 - p) / n). Over many generations the push "
               "wins when n s is well above 1 (Wright-Fisher selection); well below 1 the share "
               "performs a random walk that ends in losing or fixing the class almost as if "
               "there were no preference (drift). Small samples hide a bias; large ones let it "
               "compound.");

    LTable t;
    lt_init(&t, G);
    int cg = lt_col(&t, "generation"), cp = lt_col(&t, "share_pop"), c0 = t.ncol;
    for (int i = 0; i < SHARES_N; i++) {
        lt_col(&t, "share_mc_%d", (int)r[i]->spec.n);
        lt_col(&t, "share_q05_%d", (int)r[i]->spec.n);
        lt_col(&t, "share_q95_%d", (int)r[i]->spec.n);
        lt_col(&t, "gained_%d", (int)r[i]->spec.n);
    }
    for (int g = 0; g < G; g++) {
        lt_set(&t, cg, g, g);
        lt_set(&t, cp, g, explore_pop(r[0], col, g));
        for (int i = 0; i < SHARES_N; i++) {
            lt_set(&t, c0 + 4 * i, g, explore_mc(r[i], col, g, MC_MEAN));
            lt_set(&t, c0 + 4 * i + 1, g, explore_mc(r[i], col, g, MC_Q05));
            lt_set(&t, c0 + 4 * i + 2, g, explore_mc(r[i], col, g, MC_Q95));
            lt_set(&t, c0 + 4 * i + 3, g, reps_frac(r[i], col, g, p, 1));
        }
    }
    if ((st = lt_write(L, &t))) return st;
    lesson_step(L, "The figure");
    lesson_say(L, "Left: the share of '%s' per generation (the average over the chains per n, "
               "and the population map). Right: the fraction of chains in which it gained.",
               cname);
    char ns[3][16];
    for (int i = 0; i < SHARES_N; i++) snprintf(ns[i], sizeof ns[i], "%ld", r[i]->spec.n);
    const char *strings[] = {ns[0], ns[1], ns[2], cname};
    if ((st = lesson_figure(L, "lesson_5", NULL, 0, strings, 4))) return st;
    lesson_end(L, "Takeaway: a small preference decides the outcome only when the sample is big "
               "enough for it to beat chance: with n s well above 1 the favoured class rises in "
               "nearly every run, well below 1 drift decides.",
               "Explore further: biasamp explore %s, then 'set sim.boost "
               "0.01', 'set sim.n 100', 'run', 'plot shares'; 'set sim.temperature 0.8' shows a "
               "biased sampler instead of a biased fit.", L->config);
    return ERR_OK;
}

/* ---- lesson 6: functional-form error --------------------------------------------------------- */

static int lesson_misspecified(LessonCtx *L)
{
    ExploreRun *g, *m;
    static const char *const wellspec[] = {"sim.family=mixture", "sim.k=2", "pretrained.params=",
                                           NULL};
    int st = lesson_variant(L, "gaussian", NULL, &g);
    if (!st) st = lesson_variant(L, "mixture", wellspec, &m);
    if (st) return st;
    if ((st = need_finite_n(L, g))) return st;
    const SimSpec *s = &g->spec;
    if (s->fit.type != &dist_gaussian || s->data.type != &dist_mixture ||
        s->statistic != LOOP_STAT_QUANTILE)
        return err_set(ERR_INVAL, "lesson 6 fits a Gaussian to mixture data (a quantile "
                       "statistic)");
    int G = s->generations, last = G - 1;

    lesson_step(L, "The setup");
    lesson_say(L, "The truth is a mixture of two Gaussians: weight %.2g at mean %g and weight "
               "%.2g at mean %g (sds %g and %g). The model is a single Gaussian: it cannot "
               "represent two bumps. No weights. The statistic is the quantile of level %g (%s); "
               "the truth's is %.4g. %d generations at n = %ld, %ld chains; and the same loop "
               "with a well-specified model, a two-component mixture.", s->theta_data[0],
               s->theta_data[2], s->theta_data[1], s->theta_data[3], s->theta_data[4],
               s->theta_data[5], s->q, s->q == 0.5 ? "the median" : "a tail quantile",
               s->truth_stat, G, s->n, s->replicates);
    lesson_cmd(L, "load %s", L->config);
    lesson_cmd(L, "run");

    lesson_step(L, "Wrong from the first fit");
    lesson_say(L, "Maximum likelihood makes the Gaussian match the data's mean and variance: "
               "its mean is off by only %+.2g. But its median is off by %+.4g, its total "
               "variation distance to the truth is %.3g, and it puts %.3g of its mass beyond 2 "
               "sd of the truth's mean, where the truth has %.3g (the well-specified fit). This "
               "is the population map at generation 0: no sampling involved.",
               tidy(explore_pop(g, "mean", 0) - s->truth_mean), explore_pop(g, "bias", 0),
               explore_pop(g, "tv", 0), explore_pop(g, "tail2", 0), explore_pop(m, "tail2", 0));

    lesson_step(L, "... and then it stays put");
    lesson_say(L, "At generation %d the population map's median bias is still %+.4g: a Gaussian "
               "fitted to a Gaussian reproduces it, so the error is a one-time offset, not a "
               "drift. The well-specified mixture has bias %+.2g and distance %.2g at every "
               "generation.", last, explore_pop(g, "bias", last),
               tidy(explore_pop(m, "bias", last)), tidy(explore_pop(m, "tv", last)));

    lesson_step(L, "Finite n adds the sampling story of lesson 1");
    lesson_say(L, "With n = %ld the chains' median bias at generation %d is %+.3g +- %.2g "
               "(Gaussian) and %+.3g +- %.2g (mixture): the mixture is no longer exact once its "
               "fits are noisy, and both lose spread (sd %.3g and %.3g, from %.3g).", s->n, last,
               explore_mc(g, "bias", last, MC_MEAN), explore_mc(g, "bias", last, MC_SE),
               explore_mc(m, "bias", last, MC_MEAN), explore_mc(m, "bias", last, MC_SE),
               explore_mc(g, "sd", last, MC_MEAN), explore_mc(m, "sd", last, MC_MEAN),
               explore_pop(m, "sd", 0));

    LTable t;
    lt_init(&t, G);
    int cg = lt_col(&t, "generation"), cgp = lt_col(&t, "bias_gauss_pop"),
        cgm = lt_col(&t, "bias_gauss_mc"), cg5 = lt_col(&t, "bias_gauss_q05"),
        cg95 = lt_col(&t, "bias_gauss_q95"), cmp = lt_col(&t, "bias_mix_pop"),
        cmm = lt_col(&t, "bias_mix_mc"), ctg = lt_col(&t, "tv_gauss_pop"),
        ctgm = lt_col(&t, "tv_gauss_mc"), ctm = lt_col(&t, "tv_mix_pop"),
        ctmm = lt_col(&t, "tv_mix_mc");
    for (int k = 0; k < G; k++) {
        lt_set(&t, cg, k, k);
        lt_set(&t, cgp, k, explore_pop(g, "bias", k));
        lt_set(&t, cgm, k, explore_mc(g, "bias", k, MC_MEAN));
        lt_set(&t, cg5, k, explore_mc(g, "bias", k, MC_Q05));
        lt_set(&t, cg95, k, explore_mc(g, "bias", k, MC_Q95));
        lt_set(&t, cmp, k, explore_pop(m, "bias", k));
        lt_set(&t, cmm, k, explore_mc(m, "bias", k, MC_MEAN));
        lt_set(&t, ctg, k, explore_pop(g, "tv", k));
        lt_set(&t, ctgm, k, explore_mc(g, "tv", k, MC_MEAN));
        lt_set(&t, ctm, k, explore_pop(m, "tv", k));
        lt_set(&t, ctmm, k, explore_mc(m, "tv", k, MC_MEAN));
    }
    if ((st = lt_write(L, &t))) return st;
    lesson_step(L, "The figure");
    lesson_say(L, "Left: the truth and the two models after generation 0 (population map). "
                  "Middle: the median's bias per generation. Right: the total variation "
                  "distance to the truth.");
    char dg[EXPLORE_PATH_MAX + 16], dm[EXPLORE_PATH_MAX + 16];
    run_file(g, "density.csv", dg, sizeof dg);
    run_file(m, "density.csv", dm, sizeof dm);
    const char *data[] = {dg, dm};
    if ((st = lesson_figure(L, "lesson_6", data, 2, NULL, 0))) return st;
    lesson_end(L, "Takeaway: a family that cannot represent the truth is wrong from the first "
               "fit, in its median and its shape, but without a weight the error does not grow: "
               "misspecification is an offset, not an amplifier.",
               "Explore further: biasamp explore %s, then 'set sim.n "
               "inf', 'run', 'set sim.weight prev_density', 'run', 'compare': the spread collapses "
               "now; does the median move?",
               L->config);
    return ERR_OK;
}

const Lesson lessons[] = {
    {"sampling", "collapse from sampling error alone", lesson_sampling},
    {"tilt", "bias from weighting, without collapse", lesson_tilt},
    {"paper", "the paper's demo: self-density weighting gives both", lesson_paper},
    {"mitigations", "replace, accumulate, preserve: noise versus a push", lesson_mitigations},
    {"shares", "class shares: drift versus selection, the n s boundary", lesson_shares},
    {"misspecified", "functional-form error from a misspecified family", lesson_misspecified},
    {NULL, NULL, NULL},
};
