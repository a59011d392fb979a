/* cmd_plot: `biasamp plot [--script NAME] DATA [OUT] [--with DATA2]` — picks the gnuplot script
 * from the table's `# kind=` line unless named, then calls plot_render. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csvread.h"
#include "err.h"
#include "plot.h"

/* Default script for each table kind. */
static const struct {
    const char *kind, *script;
} plot_defaults[] = {
    {"sim_generations", "sim_moments"},
    {"sim_density", "sim_density"},
    {"theory_generations", "theory_trajectory"},
    {"experiment_generations", "experiment_shares"},
    {"experiment_articles", "experiment_tqi_dist"},
    {"decompose_cells", "decompose"},
    {"neurons_per_neuron", "neurons_scatter"},
    {"neurons_layers", "neurons_layers"},
};

static void plot_help(void)
{
    printf("usage: biasamp plot [options] DATA.csv [OUT]\n\n"
           "Renders DATA.csv with plots/NAME.gp (gnuplot -c NAME.gp DATA OUT [DATA2]; no shell).\n"
           "The script follows the table's '# kind=' line unless --script names one. OUT ends in\n"
           ".png (pngcairo) or .svg; '-' (or --term) draws in the terminal. Default OUT:\n"
           "DATA with .png.\n\n"
           "options:\n"
           "  -n, --script NAME   gnuplot script plots/NAME.gp\n"
           "  -w, --with DATA2    a second table for scripts that overlay one (e.g. population.csv)\n"
           "  -t, --term          draw in the terminal (gnuplot's dumb terminal)\n"
           "  -h, --help          this help\n\n"
           "kinds and their scripts:\n");
    for (size_t i = 0; i < sizeof plot_defaults / sizeof plot_defaults[0]; i++)
        printf("  %-18s %s\n", plot_defaults[i].kind, plot_defaults[i].script);
}

/* The value of '# kind=' in the metadata block of a CSV table, into buf. */
static int plot_kind(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) /* a missing or unreadable input is bad input (exit 2), like csvread's */
        return err_set(errno == ENOENT || errno == EACCES || errno == EISDIR ? ERR_INVAL : ERR_IO,
                       "cannot open '%s': %s", path, strerror(errno));
    char line[1024];
    int found = 0, lineno = 0;
    while (!found && fgets(line, sizeof line, f) && line[0] == '#') {
        lineno++;
        if (strncmp(line, "# kind=", 7) == 0) {
            line[strcspn(line, "\r\n")] = '\0';
            snprintf(buf, n, "%s", line + 7);
            found = 1;
        }
    }
    fclose(f);
    if (!found)
        return err_set(ERR_INVAL, "%s: no '# kind=' metadata line (name a script with --script)",
                       path);
    return ERR_OK;
}

/* Refuses a table gnuplot would half-draw: ragged rows, no header (csvread), or a cell that is not
 * a number (biasamp's tables hold numbers only: %.17g, nan, inf). */
static int plot_check_table(const char *path)
{
    CsvTable *t;
    int st = csvread_load(&t, path);
    if (st) return st;
    for (size_t r = 0; r < t->nrows && !st; r++)
        for (int c = 0; c < t->ncols && !st; c++) {
            const char *cell = csvread_str(t, r, c);
            char *end;
            strtod(cell, &end);
            if (end == cell || *end)
                st = err_set(ERR_INVAL, "%s: data row %zu, column '%s': '%.40s' is not a number",
                             path, r + 1, t->cols[c], cell);
        }
    csvread_free(t);
    return st;
}

int cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {{"script", required_argument, 0, 'n'},
                                         {"with", required_argument, 0, 'w'},
                                         {"term", no_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *script = NULL, *with = NULL;
    int term = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "n:w:th", opts, NULL)) != -1) {
        switch (c) {
        case 'n': script = optarg; break;
        case 'w': with = optarg; break;
        case 't': term = 1; break;
        case 'h': plot_help(); return 0;
        default:
            return cli_usage_error("plot", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    int nargs = argc - optind;
    if (nargs < 1 || nargs > 2) return cli_usage_error("plot", "expected DATA.csv [OUT]");
    const char *data = argv[optind];
    char kind[128], out[4096];
    int st = ERR_OK;
    if (!script) {
        if ((st = plot_kind(data, kind, sizeof kind))) return cli_fail("plot", st);
        for (size_t i = 0; i < sizeof plot_defaults / sizeof plot_defaults[0]; i++)
            if (strcmp(plot_defaults[i].kind, kind) == 0) script = plot_defaults[i].script;
        if (!script)
            return cli_fail("plot", err_set(ERR_INVAL, "%s: no default script for kind '%s'",
                                            data, kind));
    }
    if (term || (nargs == 2 && strcmp(argv[optind + 1], "-") == 0)) {
        snprintf(out, sizeof out, "-");
    } else if (nargs == 2) {
        snprintf(out, sizeof out, "%s", argv[optind + 1]);
    } else {
        const char *dot = strrchr(data, '.');
        int stem = dot ? (int)(dot - data) : (int)strlen(data);
        snprintf(out, sizeof out, "%.*s.png", stem, data);
    }
    if ((st = plot_check_table(data))) /* --with may be a foreign table (text cells) */
        return cli_fail("plot", st);
    const char *args[] = {data, out, with ? with : data};
    st = plot_render(script, args, 3, 3);
    if (st) return cli_fail("plot", st);
    if (strcmp(out, "-") != 0) printf("%s\n", out);
    return 0;
}
