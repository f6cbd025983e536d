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
#include <unistd.h>
#include <sys/random.h>
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

/* 1 for the bytes a GUID's hex digits may be (0-9, a-f, A-F). */
static const unsigned char hex_digit[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
};

/* One pass, no strlen and no locale lookups: every request checks one or
 * two of these on the cached path. */
bool str_is_guid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    if (s == NULL)
        return false;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (u[i] != '-')
                return false;
        } else if (!hex_digit[u[i]]) {
            return false;                 /* also stops at the NUL of a short string */
        }
    }
    return u[36] == '\0';
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

int str_join(char *dst, size_t cap, char sep, const char *const *parts, size_t n)
{
    size_t len = 0;

    if (cap == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t pl = strlen(parts[i]);
        if (len + pl + (i > 0) >= cap) {
            dst[len] = '\0';
            return -1;
        }
        if (i > 0)
            dst[len++] = sep;
        memcpy(dst + len, parts[i], pl);
        len += pl;
    }
    dst[len] = '\0';
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

/* n digits at s as a number in [lo, hi]; -1 when not. */
static int digits(const char *s, int n, int lo, int hi)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

int time_iso_ms(const char *in, char *out, size_t cap)
{
    static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    struct tm tm = {0};
    int y, mo, d, h, mi, sec, ms = 0, scale = 100, off = 0, oh, om;
    const char *p;
    time_t t;

    if (cap > 0)
        out[0] = '\0';
    if (in == NULL || cap < 29 || strlen(in) < 19 || in[4] != '-' || in[7] != '-' ||
        (in[10] != 'T' && in[10] != 't' && in[10] != ' ') || in[13] != ':' || in[16] != ':')
        return -1;
    y = digits(in, 4, 1, 9999);
    mo = digits(in + 5, 2, 1, 12);
    d = digits(in + 8, 2, 1, 31);
    h = digits(in + 11, 2, 0, 23);
    mi = digits(in + 14, 2, 0, 59);
    sec = digits(in + 17, 2, 0, 60);
    if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
        return -1;
    p = in + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            ms += scale * (*p - '0');           /* digits past milliseconds are cut */
            scale /= 10;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        oh = digits(p + 1, 2, 0, 23);
        om = p[3] == ':' ? digits(p + 4, 2, 0, 59) : digits(p + 3, 2, 0, 59);
        if (oh < 0 || om < 0)
            return -1;
        off = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
        p += p[3] == ':' ? 6 : 5;
    }
    if (*p != '\0')
        return -1;
    if (off == 0 && sec < 60) {
        /* already UTC and a valid date: the fields are the answer (what
         * timegm/gmtime_r/snprintf below give, without their cost) */
        int v[6] = { y, mo, d, h, mi, sec };
        static const int width[6] = { 4, 2, 2, 2, 2, 2 };
        static const char sep[6] = { '-', '-', 'T', ':', ':', '.' };
        char *q = out;
        for (int i = 0; i < 6; i++) {
            for (int k = width[i] - 1, x = v[i]; k >= 0; k--, x /= 10)
                q[k] = (char)('0' + x % 10);
            q += width[i];
            *q++ = sep[i];
        }
        q[0] = (char)('0' + ms / 100);
        q[1] = (char)('0' + ms / 10 % 10);
        q[2] = (char)('0' + ms % 10);
        memcpy(q + 3, "0000Z", 6);
        return 0;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = timegm(&tm) - off;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
        return -1;
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03d0000Z", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    return 0;
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

/* Eight bytes a step (a multiply and a shift each), the tail in one last
 * word, then a full avalanche (MurmurHash3's finalizer) so the low bits the
 * tables index by depend on every byte.  Byte-at-a-time FNV-1a was ~4 cycles
 * per byte of dependent multiplies: on the cached GET it hashed ~250 bytes
 * (response-cache key, token tail, cache-tag pair) for 6 % of the user CPU. */
static inline uint64_t hash_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* The per-process key of str_hash64, drawn before main() (no thread runs
 * yet, so it is never read half-written) and never changed afterwards.  A
 * client that picks cache keys (paths, tokens) cannot predict which of them
 * share a slot, so it cannot force the eviction of other clients' entries. */
static uint64_t g_hash_seed = 0xcbf29ce484222325ULL;

__attribute__((constructor)) static void hash_seed_init(void)
{
    uint64_t r;

    if (getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r))
        g_hash_seed ^= r;
    else
        g_hash_seed ^= (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
}

uint64_t str_hash64_seed(void)
{
    return g_hash_seed;
}

uint64_t str_hash64(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = g_hash_seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);
    uint64_t w;

    for (; n >= 8; n -= 8, b += 8) {
        memcpy(&w, b, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
    }
    if (n > 0) {
        w = 0;
        memcpy(&w, b, n);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
    }
    return hash_mix(h);
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

bool str_account_ref(char *ref)
{
    int64_t n;

    if (str_is_guid(ref)) {
        str_lower(ref);
        return true;
    }
    return str_to_i64(ref, 1, INT64_MAX, &n) == 0;
}

bool mem_equal_ct(const void *a, const void *b, size_t len)
{
    const unsigned char *x = a, *y = b;
    uint64_t diff = 0;
    size_t i = 0;

    /* eight bytes a step, no early exit: the time depends on len only */
    for (; i + 8 <= len; i += 8) {
        uint64_t u, v;
        memcpy(&u, x + i, 8);
        memcpy(&v, y + i, 8);
        diff |= u ^ v;
    }
    for (; i < len; i++)
        diff |= (uint64_t)(x[i] ^ y[i]);
    /* through a volatile, so the compiler cannot turn the loop into one
     * that stops at the first difference */
    volatile uint64_t d = diff;
    return d == 0;
}

size_t str_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t v;
    size_t k, i;

    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        v = s[0];
        k = 1;
    } else {
        if (s[0] >= 0xC2 && s[0] <= 0xDF) {
            k = 2;
            v = s[0] & 0x1Fu;
        } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
            k = 3;
            v = s[0] & 0x0Fu;
        } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
            k = 4;
            v = s[0] & 0x07u;
        } else {
            return 0;
        }
        if (n < k)
            return 0;
        for (i = 1; i < k; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0;
            v = (v << 6) | (s[i] & 0x3Fu);
        }
        if ((k == 3 && v < 0x800) || (k == 4 && v < 0x10000) || v > 0x10FFFF ||
            (v >= 0xD800 && v <= 0xDFFF))
            return 0;
    }
    if (cp != NULL)
        *cp = v;
    return k;
}

size_t str_utf8_encode(uint32_t c, char out[4])
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}
