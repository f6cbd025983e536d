/*
 * test_image.c - unit tests for src/model/image.c: minimal gif/png/jpeg/bmp
 * images built here byte by byte, their dimensions, truncations, text
 * files, empty input and JPEG marker walking.
 *
 * Every call to the code under test goes through a heap copy of exactly
 * len bytes, so ASan reports any read past len.
 *
 * Memory: each builder fills a caller-owned fixed buffer; the exact-size
 * copies are freed by the helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/image.h"

#define BUF_MAX 1024

/* ---- exact-size wrappers ---- */

static image_kind sniff(const unsigned char *p, size_t len)
{
    unsigned char *c = malloc(len ? len : 1);
    image_kind k;

    assert_non_null(c);
    if (len)
        memcpy(c, p, len);
    k = image_sniff(c, len);
    free(c);
    return k;
}

static int dims(const unsigned char *p, size_t len, unsigned *w, unsigned *h)
{
    unsigned char *c = malloc(len ? len : 1);
    int rc;

    assert_non_null(c);
    if (len)
        memcpy(c, p, len);
    rc = image_dimensions(c, len, w, h);
    free(c);
    return rc;
}

/* ---- builders ---- */

static void put_le16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put_le32(unsigned char *p, uint32_t v)
{
    put_le16(p, v & 0xFFFF);
    put_le16(p + 2, v >> 16);
}

static void put_be16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    put_be16(p, v >> 16);
    put_be16(p + 2, v & 0xFFFF);
}

/* A complete 1-colour GIF89a of w x h (image data for 1x1). */
static size_t make_gif(unsigned char *b, unsigned w, unsigned h)
{
    static const unsigned char tail[] = {
        0x80, 0x00, 0x00,                       /* GCT flag, bg, aspect */
        0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,     /* 2-colour table */
        0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0x00,     /* image descriptor */
        0x02, 0x02, 0x44, 0x01, 0x00,           /* LZW data */
        0x3B                                    /* trailer */
    };
    memcpy(b, "GIF89a", 6);
    put_le16(b + 6, w);
    put_le16(b + 8, h);
    memcpy(b + 10, tail, sizeof tail);
    return 10 + sizeof tail;
}

static void png_chunk(unsigned char *b, size_t *o, const char *type,
                      const unsigned char *data, uint32_t n)
{
    put_be32(b + *o, n);
    memcpy(b + *o + 4, type, 4);
    if (n)
        memcpy(b + *o + 8, data, n);
    put_be32(b + *o + 8 + n, 0);            /* CRC is not checked */
    *o += 12 + n;
}

static size_t make_png(unsigned char *b, uint32_t w, uint32_t h)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A };
    static const unsigned char idat[] = { 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01 };
    unsigned char ihdr[13];
    size_t o = 8;

    memcpy(b, sig, 8);
    put_be32(ihdr, w);
    put_be32(ihdr + 4, h);
    ihdr[8] = 8; ihdr[9] = 0; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
    png_chunk(b, &o, "IHDR", ihdr, 13);
    png_chunk(b, &o, "IDAT", idat, sizeof idat);
    png_chunk(b, &o, "IEND", NULL, 0);
    return o;
}

static void jpeg_seg(unsigned char *b, size_t *o, unsigned marker,
                     const unsigned char *data, unsigned n)
{
    b[*o] = 0xFF;
    b[*o + 1] = (unsigned char)marker;
    put_be16(b + *o + 2, n + 2);
    if (n)
        memcpy(b + *o + 4, data, n);
    *o += 4 + n;
}

enum { JPG_DHT_FIRST = 1, JPG_DAC_FIRST = 2, JPG_FILL = 4, JPG_SOS_FIRST = 8 };

