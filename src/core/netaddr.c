/*
 * netaddr.c - see netaddr.h.
 */
#include "core/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/strutil.h"

/* Parses "addr" or "addr/bits" into family, 16 address bytes and prefix. */
static int parse_range(const char *text, size_t len, int *fam, unsigned char net[16], int *bits)
{
    char buf[64];
    const char *slash;
    int64_t b;

    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    slash = strchr(buf, '/');
    if (slash)
        buf[slash - buf] = '\0';
    if (inet_pton(AF_INET, buf, net) == 1)
        *fam = AF_INET;
    else if (inet_pton(AF_INET6, buf, net) == 1)
        *fam = AF_INET6;
    else
        return -1;
    *bits = *fam == AF_INET ? 32 : 128;
    if (slash) {
        if (str_to_i64(slash + 1, 0, *bits, &b) != 0)
            return -1;
        *bits = (int)b;
    }
    return 0;
}

/* True when the textual address addr lies in one of the trusted ranges. */
bool netaddr_in_ranges(const char *addr, const char *trusted)
{
    unsigned char a[16], net[16];
    int afam, fam, bits;

    if (trusted == NULL || *trusted == '\0')
        return false;
    if (inet_pton(AF_INET, addr, a) == 1)
        afam = AF_INET;
    else if (inet_pton(AF_INET6, addr, a) == 1)
        afam = AF_INET6;
    else
        return false;
    for (const char *p = trusted; *p;) {
        size_t n;
        while (*p == ',' || *p == ' ')
            p++;
        n = strcspn(p, ", ");
        if (n > 0 && parse_range(p, n, &fam, net, &bits) == 0 && fam == afam) {
            int full = bits / 8, rest = bits % 8;
            if (memcmp(a, net, (size_t)full) == 0 &&
                (rest == 0 || ((a[full] ^ net[full]) & (0xff << (8 - rest))) == 0))
                return true;
        }
        p += n;
    }
    return false;
}

int netaddr_ranges_valid(const char *ranges, char *bad, size_t badlen)
{
    unsigned char net[16];
    int fam, bits;

    for (const char *p = ranges; p && *p;) {
        size_t n;
        while (*p == ',' || *p == ' ')
            p++;
        n = strcspn(p, ", ");
        if (n > 0 && parse_range(p, n, &fam, net, &bits) != 0) {
            snprintf(bad, badlen, "%.*s", (int)(n > 60 ? 60 : n), p);
            return -1;
        }
        p += n;
    }
    return 0;
}
