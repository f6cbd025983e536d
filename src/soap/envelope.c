/*
 * envelope.c - reading a SOAP request (soap/soap.h): the version from the
 * envelope's namespace (never its prefix), Header entries (WS-Security
 * UsernameToken with [IntegratorKey]email and a PasswordText password,
 * wsu:Timestamp and WS-Addressing understood; any other entry with
 * mustUnderstand="1"/"true" is a MustUnderstand fault), and the Body's
 * operation element.  The XML itself is read by core/xmlsafe.c: body
 * capped by the route (LIM_BODY_SOAP), no DOCTYPE, no entities, no
 * network, LIM_SOAP_DEPTH and LIM_SOAP_NODES.
 *
 * Pure: no HTTP here (the request's version and action are read in
 * soap/action.c), so fuzz/fuzz_soap_envelope.c drives exactly this code.
 *
 * Memory: the document is owned by the soap_msg; credentials copied out of
 * it are wiped by soap_msg_free.
 */
#include "soap/soap.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <libxml/parser.h>

#include "core/limits.h"
#include "core/strutil.h"
#include "core/xmlsafe.h"

static bool is_true(const xmlChar *v)
{
    return v != NULL && (strcmp((const char *)v, "1") == 0 || strcmp((const char *)v, "true") == 0);
}

/* The UsernameToken of a wsse:Security header. */
static void read_wsse(soap_msg *m, const xmlNode *sec)
{
    xmlNode *tok = NULL, *el = NULL;
    char buf[LIM_PASSWORD_MAX + 2];

    while ((el = xmlsafe_next_element(sec, el)) != NULL)
        if (xmlsafe_is(el, SOAP_NS_WSSE, "UsernameToken"))
            tok = el;
    if (tok == NULL)
        return;
    m->wsse = WSSE_BAD;
    const xmlNode *user = NULL, *pass = NULL;
    for (el = NULL; (el = xmlsafe_next_element(tok, el)) != NULL;) {
        if (xmlsafe_is(el, SOAP_NS_WSSE, "Username"))
            user = el;
        else if (xmlsafe_is(el, SOAP_NS_WSSE, "Password"))
            pass = el;
    }
    if (user == NULL || pass == NULL)
        return;
    xmlChar *type = xmlGetProp(pass, (const xmlChar *)"Type");
    bool text = type == NULL || strstr((const char *)type, "#PasswordText") != NULL;
    xmlFree(type);
    if (!text)
        return;                                 /* PasswordDigest cannot be checked against Argon2id */
    /* Username = [IntegratorKey]email */
    const char *u = xmlsafe_text(user, buf, sizeof(buf));
    while (*u == ' ' || *u == '\t' || *u == '\r' || *u == '\n')
        u++;
    const char *close = u[0] == '[' ? strchr(u, ']') : NULL;
    if (close == NULL || (size_t)(close - u - 1) >= sizeof(m->creds.integrator_key) || close == u + 1)
        return;
    memcpy(m->creds.integrator_key, u + 1, (size_t)(close - u - 1));
    m->creds.integrator_key[close - u - 1] = '\0';
    if (str_copy(m->creds.username, sizeof(m->creds.username), close + 1) != 0 ||
        m->creds.username[0] == '\0' ||
        str_copy(m->creds.password, sizeof(m->creds.password), xmlsafe_text(pass, buf, sizeof(buf))) != 0 ||
        m->creds.password[0] == '\0') {
        sodium_memzero(&m->creds, sizeof(m->creds));
        return;
    }
    m->wsse = WSSE_OK;
}

