/* fuzz_util: shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c). The APIs under test take
 * paths, so each input is written to a file in a per-process temporary folder and unlinked after
 * the call; the folder is removed at exit. Nothing here may leak: libFuzzer runs LeakSanitizer. */
#ifndef BIASAMP_FUZZ_UTIL_H
#define BIASAMP_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char fuzz_dir_buf[256];

static inline void fuzz_dir_remove(void)
{
    if (fuzz_dir_buf[0]) rmdir(fuzz_dir_buf);
}

/* The per-process folder ($TMPDIR or /tmp, "biasamp_fuzz_XXXXXX"), created on first use. */
static inline const char *fuzz_dir(void)
{
    if (!fuzz_dir_buf[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_dir_buf, sizeof fuzz_dir_buf, "%s/biasamp_fuzz_XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(fuzz_dir_buf)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_dir_remove);
    }
    return fuzz_dir_buf;
}

/* buf = <folder>/name. */
static inline void fuzz_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", fuzz_dir(), name);
}

/* Writes data[0..size) to path (a harness failure aborts: it is not a finding about biasamp). */
static inline void fuzz_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* A NUL-terminated copy of data[0..size) (free() it). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A property the harness checks failed: report and abort, so libFuzzer saves the input. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
