/* tokenizer_impl: private to tokenizer*.c — the Tokenizer layout and the helpers that the file
 * loader shares with tokenizer.c. Not for other modules (use tokenizer.h). */
#ifndef BIASAMP_TOKENIZER_IMPL_H
#define BIASAMP_TOKENIZER_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

struct Tokenizer {
    int V, n_merges, eot;
    char *bytes;   /* all tokens' bytes back to back */
    uint32_t *off; /* [V + 1] token id -> offset in bytes */
    int32_t *map;  /* bytes -> id, open addressing, -1 empty */
    size_t map_mask;
    int32_t (*merges)[2]; /* [n_merges] rank -> {left, right} */
    uint64_t *pair_key;   /* (left << 32 | right) -> rank, merged id; UINT64_MAX empty */
    int32_t *pair_rank, *pair_merged;
    size_t pair_mask;
    int32_t byte_id[256];
};

/* bytes -> id, or -1. */
int32_t tok_lookup(const Tokenizer *t, const char *s, size_t n);
/* A tokenizer with vocabulary only (no merges). On ERR_INVAL, *bad is the offending id or -1. */
int tok_new_vocab(Tokenizer **out, const char *const *tok, const size_t *len, int V, int *bad);
/* Installs n merges (rank order). On ERR_INVAL, *bad is the offending merge index. */
int tok_add_merges(Tokenizer *t, const int32_t (*merges)[2], int n, int *bad);

#endif
