/* check_sim_util: builds simulator specs for the sim test suites from INI text through the real
 * config path (cfg_load + simcfg_spec), so every test also exercises the key table. */
#ifndef BIASAMP_CHECK_SIM_UTIL_H
#define BIASAMP_CHECK_SIM_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "err.h"
#include "simcfg.h"

/* Loads `text` as a config file; returns the status of cfg_load then simcfg_spec. */
static inline int simtest_load(const char *text, SimSpec *spec)
{
    char path[] = "/tmp/biasamp_simtest_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    SimConfig sc;
    Cfg cfg;
    cfg_init(&cfg, simcfg_keys, &sc);
    int st = cfg_load(&cfg, path);
    if (!st) st = simcfg_spec(&cfg, &sc, spec);
    cfg_release(&cfg);
    unlink(path);
    return st;
}

/* As simtest_load, failing the test on error. */
static inline SimSpec simtest_spec(const char *text)
{
    SimSpec s;
    int st = simtest_load(text, &s);
    ck_assert_msg(st == ERR_OK, "config rejected: %s", err_msg());
    return s;
}

#endif
