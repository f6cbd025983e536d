/*
 * files.h - who may read the files profiled keeps secrets in.
 *
 * The database holds signing keys and password hashes, the TLS key is a
 * key: such files must be the owner's alone.  profiled creates every file
 * with umask 077 (cli_main); these checks find files made otherwise (an
 * older version, a copy, an operator's chmod).  No allocation.
 */
#ifndef PROFILED_FILES_H
#define PROFILED_FILES_H

#include <stdbool.h>

/* True when path exists and its group or others have any permission;
 * *mode (may be NULL) receives its mode.  False when it does
 * not exist or cannot be examined.  *mode is the whole st_mode (type and
 * permission bits). */
bool file_is_exposed(const char *path, unsigned *mode);

/* Logs a warning (component `component`) naming path, its mode and the
 * fix when file_is_exposed(path).  Returns 1 when it warned, else 0. */
int file_warn_if_exposed(const char *component, const char *path);

#endif
