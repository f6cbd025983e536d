/*
 * seclog.h - the one security log line of profiled (component "security"):
 *
 *   <event> user=<id or -> client=<key or -> ip=<addr> reason=<word>
 *
 * Written by the shared credential check (auth/password.c) and by the
 * OAuth handlers.  Every field goes through seclog_field, so a value taken
 * from a client (an email, an unverified assertion, a header) cannot forge
 * another field or a line break.  Passwords are never passed here.
 *
 * Memory: fills caller buffers; nothing is allocated.
 */
#ifndef PROFILED_AUTH_SECLOG_H
#define PROFILED_AUTH_SECLOG_H

#include <stddef.h>

#include "core/log.h"

/* A log field: characters outside [A-Za-z0-9._:@-] become '_', at most
 * LIM_OAUTH_LOG_FIELD_MAX bytes (longer values end in "..."), "-" for NULL
 * or empty.  cap >= LIM_OAUTH_LOG_FIELD_MAX + 1 for the full length. */
void seclog_field(char *out, size_t cap, const char *in);

/* The line at the given level (failures warn, successes info). */
void seclog(log_level level, const char *event, const char *user, const char *client, const char *ip,
            const char *reason);

#endif
