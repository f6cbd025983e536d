/*
 * b64.c - base64 (RFC 4648 §4, padded) and base64url (RFC 4648 §5, no
 * padding) encoders and strict decoders.
 *
 * Memory: b64_encode/b64url_encode return a malloc'd NUL-terminated string
 * that the caller frees (NULL on allocation failure or size overflow).  The
 * decoders write into a caller-owned buffer of at least b64_decoded_max(len)
 * bytes and allocate nothing; the input is borrowed and need not be
 * NUL-terminated.
 *
 * Strictness (both decoders):
 *   - any byte outside the alphabet is rejected;
 *   - the unused low bits of the last symbol must be zero (canonical
 *     encoding, RFC 4648 §3.5), so every accepted text has exactly one
 *     decoding and re-encodes to itself;
 *   - a final group of a single symbol is rejected.
 * b64_decode: skips ASCII whitespace (SP, HT, LF, VT, FF, CR) anywhere, so
 *   MIME/SOAP line-wrapped text decodes; requires padding to a multiple of 4
 *   symbols; '=' only as one or two final symbols; nothing but whitespace
 *   after the padding.
 * b64url_decode: no whitespace, no padding: '=' is rejected.
 */
#include "core/b64.h"

#include <stdint.h>
#include <stdlib.h>

static const char B64_STD[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64_URL[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#define B64_INVALID 0xFF

size_t b64_decoded_max(size_t len)
{
    return (len / 4) * 3 + (len % 4 ? 3 : 0);
}

/* Encodes with the given alphabet; pad selects '=' padding. */
static char *encode_with(const char *alpha, int pad, const unsigned char *p,
                         size_t len, size_t *out_len)
{
    size_t groups = len / 3, rem = len % 3;
    size_t n, i, o = 0;
    char *s;

    if (groups > (SIZE_MAX - 5) / 4)
        return NULL;
    n = groups * 4 + (rem ? (pad ? 4 : rem + 1) : 0);
    s = malloc(n + 1);
    if (s == NULL)
        return NULL;
    for (i = 0; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        s[o++] = alpha[(v >> 18) & 63];
        s[o++] = alpha[(v >> 12) & 63];
        s[o++] = alpha[(v >> 6) & 63];
        s[o++] = alpha[v & 63];
    }
    if (rem) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (rem == 2)
            v |= (uint32_t)p[i + 1] << 8;
        s[o++] = alpha[(v >> 18) & 63];
        s[o++] = alpha[(v >> 12) & 63];
        if (rem == 2)
            s[o++] = alpha[(v >> 6) & 63];
        else if (pad)
            s[o++] = '=';
        if (pad)
            s[o++] = '=';
    }
    s[o] = '\0';
    if (out_len != NULL)
        *out_len = o;
    return s;
}

char *b64_encode(const unsigned char *p, size_t len, size_t *out_len)
{
    return encode_with(B64_STD, 1, p, len, out_len);
}

char *b64url_encode(const unsigned char *p, size_t len, size_t *out_len)
{
    return encode_with(B64_URL, 0, p, len, out_len);
}

/* Value of c in the standard (url == 0) or url alphabet, or B64_INVALID. */
static unsigned sym_value(unsigned char c, int url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return B64_INVALID;
}

static int is_b64_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/*
 * Flushes a final partial group of n symbols (1..3) held in acc.
 * Rejects a lone symbol and non-zero unused bits.  Returns bytes written
 * or -1.
 */
static int flush_tail(uint32_t acc, unsigned n, unsigned char *out)
{
    if (n == 2) {
        if (acc & 0x0F)
            return -1;
        out[0] = (unsigned char)(acc >> 4);
        return 1;
    }
    if (n == 3) {
        if (acc & 0x03)
            return -1;
        out[0] = (unsigned char)(acc >> 10);
        out[1] = (unsigned char)(acc >> 2);
        return 2;
    }
    return -1;               /* a lone symbol encodes no whole byte */
}

/*
 * Shared decoder.  url != 0: base64url, no whitespace, no padding.
 * url == 0: standard alphabet, whitespace skipped, padding required.
 */
static long decode_with(int url, const char *s, size_t len, unsigned char *out)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t acc = 0;
    unsigned n = 0;          /* symbols in the current group */
    size_t o = 0, i, pads = 0;
    int tail;

    for (i = 0; i < len; i++) {
        unsigned char c = u[i];
        unsigned v;

        if (!url && is_b64_space(c))
            continue;
        if (!url && c == '=') {
            pads++;
            continue;
        }
        if (pads)            /* data after padding */
            return -1;
        v = sym_value(c, url);
        if (v == B64_INVALID)
            return -1;
        acc = acc << 6 | v;
        if (++n == 4) {
            out[o++] = (unsigned char)(acc >> 16);
            out[o++] = (unsigned char)(acc >> 8);
            out[o++] = (unsigned char)acc;
            acc = 0;
            n = 0;
        }
    }
    if (!url && (n + pads) % 4 != 0)
        return -1;           /* unpadded, or too much padding */
    if (pads > 2)
        return -1;           /* "====" or a lone symbol + "===" */
    if (n != 0) {
        tail = flush_tail(acc, n, out + o);
        if (tail < 0)
            return -1;
        o += (size_t)tail;
    }
    /* LONG_MAX spelled out (kept from when src/ had a limits.h shadowing the system one). */
    if (o > (size_t)((unsigned long)-1 >> 1))
        return -1;
    return (long)o;
}

long b64_decode(const char *s, size_t len, unsigned char *out)
{
    return decode_with(0, s, len, out);
}

long b64url_decode(const char *s, size_t len, unsigned char *out)
{
    return decode_with(1, s, len, out);
}
