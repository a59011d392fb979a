/* cmd_explore: `biasamp explore [CONFIG]` — a REPL over one simulator config: set keys through
 * the config table, run (the population map at once, then Monte Carlo), look at tables, plots,
 * comparisons and the theory, save, take lessons. Line editing, history and tab completion come
 * from Debian's libedit; when stdin is not a terminal, commands are read line by line with no
 * prompt, so a session file replays (`biasamp explore < session.txt`). */
#include <ctype.h>
#include <editline/readline.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "explore.h"
#include "paths.h"
#include "xalloc.h"

#define EXPLORE_ARGS 80 /* words on a line */
#define EXPLORE_MAX_OVERRIDES 64

typedef struct ExploreCmd {
    const char *name;
    int (*fn)(Explore *e, int argc, char **argv, const char *const *rest);
    const char *usage;
    const char *summary;
    const char *help; /* more lines for `help NAME` */
} ExploreCmd;

static const ExploreCmd *explore_find(const char *name);
static const ExploreCmd explore_cmds[];

/* ---- commands -------------------------------------------------------------------------------- */

/* The value of `set KEY VALUE` is the rest of the line (lists and titles hold spaces);
 * `set KEY=VALUE` works too. rest[i] is the line from word i on. */
static int do_set(Explore *e, int argc, char **argv, const char *const *rest)
{
    char key[160];
    const char *value;
    if (argc < 2) return err_set(ERR_INVAL, "usage: set KEY VALUE");
    const char *eq = strchr(argv[1], '=');
    if (eq) {
        snprintf(key, sizeof key, "%.*s", (int)(eq - argv[1]), argv[1]);
        value = strchr(rest[1], '=') + 1;
    } else {
        snprintf(key, sizeof key, "%s", argv[1]);
        if (argc < 3) return err_set(ERR_INVAL, "set %s: missing VALUE (\"\" for empty)", argv[1]);
        value = !strcmp(argv[2], "=") ? (argc > 3 ? rest[3] : "") : rest[2]; /* set KEY = VALUE */
    }
    while (isspace((unsigned char)*value)) value++;
    if (!strcmp(value, "\"\"")) value = ""; /* an empty list or string */
    const CfgKey *k = explore_key(e, key);
    if (!k) return ERR_INVAL;
    int st = cfg_set_value(&e->cfg, k->name, value, "set");
    if (st) return st;
    char buf[EXPLORE_VAL_MAX];
    cfg_format(&e->cfg, k, buf, sizeof buf);
    printf("%s = %s\n", k->name, buf);
    SimSpec spec;
    if (explore_spec(e, &spec)) printf("note: not runnable yet: %s\n", err_msg());
    return ERR_OK;
}

static void show_key(const Explore *e, const CfgKey *k, int verbose)
{
    char buf[EXPLORE_VAL_MAX];
    cfg_format(&e->cfg, k, buf, sizeof buf);
    const char *origin = cfg_origin(&e->cfg, k->name);
    if (!verbose) {
        printf("  %-20s = %-24s%s%s\n", k->name, buf[0] ? buf : "(empty)",
               strcmp(origin, "default") ? "  ; " : "", strcmp(origin, "default") ? origin : "");
        return;
    }
    printf("%s = %s\n  %s\n  default: %s", k->name, buf[0] ? buf : "(empty)", k->help,
           k->def[0] ? k->def : "(empty)");
    if (k->type == CFG_ENUM) {
        printf("; one of");
        for (int i = 0; k->choices[i]; i++) printf(" %s", k->choices[i]);
    } else if (k->type == CFG_INT || k->type == CFG_DOUBLE) {
        printf("; range [%g, %g]%s", k->min, k->max, k->flags & CFG_INF_OK ? " or inf" : "");
    } else if (k->type == CFG_BOOL) {
        printf("; true or false");
    }
    printf("\n  set by: %s\n", origin);
}

static int do_show(Explore *e, int argc, char **argv, const char *const *rest)
{
    if (argc > 2) return err_set(ERR_INVAL, "usage: show [KEY]");
    if (argc == 2) {
        const CfgKey *k = explore_key(e, argv[1]);
        if (!k) return ERR_INVAL;
        show_key(e, k, 1);
        return ERR_OK;
    }
    printf("config%s%s\n", e->cfg.path[0] ? " from " : " (defaults)", e->cfg.path);
    for (int i = 0; i < e->cfg.nkeys; i++) show_key(e, &e->cfg.keys[i], 0);
    return ERR_OK;
}

