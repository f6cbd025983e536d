/*
 * fuzz_profile_body.c - libFuzzer driver for a PUT profile body, the way
 * esign/profile.c handles it: the first byte picks JSON (bounded decode) or XML
 * (xml_to_json), then validation, and for a valid body the merge into a new
 * document and both renderings (JSON text and DocuSign XML).  Invariants: a
 * validated merge never fails, and its XML rendering always comes back; and
 * merged once more into a canonical copy of the result, in place
 * (profile_merge_into, as PUT profile does with the memo's tree), the body
 * gives the same bytes as the copying merge.
 *
 * Memory: everything allocated per input is released before returning.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "core/limits.h"
#include "model/profile.h"
#include "codec/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256], *root = NULL, *xml = NULL, *text = NULL, *a = NULL, *b = NULL;
    json_t *body, *base = NULL, *merged = NULL, *copied = NULL, *inplace = NULL;
    bool canonical = false;
    pd_errbuf eb;
    size_t len;

    if (size < 1 || size > 64 * 1024)
        return 0;
    if (data[0] & 1)
        body = xml_to_json((const char *)data + 1, size - 1, &root, err, sizeof(err));
    else
        body = json_decode_bounded((const char *)data + 1, size - 1, LIM_JSON_DEPTH, err, sizeof(err));
    free(root);
    if (body == NULL)
        return 0;
    pd_errbuf_init(&eb);
    if (json_is_object(body) &&
        profile_validate_update(body, (data[0] & 2) ? PROFILE_API_V21 : PROFILE_API_V2, &eb) == PD_OK) {
        base = profile_new_doc();
        merged = profile_merge_canon(base, body, &canonical);
        if (merged == NULL)
            abort();
        /* a copy is canonical; the body merged into it twice over */
        inplace = profile_merge_canon(merged, NULL, &canonical);
        if (inplace == NULL || !canonical)
            abort();
        copied = profile_merge(inplace, body);
        if (copied == NULL || !profile_merge_into(inplace, body, NULL))
            abort();
        a = json_dumps(copied, JSON_COMPACT | JSON_PRESERVE_ORDER);
        b = json_dumps(inplace, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (a == NULL || b == NULL || strcmp(a, b) != 0)
            abort();
        text = json_dumps(merged, JSON_COMPACT);
        xml = xml_from_json("userProfile", merged, &len);
        if (text == NULL || xml == NULL)
            abort();
    }
    free(text);
    free(xml);
    free(a);
    free(b);
    json_decref(copied);
    json_decref(inplace);
    json_decref(merged);
    json_decref(base);
    json_decref(body);
    return 0;
}
