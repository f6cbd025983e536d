/*
 * netaddr.h - IPv4/IPv6 addresses against lists of ranges ("10.0.0.0/8,
 * ::1"), for the trusted-proxies setting.  No allocation; inputs borrowed.
 */
#ifndef PROFILED_NETADDR_H
#define PROFILED_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

/* True when the textual address lies in one of the comma-separated ranges
 * (an address, or address/prefix-bits). */
bool netaddr_in_ranges(const char *addr, const char *ranges);

/* 0 when every entry of the list parses; else -1 and the first bad entry
 * (truncated) in bad. */
int netaddr_ranges_valid(const char *ranges, char *bad, size_t badlen);

#endif
