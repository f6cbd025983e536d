/*
 * seclog.c - the security log line (auth/seclog.h).  Stateless; fields
 * are sanitised into stack buffers.
 */
#include "auth/seclog.h"

#include <stdbool.h>
#include <string.h>

#include "core/limits.h"
#include "core/strutil.h"

void seclog_field(char *out, size_t cap, const char *in)
{
    size_t n = 0, max;

    if (cap == 0)
        return;
    max = cap - 1 < LIM_OAUTH_LOG_FIELD_MAX ? cap - 1 : LIM_OAUTH_LOG_FIELD_MAX;
    if (in == NULL || in[0] == '\0') {
        str_copy(out, cap, "-");
        return;
    }
    for (; in[n] != '\0' && n < max; n++) {
        unsigned char c = (unsigned char)in[n];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == ':' || c == '@' || c == '-';
        out[n] = ok ? (char)c : '_';
    }
    out[n] = '\0';
    if (in[n] != '\0' && n >= 3)                  /* cut: say so */
        memcpy(out + n - 3, "...", 3);
}

static const char *in_or_null(const char *f)
{
    return strcmp(f, "-") == 0 ? NULL : f;
}

void seclog(log_level level, const char *event, const char *user, const char *client, const char *ip,
            const char *reason)
{
    char f[5][LIM_OAUTH_LOG_FIELD_MAX + 1];

    seclog_field(f[0], sizeof(f[0]), event);
    seclog_field(f[1], sizeof(f[1]), user);
    seclog_field(f[2], sizeof(f[2]), client);
    seclog_field(f[3], sizeof(f[3]), ip);
    seclog_field(f[4], sizeof(f[4]), reason);
    log_msg(level, "security", "%s user=%s client=%s ip=%s reason=%s", f[0], f[1], f[2], f[3], f[4]);
    /* every security event (sign-ins, locks, OAuth grants) is also an audit line */
    log_audit(&(log_audit_rec){ .event = f[0], .outcome = level <= LOG_INFO ? "ok" : "denied",
                                .user = f[1], .client = f[2], .remote = f[3],
                                .reason = in_or_null(f[4]) });
}
