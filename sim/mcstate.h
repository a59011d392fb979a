/* mcstate: the resumable state of a Monte Carlo run (`biasamp sim --resume`). One file per chunk
 * of MC_CHUNK replicates, DIR/sim.state/chunk_NNNNNN.bin, each written to a temporary file,
 * fsynced and renamed: a kill leaves whole chunks only, and a resumed run reads them back instead
 * of recomputing them. Every replicate has its own PCG stream from (seed, replicate), so the
 * resumed tables are byte-identical to an uninterrupted run's. */
#ifndef BIASAMP_MCSTATE_H
#define BIASAMP_MCSTATE_H

#include <stdint.h>

#include "mc.h"

#define MCSTATE_DIR "sim.state"

typedef struct McState {
    char dir[4096];      /* DIR/sim.state */
    uint64_t hash;       /* the config hash every chunk must carry */
    long replicates;
    int generations, nmetric, nparam;
    long loaded, saved;  /* chunks read back / written by this process */
    McHooks hooks;       /* for mc_run_hooked (ctx = this struct) */
} McState;

/* Prepares the state folder of results folder `dir` for spec s (created if absent). The chunk
 * files are validated when read (magic, version, config hash, shape, CRC-32): a file that fails
 * is refused with ERR_INVAL naming it and the field. */
int mcstate_open(McState *ms, const char *dir, uint64_t hash, const SimSpec *s);

/* 1 if results folder `dir` holds the state of an unfinished run. */
int mcstate_exists(const char *dir);

/* Removes the state folder (chunks first): called once the tables are complete. */
int mcstate_remove(const char *dir);

#endif
