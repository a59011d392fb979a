/* paths: data root, plots folder, cache folder and results folders. */
#include "paths.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

static int paths_is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int paths_join(char *buf, size_t n, const char *dir, const char *name)
{
    int k = snprintf(buf, n, "%s/%s", dir, name);
    if (k < 0 || (size_t)k >= n) return err_set(ERR_INVAL, "path too long: %s/%s", dir, name);
    return ERR_OK;
}

void paths_data_root(char *buf, size_t n)
{
    const char *env = getenv("BIASAMP_DATA");
    snprintf(buf, n, "%s", env && *env ? env : "../shared/data");
}

void paths_cache_dir(char *buf, size_t n)
{
    const char *env = getenv("BIASAMP_CACHE");
    if (env && *env) {
        snprintf(buf, n, "%s", env);
        return;
    }
    const char *home = getenv("HOME");
    snprintf(buf, n, "%s/.cache/biasamp", home && *home ? home : ".");
}

int paths_plots_dir(char *buf, size_t n)
{
    const char *env = getenv("BIASAMP_PLOTS");
    if (env && *env) {
        if (!paths_is_dir(env)) return err_set(ERR_IO, "BIASAMP_PLOTS='%s' is not a folder", env);
        snprintf(buf, n, "%s", env);
        return ERR_OK;
    }
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        const char *dir = dirname(exe);
        static const char *const rel[] = {"../share/biasamp/plots", "../plots", "../../plots"};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            snprintf(buf, n, "%s/%s", dir, rel[i]);
            if (paths_is_dir(buf)) return ERR_OK;
        }
    }
    snprintf(buf, n, "plots");
    if (paths_is_dir(buf)) return ERR_OK;
    return err_set(ERR_IO, "cannot find the plots/ folder (set BIASAMP_PLOTS)");
}

int paths_mkdirs(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return err_set(ERR_INVAL, "path too long: %s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0777) && errno != EEXIST)
            return err_set(ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0777) && errno != EEXIST)
        return err_set(ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    if (!paths_is_dir(tmp)) return err_set(ERR_IO, "'%s' exists and is not a folder", tmp);
    return ERR_OK;
}

int paths_results_dir(char *buf, size_t n, const char *config_path, const char *override)
{
    if (override && *override) {
        if (snprintf(buf, n, "%s", override) >= (int)n)
            return err_set(ERR_INVAL, "path too long: %s", override);
        return paths_mkdirs(buf);
    }
    char stem[256] = "run";
    if (config_path && *config_path) {
        const char *base = strrchr(config_path, '/');
        snprintf(stem, sizeof stem, "%s", base ? base + 1 : config_path);
        char *dot = strrchr(stem, '.');
        if (dot && dot != stem) *dot = '\0';
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    if (snprintf(buf, n, "results/%s_%s", stem, stamp) >= (int)n)
        return err_set(ERR_INVAL, "results path too long");
    return paths_mkdirs(buf);
}

int paths_write_config(const char *dir, const Cfg *c)
{
    char path[4096], tmp[4200];
    int st = paths_join(path, sizeof path, dir, "config.ini");
    if (st) return st;
    snprintf(tmp, sizeof tmp, "%s.part", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return err_set(ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    st = cfg_write(c, f);
    if (fflush(f) || fsync(fileno(f))) st = err_set(ERR_IO, "cannot write '%s'", tmp);
    if (fclose(f) && !st) st = err_set(ERR_IO, "cannot write '%s'", tmp);
    if (!st && rename(tmp, path)) st = err_set(ERR_IO, "cannot rename '%s': %s", tmp, strerror(errno));
    if (st) unlink(tmp);
    return st;
}
