/* fuzz_quality: quality_load (the text-quality model file: language-model tables, dictionary,
 * feature scaling, weights, CRC-32) on arbitrary bytes; a model that loads must score a text. */
#include <math.h>

#include "err.h"
#include "fuzz_util.h"
#include "quality.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    fuzz_path(path, sizeof path, "quality.model");
    fuzz_write(path, data, size);
    QualityModel *m = NULL;
    int rc = quality_load(&m, path);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    if (rc == ERR_OK) {
        QualityScore s;
        quality_score_init(&s);
        FUZZ_CHECK(quality_score_text(m, "The committee said the bill would pass. zxq qqq zzz! "
                                         "Prices went up.", &s) == ERR_OK);
        FUZZ_CHECK(s.n > 0 && isfinite(s.tqi));
        quality_score_release(&s);
        quality_free(m);
    }
    unlink(path);
    return 0;
}
