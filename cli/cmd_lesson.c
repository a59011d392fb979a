/* cmd_lesson: `biasamp lesson [N|all] [-o DIR]` and the lesson framework the explorer's `lesson N`
 * shares. A lesson is a narrative printed in steps, a config (configs/lesson-N-<name>.ini) with
 * variations run through the explorer's session, a table and the figure drawn from it. Every
 * number a narrative prints is read from the runs, never written into the text. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "csvlog.h"
#include "err.h"
#include "explore.h"
#include "paths.h"

#define LESSON_WIDTH 96
#define LESSON_MAX_OVERRIDES 64

int lesson_count(void)
{
    int n = 0;
    while (lessons[n].name) n++;
    return n;
}

void lesson_list(FILE *f)
{
    fprintf(f, "lessons:\n");
    for (int i = 0; lessons[i].name; i++)
        fprintf(f, "  %d  %-14s %s\n", i + 1, lessons[i].name, lessons[i].title);
}

/* Writes to stdout and to the transcript. */
static void lesson_out(LessonCtx *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lesson_out(LessonCtx *L, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (L->log) {
        va_list aq;
        va_copy(aq, ap);
        vfprintf(L->log, fmt, aq);
        va_end(aq);
    }
    vprintf(fmt, ap);
    va_end(ap);
}

/* Prints text wrapped at LESSON_WIDTH with `indent`; '\n' in the text starts a new line. */
static void lesson_wrap(LessonCtx *L, const char *indent, const char *text)
{
    size_t col = 0, ind = strlen(indent);
    const char *p = text;
    while (*p) {
        if (*p == '\n') {
            lesson_out(L, "\n");
            col = 0;
            p++;
            continue;
        }
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t w = strcspn(p, " \n");
        if (col && col + 1 + w > LESSON_WIDTH) {
            lesson_out(L, "\n");
            col = 0;
        }
        if (col == 0) {
            lesson_out(L, "%s", indent);
            col = ind;
        } else {
            lesson_out(L, " ");
            col++;
        }
        lesson_out(L, "%.*s", (int)w, p);
        col += w;
        p += w;
    }
    if (col) lesson_out(L, "\n");
}

void lesson_step(LessonCtx *L, const char *fmt, ...)
{
    if (L->pause && L->step > 0) {
        printf("  [Enter] ");
        fflush(stdout);
        int c;
        while ((c = getchar()) != '\n' && c != EOF) {
        }
    }
    char title[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(title, sizeof title, fmt, ap);
    va_end(ap);
    L->step++;
    lesson_out(L, "\n%d. %s\n", L->step, title);
    fflush(stdout);
}

void lesson_say(LessonCtx *L, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    lesson_wrap(L, "   ", buf);
    fflush(stdout);
}

void lesson_cmd(LessonCtx *L, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    lesson_out(L, "      explore> %s\n", buf);
}

int lesson_variant(LessonCtx *L, const char *label, const char *const *sets, ExploreRun **out)
{
    *out = NULL;
    if (L->nruns == LESSON_RUNS) return err_set(ERR_RUNTIME, "a lesson runs %d configs at most",
                                                LESSON_RUNS);
    Explore *e = L->e;
    int st = explore_load(e, L->config);
    for (int i = 0; i < L->noverrides && !st; i++) st = cfg_set(&e->cfg, L->overrides[i]);
    for (int i = 0; sets && sets[i] && !st; i++) {
        char key[160];
        const char *eq = strchr(sets[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[i]), sets[i]);
        st = explore_set(e, key, eq + 1, "lesson");
    }
    if (st) return err_prefix(st, "lesson %d (%s)", L->number, label);
    char dir[EXPLORE_PATH_MAX];
    if ((st = paths_join(dir, sizeof dir, L->root, label))) return st;
    ExploreRun *r;
    if ((st = explore_run(e, dir, label, 0, EXPLORE_QUIET, &r)))
        return err_prefix(st, "lesson %d (%s)", L->number, label);
    L->runs[L->nruns++] = r;
    *out = r;
    return ERR_OK;
}

int lesson_table(LessonCtx *L, const char *const *names, int ncol, int nrow, const double *v)
{
    char path[EXPLORE_PATH_MAX], file[96];
    snprintf(file, sizeof file, "%s.csv", L->stem);
    int st = paths_join(path, sizeof path, L->outdir ? L->outdir : L->root, file);
    if (st) return st;
    RunInfo ri;
    runinfo_init(&ri, cli_argc, cli_argv);
    ri.seed = (uint64_t)L->e->sc.seed;
    ri.config_hash = cfg_hash(&L->e->cfg);
    CsvLog *log;
    if ((st = csvlog_open(&log, path, "lesson", &ri))) return st;
    csvlog_meta(log, "lesson", "%d", L->number);
    csvlog_meta(log, "config", "%s", L->config);
    st = csvlog_header(log, names, ncol);
    for (int i = 0; i < nrow && !st; i++) st = csvlog_row(log, v + (size_t)i * (size_t)ncol);
    int cst = csvlog_close(log, st == ERR_OK);
    return st ? st : cst;
}

int lesson_figure(LessonCtx *L, const char *script, const char *const *files, int nfiles,
                  const char *const *strings, int nstrings)
{
    char table[EXPLORE_PATH_MAX], file[96], out[EXPLORE_PATH_MAX], term[64], title[160];
    snprintf(file, sizeof file, "%s.csv", L->stem);
    paths_join(table, sizeof table, L->outdir ? L->outdir : L->root, file);
    if (L->outdir) {
        snprintf(file, sizeof file, "%s.png", L->stem);
        paths_join(out, sizeof out, L->outdir, file);
        term[0] = '\0';
    } else {
        explore_target(L->e, "auto", out, sizeof out, term, sizeof term);
    }
    snprintf(title, sizeof title, "Lesson %d: %s", L->number, L->lesson->title);
    const char *args[24] = {table, out};
    int k = 2;
    for (int i = 0; i < nfiles && k < 8; i++) args[k++] = files[i];
    args[k++] = title;
    args[k++] = term;
    for (int i = 0; i < nstrings && k < 24; i++) args[k++] = strings[i];
    int st = explore_render(script, args, k, 2 + nfiles);
    if (st) return st;
    if (L->outdir) {
        snprintf(L->figure, sizeof L->figure, "%s", out);
        lesson_out(L, "   figure: %s\n", out);
    }
    return ERR_OK;
}

void lesson_end(LessonCtx *L, const char *takeaway, const char *further, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, further);
    vsnprintf(buf, sizeof buf, further, ap);
    va_end(ap);
    lesson_out(L, "\n");
    lesson_wrap(L, "", takeaway);
    lesson_wrap(L, "", buf);
    fflush(stdout);
}

/* The path without ".." and, below the working folder, relative to it: the narrative shows it as
 * a command to type. */
static void lesson_tidy_path(char *path, size_t n)
{
    char real[EXPLORE_PATH_MAX], cwd[EXPLORE_PATH_MAX];
    if (!realpath(path, real)) return;
    size_t k = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
    if (k && !strncmp(real, cwd, k) && real[k] == '/')
        snprintf(path, n, "%s", real + k + 1);
    else
        snprintf(path, n, "%s", real);
}

int lesson_run(Explore *e, int number, const char *outdir, char **overrides, int noverrides)
{
    if (number < 1 || number > lesson_count())
        return err_set(ERR_INVAL, "no lesson %d (1..%d)", number, lesson_count());
    LessonCtx L = {.e = e,
                   .number = number,
                   .lesson = &lessons[number - 1],
                   .outdir = outdir,
                   .overrides = overrides,
                   .noverrides = noverrides,
                   .pause = e->interactive};
    snprintf(L.stem, sizeof L.stem, "lesson-%d-%s", number, L.lesson->name);
    char cdir[EXPLORE_PATH_MAX], file[96];
    int st = explore_configs_dir(cdir, sizeof cdir);
    if (st) return st;
    snprintf(file, sizeof file, "%s.ini", L.stem);
    paths_join(L.config, sizeof L.config, cdir, file);
    if (access(L.config, R_OK)) return err_set(ERR_IO, "cannot read the lesson's config '%s'",
                                               L.config);
    lesson_tidy_path(L.config, sizeof L.config);
    /* inside the explorer every take gets its own folder: kept runs may point at an older one */
    if (outdir)
        snprintf(L.root, sizeof L.root, "%s/lesson-%d", outdir, number);
    else
        snprintf(L.root, sizeof L.root, "%s/lesson-%d.%d", e->tmp, number, e->nruns + 1);
    if ((st = paths_mkdirs(L.root))) return st;
    if (outdir) {
        char path[EXPLORE_PATH_MAX];
        snprintf(file, sizeof file, "%s.txt", L.stem);
        paths_join(path, sizeof path, outdir, file);
        L.log = fopen(path, "w");
        if (!L.log) return err_set(ERR_IO, "cannot write '%s'", path);
    }
    lesson_out(&L, "Lesson %d: %s\n(config %s)\n", number, L.lesson->title, L.config);
    st = L.lesson->run(&L);
    if (L.log && fclose(L.log) && !st) st = err_set(ERR_IO, "cannot write the transcript");
    /* inside the explorer the session keeps the lesson's last config and its last two runs */
    int keep = outdir || st ? 0 : (L.nruns < EXPLORE_KEEP ? L.nruns : EXPLORE_KEEP);
    for (int i = 0; i < L.nruns; i++) {
        if (i >= L.nruns - keep)
            explore_keep(e, L.runs[i]);
        else
            explore_run_free(L.runs[i]);
    }
    return st;
}

static void lesson_help(void)
{
    printf("usage: biasamp lesson [N|all] [-o DIR] [-s KEY=VALUE]... [--no-pause]\n\n"
           "Takes lesson N: a short narrative printed in steps, with numbers read from its runs,\n"
           "ending with the takeaway and the command to explore further. Writes into DIR\n"
           "(default results/lesson-N-<name>_<UTC stamp>, or results/lessons_<stamp> for all):\n"
           "lesson-N-<name>.png (the figure), .csv (its table), .txt (the narrative) and\n"
           "lesson-N/<variant>/ (each run's config.ini and tables). Without N, lists the\n"
           "lessons.\n\n"
           "options:\n"
           "  -o, --output DIR     results folder\n"
           "  -s, --set KEY=VALUE  override a key of the lesson's config (e.g. -s\n"
           "                       sim.replicates=50); the lesson's own variations apply on top\n"
           "      --no-pause       do not wait for Enter between steps at a terminal\n"
           "  -h, --help           this help\n\n");
    lesson_list(stdout);
}

int cmd_lesson(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"set", required_argument, 0, 's'},
                                         {"no-pause", no_argument, 0, 'P'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *outdir = NULL;
    char *overrides[LESSON_MAX_OVERRIDES];
    int noverrides = 0, nopause = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 's':
            if (noverrides == LESSON_MAX_OVERRIDES) return cli_usage_error("lesson", "too many -s");
            overrides[noverrides++] = optarg;
            break;
        case 'P': nopause = 1; break;
        case 'h': lesson_help(); return 0;
        default:
            return cli_usage_error("lesson", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind == argc) {
        lesson_list(stdout);
        printf("'biasamp lesson N' takes one; 'biasamp explore' then 'lesson N' takes it there.\n");
        return 0;
    }
    if (argc - optind > 1) return cli_usage_error("lesson", "one lesson (N or all) expected");
    int first, last, n = lesson_count();
    char *end;
    if (!strcmp(argv[optind], "all")) {
        first = 1;
        last = n;
    } else {
        long v = strtol(argv[optind], &end, 10);
        if (*end || v < 1 || v > n)
            return cli_usage_error("lesson", "no lesson '%s' (1..%d or all)", argv[optind], n);
        first = last = (int)v;
    }
    for (int i = 0; i < noverrides; i++)
        if (!strchr(overrides[i], '='))
            return cli_usage_error("lesson", "-s '%s': expected section.key=value", overrides[i]);

    Explore e;
    int st = explore_init(&e);
    if (st) return cli_fail("lesson", st);
    e.interactive = e.interactive && !nopause;
    char dir[EXPLORE_PATH_MAX], stem[96];
    if (first == last)
        snprintf(stem, sizeof stem, "lesson-%d-%s.ini", first, lessons[first - 1].name);
    else
        snprintf(stem, sizeof stem, "lessons.ini");
    if ((st = paths_results_dir(dir, sizeof dir, stem, outdir))) goto done;
    for (int i = first; i <= last && !st; i++) {
        if (i > first) printf("\n");
        st = lesson_run(&e, i, dir, overrides, noverrides);
    }
    if (!st && first != last) printf("\nlessons written to %s/\n", dir);
done:
    explore_release(&e);
    return st ? cli_fail("lesson", st) : 0;
}
