/*
 * card.c - the ID card's HTML (pages.h): name and picture always; company
 * and title only with displayOrganizationInfo, address and phone only with
 * displayPersonalInfo, usage history only with displayUsageHistory.  What
 * a flag hides is not in the HTML at all (the owner's preview carries it
 * with the `hidden` attribute, for the live preview).  Every value is
 * escaped (core/html.c).
 *
 * Memory: appends to the caller's buffer; reads the doc only.
 */
#include "pages/pages.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/strutil.h"

static const char *str_at(const json_t *obj, const char *key)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

bool card_flag(const json_t *doc, const char *name)
{
    const json_t *v = json_object_get(doc, name);

    if (v == NULL || json_is_null(v))
        return true;
    if (json_is_boolean(v))
        return json_is_true(v);
    return json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0;
}

void card_name(const json_t *doc, char *out, size_t cap)
{
    const json_t *ud = json_object_get(doc, "userDetails");
    const char *un = str_at(ud, "userName"), *fn = str_at(ud, "firstName"), *ln = str_at(ud, "lastName");

    if (cap == 0)
        return;
    out[0] = '\0';
    if (un != NULL && un[0] != '\0') {
        snprintf(out, cap, "%s", un);
        return;
    }
    snprintf(out, cap, "%s%s%s", fn ? fn : "", fn && fn[0] && ln && ln[0] ? " " : "", ln ? ln : "");
}

/* Up to two initials (ASCII letters only; else none). */
static void initials(const char *name, char out[3])
{
    size_t n = 0;
    bool at_start = true;

    for (const char *p = name; *p && n < 2; p++) {
        if (*p == ' ') {
            at_start = true;
            continue;
        }
        if (at_start && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
            out[n++] = (char)(*p >= 'a' ? *p - 32 : *p);
        at_start = false;
    }
    out[n] = '\0';
}

/* <div class="card-line"><dt>LABEL</dt><dd data-f="KEY">VALUE</dd></div>;
 * an empty value is left out, except in the preview, where it is kept
 * hidden for the live preview to fill. */
static void line(html_buf *b, bool preview, const char *key, const char *label, const char *value)
{
    if (!preview && (value == NULL || value[0] == '\0'))
        return;
    html_add(b, "<div class=\"card-line\"");
    if (value == NULL || value[0] == '\0')
        html_add(b, " hidden");
    html_add(b, "><dt>");
    html_add(b, label);
    html_add(b, "</dt><dd data-f=\"");
    html_add(b, key);
    html_add(b, "\">");
    html_add_escaped(b, value);
    html_add(b, "</dd></div>\n");
}

static bool section_open(html_buf *b, const card_view *v, const char *flag, const char *id,
                         const char *heading)
{
    bool on = card_flag(v->doc, flag);

    if (!on && !v->preview)
        return false;
    html_add(b, "<section class=\"card-sec\" id=\"");
    html_add(b, id);
    html_add(b, "\" data-flag=\"");
    html_add(b, flag);
    html_add(b, "\"");
    if (!on)
        html_add(b, " hidden");
    html_add(b, "><h3>");
    html_add(b, heading);
    html_add(b, "</h3><dl>\n");
    return true;
}

static void count_line(html_buf *b, bool preview, const json_t *usage, const char *key, const char *label)
{
    const json_t *c = json_object_get(usage, key);
    char num[32] = "0";

    if (json_is_integer(c))
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(c));
    else if (json_is_string(c))
        snprintf(num, sizeof(num), "%s", json_string_value(c));
    line(b, preview, key, label, num);
}

/* A stored date "2024-05-01T10:00:00.0000000Z" shown as "2024-05-01". */
static void date_line(html_buf *b, bool preview, const json_t *usage, const char *key, const char *label)
{
    const char *d = str_at(usage, key);
    char day[11] = "";

    if (d != NULL && strlen(d) >= 10)
        snprintf(day, sizeof(day), "%.10s", d);
    line(b, preview, key, label, day);
}

void card_html(html_buf *b, const card_view *v)
{
    char name[512], ini[3];
    const json_t *addr = json_object_get(v->doc, "address");
    const json_t *usage = json_object_get(v->doc, "usageHistory");

    card_name(v->doc, name, sizeof(name));
    initials(name, ini);
    html_add(b, "<article class=\"card\" id=\"card\" aria-labelledby=\"card-name\">\n"
                "<div class=\"card-head\">");
    if (v->image_url != NULL) {
        html_add(b, "<img class=\"card-photo\" id=\"card-photo\" src=\"");
        html_add_escaped(b, v->image_url);
        html_add(b, "\" alt=\"Photo of ");
        html_add_escaped(b, name);
        html_add(b, "\" width=\"96\" height=\"96\">");
    } else {
        html_add(b, "<span class=\"card-photo card-initials\" id=\"card-photo\" aria-hidden=\"true\">");
        html_add_escaped(b, ini);
        html_add(b, "</span>");
    }
    html_add(b, "<h2 id=\"card-name\" data-f=\"name\">");
    html_add_escaped(b, name);
    html_add(b, "</h2></div>\n");

    if (section_open(b, v, "displayOrganizationInfo", "card-org", "Organization")) {
        line(b, v->preview, "title", "Title", str_at(v->doc, "title"));
        line(b, v->preview, "companyName", "Company", str_at(v->doc, "companyName"));
        html_add(b, "</dl></section>\n");
    }
    if (section_open(b, v, "displayPersonalInfo", "card-personal", "Contact")) {
        line(b, v->preview, "address1", "Address", str_at(addr, "address1"));
        line(b, v->preview, "address2", "Address line 2", str_at(addr, "address2"));
        line(b, v->preview, "city", "City", str_at(addr, "city"));
        line(b, v->preview, "stateOrProvince", "State or province", str_at(addr, "stateOrProvince"));
        line(b, v->preview, "postalCode", "Postal code", str_at(addr, "postalCode"));
        line(b, v->preview, "country", "Country", str_at(addr, "country"));
        line(b, v->preview, "phone", "Phone", str_at(addr, "phone"));
        html_add(b, "</dl></section>\n");
    }
    if (section_open(b, v, "displayUsageHistory", "card-usage", "Usage history")) {
        count_line(b, v->preview, usage, "sentCount", "Envelopes sent");
        count_line(b, v->preview, usage, "signedCount", "Envelopes signed");
        date_line(b, v->preview, usage, "lastSentDateTime", "Last sent");
        date_line(b, v->preview, usage, "lastSignedDateTime", "Last signed");
        html_add(b, "</dl></section>\n");
    }
    html_add(b, "</article>\n");
}
