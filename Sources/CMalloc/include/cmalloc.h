#ifndef CMALLOC_H
#define CMALLOC_H

/* glibc's malloc tuning (mallopt, M_ARENA_MAX) for Swift: Glibc's module does not export
 * <malloc.h>. Nothing else lives here. */
#include <malloc.h>

#endif
