/*
 * query.c - the pure parts of the Admin API (see admin/query.h).
 */
#include "admin/query.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/strutil.h"

/* ---- dates ------------------------------------------------------------ */

/* Reads exactly n digits at *p into *v and advances. 0, or -1. */
static int digits(const char **p, int n, int *v)
{
    int x = 0;

    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        x = x * 10 + (c - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

int admin_date_normalize(const char *in, char out[ADMIN_DATE_LEN + 1])
{
    const char *p = in;
    int y, mo, d, h = 0, mi = 0, s = 0;
    long frac = 0;              /* 100 ns units */
    int64_t offset_s = 0;

    if (in == NULL || digits(&p, 4, &y) != 0 || *p++ != '-' || digits(&p, 2, &mo) != 0 ||
        *p++ != '-' || digits(&p, 2, &d) != 0)
        return -1;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    if (*p != '\0') {
        if (*p != 'T' && *p != 't')
            return -1;
        p++;
        if (digits(&p, 2, &h) != 0 || *p++ != ':' || digits(&p, 2, &mi) != 0)
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &s) != 0)
                return -1;
            if (*p == '.' || *p == ',') {
                int n = 0;
                p++;
                while (*p >= '0' && *p <= '9') {
                    if (n < 7)
                        frac = frac * 10 + (*p - '0');
                    n++;
                    p++;
                }
                if (n == 0 || n > 9)
                    return -1;
                for (; n < 7; n++)
                    frac *= 10;
            }
        }
        if (h > 23 || mi > 59 || s > 59)
            return -1;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om;
            p++;
            if (digits(&p, 2, &oh) != 0)
                return -1;
            if (*p == ':')
                p++;
            if (digits(&p, 2, &om) != 0 || oh > 23 || om > 59)
                return -1;
            offset_s = sign * (oh * 3600 + om * 60);
        } else {
            return -1;          /* no zone: a different instant in every time zone */
        }
        if (*p != '\0')
            return -1;
    }
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset_s;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t rem = t - days * 86400;
    civil_from_days(days, &y, &mo, &d);
    if (y < 1 || y > 9999)
        return -1;
    char buf[128];               /* the fields are in range: exactly ADMIN_DATE_LEN chars */
    int n = snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%07ldZ", y, mo, d,
                     (int)(rem / 3600), (int)(rem % 3600 / 60), (int)(rem % 60), frac);
    if (n != ADMIN_DATE_LEN)
        return -1;
    memcpy(out, buf, ADMIN_DATE_LEN + 1);
    return 0;
}

/* ---- scalars ---------------------------------------------------------- */

int admin_parse_bool(const char *s, bool *out)
{
    if (s == NULL)
        return -1;
    if (strcasecmp(s, "true") == 0)
        *out = true;
    else if (strcasecmp(s, "false") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

int admin_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (s == NULL || s[0] == '\0' || s[0] == '+' || s[0] == ' ')
        return -1;
    if (s[0] == '-' && min >= 0)
        return -1;
    return str_to_i64(s, min, max, out);
}

/* ---- statuses --------------------------------------------------------- */

/* Stored users.status values and their Admin spellings. */
static const struct {
    const char *stored, *user, *membership;
} STATUS[] = {
    { "Active",             "active",  "active" },
    { "ActivationRequired", "created", "activation_required" },
    { "ActivationSent",     "created", "activation_sent" },
    { "Closed",             "closed",  "closed" },
    { "Disabled",           "closed",  "disabled" },
};
#define N_STATUS (sizeof STATUS / sizeof STATUS[0])

const char *admin_user_status(const char *stored)
{
    for (size_t i = 0; stored != NULL && i < N_STATUS; i++)
        if (strcmp(stored, STATUS[i].stored) == 0)
            return STATUS[i].user;
    return "closed";
}

const char *admin_membership_status(const char *stored)
{
    for (size_t i = 0; stored != NULL && i < N_STATUS; i++)
        if (strcmp(stored, STATUS[i].stored) == 0)
            return STATUS[i].membership;
    return "closed";
}

/* Bit i set when STATUS[i] is named by the list (by its user or membership
 * spelling).  -1 on an unknown or empty item. */
static int status_mask(const char *list, bool membership)
{
    int mask = 0;
    const char *p = list;

    for (;;) {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (size_t i = 0; i < N_STATUS; i++) {
            const char *name = membership ? STATUS[i].membership : STATUS[i].user;
            if (n > 0 && strlen(name) == n && strncasecmp(p, name, n) == 0) {
                mask |= 1 << i;
                found = true;
            }
        }
        if (!found)
            return -1;
        if (p[n] == '\0')
            return mask;
        p += n + 1;
    }
}

int admin_status_filter(const char *status, const char *membership_status, char *out, size_t cap)
{
    int mask = (1 << N_STATUS) - 1;
    size_t len = 0;

    if (cap == 0)
        return -3;
    out[0] = '\0';
    if (status == NULL && membership_status == NULL)
        return 0;
    if (status != NULL) {
        int m = status_mask(status, false);
        if (m < 0)
            return -1;
        mask &= m;
    }
    if (membership_status != NULL) {
        int m = status_mask(membership_status, true);
        if (m < 0)
            return -2;
        mask &= m;
    }
    if (cap < 2)
        return -3;
    out[len++] = ',';
    out[len] = '\0';
    for (size_t i = 0; i < N_STATUS; i++) {
        if (!(mask & (1 << i)))
            continue;
        size_t n = strlen(STATUS[i].stored);
        if (len + n + 2 > cap)
            return -3;
        memcpy(out + len, STATUS[i].stored, n);
        len += n;
        out[len++] = ',';
        out[len] = '\0';
    }
    return 0;
}

const char *admin_group_type(const char *stored)
{
    if (stored != NULL && strcasecmp(stored, "AdminGroup") == 0)
        return "admin_group";
    if (stored != NULL && strcasecmp(stored, "EveryoneGroup") == 0)
        return "everyone_group";
    return "custom_group";
}

/* ---- paging ----------------------------------------------------------- */

void admin_paging_compute(int64_t start, int64_t take, int64_t returned, int64_t total,
                          admin_paging *out)
{
    memset(out, 0, sizeof *out);
    out->end_position = start + returned - 1;
    if (returned > 0 && start + returned < total) {
        out->has_next = true;
        out->next_start = start + returned;
    }
    if (start > 0) {
        out->has_prev = true;
        out->prev_start = start > take ? start - take : 0;
    }
}

int admin_url_append_escaped(char *out, size_t cap, size_t *len, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = *len;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        size_t need = plain ? 1 : 3;
        if (n + need + 1 > cap) {
            if (*len < cap)
                out[*len] = '\0';
            return -1;
        }
        if (plain) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = '\0';
    *len = n;
    return 0;
}