static int do_load(Explore *e, int argc, char **argv, const char *const *rest)
{
    if (argc != 2) return err_set(ERR_INVAL, "usage: load CONFIG.ini");
    int st = explore_load(e, argv[1]);
    if (!st) printf("loaded %s\n", argv[1]);
    return st;
}

static int do_run(Explore *e, int argc, char **argv, const char *const *rest)
{
    if (argc != 1) return err_set(ERR_INVAL, "usage: run (change the config with set)");
    ExploreRun *r;
    int st = explore_run(e, NULL, NULL, 0, EXPLORE_TABLE, &r);
    if (!st) explore_keep(e, r);
    return st;
}

static int do_table(Explore *e, int argc, char **argv, const char *const *rest)
{
    if (!e->runs[0]) return err_set(ERR_INVAL, "no run yet: type 'run' first");
    return explore_table(e, e->runs[0], argv + 1, argc - 1);
}

static int do_theory(Explore *e, int argc, char **argv, const char *const *rest)
{
    if (argc != 1) return err_set(ERR_INVAL, "usage: theory");
    return explore_theory(e);
}

static int do_plot(Explore *e, int argc, char **argv, const char *const *rest)
{
    return explore_plot(e, argc, argv);
}

static int do_compare(Explore *e, int argc, char **argv, const char *const *rest)
{
    return explore_compare(e, argv + 1, argc - 1);
}

static int do_save(Explore *e, int argc, char **argv, const char *const *rest)
{
    if (argc != 2) return err_set(ERR_INVAL, "usage: save DIR");
    return explore_save(e, argv[1]);
}

static int do_lesson(Explore *e, int argc, char **argv, const char *const *rest)
{
    if (argc == 1) {
        lesson_list(stdout);
        printf("'lesson N' runs one here; 'biasamp lesson N' writes its figure as a PNG.\n");
        return ERR_OK;
    }
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (argc != 2 || *end || n < 1 || n > lesson_count())
        return err_set(ERR_INVAL, "usage: lesson [N] with N in 1..%d", lesson_count());
    return lesson_run(e, (int)n, NULL, NULL, 0);
}

static int do_help(Explore *e, int argc, char **argv, const char *const *rest)
{
    if (argc >= 2) {
        const ExploreCmd *c = explore_find(argv[1]);
        if (!c) return err_set(ERR_INVAL, "no command '%s' ('help' lists them)", argv[1]);
        printf("%s %s\n  %s\n%s", c->name, c->usage, c->summary, c->help);
        return ERR_OK;
    }
    printf("commands:\n");
    for (const ExploreCmd *c = explore_cmds; c->name; c++) {
        char head[64];
        snprintf(head, sizeof head, "%s %s", c->name, c->usage);
        printf("  %-30s %s\n", head, c->summary);
    }
    printf("Keys: 'show' lists them; 'n' means sim.n. TAB completes commands, keys, values and "
           "metrics.\n");
    return ERR_OK;
}

static int do_quit(Explore *e, int argc, char **argv, const char *const *rest) { return ERR_OK; }

static const ExploreCmd explore_cmds[] = {
    {"set", do_set, "KEY VALUE", "set a config key (checked like a config file)",
     "  KEY is section.key, or key for sim.key (or the only section that has it). The value is\n"
     "  the rest of the line. A bad value is refused and the key keeps its value.\n"},
    {"show", do_show, "[KEY]", "show the config, or one key with its help and range", ""},
    {"load", do_load, "CONFIG", "load a config file (every other key back to its default)", ""},
    {"run", do_run, "", "the population map at once, then the Monte Carlo replicates",
     "  Prints the population map's trend first (n = inf, no sampling error), then runs the\n"
     "  replicates (a progress line on a terminal) and prints bias and dispersion per generation.\n"
     "  Set sim.n = inf for the population map alone.\n"},
    {"table", do_table, "[METRIC...]", "the latest run's table of metrics per generation",
     "  Default: bias dispersion. Unknown metrics are listed with the ones the run has.\n"},
    {"theory", do_theory, "", "the conditions for amplification: verdicts, push, closed form",
     "  Per generation of the population map: the bias b_t, the push D_t, its covariance form,\n"
     "  the sign condition and the closed form; then the necessary and sufficient verdicts\n"
     "  (paper/theory.md, section 3) and, when the latest run used this config, whether its\n"
     "  replicates agree.\n"},
    {"plot", do_plot, "[TARGET] [METRIC...]",
     "plot the latest run: in the terminal, a window, or a file",
     "  TARGET: term, window, png FILE or svg FILE. Default: a window when $DISPLAY is set at a\n"
     "  terminal (with a gnuplot that has one), else the terminal. METRIC: metric names (default\n"
     "  bias dispersion), 'density' (the snapshots) or 'shares' (every class).\n"},
    {"compare", do_compare, "[METRIC...]", "the last two runs side by side (config and values)",
     ""},
    {"save", do_save, "DIR", "rerun the config into DIR: config.ini, CSV tables, figures", ""},
    {"lesson", do_lesson, "[N]", "list the lessons, or take lesson N", ""},
    {"help", do_help, "[COMMAND]", "this list, or one command", ""},
    {"quit", do_quit, "", "leave (also exit, or Ctrl-D)", ""},
    {NULL, NULL, NULL, NULL, NULL},
};

