/*
 * import_arena.c - the bump allocator of import_arena.h.
 */
#include "cli/import_arena.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ARENA_CHUNK (1024 * 1024)

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
} chunk;

static _Thread_local chunk *g_first, *g_cur;   /* each thread that started one has its own */
/* The thread that started the arena: jansson calls from any other thread
 * (a store backend used by the import's writer thread) get malloc/free. */
static _Thread_local bool t_owner;

static chunk *chunk_new(size_t cap)
{
    chunk *c = malloc(sizeof(chunk) + cap);

    if (c != NULL) {
        c->next = NULL;
        c->used = 0;
        c->cap = cap;
    }
    return c;
}

static void *arena_malloc(size_t n)
{
    const size_t align = sizeof(max_align_t);
    chunk *c = g_cur;

    if (!t_owner)
        return malloc(n);
    if (n > SIZE_MAX - 2 * align)
        return NULL;
    n = (n + align - 1) & ~(align - 1);
    if (c->cap - c->used < n) {
        chunk *more = chunk_new(n > ARENA_CHUNK ? n : ARENA_CHUNK);
        if (more == NULL)
            return NULL;
        c->next = more;
        g_cur = c = more;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

static void arena_free(void *p)
{
    if (!t_owner)
        free(p);                    /* else released by the next reset */
}

bool import_arena_join(void)
{
    g_first = g_cur = chunk_new(ARENA_CHUNK);
    if (g_first == NULL)
        return false;
    t_owner = true;
    return true;
}

bool import_arena_start(void)
{
    if (!import_arena_join())
        return false;
    json_set_alloc_funcs(arena_malloc, arena_free);
    return true;
}

void import_arena_reset(void)
{
    chunk *c = g_first->next;

    while (c != NULL) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    g_first->next = NULL;
    g_first->used = 0;
    g_cur = g_first;
}

void import_arena_leave(void)
{
    t_owner = false;
    if (g_first != NULL) {
        import_arena_reset();
        free(g_first);
    }
    g_first = g_cur = NULL;
}

void import_arena_stop(void)
{
    json_set_alloc_funcs(malloc, free);
    import_arena_leave();
}
