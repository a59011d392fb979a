/* fuzz_gpt2_io: the three GPT-2 weight loaders (biasamp checkpoint, llm.c .bin, HF safetensors)
 * through gpt2_load_any, and the llm.c and safetensors loaders directly. A model that loads must
 * run a forward pass (its config and weights were accepted, so they must be usable). */
#include "err.h"
#include "fuzz_util.h"
#include "gpt2.h"
#include "gpt2_io.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

static void use(Gpt2 *m)
{
    int tok[2] = {0, m->config.vocab_size - 1}, tgt[2] = {m->config.vocab_size - 1, 0};
    int T = m->T < 2 ? m->T : 2;
    float loss;
    FUZZ_CHECK(gpt2_forward(m, tok, tgt, 1, T, &loss) == ERR_OK);
    gpt2_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    fuzz_path(path, sizeof path, "fuzz.model");
    fuzz_write(path, data, size);
    Gpt2 *m = NULL;
    int rc = gpt2_load_any(&m, path, 1, 4);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    if (rc == ERR_OK) use(m);
    rc = gpt2_load_llmc(&m, path, 1, 1);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    if (rc == ERR_OK) use(m);
    rc = gpt2_load_safetensors(&m, path, 1, 1);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    if (rc == ERR_OK) use(m);
    unlink(path);
    return 0;
}