/* Baseline-looking JPEG: SOI APP0 DQT [DHT] [DAC] SOFn DHT SOS data EOI. */
static size_t make_jpeg(unsigned char *b, unsigned sof, unsigned w, unsigned h,
                        unsigned flags)
{
    static const unsigned char jfif[] = { 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0 };
    static const unsigned char dht[] = {
        0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00
    };
    static const unsigned char dac[] = { 0x00, 0x10 };
    static const unsigned char sos[] = { 1, 1, 0x00, 0, 63, 0 };
    static const unsigned char scan[] = { 0xF8, 0x00, 0xFF, 0x00, 0x12, 0xFF, 0xD0, 0x34 };
    unsigned char dqt[65], frame[9];
    size_t o = 2;

    b[0] = 0xFF;
    b[1] = 0xD8;
    jpeg_seg(b, &o, 0xE0, jfif, sizeof jfif);
    memset(dqt, 1, sizeof dqt);
    dqt[0] = 0;
    jpeg_seg(b, &o, 0xDB, dqt, sizeof dqt);
    if (flags & JPG_DHT_FIRST)
        jpeg_seg(b, &o, 0xC4, dht, sizeof dht);
    if (flags & JPG_DAC_FIRST)
        jpeg_seg(b, &o, 0xCC, dac, sizeof dac);
    if (flags & JPG_SOS_FIRST)
        jpeg_seg(b, &o, 0xDA, sos, sizeof sos);
    if (flags & JPG_FILL) {
        b[o++] = 0xFF;
        b[o++] = 0xFF;
    }
    frame[0] = 8;
    put_be16(frame + 1, h);
    put_be16(frame + 3, w);
    frame[5] = 1; frame[6] = 1; frame[7] = 0x11; frame[8] = 0;
    jpeg_seg(b, &o, sof, frame, sizeof frame);
    jpeg_seg(b, &o, 0xC4, dht, sizeof dht);
    jpeg_seg(b, &o, 0xDA, sos, sizeof sos);
    memcpy(b + o, scan, sizeof scan);
    o += sizeof scan;
    b[o++] = 0xFF;
    b[o++] = 0xD9;
    return o;
}

/* BMP, 24-bit, with a DIB header of hsize bytes (12 = core, else 40+). */
static size_t make_bmp(unsigned char *b, uint32_t hsize, int32_t w, int32_t h)
{
    uint32_t off = 14 + hsize;
    uint32_t ah = (uint32_t)(h < 0 ? -h : h);
    uint32_t row = ((uint32_t)w * 3 + 3) & ~3u;
    uint32_t total = off + row * ah;

    memset(b, 0, total);
    b[0] = 'B';
    b[1] = 'M';
    put_le32(b + 2, total);
    put_le32(b + 10, off);
    put_le32(b + 14, hsize);
    if (hsize == 12) {
        put_le16(b + 18, (unsigned)w);
        put_le16(b + 20, ah);
        put_le16(b + 22, 1);
        put_le16(b + 24, 24);
    } else {
        put_le32(b + 18, (uint32_t)w);
        put_le32(b + 22, (uint32_t)h);
        put_le16(b + 26, 1);
        put_le16(b + 28, 24);
    }
    return total;
}

/* ---- tests ---- */

static void test_mime(void **state)
{
    (void)state;
    assert_string_equal(image_mime(IMG_GIF), "image/gif");
    assert_string_equal(image_mime(IMG_PNG), "image/png");
    assert_string_equal(image_mime(IMG_JPEG), "image/jpeg");
    assert_string_equal(image_mime(IMG_BMP), "image/bmp");
    assert_null(image_mime(IMG_UNKNOWN));
    assert_null(image_mime((image_kind)42));
}

static void test_gif(void **state)
{
    unsigned char b[BUF_MAX];
    unsigned w = 0, h = 0;
    size_t n = make_gif(b, 79, 80);

    (void)state;
    assert_int_equal(sniff(b, n), IMG_GIF);
    assert_int_equal(dims(b, n, &w, &h), 0);
    assert_int_equal(w, 79);
    assert_int_equal(h, 80);
    b[4] = '7';                                   /* GIF87a */
    assert_int_equal(sniff(b, n), IMG_GIF);
    assert_int_equal(sniff(b, 13), IMG_GIF);     /* header + LSD suffice */
    b[4] = '8';                                   /* GIF88a: no such version */
    assert_int_equal(sniff(b, n), IMG_UNKNOWN);
    n = make_gif(b, 0, 5);
    assert_int_equal(dims(b, n, &w, &h), -1);
}