static const ExploreCmd *explore_find(const char *name)
{
    if (!strcmp(name, "exit")) name = "quit";
    for (const ExploreCmd *c = explore_cmds; c->name; c++)
        if (!strcmp(c->name, name)) return c;
    return NULL;
}

/* ---- the loop -------------------------------------------------------------------------------- */

/* Splits line in place into words; rest[i] points at word i in `orig`. -1 past EXPLORE_ARGS. */
static int explore_split(char *line, char **argv, const char *orig, const char **rest)
{
    int argc = 0;
    char *p = line;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        if (argc == EXPLORE_ARGS) return -1;
        rest[argc] = orig + (p - line);
        argv[argc++] = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        if (*p) *p++ = '\0';
    }
    return argc;
}

/* Runs one line; returns 1 when the session should end. *status gets the command's status. */
static int explore_line(Explore *e, const char *line, int *status)
{
    *status = ERR_OK;
    char *copy = xstrdup(line), *argv[EXPLORE_ARGS];
    const char *rest[EXPLORE_ARGS];
    size_t len = strlen(copy);
    while (len && isspace((unsigned char)copy[len - 1])) copy[--len] = '\0';
    char *orig = xstrdup(copy);
    int argc = explore_split(copy, argv, orig, rest), quit = 0;
    if (argc < 0) {
        *status = err_set(ERR_INVAL, "more than %d words on a line", EXPLORE_ARGS);
        goto done;
    }
    if (argc == 0 || argv[0][0] == '#') goto done;
    const ExploreCmd *c = explore_find(argv[0]);
    if (!c) {
        *status = err_set(ERR_INVAL, "unknown command '%s' (try 'help')", argv[0]);
        goto done;
    }
    if (c->fn == do_quit) {
        quit = 1;
        goto done;
    }
    err_clear();
    *status = c->fn(e, argc, argv, rest);
done:
    free(orig);
    free(copy);
    return quit;
}

/* ---- completion ------------------------------------------------------------------------------ */

static Explore *complete_session;

typedef struct Matches {
    char **v;
    int n, cap;
} Matches;

static void matches_push(Matches *m, const char *cand)
{
    for (int i = 1; i <= m->n; i++)
        if (!strcmp(m->v[i], cand)) return;
    if (m->n + 2 >= m->cap) {
        m->cap = m->cap ? 2 * m->cap : 32;
        m->v = xrealloc(m->v, (size_t)m->cap * sizeof *m->v);
    }
    m->v[++m->n] = xstrdup(cand);
}

static void matches_add(Matches *m, const char *text, const char *cand)
{
    if (strncmp(cand, text, strlen(text)) == 0) matches_push(m, cand);
}

/* readline's convention: v[0] is what replaces the word (the candidates' common prefix), then the
 * candidates, then NULL; NULL when nothing matches. */
static char **matches_finish(Matches *m, const char *text)
{
    if (m->n == 0) {
        free(m->v);
        return NULL;
    }
    size_t lcp = strlen(m->v[1]);
    for (int i = 2; i <= m->n; i++) {
        size_t j = 0;
        while (j < lcp && m->v[i][j] == m->v[1][j]) j++;
        lcp = j;
    }
    /* suffix matches ("k" -> sim.k, data.k) may share less than what was typed: keep the text */
    if (lcp < strlen(text)) {
        m->v[0] = xstrdup(text);
    } else {
        m->v[0] = xcalloc(lcp + 1, 1);
        memcpy(m->v[0], m->v[1], lcp);
    }
    if (m->n == 1) { /* a single match is v[0] alone */
        free(m->v[1]);
        m->n = 0;
    }
    m->v[m->n + 1] = NULL;
    return m->v;
}

