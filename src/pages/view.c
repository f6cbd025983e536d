/*
 * view.c - the page layouts of the browser pages (pages.h): sign-in,
 * profile (form, picture, live card preview, share links), card, message.
 * No inline script or style: one stylesheet and one script, both served by
 * profiled (assets.c), under PAGES_CSP.  Every form works without
 * JavaScript; every control has a label; errors sit next to their field
 * (aria-describedby, aria-invalid).
 *
 * Memory: each page is a malloc'd buffer handed to the caller (NULL when it
 * would exceed PAGES_BUF_MAX or memory ran out).
 */
#include "pages/pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"

const char PAGES_CSP[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const pages_field PAGES_FIELDS[] = {
    { "firstName",       "First name",        "given-name",     LIM_NAME_MAX },
    { "lastName",        "Last name",         "family-name",    LIM_NAME_MAX },
    { "title",           "Job title",         "organization-title", LIM_PROFILE_TITLE_MAX },
    { "companyName",     "Company",           "organization",   LIM_STRING_FIELD_MAX },
    { "address1",        "Address",           "address-line1",  LIM_ADDRESS_LINE_MAX },
    { "address2",        "Address line 2",    "address-line2",  LIM_ADDRESS_LINE_MAX },
    { "city",            "City",              "address-level2", LIM_ADDRESS_FIELD_MAX },
    { "stateOrProvince", "State or province", "address-level1", LIM_ADDRESS_FIELD_MAX },
    { "postalCode",      "Postal code",       "postal-code",    LIM_ADDRESS_FIELD_MAX },
    { "country",         "Country",           "country",        LIM_ADDRESS_FIELD_MAX },
    { "phone",           "Phone",             "tel",            LIM_ADDRESS_FIELD_MAX },
};
const size_t PAGES_N_FIELDS = sizeof(PAGES_FIELDS) / sizeof(PAGES_FIELDS[0]);

const char *const PAGES_FLAGS[4] = {
    "displayProfile", "displayOrganizationInfo", "displayPersonalInfo", "displayUsageHistory",
};
const char *const PAGES_FLAG_LABELS[4] = {
    "Show my card at all",
    "Show my company and job title",
    "Show my address and phone",
    "Show my usage history",
};

static void head(html_buf *b, const char *title)
{
    html_add(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                "<meta name=\"referrer\" content=\"no-referrer\"><title>");
    html_add_escaped(b, title);
    html_add(b, "</title><link rel=\"stylesheet\" href=\"/pages/pages.css\">"
                "<script src=\"/pages/pages.js\" defer></script></head>\n<body>\n");
}

static char *finish(html_buf *b, size_t *len)
{
    html_add(b, "</body></html>\n");
    if (b->failed) {
        free(b->p);
        return NULL;
    }
    *len = b->len;
    return b->p;
}

static void hidden(html_buf *b, const char *name, const char *value)
{
    html_add(b, "<input type=\"hidden\" name=\"");
    html_add(b, name);
    html_add(b, "\" value=\"");
    html_add_escaped(b, value);
    html_add(b, "\">");
}

char *pages_page_message(const char *title, const char *message, size_t *len)
{
    html_buf b = { .max = PAGES_BUF_MAX };

    head(&b, title);
    html_add(&b, "<main id=\"main\" class=\"narrow\"><h1>");
    html_add_escaped(&b, title);
    html_add(&b, "</h1><p id=\"message\">");
    html_add_escaped(&b, message);
    html_add(&b, "</p></main>\n");
    return finish(&b, len);
}

char *pages_page_signin(const char *csrf, const char *email, const char *error, size_t *len)
{
    html_buf b = { .max = PAGES_BUF_MAX };

    head(&b, "Sign in - profiled");
    html_add(&b, "<main id=\"main\" class=\"narrow\"><h1>Sign in to your profile</h1>\n");
    if (error != NULL) {
        html_add(&b, "<p class=\"err\" id=\"error\" role=\"alert\">");
        html_add_escaped(&b, error);
        html_add(&b, "</p>\n");
    }
    html_add(&b, "<form method=\"post\" action=\"/profile/signin\">");
    hidden(&b, "csrf_token", csrf);
    html_add(&b, "\n<label for=\"email\">Email</label>"
                 "<input type=\"email\" id=\"email\" name=\"email\" autocomplete=\"username\" required value=\"");
    html_add_escaped(&b, email ? email : "");
    html_add(&b, "\">\n<label for=\"password\">Password</label>"
                 "<input type=\"password\" id=\"password\" name=\"password\" "
                 "autocomplete=\"current-password\" required>\n"
                 "<button type=\"submit\" id=\"signin\">Sign in</button>\n</form></main>\n");
    return finish(&b, len);
}

static const char *field_value(const json_t *doc, const char *name)
{
    const json_t *v;

    if (strcmp(name, "firstName") == 0 || strcmp(name, "lastName") == 0)
        v = json_object_get(json_object_get(doc, "userDetails"), name);
    else if (strcmp(name, "title") == 0 || strcmp(name, "companyName") == 0)
        v = json_object_get(doc, name);
    else
        v = json_object_get(json_object_get(doc, "address"), name);
    return json_is_string(v) ? json_string_value(v) : "";
}

static void text_field(html_buf *b, const pages_field *f, const char *value, const char *error)
{
    html_add(b, "<div class=\"field\"><label for=\"");
    html_add(b, f->name);
    html_add(b, "\">");
    html_add(b, f->label);
    html_add(b, "</label><input type=\"text\" id=\"");
    html_add(b, f->name);
    html_add(b, "\" name=\"");
    html_add(b, f->name);
    html_add(b, "\" autocomplete=\"");
    html_add(b, f->autocomplete);
    html_add(b, "\" data-max=\"");
    html_add_int(b, f->max);
    html_add(b, "\" value=\"");
    html_add_escaped(b, value);
    html_add(b, "\"");
    if (error != NULL) {
        html_add(b, " aria-invalid=\"true\" aria-describedby=\"err-");
        html_add(b, f->name);
        html_add(b, "\"");
    }
    html_add(b, ">");
    if (error != NULL) {
        html_add(b, "<p class=\"field-error\" id=\"err-");
        html_add(b, f->name);
        html_add(b, "\">");
        html_add_escaped(b, error);
        html_add(b, "</p>");
    }
    html_add(b, "</div>\n");
}

static void profile_form(html_buf *b, const pages_profile_view *v)
{
    static const struct { const char *legend; size_t from, to; } groups[] = {
        { "Name", 0, 2 }, { "Organization", 2, 4 }, { "Address and phone", 4, 11 },
    };

    html_add(b, "<section aria-labelledby=\"h-details\"><h2 id=\"h-details\">Details</h2>\n"
                "<form method=\"post\" action=\"/profile\" id=\"profile-form\">");
    hidden(b, "csrf_token", v->csrf);
    html_add(b, "\n");
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        html_add(b, "<fieldset><legend>");
        html_add(b, groups[g].legend);
        html_add(b, "</legend>\n");
        for (size_t i = groups[g].from; i < groups[g].to && i < PAGES_N_FIELDS; i++)
            text_field(b, &PAGES_FIELDS[i], field_value(v->doc, PAGES_FIELDS[i].name), v->field_errors[i]);
        html_add(b, "</fieldset>\n");
    }
    html_add(b, "<fieldset><legend>Privacy: what your card shows</legend>\n");
    for (size_t i = 0; i < 4; i++) {
        html_add(b, "<div class=\"check\"><input type=\"checkbox\" value=\"true\" id=\"");
        html_add(b, PAGES_FLAGS[i]);
        html_add(b, "\" name=\"");
        html_add(b, PAGES_FLAGS[i]);
        html_add(b, "\"");
        if (card_flag(v->doc, PAGES_FLAGS[i]))
            html_add(b, " checked");
        html_add(b, "><label for=\"");
        html_add(b, PAGES_FLAGS[i]);
        html_add(b, "\">");
        html_add(b, PAGES_FLAG_LABELS[i]);
        html_add(b, "</label></div>\n");
    }
    html_add(b, "</fieldset>\n<button type=\"submit\" id=\"save\">Save changes</button>\n</form></section>\n");
}