static void test_png(void **state)
{
    unsigned char b[BUF_MAX];
    unsigned w = 0, h = 0;
    size_t n = make_png(b, 79, 300);

    (void)state;
    assert_int_equal(sniff(b, n), IMG_PNG);
    assert_int_equal(dims(b, n, &w, &h), 0);
    assert_int_equal(w, 79);
    assert_int_equal(h, 300);
    assert_int_equal(sniff(b, 33), IMG_PNG);     /* sig + whole IHDR */
    /* wrong IHDR length or type */
    put_be32(b + 8, 14);
    assert_int_equal(sniff(b, n), IMG_UNKNOWN);
    n = make_png(b, 1, 1);
    memcpy(b + 12, "IDAT", 4);
    assert_int_equal(sniff(b, n), IMG_UNKNOWN);
    /* signature with its CR LF mangled by a text-mode transfer */
    n = make_png(b, 1, 1);
    b[4] = 0x0A;
    assert_int_equal(sniff(b, n), IMG_UNKNOWN);
    /* dimensions out of the PNG range */
    n = make_png(b, 0x80000000u, 1);
    assert_int_equal(sniff(b, n), IMG_PNG);
    assert_int_equal(dims(b, n, &w, &h), -1);
    n = make_png(b, 5, 0);
    assert_int_equal(dims(b, n, &w, &h), -1);
}

static void test_jpeg(void **state)
{
    unsigned char b[BUF_MAX];
    unsigned w = 0, h = 0;
    size_t n = make_jpeg(b, 0xC0, 79, 81, 0);

    (void)state;
    assert_int_equal(sniff(b, n), IMG_JPEG);
    assert_int_equal(dims(b, n, &w, &h), 0);
    assert_int_equal(w, 79);
    assert_int_equal(h, 81);
}

/* SOF0..SOF15 carry the frame size; DHT (C4), JPG (C8), DAC (CC) do not. */
static void test_jpeg_sof_variants(void **state)
{
    static const unsigned sofs[] = {
        0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF
    };
    unsigned char b[BUF_MAX];
    unsigned w, h;
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof sofs / sizeof sofs[0]; i++) {
        w = h = 0;
        n = make_jpeg(b, sofs[i], 640, 480, JPG_DHT_FIRST | JPG_DAC_FIRST | JPG_FILL);
        assert_int_equal(sniff(b, n), IMG_JPEG);
        assert_int_equal(dims(b, n, &w, &h), 0);
        assert_int_equal(w, 640);
        assert_int_equal(h, 480);
    }
    /* DHT before the frame must not be taken for SOF4 */
    n = make_jpeg(b, 0xC2, 123, 45, JPG_DHT_FIRST);
    assert_int_equal(dims(b, n, &w, &h), 0);
    assert_int_equal(w, 123);
    assert_int_equal(h, 45);
    /* C8 (JPG extension) is not a frame header: walk reaches SOS, fails */
    n = make_jpeg(b, 0xC8, 10, 10, 0);
    assert_int_equal(sniff(b, n), IMG_JPEG);
    assert_int_equal(dims(b, n, &w, &h), -1);
}

static void test_jpeg_walk_failures(void **state)
{
    unsigned char b[BUF_MAX];
    unsigned w = 7, h = 7;
    size_t n;

    (void)state;
    /* SOS before any SOF */
    n = make_jpeg(b, 0xC0, 10, 10, JPG_SOS_FIRST);
    assert_int_equal(sniff(b, n), IMG_JPEG);
    assert_int_equal(dims(b, n, &w, &h), -1);
    assert_int_equal(w, 7);                      /* untouched on failure */
    /* height 0 (DNL) */
    n = make_jpeg(b, 0xC0, 10, 0, 0);
    assert_int_equal(dims(b, n, &w, &h), -1);
    /* a segment length that runs past the data */
    n = make_jpeg(b, 0xC0, 10, 10, 0);
    put_be16(b + 4, 0xFFF0);                     /* APP0 length */
    assert_int_equal(sniff(b, n), IMG_JPEG);
    assert_int_equal(dims(b, n, &w, &h), -1);
    /* segment length < 2 */
    n = make_jpeg(b, 0xC0, 10, 10, 0);
    put_be16(b + 4, 1);
    assert_int_equal(dims(b, n, &w, &h), -1);
    /* garbage where a marker should be */
    n = make_jpeg(b, 0xC0, 10, 10, 0);
    b[2 + 4 + 14] = 0x00;                        /* byte after APP0 */
    assert_int_equal(dims(b, n, &w, &h), -1);
}