static void complete_keys(Matches *m, const char *text)
{
    const Cfg *c = &complete_session->cfg;
    for (int i = 0; i < c->nkeys; i++) matches_add(m, text, c->keys[i].name);
    if (m->n == 0 && !strchr(text, '.')) /* "gam" -> sim.gamma */
        for (int i = 0; i < c->nkeys; i++) {
            const char *dot = strchr(c->keys[i].name, '.');
            if (dot && !strncmp(dot + 1, text, strlen(text))) matches_push(m, c->keys[i].name);
        }
}

static void complete_metrics(Matches *m, const char *text)
{
    const ExploreRun *r = complete_session->runs[0];
    if (!r) return;
    for (int i = 0; i < r->spec.nmetric; i++) matches_add(m, text, r->spec.mname[i]);
}

static char **explore_complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1; /* no filename completion unless asked for below */
    char words[3][160] = {"", "", ""};
    int nw = 0;
    const char *p = rl_line_buffer, *stop = rl_line_buffer + start;
    while (p < stop) {
        while (p < stop && isspace((unsigned char)*p)) p++;
        if (p >= stop) break;
        const char *q = p;
        while (q < stop && !isspace((unsigned char)*q)) q++;
        if (nw < 3) snprintf(words[nw], sizeof words[nw], "%.*s", (int)(q - p), p);
        nw++;
        p = q;
    }
    Matches m = {0};
    const char *cmd = words[0];
    if (nw == 0) {
        for (const ExploreCmd *c = explore_cmds; c->name; c++) matches_add(&m, text, c->name);
    } else if ((!strcmp(cmd, "set") || !strcmp(cmd, "show")) && nw == 1) {
        complete_keys(&m, text);
    } else if (!strcmp(cmd, "set") && nw == 2) {
        const CfgKey *k = cfg_find(&complete_session->cfg, words[1]);
        if (!k && !strchr(words[1], '.')) {
            char name[170];
            snprintf(name, sizeof name, "sim.%s", words[1]);
            k = cfg_find(&complete_session->cfg, name);
        }
        if (k && k->type == CFG_ENUM)
            for (int i = 0; k->choices[i]; i++) matches_add(&m, text, k->choices[i]);
        if (k && k->type == CFG_BOOL) {
            matches_add(&m, text, "true");
            matches_add(&m, text, "false");
        }
        if (k && k->flags & CFG_INF_OK) matches_add(&m, text, "inf");
    } else if (!strcmp(cmd, "plot")) {
        if (nw == 2 && (!strcmp(words[1], "png") || !strcmp(words[1], "svg"))) {
            rl_attempted_completion_over = 0; /* a file name */
            return NULL;
        }
        static const char *const targets[] = {"png", "svg", "term", "window"};
        for (size_t i = 0; i < 4 && nw == 1; i++) matches_add(&m, text, targets[i]);
        matches_add(&m, text, "density");
        matches_add(&m, text, "shares");
        complete_metrics(&m, text);
    } else if (!strcmp(cmd, "table") || !strcmp(cmd, "compare")) {
        complete_metrics(&m, text);
    } else if (!strcmp(cmd, "lesson") && nw == 1) {
        for (int i = 1; i <= lesson_count(); i++) {
            char num[8];
            snprintf(num, sizeof num, "%d", i);
            matches_add(&m, text, num);
        }
    } else if (!strcmp(cmd, "help") && nw == 1) {
        for (const ExploreCmd *c = explore_cmds; c->name; c++) matches_add(&m, text, c->name);
    } else if ((!strcmp(cmd, "load") || !strcmp(cmd, "save")) && nw == 1) {
        rl_attempted_completion_over = 0;
        return NULL;
    }
    return matches_finish(&m, text);
}

/* ---- entry ----------------------------------------------------------------------------------- */

/* Ctrl-C at the prompt abandons the line (readline returns NULL with this flag set); during a
 * command it has its default effect, since a run cannot be stopped halfway. */
static volatile sig_atomic_t explore_interrupted;

static void explore_on_sigint(int sig)
{
    (void)sig;
    explore_interrupted = 1;
}

/* SIGHUP (the terminal closed) and SIGTERM end the session after the current command, so that
 * its temp folder is removed; a second signal has the default effect. */
static volatile sig_atomic_t explore_stop;

static void explore_on_stop(int sig)
{
    (void)sig;
    explore_stop = 1;
}

static void explore_catch_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = explore_on_stop;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void explore_sigint(int at_prompt)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = at_prompt ? explore_on_sigint : SIG_DFL;
    sigaction(SIGINT, &sa, NULL);
}

