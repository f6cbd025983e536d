/*
 * profile.c - the userProfile document: validation of PUT bodies and import
 * records, partial update of the stored doc, and rendering of the GET
 * response (see model/profile.h for the contract).
 *
 * One set of schema tables (field name, kind, length limit, where the field
 * is accepted) drives all three jobs:
 *   - validation walks the tables and reports every problem with its path;
 *   - copy_fields() copies the members a table allows, normalised (flags to
 *     "true"/"false", counts to integers, settings to name/value arrays) and
 *     silently skipping anything of the wrong type, so the stored doc only
 *     ever holds known, well-typed members;
 *   - rendering copies the stored doc through the same tables (so nothing
 *     unexpected, e.g. a password, can leak out) and adds derived members.
 *
 * Memory: every json_t * returned is a new reference owned by the caller.
 * Inputs are borrowed and never modified.  Internal helpers that return a
 * json_t * return a new reference, or NULL (with ctx->fail set when the
 * cause was an allocation failure).
 */
#include "model/profile.h"
#include "model/profile_versions.h"
#include "model/profile_schema.h"
#include "core/json_fastload.h"
#include "core/limits.h"
#include "core/strutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* schema tables                                                       */
/* ------------------------------------------------------------------ */

#define SCHEMA(arr) { arr, sizeof(arr) / sizeof(arr[0]) }

static const field ADDR_F[] = {
    { "address1",        F_STR, LIM_ADDRESS_LINE_MAX,  ALL, NULL },
    { "address2",        F_STR, LIM_ADDRESS_LINE_MAX,  ALL, NULL },
    { "city",            F_STR, LIM_ADDRESS_FIELD_MAX, ALL, NULL },
    { "stateOrProvince", F_STR, LIM_ADDRESS_FIELD_MAX, ALL, NULL },
    { "postalCode",      F_STR, LIM_ADDRESS_FIELD_MAX, ALL, NULL },
    { "zipPlus4",        F_STR, LIM_ADDRESS_FIELD_MAX, ALL | ZIP4, NULL },
    { "country",         F_STR, LIM_ADDRESS_FIELD_MAX, ALL, NULL },
    { "phone",           F_STR, LIM_ADDRESS_FIELD_MAX, ALL, NULL },
    { "fax",             F_STR, LIM_ADDRESS_FIELD_MAX, ALL, NULL },
};
static const schema ADDR = SCHEMA(ADDR_F);

static const field USAGE_F[] = {
    { "signedCount",        F_COUNT, 0, ALL, NULL },
    { "lastSignedDateTime", F_DATE, LIM_STRING_FIELD_MAX, ALL, NULL },
    { "sentCount",          F_COUNT, 0, ALL, NULL },
    { "lastSentDateTime",   F_DATE, LIM_STRING_FIELD_MAX, ALL, NULL },
};
static const schema USAGE = SCHEMA(USAGE_F);

static const field AUTH_F[] = {
    { "totalCount",         F_COUNT, 0, ALL, NULL },
    { "lastTimestamp",      F_DATE, LIM_STRING_FIELD_MAX, ALL, NULL },
    { "lastProvider",       F_STR, LIM_STRING_FIELD_MAX, ALL, NULL },
    { "authenticationType", F_AUTHTYPE, 0, ALL | REQ, NULL },
};
static const schema AUTH = SCHEMA(AUTH_F);

static const field NV_F[] = {
    { "name",          F_STR, LIM_STRING_FIELD_MAX, ALL | REQ | NEMP, NULL },
    { "value",         F_STR, LIM_STRING_FIELD_MAX, ALL | BOOL, NULL },
    { "originalValue", F_STR, LIM_STRING_FIELD_MAX, ALL | BOOL, NULL },
};
static const schema NV = SCHEMA(NV_F);

static const field META_F[] = {
    { "rights",        F_STR, LIM_STRING_FIELD_MAX, ALL, NULL },
    { "uiHint",        F_STR, LIM_STRING_FIELD_MAX, ALL, NULL },
    { "uiType",        F_STR, LIM_STRING_FIELD_MAX, ALL, NULL },
    { "uiOrder",       F_STR, LIM_STRING_FIELD_MAX, ALL, NULL },
    { "is21CFRPart11", F_STR, LIM_STRING_FIELD_MAX, ALL | BOOL, NULL },
    { "options",       F_STRARRAY, LIM_SETTINGS_MAX, ALL, NULL },
};
static const schema META = SCHEMA(META_F);

/* Stored (import) granular flags: the members of both versions
 * (model/profile_versions.c says which one each version renders). */
#define GRAN(n) { n, F_FLAG, 0, ALL, NULL }, { n "Metadata", F_OBJ, 0, ALL, &META }
static const field GRAN_F[] = {
    GRAN("canManageUsers"), GRAN("canManageAdmins"), GRAN("canManageGroups"),
    GRAN("canManageSharing"), GRAN("canManageAccountSettings"),
    GRAN("canManageAccountSecuritySettings"), GRAN("canManageReporting"),
    GRAN("canManageSigningGroups"), GRAN("canManageEnvelopeTransfer"),
    GRAN("canViewUsers"), GRAN("canManageConnect"), GRAN("canManageDocumentRetention"),
    GRAN("canManageGroupsButNotUsers"), GRAN("canManageJointAgreements"),
    GRAN("canManageStamps"),
};
static const schema GRANULAR = SCHEMA(GRAN_F);

