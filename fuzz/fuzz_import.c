/*
 * fuzz_import.c - libFuzzer driver for the tenant import reader
 * (src/cli/import.c) into the process's in-memory SQLite database: records
 * are split, decoded, validated and written in one transaction; a refused
 * file must leave an error message and change nothing that a later good
 * file depends on.
 *
 * Memory: the store is opened once and kept for the process (the import
 * rolls back what it refuses); the stream is closed in the call.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/import.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pd_store *store;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    import_stats st;
    char err[512] = "";
    FILE *f;
    int from, to;

    if (store == NULL) {
        log_set_level(LOG_ERROR);
        store = pd_store_open("sqlite::memory:", err, sizeof(err));
        if (store == NULL || store->ops->migrate(store, &from, &to) != PD_OK)
            abort();
    }
    if (size == 0 || size > 256 * 1024)
        return 0;
    f = fmemopen((void *)data, size, "r");
    if (f == NULL)
        return 0;
    memset(&st, 0, sizeof(st));
    pd_err e = import_stream(store, f, &st, err, sizeof(err), NULL, NULL);
    fclose(f);
    if (e != PD_OK && err[0] == '\0')
        abort();                               /* a refusal always says why */
    return 0;
}
