/* fuzz_neurons_tables: neurons_tables_read (the authors' four per-neuron CSVs) on arbitrary bytes.
 * The input holds the four files separated by form feeds ('\f'), in the reader's order: bias
 * regression, quality regression, bias Pearson, quality Pearson; a missing part is a missing
 * file. Accepted tables give a full layer-major grid and can be compared. */
#include "err.h"
#include "fuzz_util.h"
#include "neurons.h"

static const char *const names[4] = {
    "Regression_and_Statistical_Tests_for_Relationship_Between_Neuron_Weight_and_Bias_"
    "Performance.csv",
    "Regression_and_Statistical_Tests_for_Relationship_Between_Neuron_Weight_and_Generation_"
    "Quality.csv",
    "Pearson_Correlation_Between_Neuron_Weight_and_Bias_Performance.csv",
    "Pearson_Correlation_Between_Neuron_Weight_and_Text_Quality_Index.csv",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char paths[4][768];
    int nfile = 0;
    for (const uint8_t *p = data, *end = data + size; nfile < 4 && p <= end; nfile++) {
        const uint8_t *ff = memchr(p, '\f', (size_t)(end - p));
        size_t n = ff ? (size_t)(ff - p) : (size_t)(end - p);
        fuzz_path(paths[nfile], sizeof paths[nfile], names[nfile]);
        fuzz_write(paths[nfile], p, n);
        if (!ff) {
            nfile++;
            break;
        }
        p = ff + 1;
    }
    NeuronsTarget t[NEURONS_NTARGET];
    size_t U = 0;
    int rc = neurons_tables_read(fuzz_dir(), t, &U);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVAL);
    if (rc == ERR_OK) {
        FUZZ_CHECK(U > 0 && t[0].neurons % U == 0 && t[0].neurons == t[1].neurons);
        NeuronsOpts o;
        neurons_opts_default(&o);
        o.layer_size = U;
        NeuronsResult res;
        rc = neurons_compare(&t[NEURONS_BIAS], &t[NEURONS_QUALITY], &o, &res);
        FUZZ_CHECK(rc == ERR_OK);
        neurons_result_release(&res);
    }
    for (int k = 0; k < NEURONS_NTARGET; k++) neurons_target_release(&t[k]);
    for (int i = 0; i < nfile; i++) unlink(paths[i]);
    return 0;
}