static const field DETAILS_F[] = {
    { "userName",     F_STR, LIM_USERNAME_MAX, ALL, NULL },
    { "email",        F_EMAIL, LIM_EMAIL_MAX, VI, NULL },      /* checked, never stored */
    { "title",        F_STR, LIM_DETAILS_TITLE_MAX, ALL, NULL },
    { "firstName",    F_STR, LIM_NAME_MAX, ALL, NULL },
    { "middleName",   F_STR, LIM_NAME_MAX, ALL, NULL },
    { "lastName",     F_STR, LIM_NAME_MAX, ALL, NULL },
    { "suffixName",   F_STR, LIM_NAME_MAX, ALL, NULL },
    { "countryCode",  F_STR, LIM_ADDRESS_FIELD_MAX, ALL, NULL },
    { "jobTitle",     F_STR, LIM_PROFILE_TITLE_MAX, ALL, NULL },
    { "subscribe",    F_FLAG, 0, ALL, NULL },
    { "userSettings", F_SETTINGS, LIM_SETTINGS_MAX, ALL, &NV },
    { "accountManagementGranular", F_OBJ, 0, IMP, &GRANULAR },
    { "sendActivationOnInvalidLogin", F_FLAG, 0, ALL, NULL },
    { "enableConnectForUser", F_FLAG, 0, ALL, NULL },
    { "workAddress",  F_OBJ, 0, ALL, &ADDR },
    { "homeAddress",  F_OBJ, 0, ALL, &ADDR },
    { "loginStatus",  F_LOGINSTATUS, 0, IMP, NULL },
    { "customSettings", F_OBJARRAY, LIM_SETTINGS_MAX, ALL, &NV },
    { "signatureImageUri", F_STR, LIM_STRING_FIELD_MAX, IMP, NULL },
    { "initialsImageUri",  F_STR, LIM_STRING_FIELD_MAX, IMP, NULL },
};
static const schema DETAILS = SCHEMA(DETAILS_F);

static const field TOP_F[] = {
    { "displayProfile",          F_FLAG, 0, ALL, NULL },
    { "displayOrganizationInfo", F_FLAG, 0, ALL, NULL },
    { "displayPersonalInfo",     F_FLAG, 0, ALL, NULL },
    { "displayUsageHistory",     F_FLAG, 0, ALL, NULL },
    { "companyName",             F_STR, LIM_STRING_FIELD_MAX, ALL, NULL },
    { "title",                   F_STR, LIM_PROFILE_TITLE_MAX, ALL, NULL },
    { "userDetails",             F_OBJ, 0, ALL, &DETAILS },
    { "address",                 F_OBJ, 0, ALL, &ADDR },
    { "authenticationMethods",   F_OBJARRAY, LIM_SETTINGS_MAX, IMP, &AUTH },
    { "usageHistory",            F_OBJ, 0, IMP, &USAGE },
};
static const schema TOP = SCHEMA(TOP_F);
const schema *const PROFILE_SCHEMA_TOP = &TOP;
const schema *const PROFILE_SCHEMA_NV = &NV;

static const char *const AUTH_TYPES[] = {
    "PhoneAuth", "STAN", "ISCheck", "IDCheck", "OFAC", "AccessCode", "AgeVerify", "SSOAuth",
};
static const char *const LOGIN_STATUSES[] = {
    "password_reset", "password_active", "password_expired", "password_locked",
    "password_reset_failed",
};
static const char *const DISPLAY_FLAGS[] = {
    "displayProfile", "displayOrganizationInfo", "displayPersonalInfo", "displayUsageHistory",
};
static const char *const SPLIT_NAMES[] = { "firstName", "middleName", "lastName", "suffixName" };

#define COUNT_DIGITS_MAX 15         /* digit strings accepted for counts */

/* ------------------------------------------------------------------ */
/* small helpers                                                       */
/* ------------------------------------------------------------------ */

/* Number of code points in s[0..n); -1 if not valid UTF-8 (overlong forms,
 * surrogates, > U+10FFFF), -2 if it holds a C0 control character other than
 * tab, newline and carriage return (NUL included: XML cannot carry them). */
static long utf8_chars(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, len, k;
    uint32_t c;
    long count = 0;

    while (i < n) {
        if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return -2;
        if (s[i] < 0x80) {
            i++;
            count++;
            continue;
        }
        if (s[i] >= 0xC2 && s[i] <= 0xDF) {
            len = 2;
            c = s[i] & 0x1Fu;
        } else if (s[i] >= 0xE0 && s[i] <= 0xEF) {
            len = 3;
            c = s[i] & 0x0Fu;
        } else if (s[i] >= 0xF0 && s[i] <= 0xF4) {
            len = 4;
            c = s[i] & 0x07u;
        } else {
            return -1;
        }
        if (n - i < len)
            return -1;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return -1;
            c = (c << 6) | (s[i + k] & 0x3Fu);
        }
        if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
            (c >= 0xD800 && c <= 0xDFFF))
            return -1;
        i += len;
        count++;
    }
    return count;
}

/* Byte length of the first max code points of valid UTF-8 s[0..n). */
size_t profile_utf8_prefix(const char *s, size_t n, size_t max)
{
    size_t i = 0, chars = 0;

    while (i < n) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (chars == max)
                break;
            chars++;
        }
        i++;
    }
    return i;
}

static bool ascii_eq_ci(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b + 32) : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* Flag value: 1 true, 0 false, -1 not a flag. */
static int flag_value(const json_t *v)
{
    if (json_is_boolean(v))
        return json_is_true(v) ? 1 : 0;
    if (json_is_string(v)) {
        if (ascii_eq_ci(json_string_value(v), "true"))
            return 1;
        if (ascii_eq_ci(json_string_value(v), "false"))
            return 0;
    }
    return -1;
}

