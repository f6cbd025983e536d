/*
 * fuzz_multipart.c - libFuzzer driver for src/codec/multipart.c.
 *
 * Input layout: the bytes up to the first LF are a Content-Type value;
 * when multipart_boundary accepts it, the rest is parsed with that
 * boundary, otherwise the whole input is parsed with the boundary "b".
 * The body is copied into an exact-size heap buffer so ASan sees any read
 * past len; every returned span must lie inside it.
 *
 * Memory: the copies are allocated and freed within one call.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_span(const void *p, size_t n, const uint8_t *b, size_t len,
                       int may_be_null)
{
    const uint8_t *q = p;

    if (q == NULL) {
        if (!may_be_null || n != 0)
            abort();
        return;
    }
    if (q < b || q > b + len || n > (size_t)(b + len - q))
        abort();
}

static void parse_and_check(const uint8_t *body, size_t len, const char *bnd)
{
    uint8_t *copy = malloc(len ? len : 1);
    multipart_result r;
    char err[96];
    size_t i;

    if (copy == NULL)
        return;
    if (len)
        memcpy(copy, body, len);
    memset(err, 'x', sizeof err);         /* every failure must set a message */
    if (multipart_parse(copy, len, bnd, &r, err, sizeof err) == 0) {
        if (r.n_parts == 0 || r.n_parts > LIM_MULTIPART_PARTS)
            abort();
        for (i = 0; i < r.n_parts; i++) {
            const multipart_part *p = &r.parts[i];
            check_span(p->name, p->name_len, copy, len, 0);
            check_span(p->filename, p->filename_len, copy, len, 1);
            check_span(p->content_type, p->content_type_len, copy, len, 1);
            check_span(p->data, p->data_len, copy, len, 0);
        }
        if (multipart_pick_file(&r) == NULL)
            abort();
    } else if (r.n_parts != 0 || memchr(err, '\0', sizeof err) == NULL) {
        abort();
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    char bnd[LIM_BOUNDARY_MAX + 1];

    if (nl != NULL) {
        size_t ct_len = (size_t)(nl - data);
        char *ct = malloc(ct_len + 1);

        if (ct == NULL)
            return 0;
        memcpy(ct, data, ct_len);
        ct[ct_len] = '\0';
        if (multipart_boundary(ct, bnd) == 0) {
            size_t bl = strlen(bnd);
            if (bl == 0 || bl > LIM_BOUNDARY_MAX)
                abort();
            free(ct);
            parse_and_check(nl + 1, size - ct_len - 1, bnd);
            return 0;
        }
        free(ct);
    }
    parse_and_check(data, size, "b");
    return 0;
}
