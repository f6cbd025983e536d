/*
 * import_admin.c - the Admin API sections of the import (docs/admin.md;
 * import_internal.h): organization administrators, reserved domains and
 * user identities.
 */
#include "cli/import_internal.h"

#include <string.h>

#include "core/strutil.h"

int imp_do_org_admin(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    char org[LIM_ID_MAX + 1], uid[LIM_ID_MAX + 1];

    if (imp_want_guid(rd, rec, path, "organizationId", 1, org) != 0 ||
        imp_want_guid(rd, rec, path, "userId", 1, uid) != 0)
        return -1;
    pd_org_admin a = { .organization_id = org, .user_id = uid };
    if (s->ops->upsert_org_admin(s, &a) != PD_OK)
        return imp_store_failed(rd, s, path);
    rd->st->org_admins++;
    return 0;
}

/* A domain name: labels of a-z 0-9 '-' separated by dots, at least two labels. */
static bool domain_valid(const char *d)
{
    size_t label = 0, labels = 0;

    for (const char *p = d; ; p++) {
        if (*p == '.' || *p == '\0') {
            if (label == 0 || label > 63)
                return false;
            labels++;
            label = 0;
            if (*p == '\0')
                break;
            continue;
        }
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-'))
            return false;
        label++;
    }
    return labels >= 2 && strlen(d) <= 253;
}

int imp_do_domain(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    char id[LIM_ID_MAX + 1], org[LIM_ID_MAX + 1], dom[256];
    const char *name, *status;

    if (imp_want_guid(rd, rec, path, "domainId", 1, id) != 0 ||
        imp_want_guid(rd, rec, path, "organizationId", 1, org) != 0 ||
        imp_want_str(rd, rec, path, "domain", 1, 253, &name) != 0 ||
        imp_want_str(rd, rec, path, "status", 0, 32, &status) != 0)
        return -1;
    if (!domain_valid(name)) {
        imp_fail(rd, "%s.domain: '%s' is not a domain name", path, name);
        return -1;
    }
    if (status && strcmp(status, "active") != 0 && strcmp(status, "pending") != 0 &&
        strcmp(status, "disabled") != 0) {
        imp_fail(rd, "%s.status: must be active, pending or disabled", path);
        return -1;
    }
    str_copy(dom, sizeof(dom), name);
    str_lower(dom);
    pd_org_domain d = { .id = id, .organization_id = org, .domain = dom,
                        .status = (char *)(status ? status : "active") };
    if (s->ops->upsert_org_domain(s, &d) != PD_OK)
        return imp_store_failed(rd, s, path);
    rd->st->domains++;
    return 0;
}

int imp_do_identity(reader *rd, pd_store *s, json_t *rec, const char *path)
{
    char id[LIM_ID_MAX + 1], uid[LIM_ID_MAX + 1];
    const char *provider, *immutable;

    if (imp_want_guid(rd, rec, path, "identityId", 1, id) != 0 ||
        imp_want_guid(rd, rec, path, "userId", 1, uid) != 0 ||
        imp_want_str(rd, rec, path, "providerId", 1, LIM_ID_MAX, &provider) != 0 ||
        imp_want_str(rd, rec, path, "immutableId", 1, LIM_STRING_FIELD_MAX, &immutable) != 0)
        return -1;
    pd_identity i = { .id = id, .user_id = uid, .provider_id = (char *)provider,
                      .immutable_id = (char *)immutable };
    if (s->ops->upsert_identity(s, &i) != PD_OK)
        return imp_store_failed(rd, s, path);
    rd->st->identities++;
    return 0;
}
