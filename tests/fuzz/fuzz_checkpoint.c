/* fuzz_checkpoint: checkpoint_peek and checkpoint_load (weights only, and with the optimizer
 * state) into a tiny GPT-2 (maxT 8, V 32, L 1, NH 2, C 8: the config of the seed files). */
#include "adamw.h"
#include "checkpoint.h"
#include "err.h"
#include "fuzz_util.h"
#include "gpt2.h"

static Gpt2 *tiny;
static AdamW *opt;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    Gpt2Config c = {.max_seq_len = 8, .vocab_size = 32, .num_layers = 1, .num_heads = 2,
                    .channels = 8};
    AdamWConfig ac = adamw_config_default();
    if (gpt2_alloc(&tiny, &c, 1, 4) || adamw_alloc(&opt, tiny->num_params, &ac)) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    fuzz_path(path, sizeof path, "fuzz.ckpt");
    fuzz_write(path, data, size);
    CheckpointInfo info;
    int rc = checkpoint_peek(path, &info);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    if (rc == ERR_OK) {
        FUZZ_CHECK(gpt2_config_check(&info.config) == ERR_OK);
        FUZZ_CHECK(info.bytes == (long long)size);
    }
    rc = checkpoint_load(path, tiny, NULL);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    rc = checkpoint_load(path, tiny, opt);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    unlink(path);
    return 0;
}
