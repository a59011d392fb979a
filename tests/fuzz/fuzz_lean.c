/* fuzz_lean: lean_load (the political-lean classifier file: magic, version, options, idf,
 * weights, CRC-32) on arbitrary bytes; a model that loads must predict a distribution. */
#include <math.h>

#include "err.h"
#include "fuzz_util.h"
#include "lean.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    fuzz_path(path, sizeof path, "lean.model");
    fuzz_write(path, data, size);
    LeanModel *m = NULL;
    int rc = lean_load(&m, path);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    if (rc == ERR_OK) {
        double p[3];
        lean_predict(m, "The senator said that taxes will rise again this year.", p);
        FUZZ_CHECK(isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]));
        FUZZ_CHECK(fabs(p[0] + p[1] + p[2] - 1) < 1e-9);
        lean_free(m);
    }
    unlink(path);
    return 0;
}
