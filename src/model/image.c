/*
 * image.c - profile image format detection and dimensions, from the bytes.
 *
 * Memory: every function borrows the caller's buffer (p, len) and never
 * reads p[len] or beyond; nothing is allocated.  image_mime returns static
 * strings.
 *
 * Checks per format (image_sniff):
 *   GIF  - "GIF87a"/"GIF89a" and the 13-byte header + logical screen
 *          descriptor present.
 *   PNG  - the 8-byte signature, then a whole IHDR chunk (length 13, type
 *          "IHDR", 13 data bytes, 4 CRC bytes; the CRC is not verified).
 *   JPEG - starts FF D8 FF, and an EOI marker FF D9 lies within the last
 *          JPEG_EOI_WINDOW (32) bytes (not overlapping the SOI).  Decision:
 *          real files from cameras and some tools carry a few trailing bytes
 *          (zero padding, a stray CR LF, small vendor trailers); a truncated
 *          upload has no EOI near the end and is rejected.
 *   BMP  - "BM", 26 <= file-size field <= len, DIB header size >= 12 with
 *          the whole DIB header inside len, pixel-data offset inside len.
 *
 * image_dimensions sniffs first and then reads the header:
 *   GIF  logical screen width/height (LE16 at 6/8);
 *   PNG  IHDR width/height (BE32 at 16/20, 1..2^31-1);
 *   JPEG walks the marker segments from the SOI to the first SOFn frame
 *        header (C0-C3, C5-C7, C9-CB, CD-CF; not DHT C4, JPG C8, DAC CC),
 *        every segment length bounded by len; an SOS/EOI before any SOF
 *        fails; height 0 (defined later by DNL) fails;
 *   BMP  BITMAPCOREHEADER (12) LE16 at 18/20, otherwise signed LE32 at
 *        18/22 (negative height = top-down rows, its magnitude is used).
 * A zero width or height is reported as failure (-1).
 */
#include "model/image.h"

#include <stdint.h>
#include <string.h>

#define GIF_HEADER_LEN   13u   /* "GIF8xa" + logical screen descriptor */
#define PNG_SIG_LEN      8u
#define PNG_MIN_LEN      33u   /* signature + IHDR: len, type, 13 data, CRC */
#define PNG_DIM_MAX      0x7FFFFFFFu
#define JPEG_EOI_WINDOW  32u
#define BMP_FILE_HDR     14u
#define BMP_MIN_LEN      26u
#define BMP_CORE_HDR     12u

static const unsigned char PNG_SIG[PNG_SIG_LEN] = {
    0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A
};

static unsigned rd_le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t rd_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static unsigned rd_be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | (unsigned)p[1];
}

static uint32_t rd_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static int is_gif(const unsigned char *p, size_t len)
{
    return len >= GIF_HEADER_LEN &&
           (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0);
}

static int is_png(const unsigned char *p, size_t len)
{
    return len >= PNG_MIN_LEN && memcmp(p, PNG_SIG, PNG_SIG_LEN) == 0 &&
           rd_be32(p + 8) == 13 && memcmp(p + 12, "IHDR", 4) == 0;
}

static int is_jpeg(const unsigned char *p, size_t len)
{
    size_t i, from;

    if (len < 5 || p[0] != 0xFF || p[1] != 0xD8 || p[2] != 0xFF)
        return 0;
    /* Search FF D9 at offsets >= 3 (never the SOI's own bytes). */
    from = len - 2 > JPEG_EOI_WINDOW - 2 ? len - JPEG_EOI_WINDOW : 0;
    if (from < 3)
        from = 3;
    for (i = len - 2; i + 1 > from; i--) {
        if (p[i] == 0xFF && p[i + 1] == 0xD9)
            return 1;
    }
    return 0;
}

static int is_bmp(const unsigned char *p, size_t len)
{
    uint32_t fsize, off, hsize;

    if (len < BMP_MIN_LEN || p[0] != 'B' || p[1] != 'M')
        return 0;
    fsize = rd_le32(p + 2);
    off = rd_le32(p + 10);
    hsize = rd_le32(p + 14);
    if (fsize < BMP_MIN_LEN || fsize > len)
        return 0;
    if (hsize < BMP_CORE_HDR || hsize > len - BMP_FILE_HDR)
        return 0;
    return off >= BMP_FILE_HDR + hsize && off <= len;
}