static void picture_section(html_buf *b, const pages_profile_view *v)
{
    const char *err = v->field_errors[PAGES_N_FIELDS];

    html_add(b, "<section aria-labelledby=\"h-picture\"><h2 id=\"h-picture\">Picture</h2>\n");
    if (v->has_image)
        html_add(b, "<img class=\"current-photo\" id=\"current-photo\" src=\"/profile/image\" "
                    "alt=\"Your current picture\" width=\"96\" height=\"96\">\n");
    else
        html_add(b, "<p id=\"no-photo\">You have no picture yet.</p>\n");
    html_add(b, "<form method=\"post\" action=\"/profile/image\" enctype=\"multipart/form-data\" "
                "id=\"picture-form\">");
    hidden(b, "csrf_token", v->csrf);
    html_add(b, "\n<div class=\"field\"><label for=\"picture\">New picture</label>"
                "<p class=\"help\" id=\"picture-help\">PNG, JPEG or GIF, smaller than 200 KB.</p>"
                "<input type=\"file\" id=\"picture\" name=\"picture\" "
                "accept=\"image/png,image/jpeg,image/gif\" data-max-bytes=\"");
    html_add_int(b, LIM_BODY_IMAGE_RAW - 1);
    html_add(b, "\" aria-describedby=\"picture-help");
    if (err != NULL)
        html_add(b, " err-picture\" aria-invalid=\"true");
    html_add(b, "\">");
    if (err != NULL) {
        html_add(b, "<p class=\"field-error\" id=\"err-picture\">");
        html_add_escaped(b, err);
        html_add(b, "</p>");
    }
    html_add(b, "</div>\n<img id=\"picture-preview\" class=\"current-photo\" alt=\"Preview of the new picture\" "
                "width=\"96\" height=\"96\" hidden>\n"
                "<button type=\"submit\" id=\"upload\">Upload picture</button></form>\n");
    if (v->has_image) {
        html_add(b, "<form method=\"post\" action=\"/profile/image/delete\" id=\"picture-delete\">");
        hidden(b, "csrf_token", v->csrf);
        html_add(b, "<button type=\"submit\" id=\"remove-picture\">Remove picture</button></form>\n");
    }
    html_add(b, "</section>\n");
}

