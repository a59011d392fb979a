/* family: the registry of distribution families. Adding a family = one file + one line here. */
#include "family.h"

#include <string.h>

static const DistType *const dist_registry[] = {&dist_beta, &dist_gaussian};
const char *const dist_names[] = {"beta", "gaussian", NULL};

const DistType *dist_find(const char *name)
{
    for (size_t i = 0; i < sizeof dist_registry / sizeof dist_registry[0]; i++)
        if (strcmp(dist_registry[i]->name, name) == 0) return dist_registry[i];
    return NULL;
}
