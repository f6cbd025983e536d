/*
 * faults.h - the control API's fault rules: for requests matching a path
 * (glob, `*` any characters), a route name, a method, the path's userId or
 * accountId, answer an error in the shape of the surface the path belongs
 * to, add latency, or drop the connection - for the next N calls, a
 * percentage of calls, or until cleared.  At most LIM_CONTROL_RULES_MAX
 * rules; thread-safe (one mutex).  No allocation after start except the
 * JSON the list returns.
 */
#ifndef PROFILED_CONTROL_FAULTS_H
#define PROFILED_CONTROL_FAULTS_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "core/error.h"
#include "core/limits.h"
#include "http/http.h"

typedef struct {
    int id;                          /* 0: free slot */
    char method[12];                 /* "" = any */
    char path[256];                  /* glob over the path, "" = any */
    char route[128];                 /* route name ("/accounts/{accountId}/..."), "" = any */
    char user[LIM_ID_MAX + 1];       /* the path's {userId}, "" = any */
    char account[LIM_ID_MAX + 1];    /* the path's {accountId}, "" = any */
    pd_err error;                    /* PD_OK: no error answer */
    int status;                      /* overrides the error's status, 0 = the error's */
    char message[256];               /* "" = the error's default message */
    int latency_ms;
    bool drop;                       /* cut the connection, no answer */
    int64_t remaining;               /* calls left, -1 = until cleared */
    int percent;                     /* 1..100 of matching calls */
    int64_t hits;
} fault_rule;

/* Validates spec (docs/control.md) and adds it: the new id (> 0), or -1
 * with the reason naming the member in err. */
int faults_add(const json_t *spec, char *err, size_t cap);
/* {"rules":[...]} in id order. */
json_t *faults_list(void);
/* 0, or -1 when no rule has that id. */
int faults_remove(int id);
void faults_clear(void);
/* Whether a rule applies to r now: counts the hit (a count-limited rule that
 * reaches 0 goes) and copies the rule into *out. */
bool faults_match(const pd_request *r, fault_rule *out);
/* The pd_err whose DocuSign code is `code` (PD_OK when none). */
pd_err faults_error_by_code(const char *code);

#endif
