/*
 * import_fields.c - the helpers every record handler of the import shares
 * (import_internal.h): the problem report, the decode of a record's text
 * and the checks of its members.
 */
#include "cli/import_internal.h"

#include <stdarg.h>
#include <string.h>

#include "core/json_fastload.h"
#include "core/strutil.h"

void imp_fail(reader *rd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rd->err, rd->errlen, fmt, ap);
    va_end(ap);
}

const char *imp_get_str(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Required or optional string member with a maximum length; reports path. */
int imp_want_str(reader *rd, json_t *o, const char *path, const char *name,
                    int required, size_t max, const char **out)
{
    json_t *v = json_object_get(o, name);

    *out = NULL;
    if (v == NULL) {
        if (required)
            imp_fail(rd, "%s.%s: required", path, name);
        return required ? -1 : 0;
    }
    if (!json_is_string(v)) {
        imp_fail(rd, "%s.%s: must be a string", path, name);
        return -1;
    }
    if (json_string_length(v) == 0 && required) {
        imp_fail(rd, "%s.%s: must not be empty", path, name);
        return -1;
    }
    if (json_string_length(v) > max) {
        imp_fail(rd, "%s.%s: longer than %zu characters", path, name, max);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

int imp_want_guid(reader *rd, json_t *o, const char *path, const char *name,
                     int required, char out[LIM_ID_MAX + 1])
{
    const char *s;

    out[0] = '\0';
    if (imp_want_str(rd, o, path, name, required, LIM_ID_MAX, &s) != 0)
        return -1;
    if (s == NULL)
        return 0;
    if (!str_is_guid(s)) {
        imp_fail(rd, "%s.%s: '%s' is not a GUID (8-4-4-4-12 hex)", path, name, s);
        return -1;
    }
    str_copy(out, LIM_ID_MAX + 1, s);
    str_lower(out);
    return 0;
}

/* A secret given either in clear (`plain`, hashed on import) or as an
 * existing Argon2id hash (`hash`), never both.  0, or -1 with the problem. */
int imp_plain_or_hash(reader *rd, const char *path, const char *plain_name, const char *plain,
                         const char *hash_name, const char *hash)
{
    if (plain && hash) {
        imp_fail(rd, "%s: give either %s or %s, not both", path, plain_name, hash_name);
        return -1;
    }
    if (hash && strncmp(hash, "$argon2id$", 10) != 0) {
        imp_fail(rd, "%s.%s: must be an Argon2id hash ($argon2id$...)", path, hash_name);
        return -1;
    }
    return 0;
}

int imp_store_failed(reader *rd, pd_store *s, const char *path)
{
    return import_store_fail(s, path, rd->err, rd->errlen);
}

/* The record in rd->rec decoded into *out (got: read_record's answer):
 * 0, or -1 with the problem. */
int imp_load_record(reader *rd, const char *path, int got, json_t **out)
{
    json_error_t je;

    *out = got == 0 ? json_load_text(rd->rec, rd->rec_len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (*out != NULL)
        return 0;
    if (rd->over_limit)
        imp_fail(rd, "%s: record larger than %d bytes", path, LIM_IMPORT_RECORD_MAX);
    else if (got == -2)
        imp_fail(rd, "%s: the file ends inside this record", path);
    else
        imp_fail(rd, "%s: malformed JSON at column %d: %s", path, je.column, je.text);
    return -1;
}