/* Count value, or -1 when v is not a non-negative integer / digit string. */
static json_int_t count_value(const json_t *v)
{
    const char *s;
    size_t n, i;
    char *end;
    long long x;

    if (json_is_integer(v))
        return json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
    if (!json_is_string(v))
        return -1;
    s = json_string_value(v);
    n = json_string_length(v);
    if (n == 0 || n > COUNT_DIGITS_MAX)
        return -1;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    errno = 0;
    x = strtoll(s, &end, 10);
    if (errno != 0 || end != s + n || x < 0)
        return -1;
    return (json_int_t)x;
}

static bool email_ok(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    size_t i;

    if (at == NULL || at == s || at == s + n - 1 || memchr(at + 1, '@', n - (size_t)(at - s) - 1))
        return false;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7F)
            return false;
    return true;
}

/* ------------------------------------------------------------------ */
/* validation                                                          */
/* ------------------------------------------------------------------ */

#define PATH_MAX_ 256

typedef struct {
    pd_errbuf *eb;
    unsigned mask;                  /* VU or VI */
    bool settings_object;           /* {name: value} userSettings accepted */
    char path[PATH_MAX_];
    size_t plen;
} vctx;

/* Appends n bytes of s (cut at the end of the buffer). */
static void path_append(vctx *c, const char *s, size_t n)
{
    size_t room = sizeof(c->path) - 1 - c->plen;

    if (n > room)
        n = room;
    memcpy(c->path + c->plen, s, n);
    c->plen += n;
    c->path[c->plen] = '\0';
}

/* Called for every member validated: plain copies, no formatting (the
 * import validates a million documents). */
static size_t path_push_key(vctx *c, const char *key)
{
    size_t saved = c->plen;

    if (c->plen > 0)
        path_append(c, ".", 1);
    path_append(c, key, strlen(key));
    return saved;
}

static size_t path_push_index(vctx *c, size_t i)
{
    char buf[24];
    size_t n = sizeof(buf);

    buf[--n] = ']';
    do
        buf[--n] = (char)('0' + i % 10);
    while ((i /= 10) > 0 && n > 1);
    buf[--n] = '[';
    size_t saved = c->plen;
    path_append(c, buf + n, sizeof(buf) - n);
    return saved;
}

static void path_pop(vctx *c, size_t saved)
{
    c->plen = saved;
    c->path[saved] = '\0';
}

