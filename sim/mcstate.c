/* mcstate: per-chunk checkpoint files of a Monte Carlo run, written atomically (temporary file,
 * fsync, rename). Layout (little-endian): magic "BIASMCK1" | u32 version | u32 reserved |
 * u64 config hash | u64 chunk | u64 r0 | u64 nrep | u32 generations | u32 nmetric | u32 nparam |
 * u32 reserved | f64 rows[nrep][generations*nmetric] | f64 theta[nrep][nparam] | u32 crc32. */
#include "mcstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "err.h"
#include "paths.h"
#include "xalloc.h"

#define MCSTATE_MAGIC "BIASMCK1"
#define MCSTATE_VERSION 1u
#define MCSTATE_HEADER 64

static uint32_t mcstate_crc(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) { /* crc32 takes a uInt length */
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, b, k);
        b += k;
        n -= k;
    }
    return crc;
}

static void chunk_path(const McState *ms, long c, char *buf, size_t n)
{
    snprintf(buf, n, "%s/chunk_%06ld.bin", ms->dir, c);
}

static void put_header(unsigned char *h, const McState *ms, long c, long r0, long nrep)
{
    memset(h, 0, MCSTATE_HEADER);
    uint32_t ver = MCSTATE_VERSION, G = (uint32_t)ms->generations, M = (uint32_t)ms->nmetric,
             np = (uint32_t)ms->nparam;
    uint64_t u[4] = {ms->hash, (uint64_t)c, (uint64_t)r0, (uint64_t)nrep};
    memcpy(h, MCSTATE_MAGIC, 8);
    memcpy(h + 8, &ver, 4);
    memcpy(h + 16, u, sizeof u);
    memcpy(h + 48, &G, 4);
    memcpy(h + 52, &M, 4);
    memcpy(h + 56, &np, 4);
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t k = write(fd, b, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

static int mcstate_save(void *ctx, long c, long r0, long nrep, const double *rows,
                        const double *theta)
{
    McState *ms = ctx;
    char path[4200], tmp[4300];
    chunk_path(ms, c, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unsigned char h[MCSTATE_HEADER];
    put_header(h, ms, c, r0, nrep);
    size_t nr = (size_t)nrep * (size_t)ms->generations * (size_t)ms->nmetric * sizeof *rows,
           nt = (size_t)nrep * (size_t)ms->nparam * sizeof *theta;
    uint32_t crc = mcstate_crc(0, h, sizeof h);
    crc = mcstate_crc(crc, rows, nr);
    crc = mcstate_crc(crc, theta, nt);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return err_set(ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    int bad = write_all(fd, h, sizeof h) || write_all(fd, rows, nr) || write_all(fd, theta, nt) ||
              write_all(fd, &crc, 4) || fsync(fd);
    if (close(fd)) bad = 1;
    if (bad || rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        return err_set(ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
#ifdef _OPENMP
#pragma omp atomic update
#endif
    ms->saved++;
    return ERR_OK;
}

/* Reads chunk c back: 1 if present and valid, 0 if absent, -1 if invalid (message set). */
static int mcstate_read(const McState *ms, long c, long r0, long nrep, double *rows, double *theta)
{
    char path[4200];
    chunk_path(ms, c, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char h[MCSTATE_HEADER], want[MCSTATE_HEADER];
    put_header(want, ms, c, r0, nrep);
    size_t nr = (size_t)nrep * (size_t)ms->generations * (size_t)ms->nmetric * sizeof *rows,
           nt = (size_t)nrep * (size_t)ms->nparam * sizeof *theta;
    int st = ERR_OK;
    uint32_t crc_file;
    if (fread(h, 1, sizeof h, f) != sizeof h || memcmp(h, MCSTATE_MAGIC, 8))
        st = err_set(ERR_INVAL, "%s: not a biasamp sim state chunk (magic)", path);
    else if (memcmp(h + 8, want + 8, 4))
        st = err_set(ERR_INVAL, "%s: unsupported version", path);
    else if (memcmp(h + 16, want + 16, 8))
        st = err_set(ERR_INVAL, "%s: written by another configuration (config_hash differs); "
                     "resume with the folder's config.ini", path);
    else if (memcmp(h + 24, want + 24, MCSTATE_HEADER - 24))
        st = err_set(ERR_INVAL, "%s: chunk, replicates or shape (generations, metrics, "
                     "parameters) differ from the run's", path);
    else if (fread(rows, 1, nr, f) != nr || fread(theta, 1, nt, f) != nt ||
             fread(&crc_file, 1, 4, f) != 4 || fgetc(f) != EOF)
        st = err_set(ERR_INVAL, "%s: truncated or trailing bytes (size)", path);
    else {
        uint32_t crc = mcstate_crc(0, h, sizeof h);
        crc = mcstate_crc(crc, rows, nr);
        crc = mcstate_crc(crc, theta, nt);
        if (crc != crc_file) st = err_set(ERR_INVAL, "%s: CRC-32 mismatch (corrupt)", path);
    }
    fclose(f);
    return st ? -1 : 1;
}

static int mcstate_load(void *ctx, long c, long r0, long nrep, double *rows, double *theta)
{
    McState *ms = ctx;
    /* every file was validated by mcstate_open; one that fails now is recomputed */
    int st = mcstate_read(ms, c, r0, nrep, rows, theta);
    if (st == 1) {
#ifdef _OPENMP
#pragma omp atomic update
#endif
        ms->loaded++;
    }
    return st == 1; /* validated up front by mcstate_open: nothing else can fail here */
}

int mcstate_exists(const char *dir)
{
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, MCSTATE_DIR);
    return stat(path, &sb) == 0;
}

int mcstate_open(McState *ms, const char *dir, uint64_t hash, const SimSpec *s)
{
    memset(ms, 0, sizeof *ms);
    snprintf(ms->dir, sizeof ms->dir, "%s/%s", dir, MCSTATE_DIR);
    ms->hash = hash;
    ms->replicates = s->replicates;
    ms->generations = s->generations;
    ms->nmetric = loop_nmetric(s);
    ms->nparam = s->fit.nparam;
    ms->hooks = (McHooks){.ctx = ms, .load = mcstate_load, .save = mcstate_save};
    int st = paths_mkdirs(ms->dir);
    if (st) return st;
    /* every chunk file present must be one of this run's, whole and uncorrupted */
    long R = s->replicates, nchunk = (R + MC_CHUNK - 1) / MC_CHUNK;
    size_t GM = (size_t)ms->generations * (size_t)ms->nmetric;
    double *rows = xcalloc(GM * MC_CHUNK, sizeof *rows),
           *theta = xcalloc((size_t)MC_CHUNK * (size_t)(ms->nparam ? ms->nparam : 1), sizeof *theta);
    DIR *dp = opendir(ms->dir);
    if (!dp) st = err_set(ERR_IO, "cannot open '%s': %s", ms->dir, strerror(errno));
    struct dirent *de;
    while (!st && (de = readdir(dp))) {
        long c;
        char tail[8];
        if (strncmp(de->d_name, "chunk_", 6)) continue;
        if (sscanf(de->d_name, "chunk_%ld%7s", &c, tail) != 2 || strcmp(tail, ".bin"))
            continue; /* chunk_*.bin.tmp: a write that a kill interrupted */
        if (c < 0 || c >= nchunk) {
            st = err_set(ERR_INVAL, "%s/%s: chunk %ld is beyond the run's %ld replicates",
                         ms->dir, de->d_name, c, R);
            break;
        }
        long r0 = c * MC_CHUNK, nrep = r0 + MC_CHUNK < R ? MC_CHUNK : R - r0;
        if (mcstate_read(ms, c, r0, nrep, rows, theta) < 0) st = ERR_INVAL;
    }
    if (dp) closedir(dp);
    free(rows);
    free(theta);
    return st;
}

int mcstate_remove(const char *dir)
{
    char path[4200], file[4500];
    snprintf(path, sizeof path, "%s/%s", dir, MCSTATE_DIR);
    DIR *dp = opendir(path);
    if (!dp) return errno == ENOENT ? ERR_OK : err_set(ERR_IO, "cannot open '%s'", path);
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (!strncmp(de->d_name, "chunk_", 6)) {
            snprintf(file, sizeof file, "%s/%s", path, de->d_name);
            unlink(file);
        }
    }
    closedir(dp);
    /* the command record last: while it exists the folder still reads as resumable */
    snprintf(file, sizeof file, "%s/command.txt", path);
    unlink(file);
    if (rmdir(path)) return err_set(ERR_IO, "cannot remove '%s': %s", path, strerror(errno));
    return ERR_OK;
}