/* Header entries: 0, or -1 (MustUnderstand fault, msg set). */
static int read_header(soap_msg *m, const xmlNode *hdr, const char *env_ns, char *msg, size_t cap)
{
    xmlNode *el = NULL;

    while ((el = xmlsafe_next_element(hdr, el)) != NULL) {
        const char *ns = el->ns && el->ns->href ? (const char *)el->ns->href : "";
        if (strcmp(ns, SOAP_NS_WSSE) == 0 && strcmp((const char *)el->name, "Security") == 0) {
            read_wsse(m, el);
            continue;
        }
        if (strcmp(ns, SOAP_NS_WSA) == 0 || strcmp(ns, SOAP_NS_WSA04) == 0 ||
            strcmp(ns, SOAP_NS_WSU) == 0)
            continue;                           /* WS-Addressing, Timestamp: understood */
        xmlChar *mu = xmlGetNsProp(el, (const xmlChar *)"mustUnderstand", (const xmlChar *)env_ns);
        bool must = is_true(mu);
        xmlFree(mu);
        if (must) {
            snprintf(msg, cap, "The header entry {%.200s}%.100s is not understood by this server.",
                     ns, (const char *)el->name);
            return -1;
        }
    }
    return 0;
}

int soap_parse(const char *text, size_t len, soap_version hint, soap_msg *m, soap_fault_kind *kind,
               char *msg, size_t cap)
{
    char err[160];
    xmlNode *root, *el = NULL, *hdr = NULL, *body = NULL;
    const char *ns, *env_ns;

    memset(m, 0, sizeof(*m));
    m->v = hint;
    *kind = FAULT_CLIENT;
    m->doc = xmlsafe_parse(text, len, LIM_SOAP_DEPTH, LIM_SOAP_NODES, err, sizeof(err));
    if (m->doc == NULL) {
        snprintf(msg, cap, "The request could not be read: %s.", err);
        return -1;
    }
    root = xmlDocGetRootElement(m->doc);
    ns = root->ns && root->ns->href ? (const char *)root->ns->href : "";
    if (strcmp((const char *)root->name, "Envelope") != 0) {
        snprintf(msg, cap, "The request is not a SOAP envelope.");
        return -1;
    }
    if (strcmp(ns, SOAP_NS_11) == 0) {
        m->v = SOAP_11;
    } else if (strcmp(ns, SOAP_NS_12) == 0) {
        m->v = SOAP_12;
    } else {
        *kind = FAULT_VERSION;
        snprintf(msg, cap, "The envelope namespace must be %s (SOAP 1.1) or %s (SOAP 1.2).",
                 SOAP_NS_11, SOAP_NS_12);
        return -1;
    }
    env_ns = ns;
    while ((el = xmlsafe_next_element(root, el)) != NULL) {
        if (xmlsafe_is(el, env_ns, "Header") && hdr == NULL && body == NULL) {
            hdr = el;
        } else if (xmlsafe_is(el, env_ns, "Body") && body == NULL) {
            body = el;
        } else {
            snprintf(msg, cap, "The envelope may hold one Header and one Body only.");
            return -1;
        }
    }
    if (body == NULL) {
        snprintf(msg, cap, "The envelope has no Body.");
        return -1;
    }
    if (hdr != NULL && read_header(m, hdr, env_ns, msg, cap) != 0) {
        *kind = FAULT_MUST_UNDERSTAND;
        return -1;
    }
    m->op = xmlsafe_next_element(body, NULL);
    if (m->op == NULL) {
        snprintf(msg, cap, "The Body names no operation.");
        return -1;
    }
    if (xmlsafe_next_element(body, m->op) != NULL) {
        snprintf(msg, cap, "The Body must hold exactly one operation.");
        return -1;
    }
    return 0;
}

void soap_msg_free(soap_msg *m)
{
    if (m->doc != NULL)
        xmlFreeDoc(m->doc);
    sodium_memzero(&m->creds, sizeof(m->creds));
    m->doc = NULL;
    m->op = NULL;
}

xmlNode *soap_child(const xmlNode *el, const char *name)
{
    xmlNode *c = NULL;

    while ((c = xmlsafe_next_element(el, c)) != NULL)
        if (xmlsafe_is(c, SOAP_NS_AM, name))
            return c;
    return NULL;
}