static void verr(vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void verr(vctx *c, const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pd_errbuf_add(c->eb, "%s: %s", c->plen > 0 ? c->path : "body", msg);
}

static void check_string(vctx *c, const json_t *v, unsigned max, unsigned flags)
{
    long n;

    if (json_is_boolean(v) && (flags & BOOL))
        return;
    if (!json_is_string(v)) {
        verr(c, "must be a string");
        return;
    }
    n = utf8_chars(json_string_value(v), json_string_length(v));
    if (n == -2)
        verr(c, "contains a control character");
    else if (n < 0)
        verr(c, "is not valid UTF-8 text");
    else if (max > 0 && (unsigned long)n > max)
        verr(c, "longer than %u characters", max);
    else if (n == 0 && (flags & NEMP))
        verr(c, "must not be empty");
}

static void validate_object(vctx *c, const json_t *obj, const schema *s);

/* Checks one non-null value (an array item, or a member) against f. */
typedef void (*value_check)(vctx *c, const json_t *v, const field *f);

/* value_check: an object described by f->sub. */
static void check_object(vctx *c, const json_t *v, const field *f)
{
    if (!json_is_object(v))
        verr(c, "must be an object");
    else
        validate_object(c, v, f->sub);
}

/* value_check: an array item of F_STRARRAY. */
static void check_str_item(vctx *c, const json_t *v, const field *f)
{
    check_string(c, v, LIM_STRING_FIELD_MAX, 0);
}

/* An array of at most f->max items, none null, each passed to check. */
static void validate_array(vctx *c, const json_t *v, const field *f, value_check check)
{
    size_t i, saved;
    const json_t *it;

    if (!json_is_array(v)) {
        verr(c, "must be an array");
        return;
    }
    if (json_array_size(v) > f->max) {
        verr(c, "more than %u items", f->max);
        return;
    }
    json_array_foreach(v, i, it) {
        saved = path_push_index(c, i);
        if (json_is_null(it))
            verr(c, "must not be null");
        else
            check(c, it, f);
        path_pop(c, saved);
    }
}

/* v2.1 userSettings: {name: value}; values strings (or booleans). */
static void validate_settings_object(vctx *c, const json_t *v, const field *f)
{
    const char *k;
    const json_t *it;
    size_t saved;
    long n;

    if (json_object_size(v) > f->max) {
        verr(c, "more than %u items", f->max);
        return;
    }
    json_object_foreach((json_t *)v, k, it) {
        if (profile_setting_read_only(k))
            continue;                   /* derived: ignored, as GET gives it */
        saved = path_push_key(c, k);
        n = utf8_chars(k, strlen(k));
        if (n <= 0 || n > LIM_STRING_FIELD_MAX)
            verr(c, "setting name must be 1 to %d characters", LIM_STRING_FIELD_MAX);
        else if (json_is_null(it))
            verr(c, "must not be null");
        else if (json_is_object(it) || json_is_array(it))
            verr(c, "nested setting objects are not supported");
        else
            check_string(c, it, LIM_STRING_FIELD_MAX, BOOL);
        path_pop(c, saved);
    }
}

static void validate_field(vctx *c, const field *f, const json_t *v)
{
    switch (f->kind) {
    case F_STR:
        check_string(c, v, f->max, f->flags);
        break;
    case F_FLAG:
        if (flag_value(v) < 0)
            verr(c, json_is_string(v) || json_is_boolean(v)
                        ? "must be \"true\" or \"false\"" : "must be a string \"true\" or \"false\"");
        break;
    case F_COUNT:
        if (count_value(v) < 0)
            verr(c, "must be a non-negative integer");
        break;
    case F_DATE: {
        char d[40];
        if (!json_is_string(v) || json_string_length(v) > f->max ||
            time_iso_ms(json_string_value(v), d, sizeof(d)) != 0)
            verr(c, "must be a date like 2024-01-02T03:04:05.123Z");
        break;
    }
    case F_EMAIL:
        check_string(c, v, f->max, 0);
        if (json_is_string(v) && json_string_length(v) > 0 &&
            !email_ok(json_string_value(v), json_string_length(v)))
            verr(c, "is not a valid email address");
        break;
    case F_AUTHTYPE:
    case F_LOGINSTATUS:
        if (!json_is_string(v))
            verr(c, "must be a string");
        else if (f->kind == F_AUTHTYPE
                     ? !in_list(json_string_value(v), AUTH_TYPES, sizeof(AUTH_TYPES) / sizeof(AUTH_TYPES[0]))
                     : !in_list(json_string_value(v), LOGIN_STATUSES,
                                sizeof(LOGIN_STATUSES) / sizeof(LOGIN_STATUSES[0])))
            verr(c, "is not a valid %s", f->kind == F_AUTHTYPE ? "authentication type" : "login status");
        break;
    case F_OBJ:
        check_object(c, v, f);
        break;
    case F_OBJARRAY:
        validate_array(c, v, f, check_object);
        break;
    case F_SETTINGS:
        if (json_is_object(v) && c->settings_object)
            validate_settings_object(c, v, f);
        else
            validate_array(c, v, f, check_object);
        break;
    case F_STRARRAY:
        validate_array(c, v, f, check_str_item);
        break;
    }
}

static void validate_object(vctx *c, const json_t *obj, const schema *s)
{
    size_t i, saved;
    const field *f;
    const json_t *v;

    for (i = 0; i < s->n; i++) {
        f = &s->f[i];
        if (!(f->flags & c->mask))
            continue;
        v = json_object_get(obj, f->name);
        saved = path_push_key(c, f->name);
        if (v == NULL) {
            if (f->flags & REQ)
                verr(c, "is required");
        } else if (json_is_null(v)) {
            verr(c, "must not be null");
        } else {
            validate_field(c, f, v);
        }
        path_pop(c, saved);
    }
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* A userName sent without split fields is split into firstName (first word)
 * and lastName (the rest) by the merge: both parts must fit LIM_NAME_MAX,
 * or the stored names would differ from what the client sent. */
static void check_name_split(vctx *c, const json_t *body)
{
    const json_t *ud = json_object_get(body, "userDetails");
    const json_t *un = json_object_get(ud, "userName");
    const char *s;
    size_t n, a = 0, b, i, saved;
    long first, rest;

    if (!json_is_string(un) || json_is_string(json_object_get(ud, "title")))
        return;
    for (i = 0; i < sizeof(SPLIT_NAMES) / sizeof(SPLIT_NAMES[0]); i++)
        if (json_is_string(json_object_get(ud, SPLIT_NAMES[i])))
            return;
    s = json_string_value(un);
    n = json_string_length(un);
    while (a < n && is_space(s[a]))
        a++;
    for (b = a; b < n && !is_space(s[b]); b++)
        ;
    first = utf8_chars(s + a, b - a);
    while (b < n && is_space(s[b]))
        b++;
    while (n > b && is_space(s[n - 1]))
        n--;
    rest = utf8_chars(s + b, n - b);
    if (first < 0 || rest < 0 || (first <= LIM_NAME_MAX && rest <= LIM_NAME_MAX))
        return;                         /* invalid text is reported elsewhere */
    saved = path_push_key(c, "userDetails");
    path_push_key(c, "userName");
    verr(c, "first word or rest longer than %d characters: send firstName and lastName", LIM_NAME_MAX);
    path_pop(c, saved);
}

static pd_err validate_root(vctx *c, const json_t *body)
{
    unsigned before = c->eb->count;

    if (!json_is_object(body)) {
        verr(c, "must be a JSON object");
        return PD_ERR_INVALID_BODY;
    }
    validate_object(c, body, &TOP);
    check_name_split(c, body);
    return c->eb->count == before ? PD_OK : PD_ERR_INVALID_BODY;
}

pd_err profile_validate_update(const json_t *body, profile_api api, pd_errbuf *eb)
{
    vctx c;

    memset(&c, 0, sizeof(c));
    c.eb = eb;
    c.mask = VU;
    c.settings_object = profile_version_of(api)->settings_as_object;
    return validate_root(&c, body);
}

pd_err profile_validate_import(const json_t *profile, const char *prefix, pd_errbuf *eb)
{
    vctx c;

    memset(&c, 0, sizeof(c));
    c.eb = eb;
    c.mask = VI;
    c.settings_object = true;
    if (prefix != NULL && prefix[0] != '\0')
        path_push_key(&c, prefix);
    return validate_root(&c, profile);
}

/* ------------------------------------------------------------------ */
/* copying / normalising                                               */
/* ------------------------------------------------------------------ */

typedef struct {
    unsigned mask;                  /* KU, KI or both */
    bool render;                    /* building a response */
    const profile_version *pv;      /* render only: the version's row */
    int fail;                       /* allocation failures seen */
    bool track;                     /* merging a patch into an object that was there
                                     * before it: note members it adds (not while
                                     * filling a new object or array, whose members
                                     * go in table order) */
    bool appended;                  /* ... a member was added (after the others) */
} cctx;

static json_t *oom(cctx *c, json_t *v)
{
    if (v == NULL)
        c->fail++;
    return v;
}

static void put(cctx *c, json_t *obj, const char *key, json_t *v)
{
    if (c->track && v != NULL && json_object_get(obj, key) == NULL)
        c->appended = true;         /* a new member goes last, not in table order */
    if (v == NULL || json_object_set_new(obj, key, v) != 0)
        c->fail++;
}

static json_t *copy_string(cctx *c, const json_t *v, unsigned flags)
{
    if (json_is_string(v))
        return oom(c, json_stringn(json_string_value(v), json_string_length(v)));
    if (json_is_boolean(v) && (flags & BOOL))
        return oom(c, json_string(json_is_true(v) ? "true" : "false"));
    return NULL;
}

static json_t *copy_count(cctx *c, json_int_t n)
{
    char buf[32];

    if (c->render && c->pv->counts_as_strings) {
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, n);
        return oom(c, json_string(buf));
    }
    return oom(c, json_integer(n));
}

/* A stored date as rendered: UTC, millisecond precision; NULL (left out)
 * when it is not a date. */
static json_t *copy_date(cctx *c, const json_t *v)
{
    char d[40];

    if (!json_is_string(v) || time_iso_ms(json_string_value(v), d, sizeof(d)) != 0)
        return NULL;
    return oom(c, json_string(d));
}

static void copy_fields(cctx *c, json_t *dst, const json_t *src, const schema *s);

/* Copies one array item into *out (left NULL: the item is skipped);
 * false stops the copy. */
typedef bool (*item_copy)(cctx *c, const json_t *it, const field *f, json_t **out);

/* The items of array v that copy keeps, at most f->max; NULL if v is not
 * an array. */
static json_t *copy_array(cctx *c, const json_t *v, const field *f, item_copy copy)
{
    json_t *arr, *nv;
    const json_t *it;
    size_t i;

    bool track = c->track;

    if (!json_is_array(v))
        return NULL;
    arr = oom(c, json_array());
    if (arr == NULL)
        return NULL;
    c->track = false;                   /* a new array of new items */
    json_array_foreach(v, i, it) {
        if (json_array_size(arr) >= f->max)
            break;
        nv = NULL;
        if (!copy(c, it, f, &nv))
            break;
        if (nv != NULL && json_array_append_new(arr, nv) != 0)
            c->fail++;
    }
    c->track = track;
    return arr;
}

static bool has_required(const json_t *o, const schema *s)
{
    size_t j;

    for (j = 0; j < s->n; j++)
        if ((s->f[j].flags & REQ) && json_object_get(o, s->f[j].name) == NULL)
            return false;
    return true;
}

/* item_copy: an object of f->sub, skipped unless it has every required member. */
static bool copy_obj_item(cctx *c, const json_t *it, const field *f, json_t **out)
{
    json_t *o;

    if (!json_is_object(it))
        return true;
    o = oom(c, json_object());
    if (o == NULL)
        return false;
    copy_fields(c, o, it, f->sub);
    if (!has_required(o, f->sub)) {
        json_decref(o);             /* e.g. a nameValue without a name */
        return true;
    }
    if (f->kind == F_SETTINGS &&
        profile_setting_read_only(json_string_value(json_object_get(o, "name")))) {
        json_decref(o);             /* derived from the membership: never stored */
        return true;
    }
    if (f->sub == &NV && json_object_get(o, "value") == NULL)
        put(c, o, "value", oom(c, json_string("")));    /* so v2.1 {name: value} keeps it */
    *out = o;
    return true;
}

/* item_copy: a string. */
static bool copy_str_item(cctx *c, const json_t *it, const field *f, json_t **out)
{
    *out = copy_string(c, it, 0);
    return true;
}

/* {name: value} -> [{name, value}] */
static json_t *settings_from_object(cctx *c, const json_t *v, const field *f)
{
    json_t *arr = oom(c, json_array()), *o;
    const char *k;
    const json_t *it;
    json_t *val;
    bool track = c->track;

    if (arr == NULL)
        return NULL;
    c->track = false;                   /* a new array of new items */
    json_object_foreach((json_t *)v, k, it) {
        if (json_array_size(arr) >= f->max)
            break;
        if (profile_setting_read_only(k))
            continue;
        val = copy_string(c, it, BOOL);
        if (val == NULL || k[0] == '\0') {
            json_decref(val);
            continue;
        }
        o = oom(c, json_object());
        if (o == NULL) {
            json_decref(val);
            break;
        }
        put(c, o, "name", oom(c, json_string(k)));
        put(c, o, "value", val);
        if (json_array_append_new(arr, o) != 0)
            c->fail++;
    }
    c->track = track;
    return arr;
}

/* Copies into dst the members of src that s allows under c->mask,
 * normalised; members of the wrong type are skipped.  Objects already in
 * dst are merged member by member. */
static void copy_fields(cctx *c, json_t *dst, const json_t *src, const schema *s)
{
    size_t i;
    const field *f;
    const json_t *v;
    json_t *nv, *cur;
    json_int_t n;
    int fl;

    for (i = 0; i < s->n; i++) {
        f = &s->f[i];
        if (!(f->flags & c->mask))
            continue;
        if ((f->flags & ZIP4) && c->render && !c->pv->address_zip_plus4)
            continue;
        v = json_object_get(src, f->name);
        if (v == NULL || json_is_null(v))
            continue;
        nv = NULL;
        switch (f->kind) {
        case F_STR:
        case F_EMAIL:
            nv = copy_string(c, v, f->flags);
            break;
        case F_AUTHTYPE:
        case F_LOGINSTATUS:
            nv = copy_string(c, v, 0);
            break;
        case F_FLAG:
            fl = flag_value(v);
            if (fl >= 0)
                nv = oom(c, json_string(fl ? "true" : "false"));
            break;
        case F_COUNT:
            n = count_value(v);
            if (n >= 0)
                nv = copy_count(c, n);
            break;
        case F_DATE:
            nv = c->render ? copy_date(c, v) : copy_string(c, v, 0);
            break;
        case F_OBJ:
            if (!json_is_object(v))
                break;
            cur = json_object_get(dst, f->name);
            if (json_is_object(cur)) {
                copy_fields(c, cur, v, f->sub);
                break;
            }
            nv = oom(c, json_object());
            if (nv != NULL) {
                bool track = c->track;
                c->track = false;       /* a new object: filled in table order */
                copy_fields(c, nv, v, f->sub);
                c->track = track;
            }
            break;
        case F_OBJARRAY:
            nv = copy_array(c, v, f, copy_obj_item);
            break;
        case F_SETTINGS:
            nv = json_is_object(v) ? settings_from_object(c, v, f)
                                   : copy_array(c, v, f, copy_obj_item);
            break;
        case F_STRARRAY:
            nv = copy_array(c, v, f, copy_str_item);
            break;
        }
        if (nv != NULL)
            put(c, dst, f->name, nv);
    }
}

/* ------------------------------------------------------------------ */
/* name rule                                                           */
/* ------------------------------------------------------------------ */

/* Sets key to s[0..n) cut to max characters, or removes it when empty. */
static void set_or_remove(cctx *c, json_t *obj, const char *key, const char *s, size_t n, size_t max)
{
    while (n > 0 && is_space(s[n - 1]))
        n--;
    n = profile_utf8_prefix(s, n, max);
    while (n > 0 && is_space(s[n - 1]))
        n--;
    if (n == 0) {
        json_object_del(obj, key);
        return;
    }
    put(c, obj, key, oom(c, json_stringn(s, n)));
}

static void rebuild_user_name(cctx *c, json_t *ud, const json_t *patch_ud)
{
    char buf[4 * (LIM_NAME_MAX * 4 + 1) + 1];
    size_t len = 0, i, n, a;
    const json_t *v;
    const char *s;
    bool split_given = false;

    for (i = 0; i < 4; i++) {
        if (json_object_get(patch_ud, SPLIT_NAMES[i]) != NULL)
            split_given = true;
        v = json_object_get(ud, SPLIT_NAMES[i]);
        if (!json_is_string(v))
            continue;
        s = json_string_value(v);
        n = json_string_length(v);
        for (a = 0; a < n && is_space(s[a]); a++)
            ;
        while (n > a && is_space(s[n - 1]))
            n--;
        if (n == a || n - a > sizeof(buf) - len - 2)
            continue;
        if (len > 0)
            buf[len++] = ' ';
        memcpy(buf + len, s + a, n - a);
        len += n - a;
    }
    if (len == 0 && !split_given)
        return;                         /* only title changed: keep userName */
    set_or_remove(c, ud, "userName", buf, len, LIM_USERNAME_MAX);
    if (len == 0)
        put(c, ud, "userName", oom(c, json_string("")));
}

/* userName alone: firstName = first word, lastName = the rest; userName is
 * stored as "first rest" (trimmed, one space between) so that rebuilding it
 * from the split fields later gives the same text. */
static void split_user_name(cctx *c, json_t *ud, const char *s, size_t n)
{
    size_t a = 0, b, r;
    char *norm;

    while (n > 0 && is_space(s[n - 1]))
        n--;
    while (a < n && is_space(s[a]))
        a++;
    b = a;
    while (b < n && !is_space(s[b]))
        b++;
    set_or_remove(c, ud, "firstName", s + a, b - a, LIM_NAME_MAX);
    r = b;
    while (r < n && is_space(s[r]))
        r++;
    set_or_remove(c, ud, "lastName", s + r, n - r, LIM_NAME_MAX);
    json_object_del(ud, "middleName");
    json_object_del(ud, "suffixName");
    norm = malloc(n + 1);
    if (norm == NULL) {
        c->fail++;
        return;
    }
    memcpy(norm, s + a, b - a);
    if (r < n) {
        norm[b - a] = ' ';
        memcpy(norm + (b - a) + 1, s + r, n - r);
    }
    put(c, ud, "userName", oom(c, json_stringn(norm, (b - a) + (r < n ? 1 + n - r : 0))));
    free(norm);
}

static void apply_name_rule(cctx *c, json_t *doc, const json_t *patch)
{
    const json_t *pud = json_object_get(patch, "userDetails");
    json_t *ud = json_object_get(doc, "userDetails");
    const json_t *un;
    size_t i;

    if (!json_is_object(pud) || !json_is_object(ud))
        return;
    for (i = 0; i < 4; i++)
        if (json_is_string(json_object_get(pud, SPLIT_NAMES[i])))
            break;
    if (i < 4 || json_is_string(json_object_get(pud, "title"))) {
        rebuild_user_name(c, ud, pud);
        return;
    }
    un = json_object_get(pud, "userName");
    if (json_is_string(un))
        split_user_name(c, ud, json_string_value(un), json_string_length(un));
}

/* ------------------------------------------------------------------ */
/* merge / import                                                      */
/* ------------------------------------------------------------------ */

/* doc, or NULL (doc released) when an allocation failed while building it. */
static json_t *doc_or_null(const cctx *c, json_t *doc)
{
    if (c->fail) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* The patch half of a merge: patch's members into doc, then the name rule. */
static void merge_patch(cctx *c, json_t *doc, const json_t *patch)
{
    if (!json_is_object(patch))
        return;
    c->mask = KU;
    c->track = true;
    copy_fields(c, doc, patch, &TOP);
    apply_name_rule(c, doc, patch);
}

json_t *profile_merge(const json_t *stored, const json_t *patch)
{
    return profile_merge_canon(stored, patch, NULL);
}

json_t *profile_merge_canon(const json_t *stored, const json_t *patch, bool *canonical)
{
    cctx c = { KU | KI, false, NULL, 0, false, false };
    json_t *doc = json_object();

    if (doc == NULL)
        return NULL;
    if (json_is_object(stored))
        copy_fields(&c, doc, stored, &TOP);
    merge_patch(&c, doc, patch);
    if (canonical != NULL)
        *canonical = !c.appended;
    return doc_or_null(&c, doc);
}

bool profile_merge_into(json_t *doc, const json_t *patch, bool *canonical)
{
    cctx c = { KU | KI, false, NULL, 0, false, false };

    if (!json_is_object(doc))
        return false;
    merge_patch(&c, doc, patch);
    if (canonical != NULL)
        *canonical = !c.appended;
    return c.fail == 0;
}

json_t *profile_from_import(const json_t *profile)
{
    cctx c = { KI, false, NULL, 0, false, false };
    json_t *doc = profile_new_doc();

    if (doc == NULL)
        return NULL;
    if (json_is_object(profile)) {
        copy_fields(&c, doc, profile, &TOP);
        apply_name_rule(&c, doc, profile);
    }
    return doc_or_null(&c, doc);
}

json_t *profile_new_doc(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:{}, s:{s:I, s:I}, s:[], s:{}}",
                     "displayProfile", "true",
                     "displayOrganizationInfo", "true",
                     "displayPersonalInfo", "true",
                     "displayUsageHistory", "true",
                     "address",
                     "usageHistory", "sentCount", (json_int_t)0, "signedCount", (json_int_t)0,
                     "authenticationMethods",
                     "userDetails");
}

