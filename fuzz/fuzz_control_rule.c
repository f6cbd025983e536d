/*
 * fuzz_control_rule.c - libFuzzer driver for the control API's fault rule
 * parser and matcher (src/control/faults.c) and the journal's redaction
 * tests (src/control/journal.c): the input is a rule as JSON, then a path
 * to match it against after the first newline.  A rule is either refused
 * with a reason or added and listed; matching never reads past the path.
 *
 * Memory: the rule table is static and cleared every call; JSON is freed here.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/faults.h"
#include "control/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const pd_route route = { "GET", "accounts/*/users/*/profile",
                                "/accounts/{accountId}/users/{userId}/profile", NULL, 0, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[4096], err[256] = "";
    const char *nl;
    json_t *spec;
    pd_request *r;
    fault_rule f;
    int id;

    if (size >= sizeof(text))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    nl = memchr(text, '\n', size);
    spec = json_loadb(text, nl ? (size_t)(nl - text) : size, JSON_DECODE_ANY, NULL);
    faults_clear();
    id = spec ? faults_add(spec, err, sizeof(err)) : -1;
    json_decref(spec);
    if (id < 0 && spec != NULL && err[0] == '\0')
        abort();                                 /* a refusal always says why */
    json_t *l = faults_list();
    if (json_array_size(json_object_get(l, "rules")) != (id > 0 ? 1u : 0u))
        abort();
    json_decref(l);
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return 0;
    r->method = "GET";
    r->url = nl ? nl + 1 : "/";
    r->route = &route;
    r->params[0] = "A";
    r->params[1] = "U";
    r->n_params = 2;
    (void)faults_match(r, &f);
    (void)journal_header_secret(r->url, text);
    (void)journal_param_secret(r->url);
    free(r);
    return 0;
}
