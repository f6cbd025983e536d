/*
 * import_arena.h - a bump allocator for jansson during the import command.
 *
 * Decoding, validating and re-encoding one user record makes a few hundred
 * small jansson allocations that all die before the next record; with
 * malloc/free they cost about a tenth of an import.  import_arena_start()
 * points jansson's allocator (json_set_alloc_funcs, process-wide) at a bump
 * allocator whose free does nothing; import_arena_reset() recycles it
 * between records; import_arena_stop() gives jansson malloc/free back.
 *
 * Only for a process that uses jansson for nothing else while it runs (the
 * `import` command): every json_t the starting thread makes between start
 * and stop must be released before the next reset, and nothing jansson
 * allocated may be passed to free().  Other threads (the import's writer,
 * should a store backend use jansson) keep malloc/free, so no json_t may
 * pass between threads.
 *
 * Memory: one 1 MiB chunk kept from start to stop; bigger records add
 * chunks that the next reset releases, so memory stays constant.
 */
#ifndef PROFILED_IMPORT_ARENA_H
#define PROFILED_IMPORT_ARENA_H

#include <stdbool.h>

bool import_arena_start(void);      /* false: out of memory, jansson unchanged */
void import_arena_reset(void);
void import_arena_stop(void);

#endif