/* ------------------------------------------------------------------ */
/* render                                                              */
/* ------------------------------------------------------------------ */

static void put_str(cctx *c, json_t *obj, const char *key, const char *s)
{
    if (s != NULL)
        put(c, obj, key, oom(c, json_string(s)));
}

/* A date derived from the tables, rendered like a stored one. */
static void put_date(cctx *c, json_t *obj, const char *key, const char *s)
{
    char d[40];

    if (s != NULL && time_iso_ms(s, d, sizeof(d)) == 0)
        put(c, obj, key, oom(c, json_string(d)));
}

static const char *granted(granular_rule rule, bool is_admin)
{
    return rule == GRANT_ADMIN && is_admin ? "true" : "false";
}

/* The version's accountManagementGranular: each member from the stored doc
 * when set there (import), else derived from the membership; a stored
 * metadata object goes with its member. */
static json_t *render_granular(cctx *c, const json_t *stored, bool is_admin)
{
    const profile_version *pv = c->pv;
    json_t *g = oom(c, json_object());
    const json_t *sv;
    char meta[96];
    size_t i;

    if (g == NULL)
        return NULL;
    for (i = 0; i < pv->n_granular; i++) {
        const char *name = pv->granular[i].name;
        sv = json_object_get(stored, name);
        if (json_is_string(sv))
            put(c, g, name, oom(c, json_copy((json_t *)sv)));
        else
            put_str(c, g, name, granted(pv->granular[i].rule, is_admin));
        snprintf(meta, sizeof(meta), "%sMetadata", name);
        sv = json_object_get(stored, meta);
        if (json_is_object(sv))
            put(c, g, meta, oom(c, json_deep_copy(sv)));
    }
    return g;
}

