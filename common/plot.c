/* plot: gnuplot as a child process (posix_spawnp, no shell); atomic output files. */
#include "plot.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "paths.h"

extern char **environ;

static const char *plot_gnuplot(void)
{
    const char *env = getenv("BIASAMP_GNUPLOT");
    return env && *env ? env : "gnuplot";
}

static int plot_spawn(char *const *argv, int quiet)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (quiet) {
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    }
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) return -rc;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int plot_available(void)
{
    char *argv[] = {(char *)plot_gnuplot(), "--version", NULL};
    return plot_spawn(argv, 1) == 0;
}

int plot_render(const char *name, const char *const *args, int nargs, int nfiles)
{
    if (nargs < 2) return err_set(ERR_INVAL, "plot %s: need DATA and OUT", name);
    for (const char *p = name; *p; p++)
        if (!(*p == '_' || *p == '-' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return err_set(ERR_INVAL, "plot: bad script name '%s'", name);
    char dir[4096], script[4200], loadpath[4300];
    int st = paths_plots_dir(dir, sizeof dir);
    if (st) return st;
    snprintf(script, sizeof script, "%s/%s.gp", dir, name);
    if (access(script, R_OK))
        return err_set(ERR_INVAL, "plot: no script '%s' (looked in %s)", name, dir);
    for (int i = 0; i < nfiles && i < nargs; i++)
        if (i != 1 && access(args[i], R_OK))
            return err_set(ERR_IO, "plot: cannot read '%s'", args[i]);
    const char *out = args[1];
    int dumb = strcmp(out, "-") == 0;
    const char *ext = strrchr(out, '.');
    if (!dumb && !(ext && (!strcmp(ext, ".png") || !strcmp(ext, ".svg") || !strcmp(ext, ".txt"))))
        return err_set(ERR_INVAL, "plot: output '%s' must end in .png, .svg or .txt (or be -)", out);
    char tmp[4200];
    if (!dumb) snprintf(tmp, sizeof tmp, "%.*s.part%s", (int)(ext - out), out, ext);
    snprintf(loadpath, sizeof loadpath, "set loadpath '%s'", dir);
    char *argv[32];
    int k = 0;
    argv[k++] = (char *)plot_gnuplot();
    argv[k++] = "-e";
    argv[k++] = loadpath;
    argv[k++] = "-c";
    argv[k++] = script;
    for (int i = 0; i < nargs && k < 30; i++) argv[k++] = (char *)(i == 1 && !dumb ? tmp : args[i]);
    argv[k] = NULL;
    int rc = plot_spawn(argv, 0);
    if (rc < 0) {
        if (-rc == ENOENT)
            return err_set(ERR_IO, "gnuplot not found (install it: apt-get install gnuplot-nox)");
        return err_set(ERR_IO, "cannot run gnuplot: %s", strerror(-rc));
    }
    if (rc != 0) {
        if (!dumb) unlink(tmp);
        return err_set(ERR_IO, "gnuplot failed on %s (exit %d)", script, rc);
    }
    if (!dumb && rename(tmp, out)) {
        unlink(tmp);
        return err_set(ERR_IO, "cannot rename '%s': %s", tmp, strerror(errno));
    }
    return ERR_OK;
}
