/*
 * profile_schema.h - the member tables of the stored userProfile document,
 * shared by the two renderers of model/: profile.c (validation, merge and the
 * jansson rendering) owns the tables; profile_json.c walks the same tables to
 * write the JSON response directly.  Internal to model/: nothing outside
 * the folder includes it.  Everything here is static data; nothing is owned.
 */
#ifndef PROFILED_PROFILE_SCHEMA_H
#define PROFILED_PROFILE_SCHEMA_H

#include <stddef.h>

typedef enum {
    F_STR,          /* string, at most max characters                      */
    F_FLAG,         /* "true"/"false" (any case) or a JSON boolean          */
    F_COUNT,        /* non-negative integer or a string of digits           */
    F_DATE,         /* a date (core/strutil.h time_iso_ms); rendered at ms   */
    F_EMAIL,        /* string, simple address check                        */
    F_AUTHTYPE,     /* string from the authenticationType enumeration      */
    F_LOGINSTATUS,  /* string from the loginStatus enumeration             */
    F_OBJ,          /* object described by sub                             */
    F_OBJARRAY,     /* array of objects described by sub                   */
    F_SETTINGS,     /* nameValue array; on v2.1 (and import) also {name: value} */
    F_STRARRAY,     /* array of strings                                    */
} fkind;

/* where a field is accepted */
#define VU   0x01u  /* validated in a PUT body                         */
#define VI   0x02u  /* validated in an import record                   */
#define KU   0x04u  /* copied from a PUT body into the stored doc      */
#define KI   0x08u  /* copied from an import record / kept when stored */
#define REQ  0x10u  /* required when the enclosing object is present   */
#define NEMP 0x20u  /* must not be empty                               */
#define BOOL 0x40u  /* a JSON boolean is accepted for this string      */
#define ZIP4 0x80u  /* rendered where the version has zipPlus4 (model/profile_versions.c) */
#define ALL  (VU | VI | KU | KI)
#define IMP  (VI | KI)

struct schema;
typedef struct {
    const char *name;
    fkind kind;
    unsigned max;                   /* characters (strings) or items (arrays) */
    unsigned flags;
    const struct schema *sub;
} field;

typedef struct schema {
    const field *f;
    size_t n;
} schema;

/* The root table (userProfile) and the nameValue item table. */
extern const schema *const PROFILE_SCHEMA_TOP;
extern const schema *const PROFILE_SCHEMA_NV;

/* Byte length of the first max code points of valid UTF-8 s[0..n). */
size_t profile_utf8_prefix(const char *s, size_t n, size_t max);

#endif