static void test_jpeg_eoi_rules(void **state)
{
    static const unsigned char soi_eoi[] = { 0xFF, 0xD8, 0xFF, 0xD9 };
    static const unsigned char soi_eoi_pad[] = { 0xFF, 0xD8, 0xFF, 0xD9, 0x00, 0x00 };
    static const unsigned char tiny[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xD9 };
    unsigned char b[BUF_MAX];
    size_t n = make_jpeg(b, 0xC0, 10, 10, 0);
    size_t i;
    unsigned w, h;

    (void)state;
    /* truncated: no EOI */
    assert_int_equal(sniff(b, n - 1), IMG_UNKNOWN);
    assert_int_equal(sniff(b, n - 2), IMG_UNKNOWN);
    assert_int_equal(sniff(b, n / 2), IMG_UNKNOWN);
    /* up to 30 trailing bytes after EOI tolerated, more rejected */
    memset(b + n, 0, 64);
    assert_int_equal(sniff(b, n + 1), IMG_JPEG);
    assert_int_equal(sniff(b, n + 30), IMG_JPEG);
    assert_int_equal(dims(b, n + 30, &w, &h), 0);
    assert_int_equal(sniff(b, n + 31), IMG_UNKNOWN);
    b[n] = '\r';
    b[n + 1] = '\n';
    assert_int_equal(sniff(b, n + 2), IMG_JPEG);
    /* SOI immediately followed by EOI is not an image */
    assert_int_equal(sniff(soi_eoi, sizeof soi_eoi), IMG_UNKNOWN);
    assert_int_equal(sniff(soi_eoi_pad, sizeof soi_eoi_pad), IMG_UNKNOWN);
    assert_int_equal(sniff(soi_eoi_pad, 5), IMG_UNKNOWN);
    assert_int_equal(sniff(tiny, sizeof tiny), IMG_JPEG);
    assert_int_equal(dims(tiny, sizeof tiny, &w, &h), -1);
    /* must start FF D8 FF */
    n = make_jpeg(b, 0xC0, 10, 10, 0);
    b[2] = 0x00;
    assert_int_equal(sniff(b, n), IMG_UNKNOWN);
    for (i = 0; i < 5; i++)
        assert_int_equal(sniff(b, i), IMG_UNKNOWN);
}

static void test_bmp(void **state)
{
    unsigned char b[BUF_MAX];
    unsigned w = 0, h = 0;
    size_t n = make_bmp(b, 40, 3, 2);

    (void)state;
    assert_int_equal(sniff(b, n), IMG_BMP);
    assert_int_equal(dims(b, n, &w, &h), 0);
    assert_int_equal(w, 3);
    assert_int_equal(h, 2);
    /* top-down rows: negative height */
    n = make_bmp(b, 124, 5, -4);
    assert_int_equal(sniff(b, n), IMG_BMP);
    assert_int_equal(dims(b, n, &w, &h), 0);
    assert_int_equal(w, 5);
    assert_int_equal(h, 4);
    /* OS/2 core header */
    n = make_bmp(b, 12, 6, 7);
    assert_int_equal(sniff(b, n), IMG_BMP);
    assert_int_equal(dims(b, n, &w, &h), 0);
    assert_int_equal(w, 6);
    assert_int_equal(h, 7);
    /* trailing bytes beyond the file size are fine */
    n = make_bmp(b, 40, 3, 2);
    assert_int_equal(sniff(b, n + 10), IMG_BMP);
}

