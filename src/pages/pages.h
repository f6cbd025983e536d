/*
 * pages.h - the browser pages (docs/pages.md): the ID card
 * (GET /idcard/{userId}) and the self-service profile page (/profile).
 *
 *   share.c     share links: signing and checking the link token (pure)
 *   card.c      the card's HTML from a stored profile doc and the four
 *               display flags (pure)
 *   view.c      the page layouts: sign-in, profile, card, message (pure)
 *   assets.c    the stylesheet and the script, served by profiled itself
 *   web.c       what every handler shares: HTTPS only, security headers,
 *               the session, CSRF, the form
 *   handlers.c  the handlers;  routes.c  the API table
 *
 * Memory: pages are built in an html_buf (core/html.h) whose text the
 * caller owns; functions filling caller buffers say so.
 */
#ifndef PROFILED_PAGES_H
#define PROFILED_PAGES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/token.h"
#include "core/html.h"
#include "http/http.h"

#define PAGES_BUF_MAX (256 * 1024)

/* ---- share links (share.c) ---- */

#define SHARE_ID_HEX    32             /* 16 random bytes as lower-case hex */
#define SHARE_TOKEN_MAX 128

typedef enum {
    SHARE_OK = 0,
    SHARE_MALFORMED,                   /* not "<id>.<expires>.<mac>" */
    SHARE_BAD_SIGNATURE,               /* no key of the ring made it (or another user's) */
    SHARE_EXPIRED                      /* signed, but expires <= now */
} share_result;

/* A fresh link id (out >= SHARE_ID_HEX + 1). */
void share_new_id(char *out, size_t cap);
/* "<id>.<expires>.<base64url HMAC-SHA256>" over id, the lower-cased user id
 * and expires, keyed with a key derived from `secret` (a key of the ring).
 * 0, or -1 when it does not fit or an argument is malformed. */
int share_token_make(const unsigned char secret[TOKEN_KEY_BYTES], const char *id, const char *user_id,
                     int64_t expires, char *out, size_t cap);
/* Checks a token for user_id against every key of kr (constant-time
 * compare): the signature first, then the expiry.  On SHARE_OK and
 * SHARE_EXPIRED, id (>= SHARE_ID_HEX + 1) and *expires are filled.
 * Revocation is the caller's check (the database). */
share_result share_token_check(const token_keyring *kr, const char *token, const char *user_id,
                               int64_t now, char *id, int64_t *expires);

/* ---- the card (card.c) ---- */

typedef struct {
    const json_t *doc;                 /* the stored userProfile document */
    const char *image_url;             /* NULL: no picture (initials instead) */
    bool preview;                      /* the owner's preview: every section present,
                                          the ones the flags hide marked hidden (for
                                          the live preview); else they are left out */
} card_view;

/* A display flag of the doc: "true" (or absent: the default) -> true. */
bool card_flag(const json_t *doc, const char *name);
/* The name shown: userDetails.userName, else "firstName lastName". */
void card_name(const json_t *doc, char *out, size_t cap);
void card_html(html_buf *b, const card_view *v);

/* ---- page layouts (view.c) ---- */

/* The editable fields of the profile form, in order (PAGES_N_FIELDS of
 * them, at most PAGES_N_FIELDS_MAX). */
#define PAGES_N_FIELDS_MAX 16
typedef struct {
    const char *name;                  /* form field name and element id */
    const char *label;
    const char *autocomplete;
    int max;                           /* maxlength (the server checks again) */
} pages_field;
extern const pages_field PAGES_FIELDS[];
extern const size_t PAGES_N_FIELDS;
extern const char *const PAGES_FLAGS[4];
extern const char *const PAGES_FLAG_LABELS[4];

/* The Content-Security-Policy of every page. */
extern const char PAGES_CSP[];

typedef struct {
    const char *id, *url;              /* link id; full URL of the card with the token */
    int64_t expires;
} pages_link;

typedef struct {
    const char *user_id, *email;
    const json_t *doc;                 /* the stored doc (or, after a refused edit,
                                          the doc with the submitted values) */
    bool has_image;
    const char *csrf;
    const char *notice;                /* a status line (may be NULL) */
    const char *field_errors[32];      /* by PAGES_FIELDS index, then "picture" at
                                          PAGES_N_FIELDS (NULL: none) */
    const pages_link *links;
    size_t n_links;
} pages_profile_view;

char *pages_page_signin(const char *csrf, const char *email, const char *error, size_t *len);
char *pages_page_profile(const pages_profile_view *v, size_t *len);
char *pages_page_card(const json_t *doc, const char *image_url, size_t *len);
char *pages_page_message(const char *title, const char *message, size_t *len);

/* ---- assets (assets.c) ---- */
extern const char PAGES_CSS[];
extern const char PAGES_JS[];

/* ---- handlers (handlers.c) and the API (routes.c) ---- */
void h_pages_profile(pd_server *srv, pd_request *req);
void h_pages_signin(pd_server *srv, pd_request *req);
void h_pages_edit(pd_server *srv, pd_request *req);
void h_pages_image_get(pd_server *srv, pd_request *req);
void h_pages_image_put(pd_server *srv, pd_request *req);
void h_pages_image_delete(pd_server *srv, pd_request *req);
void h_pages_share_create(pd_server *srv, pd_request *req);
void h_pages_share_revoke(pd_server *srv, pd_request *req);
void h_pages_signout(pd_server *srv, pd_request *req);
void h_pages_card(pd_server *srv, pd_request *req);
void h_pages_card_image(pd_server *srv, pd_request *req);
void h_pages_css(pd_server *srv, pd_request *req);
void h_pages_js(pd_server *srv, pd_request *req);

extern const pd_api pages_api;

#endif