static void links_section(html_buf *b, const pages_profile_view *v)
{
    char when[40];

    html_add(b, "<section aria-labelledby=\"h-share\"><h2 id=\"h-share\">Share links</h2>\n"
                "<p>Anyone holding a link sees your card until the link expires or you revoke it.</p>\n"
                "<form method=\"post\" action=\"/profile/share\" id=\"share-form\">");
    hidden(b, "csrf_token", v->csrf);
    html_add(b, "<label for=\"lifetime\">Valid for</label><select id=\"lifetime\" name=\"lifetime\">"
                "<option value=\"3600\">1 hour</option><option value=\"86400\" selected>1 day</option>"
                "<option value=\"604800\">7 days</option></select>"
                "<button type=\"submit\" id=\"create-link\">Create share link</button></form>\n"
                "<ul id=\"links\">\n");
    for (size_t i = 0; i < v->n_links; i++) {
        const pages_link *l = &v->links[i];
        time_iso_from_unix(l->expires, when, sizeof(when));
        html_add(b, "<li class=\"link\"><label for=\"link-");
        html_add(b, l->id);
        html_add(b, "\">Link until ");
        html_add_escaped(b, when);
        html_add(b, "</label><input type=\"text\" readonly class=\"link-url\" id=\"link-");
        html_add(b, l->id);
        html_add(b, "\" value=\"");
        html_add_escaped(b, l->url);
        html_add(b, "\"><form method=\"post\" action=\"/profile/share/revoke\">");
        hidden(b, "csrf_token", v->csrf);
        hidden(b, "id", l->id);
        html_add(b, "<button type=\"submit\" class=\"revoke\">Revoke</button></form></li>\n");
    }
    html_add(b, "</ul>\n");
    if (v->n_links == 0)
        html_add(b, "<p id=\"no-links\">No active share links.</p>\n");
    html_add(b, "</section>\n");
}

char *pages_page_profile(const pages_profile_view *v, size_t *len)
{
    html_buf b = { .max = PAGES_BUF_MAX };
    card_view cv = { v->doc, v->has_image ? "/profile/image" : NULL, true };

    head(&b, "Your profile - profiled");
    html_add(&b, "<header class=\"top\"><span class=\"brand\">profiled</span>"
                 "<form method=\"post\" action=\"/profile/signout\" id=\"signout-form\">");
    hidden(&b, "csrf_token", v->csrf);
    html_add(&b, "<button type=\"submit\" id=\"signout\">Sign out</button></form></header>\n"
                 "<main id=\"main\"><h1>Your profile</h1>\n<p>Signed in as <strong id=\"who\">");
    html_add_escaped(&b, v->email);
    html_add(&b, "</strong>. <a href=\"/idcard/");
    html_add_escaped(&b, v->user_id);
    html_add(&b, "\" id=\"card-link\">Open your card</a></p>\n");
    if (v->notice != NULL) {
        html_add(&b, "<p class=\"notice\" id=\"notice\" role=\"status\">");
        html_add_escaped(&b, v->notice);
        html_add(&b, "</p>\n");
    }
    html_add(&b, "<div class=\"cols\"><div>\n");
    profile_form(&b, v);
    html_add(&b, "</div><div>\n<section aria-labelledby=\"h-preview\"><h2 id=\"h-preview\">"
                 "Your card as others see it</h2>\n");
    card_html(&b, &cv);
    html_add(&b, "</section>\n");
    picture_section(&b, v);
    links_section(&b, v);
    html_add(&b, "</div></div></main>\n");
    return finish(&b, len);
}

char *pages_page_card(const json_t *doc, const char *image_url, size_t *len)
{
    html_buf b = { .max = PAGES_BUF_MAX };
    card_view cv = { doc, image_url, false };
    char name[512], title[600];

    card_name(doc, name, sizeof(name));
    snprintf(title, sizeof(title), "%s - ID card", name);
    head(&b, title);
    html_add(&b, "<main id=\"main\" class=\"card-page\"><h1 class=\"visually-hidden\">ID card</h1>\n");
    card_html(&b, &cv);
    html_add(&b, "</main>\n");
    return finish(&b, len);
}