static void test_bmp_bad_headers(void **state)
{
    unsigned char b[BUF_MAX];
    unsigned w, h;
    size_t n;

    (void)state;
    n = make_bmp(b, 40, 3, 2);
    put_le32(b + 2, (uint32_t)n + 1);            /* file size > len */
    assert_int_equal(sniff(b, n), IMG_UNKNOWN);
    put_le32(b + 2, 0);                          /* file size 0 */
    assert_int_equal(sniff(b, n), IMG_UNKNOWN);
    n = make_bmp(b, 40, 3, 2);
    put_le32(b + 14, 11);                        /* header size < 12 */
    assert_int_equal(sniff(b, n), IMG_UNKNOWN);
    put_le32(b + 14, 0xFFFFFFF0u);               /* header size absurd */
    assert_int_equal(sniff(b, n), IMG_UNKNOWN);
    n = make_bmp(b, 40, 3, 2);
    put_le32(b + 10, (uint32_t)n + 1);           /* pixel offset past end */
    assert_int_equal(sniff(b, n), IMG_UNKNOWN);
    put_le32(b + 10, 20);                        /* pixel offset in header */
    assert_int_equal(sniff(b, n), IMG_UNKNOWN);
    n = make_bmp(b, 40, 3, 2);
    put_le32(b + 18, 0);                         /* width 0 */
    assert_int_equal(sniff(b, n), IMG_BMP);
    assert_int_equal(dims(b, n, &w, &h), -1);
    put_le32(b + 18, 0xFFFFFFFFu);               /* width -1 */
    assert_int_equal(dims(b, n, &w, &h), -1);
    put_le32(b + 18, 3);
    put_le32(b + 22, 0x80000000u);               /* height INT32_MIN */
    assert_int_equal(dims(b, n, &w, &h), -1);
    b[1] = 'A';
    assert_int_equal(sniff(b, n), IMG_UNKNOWN);
}

/* Every strict prefix of a header is rejected (and never over-read). */
static void test_truncated_headers(void **state)
{
    unsigned char b[BUF_MAX];
    unsigned w, h;
    size_t n, i;

    (void)state;
    n = make_gif(b, 4, 4);
    for (i = 0; i < 13; i++) {
        assert_int_equal(sniff(b, i), IMG_UNKNOWN);
        assert_int_equal(dims(b, i, &w, &h), -1);
    }
    n = make_png(b, 4, 4);
    for (i = 0; i < 33; i++) {
        assert_int_equal(sniff(b, i), IMG_UNKNOWN);
        assert_int_equal(dims(b, i, &w, &h), -1);
    }
    n = make_bmp(b, 40, 3, 2);
    for (i = 0; i < n; i++) {
        assert_int_equal(sniff(b, i), IMG_UNKNOWN);
        assert_int_equal(dims(b, i, &w, &h), -1);
    }
    n = make_jpeg(b, 0xC0, 10, 10, 0);
    for (i = 0; i + 1 < n; i++) {
        if (sniff(b, i) == IMG_JPEG)
            fail_msg("jpeg prefix of %zu bytes accepted", i);
    }
    (void)n;
}

static void test_text_and_empty(void **state)
{
    static const char *texts[] = {
        "hello world\n",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"79\" height=\"79\"></svg>",
        "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        "GIF",
        "GIF89",
        "PNG image data, 79 x 79, 8-bit/color RGBA, non-interlaced\n",
        "\x89PNG\n",
        "BM hello this is not a bitmap at all, only some text\n",
        "{\"image\":\"R0lGODlhAQABAAAAACw=\"}",
        "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", /* base64 gif */
    };
    unsigned w = 1, h = 1;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t n = strlen(texts[i]);
        assert_int_equal(sniff((const unsigned char *)texts[i], n), IMG_UNKNOWN);
        assert_int_equal(dims((const unsigned char *)texts[i], n, &w, &h), -1);
    }
    assert_int_equal(image_sniff(NULL, 0), IMG_UNKNOWN);
    assert_int_equal(image_sniff(NULL, 100), IMG_UNKNOWN);
    assert_int_equal(sniff((const unsigned char *)"", 0), IMG_UNKNOWN);
    assert_int_equal(image_dimensions(NULL, 0, &w, &h), -1);
    assert_int_equal(w, 1);
    assert_int_equal(h, 1);
}

static void test_dimensions_null_out(void **state)
{
    unsigned char b[BUF_MAX];
    unsigned w;
    size_t n = make_gif(b, 3, 3);

    (void)state;
    assert_int_equal(image_dimensions(b, n, NULL, &w), -1);
    assert_int_equal(image_dimensions(b, n, &w, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mime),
        cmocka_unit_test(test_gif),
        cmocka_unit_test(test_png),
        cmocka_unit_test(test_jpeg),
        cmocka_unit_test(test_jpeg_sof_variants),
        cmocka_unit_test(test_jpeg_walk_failures),
        cmocka_unit_test(test_jpeg_eoi_rules),
        cmocka_unit_test(test_bmp),
        cmocka_unit_test(test_bmp_bad_headers),
        cmocka_unit_test(test_truncated_headers),
        cmocka_unit_test(test_text_and_empty),
        cmocka_unit_test(test_dimensions_null_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
