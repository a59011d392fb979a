/* explore: the interactive explorer's session, shared by cmd_explore.c (the REPL and its
 * commands), explore_session.c (config, runs, tables, plots, save) and the lessons (cmd_lesson.c,
 * explore_lessons.c). A session owns one simulator config and the records of its last runs; every
 * run goes through sim_run, so what the explorer shows is what `biasamp sim` would write.
 * Internal to cli/: only cli/ prints. */
#ifndef BIASAMP_EXPLORE_H
#define BIASAMP_EXPLORE_H

#include <stdarg.h>

#include "cfg.h"
#include "sim.h"
#include "simcfg.h"

#define EXPLORE_PATH_MAX 4096
#define EXPLORE_VAL_MAX (2 * CFG_STR_MAX)
#define EXPLORE_KEEP 2 /* runs remembered for `compare` */

/* One finished run: its spec, the tables sim_run returned and wrote, the config it ran. */
typedef struct ExploreRun {
    int id;                           /* 1, 2, ... within the session */
    char label[64];                   /* "run 3", or a lesson's variant name */
    char dir[EXPLORE_PATH_MAX];       /* the folder sim_run wrote (tables, config.ini) */
    int owns_dir;                     /* 1: a session temp folder, removed with the record */
    SimSpec spec;
    SimOutput out;                    /* pop (n = inf), mc (finite n), closed form */
    double pop_ms, mc_s;              /* wall times: population map, whole sim_run */
    int nkeys;
    char (*vals)[EXPLORE_VAL_MAX];    /* every config value at run time, in table order */
} ExploreRun;

typedef struct Explore {
    SimConfig sc;
    Cfg cfg;
    char tmp[EXPLORE_PATH_MAX];       /* session temp folder (mkdtemp); removed on release */
    ExploreRun *runs[EXPLORE_KEEP];   /* [0] is the latest */
    int nruns;                        /* runs made so far (ids) */
    int interactive;                  /* stdin and stdout are terminals: prompts, pauses */
    int tty_out;                      /* stdout is a terminal: ANSI colours in terminal plots */
} Explore;

/* Temp folder and default config. ERR_IO if the folder cannot be made. */
int explore_init(Explore *e);
void explore_release(Explore *e);

/* Resets every key to its default and loads `path` (NULL: defaults only). On error the session
 * keeps its previous config. */
int explore_load(Explore *e, const char *path);

/* Resolves a key as typed: "section.key", or "key" meaning sim.key, or the only section that has
 * it. NULL with ERR_INVAL set (unknown or ambiguous). */
const CfgKey *explore_key(const Explore *e, const char *typed);

/* Sets one key through the config table (ERR_INVAL leaves the key unchanged). */
int explore_set(Explore *e, const char *typed, const char *value, const char *origin);

/* Builds the spec of the current config (simcfg_spec: cross-field checks). */
int explore_spec(Explore *e, SimSpec *spec);

/* Verbosity of explore_run. */
enum { EXPLORE_QUIET = 0, EXPLORE_SUMMARY = 1, EXPLORE_TABLE = 2 };

/* Runs the current config: the population map first (timed, its summary printed at once when
 * verbose), then sim_run into `dir` (NULL: a new session temp folder) with the Monte Carlo
 * replicates and a progress line, figures when `figures`. The record is returned in *out
 * (caller owns it: explore_run_free, or explore_keep). */
int explore_run(Explore *e, const char *dir, const char *label, int figures, int verbose,
                ExploreRun **out);
void explore_run_free(ExploreRun *r);
/* Makes r the latest run of the session (the oldest kept one is freed). */
void explore_keep(Explore *e, ExploreRun *r);

/* Values of metric `name` of a run at generation g: the population map, the Monte Carlo
 * summary (MC_MEAN, MC_SE, MC_Q05, ...; nan at n = inf) and replicate r. nan when absent. */
double explore_pop(const ExploreRun *r, const char *name, int g);
double explore_mc(const ExploreRun *r, const char *name, int g, int stat);
double explore_rep(const ExploreRun *r, const char *name, long rep, int g);
/* The run's best estimate: the Monte Carlo mean at finite n, else the population map. */
double explore_value(const ExploreRun *r, const char *name, int g);

/* Tables: the per-generation table of `metrics` (NULL: bias and dispersion), thinned to about
 * a dozen rows; the last two runs side by side. */
int explore_table(const Explore *e, const ExploreRun *r, char **metrics, int nmetrics);
int explore_compare(const Explore *e, char **metrics, int nmetrics);

