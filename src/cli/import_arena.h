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
 * allocated may be passed to free().  Another thread may take an arena of
 * its own with import_arena_join() (after start, released with
 * import_arena_leave() before stop): the import's twin decoder
 * (import_twin.h).  Threads without one (the import's writer, should a
 * store backend use jansson) keep malloc/free.  Each thread resets and
 * releases only its own arena, so a json_t is released on the thread that
 * made it; another thread may read it until its maker's next reset.
 *
 * Memory: one 1 MiB chunk per arena kept from start (join) to stop
 * (leave); bigger records add chunks that the next reset releases, so
 * memory stays constant.
 */
#ifndef PROFILED_IMPORT_ARENA_H
#define PROFILED_IMPORT_ARENA_H

#include <stdbool.h>

bool import_arena_start(void);      /* false: out of memory, jansson unchanged */
bool import_arena_join(void);       /* this thread's own arena; false: out of memory */
void import_arena_reset(void);      /* this thread's arena */
void import_arena_leave(void);      /* releases this thread's arena */
void import_arena_stop(void);       /* jansson gets malloc/free back; leaves */

#endif
