/* fuzz_safetensors: safetensors_open on arbitrary bytes; every tensor of an accepted file is
 * converted to float (the reader's bounds are what keep those reads inside the mapping). */
#include "err.h"
#include "fuzz_util.h"
#include "safetensors.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    fuzz_path(path, sizeof path, "fuzz.safetensors");
    fuzz_write(path, data, size);
    SafeTensors *st = NULL;
    int rc = safetensors_open(&st, path);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    if (rc == ERR_OK) {
        FUZZ_CHECK(st->data_len <= size);
        for (int i = 0; i < st->n; i++) {
            const StTensor *t = &st->tensors[i];
            FUZZ_CHECK(t->end <= st->data_len && t->begin <= t->end);
            FUZZ_CHECK(safetensors_find(st, t->name) != NULL);
            float *dst = malloc((size_t)t->numel * sizeof *dst + 1);
            FUZZ_CHECK(dst);
            rc = safetensors_read_f32(st, t, dst, i & 1);
            FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
            free(dst);
        }
        for (int i = 0; i < st->nmeta; i++)
            FUZZ_CHECK(safetensors_meta(st, st->meta_keys[i]) != NULL);
        safetensors_close(st);
    }
    unlink(path);
    return 0;
}
