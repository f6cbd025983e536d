/*
 * files.c - see files.h.
 */
#include "core/files.h"

#include <stddef.h>
#include <sys/stat.h>

#include "core/log.h"

bool file_is_exposed(const char *path, unsigned *mode)
{
    struct stat st;

    if (path == NULL || stat(path, &st) != 0)
        return false;
    if (mode != NULL)
        *mode = (unsigned)st.st_mode;
    return (st.st_mode & (S_IRWXG | S_IRWXO)) != 0;
}

int file_warn_if_exposed(const char *component, const char *path)
{
    unsigned mode = 0;

    if (!file_is_exposed(path, &mode))
        return 0;
    log_msg(LOG_WARN, component,
            "%s is readable by other users (mode %04o) and holds secrets; run: chmod %s %s",
            path, mode & 07777u, S_ISDIR(mode) ? "700" : "600", path);
    return 1;
}
