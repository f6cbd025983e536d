/*
 * strutil.c - strict number parsing, GUID checks, time formatting.
 * See strutil.h; no function here keeps a pointer it was given.
 */
#include "core/strutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end = NULL;
    long long v;

    if (s == NULL || *s == '\0' || isspace((unsigned char)*s) || *s == '+')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    if (v < min || v > max)
        return -1;
    *out = (int64_t)v;
    return 0;
}

bool str_is_guid(const char *s)
{
    static const int dash_at[] = {8, 13, 18, 23};
    size_t i, d = 0;

    if (s == NULL || strlen(s) != 36)
        return false;
    for (i = 0; i < 36; i++) {
        if (d < 4 && (int)i == dash_at[d]) {
            if (s[i] != '-')
                return false;
            d++;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

void str_lower(char *s)
{
    for (; s && *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

int str_copy(char *dst, size_t dstlen, const char *src)
{
    size_t n;

    if (dstlen == 0)
        return -1;
    n = strlen(src);
    if (n >= dstlen) {
        memcpy(dst, src, dstlen - 1);
        dst[dstlen - 1] = '\0';
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

char *str_dup_n(const char *s, size_t n)
{
    char *p;

    if (s == NULL)
        return NULL;
    p = malloc(n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *str_dup(const char *s)
{
    return s ? str_dup_n(s, strlen(s)) : NULL;
}

bool str_starts_with_ci(const char *s, const char *prefix)
{
    return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static void format_iso(const struct timespec *ts, char *buf, size_t len)
{
    struct tm tm;
    char base[24];

    if (gmtime_r(&ts->tv_sec, &tm) == NULL ||
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(buf, len, "1970-01-01T00:00:00.0000000Z");
        return;
    }
    snprintf(buf, len, "%s.%07ldZ", base, (long)(ts->tv_nsec / 100));
}

void time_now_iso(char *buf, size_t len)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    format_iso(&ts, buf, len);
}

void time_iso_from_unix(int64_t t, char *buf, size_t len)
{
    struct timespec ts = { .tv_sec = (time_t)t, .tv_nsec = 0 };

    format_iso(&ts, buf, len);
}

int str_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

uint64_t str_hash64(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ULL;

    while (n--) {
        h ^= *b++;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t time_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void guid_new(char *buf, size_t len)
{
    unsigned char r[16];

    randombytes_buf(r, sizeof(r));
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);   /* version 4 */
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);   /* variant   */
    snprintf(buf, len,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
             r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}
