/*
 * idcard.c - the ID card and its share links (docs/pages.md):
 *
 *   GET  /idcard/{userId}[?share=TOKEN]        the card
 *   GET  /idcard/{userId}/image[?share=TOKEN]  its picture
 *   POST /profile/share                        a new link (lifetime)
 *   POST /profile/share/revoke                 revoke one (id)
 *
 * Who may open a card is decided by policy_card_check (auth/policy.c) over
 * facts read here: the target exists and is Active, its displayProfile,
 * whether a signed-in viewer shares an account with it, and whether a
 * share link is valid - signature and expiry (pages/share.c), then its row
 * in the database, not revoked (so a revocation holds at once on every
 * node).  Every refusal is the same 404 page as an unknown user.
 *
 * Memory: users, docs and links are released before return.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/policy.h"
#include "core/json_fastload.h"
#include "core/strutil.h"
#include "pages/web.h"

typedef struct {
    char ids[LIM_CARD_ACCOUNTS_MAX][LIM_ID_MAX + 1];
    size_t n;
    bool overflow;
} acc_list;

static int collect_account(void *cls, const void *row)
{
    acc_list *l = cls;
    const pd_account *a = row;

    if (l->n == LIM_CARD_ACCOUNTS_MAX) {
        l->overflow = true;
        return 1;
    }
    if (a->id != NULL && str_copy(l->ids[l->n], sizeof(l->ids[0]), a->id) == 0)
        l->n++;
    return 0;
}

typedef struct {
    const acc_list *target;
    bool shared;
} share_scan;

static int match_account(void *cls, const void *row)
{
    share_scan *x = cls;
    const pd_account *a = row;

    for (size_t i = 0; a->id != NULL && i < x->target->n; i++)
        if (strcasecmp(x->target->ids[i], a->id) == 0) {
            x->shared = true;
            return 1;
        }
    return 0;
}

/* A signed-in viewer who is a member of one of the target's accounts. */
static pd_err viewer_shares_account(pages_ctx *c, const char *target, bool *out)
{
    acc_list *l = calloc(1, sizeof(*l));
    share_scan x = { l, false };
    pd_err e;

    *out = false;
    if (l == NULL)
        return PD_ERR_INTERNAL;
    e = c->s->ops->each_account_of_user(c->s, target, collect_account, l);
    if (e == PD_OK)
        e = c->s->ops->each_account_of_user(c->s, c->user.id, match_account, &x);
    *out = e == PD_OK && x.shared;
    free(l);
    return e;
}

/* The share link of the query is valid for target: signed by a key of the
 * ring, not expired, stored for this user and not revoked. */
static pd_err share_valid(pages_ctx *c, const char *target, const char *token, bool *out)
{
    char id[SHARE_ID_HEX + 1];
    int64_t exp = 0;
    pd_share_link l = {0};
    pd_err e;

    *out = false;
    if (token == NULL)
        return PD_OK;
    if (share_token_check(server_keys(c->srv), token, target, c->now, id, &exp) != SHARE_OK)
        return PD_OK;
    e = c->s->ops->get_share_link(c->s, id, &l);
    if (e == PD_ERR_NOT_FOUND)
        return PD_OK;
    if (e != PD_OK)
        return e;
    *out = !l.revoked && l.expires == exp && l.expires > c->now && l.user_id != NULL &&
           strcasecmp(l.user_id, target) == 0;
    pd_share_link_clear(&l);
    return PD_OK;
}

static void no_card(pd_request *req)
{
    pages_message(req, 404, "No such card", "There is no card here, or it is not shared with you.");
}

/* Decides the card of the path's user: 0 with *target filled (and *doc,
 * the stored document), or -1 with the answer set. */
