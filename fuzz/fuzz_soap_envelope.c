/*
 * fuzz_soap_envelope.c - libFuzzer driver for the SOAP envelope reader
 * (soap/envelope.c over core/xmlsafe.c), the way soap/service.c calls it:
 * the first byte picks the version hint, the rest is the body.
 * Invariants: a parse either succeeds with an operation element, a version
 * of 1.1 or 1.2 and (when a UsernameToken was usable) non-empty
 * credentials, or fails with a non-empty fault message; nothing leaks.
 *
 * Memory: the parsed message is released before returning.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "soap/soap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[512];
    soap_fault_kind kind;
    soap_msg m;

    if (size < 1 || size > LIM_BODY_SOAP)
        return 0;
    msg[0] = '\0';
    if (soap_parse((const char *)data + 1, size - 1, (data[0] & 1) ? SOAP_12 : SOAP_11, &m, &kind, msg,
                   sizeof(msg)) == 0) {
        if (m.op == NULL || m.op->type != XML_ELEMENT_NODE || (m.v != SOAP_11 && m.v != SOAP_12))
            abort();
        if (m.wsse == WSSE_OK && (m.creds.username[0] == '\0' || m.creds.password[0] == '\0' ||
                                  m.creds.integrator_key[0] == '\0'))
            abort();
        (void)soap_child(m.op, "UserProfile");
    } else if (msg[0] == '\0' || (kind != FAULT_CLIENT && kind != FAULT_VERSION &&
                                  kind != FAULT_MUST_UNDERSTAND)) {
        abort();
    }
    soap_msg_free(&m);
    return 0;
}
