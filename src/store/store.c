/*
 * store.c - backend-independent part of the storage interface (store.h).
 *
 * pd_store_open() parses the database URL ("sqlite:PATH", PATH may be
 * ":memory:") and hands PATH to the matching backend constructor (sqlite.c);
 * "postgresql://..." and "postgres://..." URLs go whole to libpq (pg.c).
 * The record helpers the backends share live in records.c, so the
 * dependency runs one way: store.c -> backend -> records.c.
 *
 * Memory: the URL and errbuf are the caller's.  The pd_store returned is owned
 * by the caller and released with pd_store_close().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#include "core/files.h"
#include "store/lane.h"

/* Longest URL scheme echoed back in an error message. */
#define SCHEME_ECHO_MAX 32

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

static pd_store *open_url(const char *url, bool create, char *errbuf, size_t errlen)
{
    if (errbuf != NULL && errlen > 0)
        errbuf[0] = '\0';
    if (url == NULL || url[0] == '\0') {
        set_err(errbuf, errlen, "empty database URL (expected sqlite:PATH)");
        return NULL;
    }
    const char *colon = strchr(url, ':');
    if (colon == NULL) {
        set_err(errbuf, errlen, "database URL '%s' has no scheme (expected sqlite:PATH)", url);
        return NULL;
    }
    size_t slen = (size_t)(colon - url);
    if ((slen == strlen("postgresql") && strncmp(url, "postgresql", slen) == 0)
        || (slen == strlen("postgres") && strncmp(url, "postgres", slen) == 0)) {
        if (strncmp(colon, "://", 3) != 0) {
            set_err(errbuf, errlen, "database URL has no '://' after '%.*s' (expected "
                    "postgresql://[user[:password]@]host[:port]/dbname)", (int)slen, url);
            return NULL;
        }
        return pd_store_pg_open(url, create, errbuf, errlen);
    }
    if (slen == strlen("sqlite") && strncmp(url, "sqlite", slen) == 0) {
        const char *path = colon + 1;
        if (path[0] == '\0') {
            set_err(errbuf, errlen, "database URL '%s' has an empty path (expected sqlite:PATH)", url);
            return NULL;
        }
        return pd_store_sqlite_open(path, create, errbuf, errlen);
    }
    char scheme[SCHEME_ECHO_MAX + 1];
    size_t n = slen < SCHEME_ECHO_MAX ? slen : SCHEME_ECHO_MAX;
    memcpy(scheme, url, n);
    scheme[n] = '\0';
    set_err(errbuf, errlen, "unsupported database URL scheme '%s' (expected sqlite:PATH or postgresql://...)", scheme);
    return NULL;
}

pd_store *pd_store_open(const char *url, char *errbuf, size_t errlen)
{
    return open_url(url, true, errbuf, errlen);
}

pd_store *pd_store_open_existing(const char *url, char *errbuf, size_t errlen)
{
    return open_url(url, false, errbuf, errlen);
}

void pd_store_close(pd_store *s)
{
    if (s != NULL && s->ops != NULL && s->ops->close != NULL)
        s->ops->close(s);
}

const char *pd_store_last_error(pd_store *s)
{
    if (s == NULL || s->ops == NULL || s->ops->last_error == NULL)
        return "";
    const char *m = s->ops->last_error(s);
    return m != NULL ? m : "";
}

pd_store *pd_store_lane_enter(pd_store *s)
{
    if (s == NULL || s->ops->lane == NULL)
        return s;
    pd_store *held = pd_lane_enter(s->ops->lane(s));
    return held != NULL ? held : s;
}

bool pd_store_has_lane(pd_store *s)
{
    return s != NULL && s->ops->lane != NULL && s->ops->lane(s) != NULL;
}

bool pd_store_queues_writes(pd_store *s)
{
    /* a backend with lanes queues only on one (not SQLite's in-memory
     * databases); one without, when it has group commit */
    if (s == NULL)
        return false;
    return s->ops->lane != NULL ? s->ops->lane(s) != NULL : s->ops->group_begin != NULL;
}

void pd_store_lane_leave(pd_store *s, pd_store *held)
{
    if (s != NULL && held != NULL && held != s && s->ops->lane != NULL)
        pd_lane_leave(s->ops->lane(s));
}

bool pd_store_begin_read_batch(pd_store *s)
{
    return s->ops->begin_read_batch != NULL && s->ops->begin_read_batch(s) == PD_OK;
}

const char *pd_store_url_redacted(const char *url, char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return "";
    if (url == NULL) {
        buf[0] = '\0';
        return buf;
    }
    const char *auth = strstr(url, "://");
    const char *at = auth != NULL ? strchr(auth + 3, '@') : NULL;
    const char *colon = at != NULL ? memchr(auth + 3, ':', (size_t)(at - (auth + 3))) : NULL;
    if (colon == NULL)
        snprintf(buf, len, "%s", url);
    else
        snprintf(buf, len, "%.*s***%s", (int)(colon + 1 - url), url, at);
    return buf;
}

int pd_store_warn_exposed(const char *url)
{
    static const char *const suffix[] = { "", "-wal", "-shm", "-changes" };
    const char *path;
    char buf[4096];
    int n = 0;

    if (url == NULL || strncmp(url, "sqlite:", 7) != 0)
        return 0;
    path = url + 7;
    if (path[0] == '\0' || strcmp(path, ":memory:") == 0)
        return 0;
    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        int len = snprintf(buf, sizeof buf, "%s%s", path, suffix[i]);
        if (len < 0 || (size_t)len >= sizeof buf)
            return n;
        n += file_warn_if_exposed("store", buf);
    }
    return n;
}
