/*
 * test_multipart.c - unit tests for src/codec/multipart.c: boundary extraction
 * from Content-Type, parsing of one and several parts, preamble/epilogue,
 * LF-only bodies, binary data with CR LF and partial boundaries, and every
 * limit and malformation named in codec/multipart.h.
 *
 * Bodies are parsed from an exact-size heap copy so ASan catches any read
 * past len; the copy lives in a file-static holder (freed by the next parse
 * and by the group teardown) because parts point into it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "codec/multipart.h"

static unsigned char *g_body;   /* exact-size copy of the last parsed body */
static char g_err[128];

static int teardown(void **state)
{
    (void)state;
    free(g_body);
    g_body = NULL;
    return 0;
}

/* Parses (body, len) from an exact-size heap copy. */
static int parse_n(const char *body, size_t len, const char *boundary,
                   multipart_result *r)
{
    free(g_body);
    g_body = malloc(len ? len : 1);
    assert_non_null(g_body);
    if (len)
        memcpy(g_body, body, len);
    g_err[0] = '\0';
    return multipart_parse(g_body, len, boundary, r, g_err, sizeof g_err);
}

static int parse(const char *body, const char *boundary, multipart_result *r)
{
    return parse_n(body, strlen(body), boundary, r);
}

/* Span equality helper. */
static void assert_span(const void *p, size_t n, const char *want)
{
    assert_non_null(p);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

/* Asserts a parse failure whose message contains needle. */
static void assert_fails(const char *body, size_t len, const char *boundary,
                         const char *needle)
{
    multipart_result r;

    assert_int_equal(parse_n(body, len, boundary, &r), -1);
    assert_int_equal(r.n_parts, 0);
    if (strstr(g_err, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", g_err, needle);
}

/* ------------------------------------------------------------------ */

static void test_boundary_extraction(void **state)
{
    char b[LIM_BOUNDARY_MAX + 1];

    (void)state;
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=abc123", b), 0);
    assert_string_equal(b, "abc123");
    assert_int_equal(multipart_boundary("Multipart/Form-Data;BOUNDARY=x", b), 0);
    assert_string_equal(b, "x");
    assert_int_equal(multipart_boundary(
        "multipart/form-data; charset=utf-8; boundary=\"----=_Part_0 1.2\"", b), 0);
    assert_string_equal(b, "----=_Part_0 1.2");
    assert_int_equal(multipart_boundary(
        "multipart/form-data; boundary=\"a\\:b\"; charset=\"x;y\"", b), 0);
    assert_string_equal(b, "a:b");
    assert_int_equal(multipart_boundary(
        "  multipart/form-data ;  boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW  ", b), 0);
    assert_string_equal(b, "----WebKitFormBoundary7MA4YWxkTrZu0gW");
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=a;", b), 0);
    assert_string_equal(b, "a");
}

static void test_boundary_rejects(void **state)
{
    static const char *bad[] = {
        "multipart/form-data",
        "multipart/form-data;",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/mixed; boundary=abc",
        "text/plain; boundary=abc",
        "multipart/form-dataX; boundary=abc",
        "multipart/form-data boundary=abc",
        "multipart/form-data; boundary=a@b",
        "multipart/form-data; boundary=\"a@b\"",
        "multipart/form-data; boundary=\"abc",
        "multipart/form-data; boundary=\"abc \"",
        "multipart/form-data; boundary=ab\"c\"",
        "multipart/form-data; boundary=abc; boundary=abc",
        "multipart/form-data; boundary = abc",
        "multipart/form-data; =abc",
        "multipart/form-data; boundary=abc junk",
        "",
    };
    char b[LIM_BOUNDARY_MAX + 1];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (multipart_boundary(bad[i], b) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(multipart_boundary(NULL, b), -1);
}

static void test_boundary_length(void **state)
{
    char ct[200], b[LIM_BOUNDARY_MAX + 1], bnd[LIM_BOUNDARY_MAX + 2];

    (void)state;
    memset(bnd, 'x', sizeof bnd);
    bnd[LIM_BOUNDARY_MAX] = '\0';                 /* 70 chars: fine */
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", bnd);
    assert_int_equal(multipart_boundary(ct, b), 0);
    assert_int_equal(strlen(b), LIM_BOUNDARY_MAX);
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=\"%s\"", bnd);
    assert_int_equal(multipart_boundary(ct, b), 0);

    bnd[LIM_BOUNDARY_MAX] = 'x';                  /* 71 chars: rejected */
    bnd[LIM_BOUNDARY_MAX + 1] = '\0';
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", bnd);
    assert_int_equal(multipart_boundary(ct, b), -1);
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=\"%s\"", bnd);
    assert_int_equal(multipart_boundary(ct, b), -1);
}

static void test_one_part(void **state)
{
    static const char body[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\n"
        "Content-Type: image/png\r\n"
        "\r\n"
        "PNGDATA\r\n"
        "--XyZ--\r\n";
    multipart_result r;
    const multipart_part *p;

    (void)state;
    assert_int_equal(parse(body, "XyZ", &r), 0);
    assert_int_equal(r.n_parts, 1);
    p = &r.parts[0];
    assert_span(p->name, p->name_len, "file");
    assert_span(p->filename, p->filename_len, "me.png");
    assert_span(p->content_type, p->content_type_len, "image/png");
    assert_span(p->data, p->data_len, "PNGDATA");
    assert_true(p->data >= g_body && p->data + p->data_len <= g_body + sizeof body - 1);
    assert_ptr_equal(multipart_pick_file(&r), p);
}

static void test_several_parts(void **state)
{
    static const char body[] =
        "This is the preamble.\r\n"
        "--b1\r\n"
        "content-disposition: form-data; name=title\r\n"
        "\r\n"
        "Hello\r\n"
        "--b1\r\n"
        "CONTENT-DISPOSITION: Form-Data; Name=\"avatar\"; FILENAME=\"a.gif\"\r\n"
        "content-type:image/gif  \r\n"
        "X-Other: ignored\r\n"
        "\r\n"
        "GIF89a...\r\n"
        "--b1\r\n"
        "Content-Disposition: form-data; name=\"empty\"\r\n"
        "\r\n"
        "\r\n"
        "--b1--\r\n"
        "This is the epilogue, with --b1 in it.\r\n";
    multipart_result r;

    (void)state;
    assert_int_equal(parse(body, "b1", &r), 0);
    assert_int_equal(r.n_parts, 3);
    assert_span(r.parts[0].name, r.parts[0].name_len, "title");
    assert_null(r.parts[0].filename);
    assert_null(r.parts[0].content_type);
    assert_span(r.parts[0].data, r.parts[0].data_len, "Hello");
    assert_span(r.parts[1].name, r.parts[1].name_len, "avatar");
    assert_span(r.parts[1].filename, r.parts[1].filename_len, "a.gif");
    assert_span(r.parts[1].content_type, r.parts[1].content_type_len, "image/gif");
    assert_span(r.parts[1].data, r.parts[1].data_len, "GIF89a...");
    assert_span(r.parts[2].name, r.parts[2].name_len, "empty");
    assert_int_equal(r.parts[2].data_len, 0);
    assert_ptr_equal(multipart_pick_file(&r), &r.parts[1]);
}

static void test_pick_file(void **state)
{
    multipart_result r;

    (void)state;
    memset(&r, 0, sizeof r);
    assert_null(multipart_pick_file(&r));
    assert_null(multipart_pick_file(NULL));
    r.n_parts = 3;
    assert_ptr_equal(multipart_pick_file(&r), &r.parts[0]);   /* fallback */
    r.parts[2].content_type = "IMAGE/jpeg";
    r.parts[2].content_type_len = 10;
    assert_ptr_equal(multipart_pick_file(&r), &r.parts[2]);
    r.parts[1].content_type = "image";                        /* too short */
    r.parts[1].content_type_len = 5;
    assert_ptr_equal(multipart_pick_file(&r), &r.parts[2]);
    r.parts[1].filename = "x";
    r.parts[1].filename_len = 1;
    assert_ptr_equal(multipart_pick_file(&r), &r.parts[1]);
}

static void test_quoted_boundary_end_to_end(void **state)
{
    static const char body[] =
        "------=_Part_0 1.2\r\n"
        "Content-Disposition: form-data; name=\"f\"; filename=\"a\\\"b\\\\.jpg\"\r\n"
        "\r\n"
        "data\r\n"
        "------=_Part_0 1.2--";
    char b[LIM_BOUNDARY_MAX + 1];
    multipart_result r;

    (void)state;
    assert_int_equal(multipart_boundary(
        "multipart/form-data; boundary=\"----=_Part_0 1.2\"", b), 0);
    assert_int_equal(parse(body, b, &r), 0);
    assert_int_equal(r.n_parts, 1);
    /* escapes honoured for the closing quote, left in place in the span */
    assert_span(r.parts[0].filename, r.parts[0].filename_len, "a\\\"b\\\\.jpg");
    assert_span(r.parts[0].data, r.parts[0].data_len, "data");
}

static void test_lf_only(void **state)
{
    static const char body[] =
        "--b\n"
        "Content-Disposition: form-data; name=\"a\"\n"
        "\n"
        "line1\nline2\n"
        "--b\n"
        "Content-Disposition: form-data; name=\"b\"; filename=\"x.bmp\"\n"
        "Content-Type: application/octet-stream\n"
        "\n"
        "BM\n"
        "--b--\n";
    multipart_result r;

    (void)state;
    assert_int_equal(parse(body, "b", &r), 0);
    assert_int_equal(r.n_parts, 2);
    assert_span(r.parts[0].data, r.parts[0].data_len, "line1\nline2");
    assert_span(r.parts[1].data, r.parts[1].data_len, "BM");
    assert_ptr_equal(multipart_pick_file(&r), &r.parts[1]);
}

static void test_binary_data(void **state)
{
    static const char data[] =
        "\r\n--bound\r\n--boundar\n--boundaryX\r\n"
        "\0\xff\xfe\r\r\n\n--\r\n-boundary\r\n\r\n--boundary-\r\nend\r";
    static const char head[] =
        "--boundary\r\n"
        "Content-Disposition: form-data; name=\"bin\"; filename=\"b.bin\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n";
    static const char tail[] = "\r\n--boundary--\r\n";
    char body[512];
    size_t n = 0;
    multipart_result r;

    (void)state;
    memcpy(body + n, head, sizeof head - 1);
    n += sizeof head - 1;
    memcpy(body + n, data, sizeof data - 1);
    n += sizeof data - 1;
    memcpy(body + n, tail, sizeof tail - 1);
    n += sizeof tail - 1;
    assert_int_equal(parse_n(body, n, "boundary", &r), 0);
    assert_int_equal(r.n_parts, 1);
    assert_int_equal(r.parts[0].data_len, sizeof data - 1);
    assert_memory_equal(r.parts[0].data, data, sizeof data - 1);
}

static void test_empty_data_and_padding(void **state)
{
    /* blank line directly followed by the delimiter; transport padding */
    static const char body[] =
        "--b \t\r\n"
        "Content-Disposition: form-data; name=\"a\"\r\n"
        "\r\n"
        "--b\r\n"
        "Content-Disposition: form-data; name=\"c\"\r\n"
        "\r\n"
        "x\r\n"
        "--b--";
    multipart_result r;

    (void)state;
    assert_int_equal(parse(body, "b", &r), 0);
    assert_int_equal(r.n_parts, 2);
    assert_int_equal(r.parts[0].data_len, 0);
    assert_span(r.parts[1].data, r.parts[1].data_len, "x");
}

static void test_missing_delimiters(void **state)
{
    static const char no_close[] =
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ndata\r\n";
    static const char no_close2[] =
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ndata\r\n--b\r\n"
        "Content-Disposition: form-data; name=\"c\"\r\n\r\nmore";
    static const char trunc_hdr[] =
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n";
    static const char wrong[] =
        "--c\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--c--\r\n";
    static const char mid_line[] =
        "x--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\nx--b--\r\n";

    (void)state;
    assert_fails(no_close, sizeof no_close - 1, "b", "closing");
    assert_fails(no_close2, sizeof no_close2 - 1, "b", "closing");
    assert_fails(trunc_hdr, sizeof trunc_hdr - 1, "b", "truncated");
    assert_fails(wrong, sizeof wrong - 1, "b", "missing boundary");
    assert_fails(mid_line, sizeof mid_line - 1, "b", "missing boundary");
    assert_fails("", 0, "b", "missing boundary");
    assert_fails("--b--\r\n", 7, "b", "no parts");
    assert_fails("--b\r\n", 5, "b", "truncated");
}

static void test_header_limit(void **state)
{
    static const char cd[] = "Content-Disposition: form-data; name=\"a\"\r\n";
    static char body[LIM_MULTIPART_HEADER_BYTES + 256];
    size_t n, fill, block;
    multipart_result r;

    (void)state;
    /* header block of exactly LIM bytes: cd line + one filler line */
    fill = LIM_MULTIPART_HEADER_BYTES - (sizeof cd - 1);
    n = 0;
    memcpy(body, "--b\r\n", 5);
    n = 5;
    memcpy(body + n, cd, sizeof cd - 1);
    n += sizeof cd - 1;
    memcpy(body + n, "X-F: ", 5);
    memset(body + n + 5, 'f', fill - 7);
    memcpy(body + n + fill - 2, "\r\n", 2);
    n += fill;
    block = n - 5;
    assert_int_equal(block, LIM_MULTIPART_HEADER_BYTES);
    memcpy(body + n, "\r\nz\r\n--b--", 10);
    assert_int_equal(parse_n(body, n + 10, "b", &r), 0);
    assert_span(r.parts[0].data, r.parts[0].data_len, "z");

    /* one byte more: rejected */
    memmove(body + n - 1, body + n - 2, 12);       /* insert one 'f' */
    body[n - 2] = 'f';
    assert_fails(body, n + 11, "b", "too large");

    /* LF-only endings: a block of LIM bytes passes, LIM + 1 does not */
    n = 0;
    memcpy(body, "--b\n", 4);
    n = 4;
    memcpy(body + n, cd, sizeof cd - 3);
    n += sizeof cd - 3;
    body[n++] = '\n';
    fill = LIM_MULTIPART_HEADER_BYTES - (n - 4);
    memcpy(body + n, "X-F: ", 5);
    memset(body + n + 5, 'f', fill - 6);
    body[n + fill - 1] = '\n';
    n += fill;
    assert_int_equal(n - 4, LIM_MULTIPART_HEADER_BYTES);
    memcpy(body + n, "\nz\n--b--", 8);
    assert_int_equal(parse_n(body, n + 8, "b", &r), 0);
    assert_span(r.parts[0].data, r.parts[0].data_len, "z");
    memmove(body + n, body + n - 1, 9);            /* insert one 'f' */
    body[n - 1] = 'f';
    assert_fails(body, n + 9, "b", "too large");

    /* a single huge line without any LF */
    memcpy(body, "--b\r\nX-Long: ", 13);
    memset(body + 13, 'a', sizeof body - 13);
    assert_fails(body, sizeof body, "b", "too large");
}

static void test_too_many_parts(void **state)
{
    static const char part[] =
        "--b\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n";
    char body[(sizeof part) * (LIM_MULTIPART_PARTS + 2) + 16];
    size_t n = 0, i;
    multipart_result r;

    (void)state;
    for (i = 0; i < LIM_MULTIPART_PARTS; i++) {
        memcpy(body + n, part, sizeof part - 1);
        n += sizeof part - 1;
    }
    memcpy(body + n, "--b--\r\n", 7);
    assert_int_equal(parse_n(body, n + 7, "b", &r), 0);
    assert_int_equal(r.n_parts, LIM_MULTIPART_PARTS);
    for (i = 0; i < LIM_MULTIPART_PARTS; i++)
        assert_span(r.parts[i].data, r.parts[i].data_len, "v");

    memcpy(body + n, part, sizeof part - 1);
    n += sizeof part - 1;
    memcpy(body + n, "--b--\r\n", 7);
    assert_fails(body, n + 7, "b", "too many parts");
}

static void test_long_boundary_rejected(void **state)
{
    char bnd[LIM_BOUNDARY_MAX + 2];
    char body[256];
    multipart_result r;
    int n;

    (void)state;
    memset(bnd, 'q', sizeof bnd);
    bnd[LIM_BOUNDARY_MAX + 1] = '\0';             /* 71 chars */
    n = snprintf(body, sizeof body,
                 "--%s\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--%s--",
                 bnd, bnd);
    assert_true(n > 0 && (size_t)n < sizeof body);
    assert_fails(body, (size_t)n, bnd, "invalid boundary");
    bnd[LIM_BOUNDARY_MAX] = '\0';                 /* 70 chars: accepted */
    n = snprintf(body, sizeof body,
                 "--%s\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--%s--",
                 bnd, bnd);
    assert_int_equal(parse_n(body, (size_t)n, bnd, &r), 0);
    assert_fails(body, (size_t)n, "", "invalid boundary");
    assert_fails(body, (size_t)n, "a\nb", "invalid boundary");
    assert_int_equal(multipart_parse((const unsigned char *)body, (size_t)n, NULL,
                                     &r, NULL, 0), -1);
    assert_int_equal(multipart_parse((const unsigned char *)body, (size_t)n, bnd,
                                     NULL, NULL, 0), -1);
}

static void test_bad_part_headers(void **state)
{
    static const struct { const char *body; const char *why; } cases[] = {
        { "--b\r\nContent-Type: image/png\r\n\r\nx\r\n--b--", "no Content-Disposition" },
        { "--b\r\n\r\nx\r\n--b--", "no Content-Disposition" },
        { "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--", "not form-data" },
        { "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", "no name" },
        { "--b\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--b--", "no name" },
        { "--b\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nx\r\n--b--", "Content-Disposition" },
        { "--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--", "Content-Disposition" },
        { "--b\r\nContent-Disposition: form-data; name=\"a\\\"\r\n\r\nx\r\n--b--", "Content-Disposition" },
        { "--b\r\nContent-Disposition: form-data; name=\r\n\r\nx\r\n--b--", "Content-Disposition" },
        { "--b\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n--b--", "Content-Disposition" },
        { "--b\r\nContent-Disposition: form-data, name=\"a\"\r\n\r\nx\r\n--b--", "Content-Disposition" },
        { "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n"
          "Content-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--", "duplicate" },
        { "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n"
          "Content-Type: a/b\r\nContent-Type: c/d\r\n\r\nx\r\n--b--", "Content-Type" },
        { "--b\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Type:  \r\n\r\nx\r\n--b--", "Content-Type" },
        { "--b\r\nContent-Type: image/png;\r\n charset=x\r\n"
          "Content-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--", "folded" },
        { "--b\r\nContent-Disposition form-data; name=\"a\"\r\n\r\nx\r\n--b--", "malformed part header" },
        { "--b\r\n: x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--", "malformed part header" },
        { "--b\r\nContent-Disposition: form-data; name=\"a\x01\"\r\n\r\nx\r\n--b--", "control" },
        { "--b\r\nContent-Disposition: form-data; name=\"a\"\rX: y\r\n\r\nx\r\n--b--", "control" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        multipart_result r;
        if (parse(cases[i].body, "b", &r) != -1)
            fail_msg("case %zu accepted", i);
        if (strstr(g_err, cases[i].why) == NULL)
            fail_msg("case %zu: error \"%s\", want \"%s\"", i, g_err, cases[i].why);
        assert_int_equal(r.n_parts, 0);
    }
}

static void test_disposition_variants(void **state)
{
    static const char body[] =
        "--b\r\n"
        "Content-Disposition:form-data ; name = \"a b\" ;filename=pic.jpg;"
        " filename*=UTF-8''p%C3%AF.jpg; size=3;\r\n"
        "\r\n"
        "abc\r\n"
        "--b--";
    multipart_result r;

    (void)state;
    assert_int_equal(parse(body, "b", &r), 0);
    assert_span(r.parts[0].name, r.parts[0].name_len, "a b");
    assert_span(r.parts[0].filename, r.parts[0].filename_len, "pic.jpg");
    assert_null(r.parts[0].content_type);
    assert_span(r.parts[0].data, r.parts[0].data_len, "abc");
    /* empty quoted name is a name */
    assert_int_equal(parse("--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n\r\n--b--",
                           "b", &r), 0);
    assert_non_null(r.parts[0].name);
    assert_int_equal(r.parts[0].name_len, 0);
}

static void test_err_optional(void **state)
{
    static const char body[] = "no multipart here";
    multipart_result r;
    char small[4];

    (void)state;
    assert_int_equal(multipart_parse((const unsigned char *)body, sizeof body - 1,
                                     "b", &r, NULL, 0), -1);
    assert_int_equal(multipart_parse((const unsigned char *)body, sizeof body - 1,
                                     "b", &r, small, sizeof small), -1);
    assert_int_equal(strlen(small), 3);           /* truncated, terminated */
    assert_int_equal(multipart_parse(NULL, 0, "b", &r, NULL, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundary_extraction),
        cmocka_unit_test(test_boundary_rejects),
        cmocka_unit_test(test_boundary_length),
        cmocka_unit_test(test_one_part),
        cmocka_unit_test(test_several_parts),
        cmocka_unit_test(test_pick_file),
        cmocka_unit_test(test_quoted_boundary_end_to_end),
        cmocka_unit_test(test_lf_only),
        cmocka_unit_test(test_binary_data),
        cmocka_unit_test(test_empty_data_and_padding),
        cmocka_unit_test(test_missing_delimiters),
        cmocka_unit_test(test_header_limit),
        cmocka_unit_test(test_too_many_parts),
        cmocka_unit_test(test_long_boundary_rejected),
        cmocka_unit_test(test_bad_part_headers),
        cmocka_unit_test(test_disposition_variants),
        cmocka_unit_test(test_err_optional),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