/* Where terminal plots go: OUT ("-" for the terminal and windows) and the term spec that
 * plots/explore_term.gp understands ("dumb W H [ansi]", "window", "" for a file). `mode` is
 * "auto" (a window when $DISPLAY is set and the session is interactive, else the terminal),
 * "term", "window", or a file name ending in .png/.svg. */
void explore_target(const Explore *e, const char *mode, char *out, size_t nout, char *term,
                    size_t nterm);
/* Renders plots/<script>.gp: args as plot_render's (args[0] DATA, args[1] OUT ...), stdout
 * flushed first so terminal plots land in order. */
int explore_render(const char *script, const char *const *args, int nargs, int nfiles);
/* `plot [png FILE|svg FILE|term|window] [metric...|density|shares]` on the latest run. */
int explore_plot(Explore *e, int argc, char **argv);

/* `save DIR`: the current config rerun into DIR by sim_run (seeded: the same numbers), with
 * config.ini, the tables and the figures. */
int explore_save(Explore *e, const char *dir);

/* `theory`: sim/conditions' verdicts on the current config (necessary, sufficient, the population
 * trajectory, collapse) with b_t and Delta_t per generation, and the Monte Carlo agreement when
 * the latest run used this config. */
int explore_theory(Explore *e);

/* Removes a folder tree that this session made (inside e->tmp or a lesson's folder). */
void explore_rmtree(const char *path);

/* The configs/ folder next to plots/ (installed: share/biasamp/configs), else ./configs. */
int explore_configs_dir(char *buf, size_t n);

/* ---- lessons (cmd_lesson.c: the framework; explore_lessons.c: the six lessons) -------------- */

#define LESSON_RUNS 8

typedef struct LessonCtx LessonCtx;

typedef struct Lesson {
    const char *name;  /* configs/lesson-N-<name>.ini; figure lesson-N-<name>.png */
    const char *title;
    int (*run)(LessonCtx *L);
} Lesson;

extern const Lesson lessons[]; /* NULL-name terminated, lesson N at index N-1 */

struct LessonCtx {
    Explore *e;
    int number;
    const Lesson *lesson;
    const char *outdir;               /* NULL inside the explorer */
    char root[EXPLORE_PATH_MAX];      /* this lesson's runs: <outdir or session temp>/lesson-N */
    char config[EXPLORE_PATH_MAX];    /* configs/lesson-N-<name>.ini */
    char stem[64];                    /* lesson-N-<name> */
    char **overrides;
    int noverrides;
    int pause;                        /* wait for Enter between steps */
    int step, nsteps;
    ExploreRun *runs[LESSON_RUNS];
    int nruns;
    FILE *log;                        /* the narrative transcript (standalone), or NULL */
    char figure[EXPLORE_PATH_MAX];    /* the figure file written, "" in the terminal */
};

/* The number of lessons; their list (number, name, title). */
int lesson_count(void);
void lesson_list(FILE *f);
/* Takes lesson `number`. `outdir` NULL: inside the explorer (runs in the session temp folder,
 * the figure drawn like `plot`; afterwards the session holds the lesson's config and its last
 * two runs); else the runs, lesson-N-<name>.csv, .txt and .png go to outdir. `overrides` are
 * "key=value" settings applied after the lesson's config, before its own variations. */
int lesson_run(Explore *e, int number, const char *outdir, char **overrides, int noverrides);

/* Narrative: a numbered step (pausing first when interactive), a wrapped paragraph, an explorer
 * command to try. Text goes to stdout and to the transcript. */
void lesson_step(LessonCtx *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lesson_say(LessonCtx *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lesson_cmd(LessonCtx *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Loads the lesson's config, the overrides, then `sets` ("key=value", NULL-terminated), and runs
 * it into root/<label> (quiet; a progress line on a terminal). The record stays in L->runs. */
int lesson_variant(LessonCtx *L, const char *label, const char *const *sets, ExploreRun **r);
/* Writes root/<stem>.csv (kind=lesson): nrow rows of ncol named columns, v row-major. */
int lesson_table(LessonCtx *L, const char *const *names, int ncol, int nrow, const double *v);
/* Draws plots/<script>.gp: TABLE OUT [FILE...] TITLE TERM [STRING...]; to outdir/<stem>.png
 * standalone, in the terminal (or a window) inside the explorer. */
int lesson_figure(LessonCtx *L, const char *script, const char *const *files, int nfiles,
                  const char *const *strings, int nstrings);
/* The closing lines: the takeaway and the command to explore further (a format). */
void lesson_end(LessonCtx *L, const char *takeaway, const char *further, ...)
    __attribute__((format(printf, 3, 4)));

#endif
