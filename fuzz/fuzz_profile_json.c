/*
 * fuzz_profile_json.c - libFuzzer driver comparing the two renderings of a
 * GET profile response: the input (after one byte of options) is taken as
 * the stored document, rendered by model/profile_json.c (the direct JSON
 * writer) and by json_dumps(profile_render()) (the jansson tree).
 * Invariant: when the direct writer answers, its bytes are exactly the
 * tree's (and the tree rendered too); it may decline any input.
 *
 * Memory: everything allocated per input is released before returning.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pd_user u;
    pd_account a;
    pd_membership m;
    pd_group g = { (char *)"1", (char *)"Everyone", (char *)"EveryoneGroup" };
    profile_view v;
    char *doc, *want = NULL, *got;
    json_t *tree;
    size_t len = 0;

    if (size < 1 || size > 64 * 1024)
        return 0;
    doc = malloc(size);
    if (doc == NULL)
        return 0;
    memcpy(doc, data + 1, size - 1);
    doc[size - 1] = '\0';
    memset(&u, 0, sizeof(u));
    memset(&a, 0, sizeof(a));
    memset(&m, 0, sizeof(m));
    u.id = (char *)"9a8b7c6d-0000-4000-8000-000000000001";
    u.email = (char *)"ann@example.com";
    u.status = (char *)"Active";
    u.created = (char *)"2024-01-02T03:04:05Z";
    u.modified = (char *)"2024-05-06T07:08:09.5+02:00";
    u.last_login = (data[0] & 8) ? (char *)"2024-02-03T04:05:06Z" : NULL;
    u.profile_json = doc;
    u.has_image = (data[0] & 2) != 0;
    a.id = (char *)"11111111-2222-3333-4444-555555555555";
    m.is_admin = (data[0] & 1) != 0;
    m.groups = &g;
    m.n_groups = 1;
    m.added = (char *)"2023-09-10T11:12:13Z";
    if (data[0] & 4) {
        m.permission_profile_id = (char *)"7";
        m.permission_profile_name = (char *)"DocuSign Sender";
    }
    memset(&v, 0, sizeof(v));
    v.user = &u;
    v.account = &a;
    v.membership = (data[0] & 16) ? NULL : &m;
    v.api = (data[0] & 32) ? PROFILE_API_V21 : PROFILE_API_V2;
    v.base_path = "/restapi/v2.1";
    v.default_account_id = (data[0] & 64) ? a.id : NULL;

    got = profile_render_json(&v, &len);
    if (got != NULL) {
        tree = profile_render(&v);
        if (tree != NULL)
            want = json_dumps(tree, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(tree);
        if (want == NULL || strlen(got) != len || strcmp(want, got) != 0)
            abort();
    }
    free(want);
    free(got);
    free(doc);
    return 0;
}