static bool is_derived_setting(const profile_version *pv, const char *name)
{
    for (size_t i = 0; i < pv->n_derived; i++)
        if (strcmp(pv->derived[i].name, name) == 0)
            return true;
    return false;
}

static bool setting_known(const profile_version *pv, const char *name)
{
    if (pv->setting_names == NULL)
        return true;
    for (size_t i = 0; i < pv->n_setting_names; i++)
        if (strcmp(pv->setting_names[i], name) == 0)
            return true;
    return false;
}

/* userDetails.userSettings as the version has it: the stored name/value
 * pairs the version knows, the settings derived from the membership (they
 * win over stored ones), and on v2.1 accountManagementGranular. */
static void render_settings(cctx *c, json_t *ud, const json_t *granular, bool is_admin)
{
    const profile_version *pv = c->pv;
    const json_t *arr = json_object_get(ud, "userSettings");
    const json_t *it, *name, *value;
    json_t *out = oom(c, pv->settings_as_object ? json_object() : json_array());
    size_t i;

    if (out == NULL)
        return;
    json_array_foreach(arr, i, it) {
        name = json_object_get(it, "name");
        value = json_object_get(it, "value");
        if (!json_is_string(name) || is_derived_setting(pv, json_string_value(name)) ||
            !setting_known(pv, json_string_value(name)))
            continue;
        if (!pv->settings_as_object) {
            if (json_array_append(out, (json_t *)it) != 0)
                c->fail++;
        } else if (json_is_string(value) &&
                   json_object_set(out, json_string_value(name), (json_t *)value) != 0) {
            c->fail++;
        }
    }
    for (i = 0; i < pv->n_derived; i++) {
        const char *v = granted(pv->derived[i].rule, is_admin);
        if (pv->settings_as_object) {
            put_str(c, out, pv->derived[i].name, v);
            continue;
        }
        json_t *nv = oom(c, json_pack("{s:s, s:s}", "name", pv->derived[i].name, "value", v));
        if (nv != NULL && json_array_append_new(out, nv) != 0)
            c->fail++;
    }
    if (pv->granular_in_settings && granular != NULL)
        put(c, out, "accountManagementGranular", json_incref((json_t *)granular));
    put(c, ud, "userSettings", out);
}

