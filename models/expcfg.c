/* expcfg: the `biasamp experiment` key table. Defaults are the paper's fine-tuning settings
 * (lr 5e-5, weight decay 0.01, 5 epochs, batch 8, 512 tokens, 11 generations, 506 articles per
 * class); the demo and CI configs shrink the model and the data. */
#include "expcfg.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "experiment.h"

const char *const expcfg_formats[] = {"png", "svg", NULL};

#define F(field) offsetof(ExpConfig, field)
const CfgKey expcfg_keys[] = {
    {"experiment.seed", CFG_INT, F(seed), "1", 0, 9.2e18, 0, NULL,
     "seed of every stream (data order, preservation draws, pretraining)"},
    {"experiment.generations", CFG_INT, F(generations), "11", 1, 1000, 0, NULL,
     "fine-tuning generations (0 = fine-tuned on real data)"},
    {"experiment.setups", CFG_STRING, F(setups), "replace preserve accumulate overfit center", 0, 0,
     0, NULL, "setups: replace accumulate preserve overfit center center_preserve"},
    {"experiment.rho", CFG_DOUBLE, F(rho), "0.1", 0, 1, 0, NULL,
     "real fraction of the preserve setups, redrawn each generation"},
    {"experiment.capture", CFG_BOOL, F(capture), "true", 0, 0, 0, NULL,
     "record per-layer activation means of every model (for biasamp neurons)"},
    {"experiment.probe", CFG_INT, F(probe), "64", 1, 100000, 0, NULL,
     "real fine-tuning articles the activations are averaged over"},
    {"data.root", CFG_STRING, F(root), "", 0, 0, 0, NULL,
     "data root holding abp/ (empty: $BIASAMP_DATA or ../shared/data)"},
    {"data.vocab", CFG_STRING, F(vocab), "gpt2", 0, 0, 0, NULL,
     "gpt2 (the BPE of make deps), train (learn vocab_size on the pretraining set) or a folder"},
    {"data.vocab_size", CFG_INT, F(vocab_size), "4096", 257, 1000000, 0, NULL,
     "vocabulary size when vocab = train"},
    {"data.corpus_seed", CFG_INT, F(corpus_seed), "42", 0, 9.2e18, 0, NULL,
     "seed of the data sets (biasamp corpus's seed)"},
    {"data.per_class", CFG_INT, F(per_class), "506", 1, 100000, 0, NULL,
     "balanced fine-tuning set: articles per class"},
    {"data.center_only", CFG_INT, F(center_only), "1518", 1, 100000, 0, NULL,
     "center-only fine-tuning set: articles"},
    {"data.quality", CFG_INT, F(quality), "1000", 1, 100000, 0, NULL,
     "held-out articles for the text-quality classifier"},
    {"data.mix", CFG_DLIST, F(mix), "0.10 0.45 0.45", 0, 1, 0, NULL,
     "pretraining class shares left center right: the base model's lean knob"},
    {"data.max_blocks", CFG_INT, F(max_blocks), "0", 0, 100000, 0, NULL,
     "body blocks kept per fine-tuning article (0: the whole body)"},
    {"base.model", CFG_STRING, F(base_model), "", 0, 0, 0, NULL,
     "base model file (checkpoint, safetensors, llm.c .bin); empty: pretrain one"},
    {"base.layers", CFG_INT, F(layers), "4", 1, 96, 0, NULL, "pretraining: layers"},
    {"base.heads", CFG_INT, F(heads), "4", 1, 128, 0, NULL, "pretraining: attention heads"},
    {"base.channels", CFG_INT, F(channels), "128", 8, 8192, 0, NULL, "pretraining: channels"},
    {"base.context", CFG_INT, F(context), "128", 16, 4096, 0, NULL, "pretraining: context"},
    {"base.docs", CFG_INT, F(base_docs), "0", 0, 1e9, 0, NULL,
     "pretraining articles (an evenly spaced subset of the pretrain set; 0: all)"},
    {"base.max_tokens", CFG_INT, F(base_max_tokens), "512", 0, 1e9, 0, NULL,
     "tokens kept per pretraining article (0: all)"},
    {"base.steps", CFG_INT, F(base_steps), "0", 0, 1e9, 0, NULL,
     "pretraining steps (0: base.epochs over the data)"},
    {"base.epochs", CFG_INT, F(base_epochs), "1", 1, 1000, 0, NULL, "pretraining epochs"},
    {"base.batch", CFG_INT, F(base_batch), "16", 1, 4096, 0, NULL, "pretraining rows per step"},
    {"base.accum", CFG_INT, F(base_accum), "1", 1, 4096, 0, NULL, "pretraining accumulation"},
    {"base.lr", CFG_DOUBLE, F(base_lr), "1e-3", 1e-8, 1, 0, NULL, "pretraining peak lr"},
    {"base.lr_final", CFG_DOUBLE, F(base_lr_final), "1e-4", 0, 1, 0, NULL,
     "pretraining final lr"},
    {"base.weight_decay", CFG_DOUBLE, F(base_wd), "0.1", 0, 10, 0, NULL, "pretraining decay"},
    {"base.warmup", CFG_INT, F(base_warmup), "100", 0, 1e9, 0, NULL, "pretraining warm-up"},
    {"base.save_every", CFG_INT, F(base_save_every), "200", 0, 1e9, 0, NULL,
     "pretraining checkpoint interval in steps (resume after a kill; 0: none)"},
    {"train.epochs", CFG_INT, F(epochs), "5", 1, 1000, 0, NULL, "fine-tuning epochs"},
    {"train.overfit_epochs", CFG_INT, F(overfit_epochs), "25", 1, 10000, 0, NULL,
     "epochs of the overfit setup (generations >= 1)"},
    {"train.accumulate_epochs", CFG_INT, F(accumulate_epochs), "0", 0, 1000, 0, NULL,
     "epochs of the accumulate setup (0: train.epochs)"},
    {"train.batch", CFG_INT, F(batch), "8", 1, 4096, 0, NULL, "fine-tuning rows per step"},
    {"train.seq", CFG_INT, F(seq), "512", 2, 4096, 0, NULL,
     "fine-tuning tokens per row (clamped to the context)"},
    {"train.accum", CFG_INT, F(accum), "1", 1, 4096, 0, NULL, "gradient accumulation"},
    {"train.warmup", CFG_INT, F(warmup), "0", 0, 1e9, 0, NULL, "fine-tuning warm-up steps"},
    {"train.lr", CFG_DOUBLE, F(lr), "5e-5", 1e-9, 1, 0, NULL, "fine-tuning peak lr"},
    {"train.lr_final", CFG_DOUBLE, F(lr_final), "0", 0, 1, 0, NULL,
     "fine-tuning final lr (linear decay, as Hugging Face's Trainer)"},
    {"train.weight_decay", CFG_DOUBLE, F(weight_decay), "0.01", 0, 10, 0, NULL,
     "fine-tuning AdamW weight decay"},
    {"train.overfit_weight_decay", CFG_DOUBLE, F(overfit_weight_decay), "0", 0, 10, 0, NULL,
     "weight decay of the overfit setup"},
    {"train.grad_clip", CFG_DOUBLE, F(grad_clip), "1", 0, 1e6, 0, NULL,
     "gradient clipping norm (0: off)"},
    {"generate.block", CFG_INT, F(block), "64", 1, 4096, 0, NULL,
     "tokens per body block (each continued independently)"},
    {"generate.new_tokens", CFG_INT, F(new_tokens), "64", 1, 4096, 0, NULL,
     "greedy tokens generated per block"},
    {"generate.slots", CFG_INT, F(slots), "64", 1, 4096, 0, NULL,
     "sequences decoded at once (memory vs speed; results do not depend on it)"},
    {"generate.greedy", CFG_BOOL, F(greedy), "true", 0, 0, 0, NULL,
     "greedy continuations (the paper's); false: sample with temperature/top_k/top_p"},
    {"generate.temperature", CFG_DOUBLE, F(temperature), "1", 1e-3, 100, 0, NULL,
     "sampling temperature (greedy = false)"},
    {"generate.top_k", CFG_INT, F(top_k), "0", 0, 1000000, 0, NULL,
     "sample among the k most likely tokens (0: all; greedy = false)"},
    {"generate.top_p", CFG_DOUBLE, F(top_p), "1", 1e-6, 1, 0, NULL,
     "nucleus sampling mass (1: off; greedy = false)"},
    {"eval.lean_model", CFG_STRING, F(lean_model), "", 0, 0, 0, NULL,
     "lean classifier file (biasamp lean train); empty: train one on random_train"},
    {"eval.lean_max", CFG_INT, F(lean_max), "0", 0, 1e9, 0, NULL,
     "articles the inline lean classifier is trained on (0: all of random_train)"},
    {"eval.quality_model", CFG_STRING, F(quality_model), "", 0, 0, 0, NULL,
     "text-quality model file (biasamp quality train); empty: train one on the quality set"},
    {"eval.quality_train", CFG_INT, F(quality_train), "800", 1, 1e9, 0, NULL,
     "quality-set articles for the inline TQI classifier"},
    {"eval.quality_lm", CFG_INT, F(quality_lm), "5000", 1, 1e9, 0, NULL,
     "random_train articles for the inline TQI language model"},
    {"eval.dict", CFG_STRING, F(dict), "/usr/share/dict/words", 0, 0, 0, NULL,
     "word list of the inline TQI model (missing: corpus words)"},
    {"eval.stride", CFG_INT, F(stride), "0", 0, 100000, 0, NULL,
     "perplexity sliding-window stride (0: half the context)"},
    {"plot.format", CFG_ENUM, F(plot_format), "png", 0, 0, 0, expcfg_formats, "figure format"},
    {"plot.reference", CFG_STRING, F(reference), "", 0, 0, 0, NULL,
     "published results folder (empty: DATA_ROOT/paper-reference; absent: no reference curves)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL}};
#undef F

int expcfg_check(const Cfg *c, const ExpConfig *e, int setups[EXPCFG_MAX_SETUPS], int *nsetups)
{
    char buf[CFG_STR_MAX], *save = NULL;
    int n = 0;
    snprintf(buf, sizeof buf, "%s", e->setups);
    for (char *t = strtok_r(buf, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
        int code = experiment_setup_find(t);
        if (code < 0)
            return cfg_error(c, "experiment.setups", "unknown setup '%s' (%s)", t,
                             "replace accumulate preserve overfit center center_preserve");
        for (int k = 0; k < n; k++)
            if (setups[k] == code)
                return cfg_error(c, "experiment.setups", "setup '%s' listed twice", t);
        if (n == EXPCFG_MAX_SETUPS) return cfg_error(c, "experiment.setups", "too many setups");
        setups[n++] = code;
    }
    if (n == 0) return cfg_error(c, "experiment.setups", "no setup given");
    *nsetups = n;
    if (e->mix.n != 3)
        return cfg_error(c, "data.mix", "needs 3 shares (left center right), got %d", e->mix.n);
    double s = e->mix.v[0] + e->mix.v[1] + e->mix.v[2];
    if (fabs(s - 1.0) > 1e-6) return cfg_error(c, "data.mix", "shares sum to %g, not 1", s);
    if (e->channels % e->heads)
        return cfg_error(c, "base.heads", "%ld heads do not divide %ld channels", e->heads,
                         e->channels);
    if (e->block + e->new_tokens > e->context && !e->base_model[0])
        return cfg_error(c, "generate.new_tokens",
                         "block %ld + new_tokens %ld exceed the context %ld", e->block,
                         e->new_tokens, e->context);
    if (e->base_lr_final > e->base_lr)
        return cfg_error(c, "base.lr_final", "exceeds base.lr (%g)", e->base_lr);
    if (e->lr_final > e->lr) return cfg_error(c, "train.lr_final", "exceeds train.lr (%g)", e->lr);
    return ERR_OK;
}