static int card_access(pages_ctx *c, pd_user *target, json_t **doc, const char **token)
{
    const char *uid = c->req->n_params > 0 ? c->req->params[0] : "";
    policy_card_facts f = {0};
    pd_err e;

    *token = req_query(c->req, "share");
    if (*token != NULL && strlen(*token) > SHARE_TOKEN_MAX)
        *token = NULL;
    if (!str_is_guid(uid)) {
        no_card(c->req);
        return -1;
    }
    if (pages_session(c) == -2)
        return -1;
    e = c->s->ops->get_user(c->s, uid, target);
    if (e != PD_OK && e != PD_ERR_NOT_FOUND)
        goto store;
    f.target_exists = e == PD_OK && target->status != NULL && strcmp(target->status, "Active") == 0;
    if (f.target_exists) {
        *doc = json_load_str(target->profile_json ? target->profile_json : "{}", 0, NULL);
        if (*doc == NULL) {
            pages_message(c->req, 500, "Something went wrong", "The stored profile could not be read.");
            return -1;
        }
        f.display_profile = card_flag(*doc, "displayProfile");
        if (c->signed_in && viewer_shares_account(c, target->id, &f.viewer_shares_account) != PD_OK)
            goto store;
        if (share_valid(c, target->id, *token, &f.share_link_valid) != PD_OK)
            goto store;
        if (!f.share_link_valid)
            *token = NULL;
    }
    if (policy_card_check(&f) != PD_OK) {
        no_card(c->req);
        return -1;
    }
    return 0;
store:
    pages_message(c->req, 500, "Something went wrong", "The server could not reach its database.");
    return -1;
}

void h_pages_card(pd_server *srv, pd_request *req)
{
    pd_user target = {0};
    json_t *doc = NULL;
    const char *token = NULL;
    char img[LIM_ID_MAX + SHARE_TOKEN_MAX + 64], *page;
    size_t len = 0;
    pages_ctx c;

    if (pages_begin(&c, srv, req) != 0 || card_access(&c, &target, &doc, &token) != 0)
        goto out;
    if (target.has_image)
        snprintf(img, sizeof(img), "/idcard/%s/image%s%s", target.id, token ? "?share=" : "", token ? token : "");
    page = pages_page_card(doc, target.has_image ? img : NULL, &len);
    pages_html(req, 200, page, len);
out:
    json_decref(doc);
    pd_user_clear(&target);
    pages_end(&c);
}

void h_pages_card_image(pd_server *srv, pd_request *req)
{
    pd_user target = {0};
    json_t *doc = NULL;
    const char *token = NULL;
    pages_ctx c;

    if (pages_begin(&c, srv, req) != 0 || card_access(&c, &target, &doc, &token) != 0)
        goto out;
    pages_send_image(&c, target.id);
out:
    json_decref(doc);
    pd_user_clear(&target);
    pages_end(&c);
}

/* ---- creating and revoking links ------------------------------------------ */

static int count_link(void *cls, const void *row)
{
    const pd_share_link *l = row;

    if (!l->revoked)
        (*(size_t *)cls)++;
    return 0;
}

void h_pages_share_create(pd_server *srv, pd_request *req)
{
    char id[SHARE_ID_HEX + 1];
    const char *lt;
    int64_t life = 0;
    size_t active = 0;
    pages_ctx c;

    if (pages_post_begin(&c, srv, req) != 0)
        goto out;
    lt = url_form_get(&c.form, "lifetime");
    if (lt == NULL || str_to_i64(lt, 60, LIM_SHARE_LINK_TTL_MAX_S, &life) != 0) {
        pages_message(req, 400, "Not created", "A share link lives between one minute and 7 days.");
        goto out;
    }
    if (c.s->ops->each_share_link_of_user(c.s, c.user.id, c.now, count_link, &active) != PD_OK)
        goto store;
    if (active >= LIM_SHARE_LINKS_MAX) {
        pages_message(req, 400, "Not created", "You have too many active share links. Revoke one first.");
        goto out;
    }
    share_new_id(id, sizeof(id));
    pd_share_link l = { id, c.user.id, c.now, c.now + life, false };
    if (c.s->ops->put_share_link(c.s, &l) != PD_OK)
        goto store;
    pages_redirect(req, "/profile?done=link", NULL);
    goto out;
store:
    pages_message(req, 500, "Not created", "The server could not reach its database.");
out:
    pages_end(&c);
}

void h_pages_share_revoke(pd_server *srv, pd_request *req)
{
    const char *id;
    pd_err e;
    pages_ctx c;

    if (pages_post_begin(&c, srv, req) != 0)
        goto out;
    id = url_form_get(&c.form, "id");
    e = id != NULL && strlen(id) == SHARE_ID_HEX ? c.s->ops->revoke_share_link(c.s, c.user.id, id)
                                                 : PD_ERR_NOT_FOUND;
    if (e == PD_ERR_NOT_FOUND) {
        pages_message(req, 404, "Not found", "You have no such share link.");
        goto out;
    }
    if (e != PD_OK) {
        pages_message(req, 500, "Not revoked", "The server could not reach its database.");
        goto out;
    }
    pages_redirect(req, "/profile?done=revoked", NULL);
out:
    pages_end(&c);
}