static void render_groups(cctx *c, json_t *ud, const pd_membership *m)
{
    json_t *list = oom(c, json_array()), *g;
    size_t i;

    if (list == NULL)
        return;
    for (i = 0; m != NULL && i < m->n_groups; i++) {
        g = oom(c, json_object());
        if (g == NULL)
            break;
        put_str(c, g, "groupId", m->groups[i].id);
        put_str(c, g, "groupName", m->groups[i].name);
        put_str(c, g, "groupType", m->groups[i].type);
        if (json_array_append_new(list, g) != 0)
            c->fail++;
    }
    put(c, ud, "groupList", list);
}

/* userName when the doc has none: the split fields joined. */
static void render_default_user_name(cctx *c, json_t *ud)
{
    if (json_object_get(ud, "userName") == NULL)
        rebuild_user_name(c, ud, NULL);
    if (json_is_string(json_object_get(ud, "userName")) &&
        json_string_length(json_object_get(ud, "userName")) == 0)
        json_object_del(ud, "userName");
}

/* Adds the derived members to ud (the stored userDetails already copied). */
static void render_details(cctx *c, const profile_view *v, json_t *ud,
                           const char *user_uri, const char *image_uri)
{
    const pd_user *u = v->user;
    const pd_membership *m = v->membership;
    bool is_admin = m != NULL && m->is_admin;
    json_t *granular;

    render_default_user_name(c, ud);
    put_str(c, ud, "userId", u->id);
    put_str(c, ud, "userType", "CompanyUser");
    put_str(c, ud, "isAdmin", is_admin ? "true" : "false");
    put_str(c, ud, "userStatus", u->status);
    put_str(c, ud, "uri", user_uri);
    put_str(c, ud, "email", u->email);
    put_date(c, ud, "createdDateTime", u->created);
    if (m != NULL && m->permission_profile_id != NULL) {
        put_str(c, ud, "permissionProfileId", m->permission_profile_id);
        put_str(c, ud, "permissionProfileName", m->permission_profile_name);
    }
    granular = render_granular(c, json_object_get(ud, "accountManagementGranular"), is_admin);
    json_object_del(ud, "accountManagementGranular");
    if (granular != NULL && !c->pv->granular_in_settings)
        put(c, ud, "accountManagementGranular", json_incref(granular));
    render_settings(c, ud, granular, is_admin);
    json_decref(granular);
    render_groups(c, ud, m);
    put_date(c, ud, "lastLogin", u->last_login);
    if (c->pv->default_account_id)
        put_str(c, ud, "defaultAccountId", v->default_account_id);
    if (c->pv->added_to_account && m != NULL)
        put_date(c, ud, "userAddedToAccountDateTime", m->added);
    put_str(c, ud, "profileImageUri", image_uri);
    put_date(c, ud, "userProfileLastModifiedDate", u->modified);
}