static void explore_help(void)
{
    printf("usage: biasamp explore [options] [CONFIG.ini]\n\n"
           "An interactive explorer of the simulator: set keys, run (the population map at once,\n"
           "then Monte Carlo), read tables, plot in the terminal, compare runs, ask the theory,\n"
           "save results, take the lessons. With stdin not a terminal, reads one command per line\n"
           "without prompts ('biasamp explore < session.txt'); '#' starts a comment line. Such a\n"
           "session exits with 2 if any command failed (each failure is one 'error:' line on\n"
           "stderr; the session goes on), else 0.\n\n"
           "options:\n"
           "  -s, --set KEY=VALUE  override a config key (repeatable)\n"
           "  -h, --help           this help\n\n"
           "commands:\n");
    for (const ExploreCmd *c = explore_cmds; c->name; c++) {
        char head[64];
        snprintf(head, sizeof head, "%s %s", c->name, c->usage);
        printf("  %-30s %s\n", head, c->summary);
    }
    printf("\nHistory is kept in $BIASAMP_CACHE/explore_history (default ~/.cache/biasamp).\n");
}

static void explore_history_path(char *buf, size_t n)
{
    char dir[EXPLORE_PATH_MAX];
    paths_cache_dir(dir, sizeof dir);
    if (paths_mkdirs(dir) != ERR_OK) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, n, "%s/explore_history", dir);
}

/* Prints the failure of a command as one line on stderr: "error: [stdin:LINE: ]message". */
static void explore_error(const Explore *e, long lineno, int st)
{
    fflush(stdout);
    if (e->interactive)
        fprintf(stderr, "error: %s\n", err_msg());
    else
        fprintf(stderr, "error: stdin:%ld: %s\n", lineno, err_msg());
    fflush(stderr);
    (void)st;
}

int cmd_explore(int argc, char **argv)
{
    static const struct option opts[] = {{"set", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    char *overrides[EXPLORE_MAX_OVERRIDES];
    int noverrides = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (noverrides == EXPLORE_MAX_OVERRIDES)
                return cli_usage_error("explore", "too many -s");
            overrides[noverrides++] = optarg;
            break;
        case 'h': explore_help(); return 0;
        default:
            return cli_usage_error("explore", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (argc - optind > 1) return cli_usage_error("explore", "one CONFIG at most");
    const char *config = optind < argc ? argv[optind] : NULL;

    Explore e;
    int st = explore_init(&e);
    if (st) return cli_fail("explore", st);
    if ((st = explore_load(&e, config))) goto done;
    for (int i = 0; i < noverrides && !st; i++) st = cfg_set(&e.cfg, overrides[i]);
    if (st) goto done;

    char hist[EXPLORE_PATH_MAX] = "";
    if (e.interactive) {
        complete_session = &e;
        rl_readline_name = "biasamp";
        rl_attempted_completion_function = explore_complete;
        rl_basic_word_break_characters = " \t\n";
        using_history();
        explore_history_path(hist, sizeof hist);
        if (hist[0]) read_history(hist);
        printf("biasamp explore: %s. 'help' lists the commands, 'lesson' the lessons, "
               "'quit' leaves.\n", config ? config : "default config");
    }
    int worst = 0;
    long lineno = 0;
    char *line = NULL;
    size_t cap = 0;
    explore_catch_stop();
    while (!explore_stop) {
        char *text;
        if (e.interactive) {
            explore_interrupted = 0;
            explore_sigint(1);
            text = readline("explore> ");
            explore_sigint(0);
            if (!text && explore_stop) break;
            if (!text && explore_interrupted) {
                printf("\n");
                continue;
            }
            if (!text) {
                printf("\n");
                break;
            }
            if (*text) add_history(text);
        } else {
            if (getline(&line, &cap, stdin) < 0) break;
            text = line;
        }
        lineno++;
        int cst, quit = explore_line(&e, text, &cst);
        if (e.interactive) free(text);
        if (cst) {
            explore_error(&e, lineno, cst);
            int code = err_exit_code(cst);
            if (code == 2 || worst == 0) worst = code;
        }
        fflush(stdout);
        if (quit) break;
    }
    free(line);
    if (hist[0]) {
        write_history(hist);
        history_truncate_file(hist, 1000);
    }
    int interactive = e.interactive;
    explore_release(&e);
    if (explore_stop) return 1; /* ended by SIGHUP or SIGTERM */
    return interactive ? 0 : worst;
done:
    explore_release(&e);
    return cli_fail("explore", st);
}