image_kind image_sniff(const unsigned char *p, size_t len)
{
    if (p == NULL)
        return IMG_UNKNOWN;
    if (is_gif(p, len))
        return IMG_GIF;
    if (is_png(p, len))
        return IMG_PNG;
    if (is_jpeg(p, len))
        return IMG_JPEG;
    if (is_bmp(p, len))
        return IMG_BMP;
    return IMG_UNKNOWN;
}

const char *image_mime(image_kind k)
{
    switch (k) {
    case IMG_GIF:  return "image/gif";
    case IMG_PNG:  return "image/png";
    case IMG_JPEG: return "image/jpeg";
    case IMG_BMP:  return "image/bmp";
    case IMG_UNKNOWN:
    default:       return NULL;
    }
}

/* 1 for a start-of-frame marker carrying the frame dimensions. */
static int jpeg_is_sof(unsigned m)
{
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* 1 for a marker that stands alone (no length field). */
static int jpeg_is_standalone(unsigned m)
{
    return m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7);
}

static int jpeg_dims(const unsigned char *p, size_t len, unsigned *w, unsigned *h)
{
    size_t i = 2;            /* just after SOI */

    while (i < len) {
        unsigned m, seglen;

        if (p[i] != 0xFF)
            return -1;
        while (i < len && p[i] == 0xFF)    /* fill bytes */
            i++;
        if (i >= len)
            return -1;
        m = p[i++];
        if (jpeg_is_standalone(m))
            continue;
        if (m == 0x00 || m == 0xD9 || m == 0xDA)
            return -1;       /* stuffed byte, EOI or SOS before any SOF */
        if (len - i < 2)
            return -1;
        seglen = rd_be16(p + i);
        if (seglen < 2 || seglen > len - i)
            return -1;
        if (jpeg_is_sof(m)) {
            /* length(2) precision(1) height(2) width(2) components(1) */
            if (seglen < 8)
                return -1;
            *h = rd_be16(p + i + 3);
            *w = rd_be16(p + i + 5);
            return 0;
        }
        i += seglen;
    }
    return -1;
}

static int bmp_dims(const unsigned char *p, size_t len, unsigned *w, unsigned *h)
{
    uint32_t hsize;
    int64_t sw, sh;

    if (len < BMP_MIN_LEN)               /* is_bmp guarantees; stay local */
        return -1;
    hsize = rd_le32(p + 14);
    if (hsize == BMP_CORE_HDR) {
        *w = rd_le16(p + 18);
        *h = rd_le16(p + 20);
        return 0;
    }
    /* hsize >= 16 here and the DIB header lies inside len (is_bmp). */
    if (hsize < 16)
        return -1;
    sw = (int32_t)rd_le32(p + 18);
    sh = (int32_t)rd_le32(p + 22);
    if (sw <= 0 || sh == INT32_MIN)
        return -1;
    *w = (unsigned)sw;
    *h = (unsigned)(sh < 0 ? -sh : sh);
    return 0;
}

int image_dimensions(const unsigned char *p, size_t len, unsigned *w, unsigned *h)
{
    unsigned ww = 0, hh = 0;
    uint32_t pw, ph;
    int rc = -1;

    if (w == NULL || h == NULL)
        return -1;
    switch (image_sniff(p, len)) {
    case IMG_GIF:
        ww = rd_le16(p + 6);
        hh = rd_le16(p + 8);
        rc = 0;
        break;
    case IMG_PNG:
        pw = rd_be32(p + 16);
        ph = rd_be32(p + 20);
        if (pw > PNG_DIM_MAX || ph > PNG_DIM_MAX)
            break;
        ww = (unsigned)pw;
        hh = (unsigned)ph;
        rc = 0;
        break;
    case IMG_JPEG:
        rc = jpeg_dims(p, len, &ww, &hh);
        break;
    case IMG_BMP:
        rc = bmp_dims(p, len, &ww, &hh);
        break;
    case IMG_UNKNOWN:
    default:
        break;
    }
    if (rc != 0 || ww == 0 || hh == 0)
        return -1;
    *w = ww;
    *h = hh;
    return 0;
}