static void render_defaults(cctx *c, json_t *res)
{
    json_t *usage;
    size_t i;

    for (i = 0; i < sizeof(DISPLAY_FLAGS) / sizeof(DISPLAY_FLAGS[0]); i++)
        if (json_object_get(res, DISPLAY_FLAGS[i]) == NULL)
            put_str(c, res, DISPLAY_FLAGS[i], "true");
    if (json_object_get(res, "address") == NULL)
        put(c, res, "address", oom(c, json_object()));
    if (json_object_get(res, "authenticationMethods") == NULL)
        put(c, res, "authenticationMethods", oom(c, json_array()));
    usage = json_object_get(res, "usageHistory");
    if (usage == NULL) {
        usage = oom(c, json_object());
        put(c, res, "usageHistory", usage);
    }
    if (usage == NULL)
        return;
    if (json_object_get(usage, "sentCount") == NULL)
        put(c, usage, "sentCount", copy_count(c, 0));
    if (json_object_get(usage, "signedCount") == NULL)
        put(c, usage, "signedCount", copy_count(c, 0));
}

json_t *profile_render(const profile_view *v)
{
    cctx c = { KU | KI, true, NULL, 0, false, false };
    json_t *doc = NULL, *res = NULL, *ud;
    char *user_uri = NULL, *image_uri = NULL;
    const char *base;
    json_error_t jerr;

    if (v == NULL || v->user == NULL)
        return NULL;
    c.pv = profile_version_of(v->api);
    base = v->base_path != NULL ? v->base_path : "";
    doc = v->user->profile_json != NULL
          ? json_load_str(v->user->profile_json, 0, &jerr)
          : json_object();
    if (!json_is_object(doc))
        goto fail;
    res = json_object();
    if (res == NULL)
        goto fail;
    copy_fields(&c, res, doc, &TOP);
    render_defaults(&c, res);
    if (v->account != NULL && v->account->id != NULL && v->user->id != NULL) {
        if (asprintf(&user_uri, "%s/accounts/%s/users/%s", base, v->account->id, v->user->id) < 0) {
            user_uri = NULL;
            goto fail;
        }
        if (v->user->has_image && asprintf(&image_uri, "%s/profile/image", user_uri) < 0) {
            image_uri = NULL;
            goto fail;
        }
    }
    ud = json_object_get(res, "userDetails");
    if (ud == NULL) {
        ud = json_object();
        put(&c, res, "userDetails", ud);
        if (c.fail)
            goto fail;              /* ud was released by the failed set */
    }
    render_details(&c, v, ud, user_uri, image_uri);
    put_str(&c, res, "profileImageUri", image_uri);
    put_date(&c, res, "userProfileLastModifiedDate", v->user->modified);
    if (c.fail)
        goto fail;
    goto out;
fail:
    json_decref(res);
    res = NULL;
out:
    free(user_uri);
    free(image_uri);
    json_decref(doc);
    return res;
}
