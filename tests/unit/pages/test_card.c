/*
 * test_card.c - unit tests for src/pages/card.c and view.c: the ID card
 * shows the name and picture always, and each group of fields only when
 * its display flag allows it - the hidden ones are not in the HTML at all
 * (only the owner's preview carries them, marked hidden); flags stored as
 * "true"/"false" strings or booleans, absent meaning on; every value is
 * escaped; the pages hold no inline script or style.
 *
 * Memory: each page/buffer is freed by the test that built it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pages/pages.h"

static json_t *doc_with(const char *org, const char *personal, const char *usage)
{
    json_t *d = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:{s:I, s:I, s:s}}",
                          "title", "Head of Sales", "companyName", "Acme <Corp>",
                          "userDetails", "firstName", "Ann", "lastName", "Archer", "userName", "Ann Archer",
                          "address", "address1", "1 Main Street", "city", "Springfield", "phone", "+1 555 0101",
                          "usageHistory", "sentCount", (json_int_t)12, "signedCount", (json_int_t)34,
                          "lastSentDateTime", "2024-05-01T10:00:00.0000000Z");
    assert_non_null(d);
    if (org)
        json_object_set_new(d, "displayOrganizationInfo", json_string(org));
    if (personal)
        json_object_set_new(d, "displayPersonalInfo", json_string(personal));
    if (usage)
        json_object_set_new(d, "displayUsageHistory", json_string(usage));
    return d;
}

static char *render(const json_t *doc, const char *img, bool preview)
{
    html_buf b = {0};
    card_view v = { doc, img, preview };

    card_html(&b, &v);
    assert_false(b.failed);
    return b.p;
}

static void test_flags_decide(void **state)
{
    static const char *const TF[2] = { "false", "true" };

    (void)state;
    for (int mask = 0; mask < 8; mask++) {
        bool org = mask & 1, per = mask & 2, use = mask & 4;
        json_t *d = doc_with(TF[org], TF[per], TF[use]);
        char *h = render(d, NULL, false);
        assert_non_null(strstr(h, "Ann Archer"));                         /* the name, always */
        assert_int_equal(strstr(h, "id=\"card-org\"") != NULL, org);
        assert_int_equal(strstr(h, "Head of Sales") != NULL, org);
        assert_int_equal(strstr(h, "Acme &lt;Corp&gt;") != NULL, org);
        assert_int_equal(strstr(h, "id=\"card-personal\"") != NULL, per);
        assert_int_equal(strstr(h, "Springfield") != NULL, per);
        assert_int_equal(strstr(h, "+1 555 0101") != NULL, per);
        assert_int_equal(strstr(h, "id=\"card-usage\"") != NULL, use);
        assert_int_equal(strstr(h, ">12<") != NULL, use);
        assert_int_equal(strstr(h, "2024-05-01") != NULL, use);
        assert_null(strstr(h, " hidden>"));                              /* nothing merely hidden */
        free(h);
        json_decref(d);
    }
}

static void test_preview_keeps_hidden_sections(void **state)
{
    json_t *d = doc_with("false", "true", "false");
    char *h;

    (void)state;
    h = render(d, NULL, true);
    assert_non_null(strstr(h, "id=\"card-org\" data-flag=\"displayOrganizationInfo\" hidden>"));
    assert_non_null(strstr(h, "id=\"card-personal\" data-flag=\"displayPersonalInfo\"><h3>"));
    assert_non_null(strstr(h, "id=\"card-usage\" data-flag=\"displayUsageHistory\" hidden>"));
    free(h);
    json_decref(d);
}

static void test_flag_values(void **state)
{
    json_t *d = json_object();

    (void)state;
    assert_true(card_flag(d, "displayProfile"));                         /* absent: on */
    json_object_set_new(d, "displayProfile", json_string("false"));
    assert_false(card_flag(d, "displayProfile"));
    json_object_set_new(d, "displayProfile", json_string("TRUE"));
    assert_true(card_flag(d, "displayProfile"));
    json_object_set_new(d, "displayProfile", json_false());
    assert_false(card_flag(d, "displayProfile"));
    json_object_set_new(d, "displayProfile", json_true());
    assert_true(card_flag(d, "displayProfile"));
    json_object_set_new(d, "displayProfile", json_string("yes"));
    assert_false(card_flag(d, "displayProfile"));                        /* anything else: off */
    json_object_set_new(d, "displayProfile", json_integer(1));
    assert_false(card_flag(d, "displayProfile"));
    json_decref(d);
}

static void test_picture_and_name(void **state)
{
    json_t *d = json_pack("{s:{s:s, s:s}}", "userDetails", "firstName", "<b>Eve</b>", "lastName", "O'Neil");
    char name[64], *h;

    (void)state;
    card_name(d, name, sizeof(name));
    assert_string_equal(name, "<b>Eve</b> O'Neil");
    h = render(d, "/idcard/x/image?share=a\"b", false);
    assert_non_null(strstr(h, "src=\"/idcard/x/image?share=a&quot;b\""));
    assert_non_null(strstr(h, "alt=\"Photo of &lt;b&gt;Eve&lt;/b&gt; O&#39;Neil\""));
    assert_null(strstr(h, "<b>Eve"));
    free(h);
    h = render(d, NULL, false);                                          /* no picture: no img */
    assert_null(strstr(h, "<img"));
    assert_non_null(strstr(h, "card-initials"));
    free(h);
    json_decref(d);
}

static void test_pages_have_no_inline_code(void **state)
{
    json_t *d = doc_with("true", "true", "true");
    const char *errs[PAGES_N_FIELDS_MAX + 1] = {0};
    size_t len = 0;
    char *pages[4];

    (void)state;
    errs[0] = "Longer than 50 characters <x>";
    pages_profile_view v = {
        .user_id = "00000000-0000-4000-8000-00000000a001", .email = "ann@acme.test", .doc = d,
        .has_image = true, .csrf = "tok", .notice = "ok",
    };
    for (size_t i = 0; i <= PAGES_N_FIELDS; i++)
        v.field_errors[i] = errs[i];
    pages[0] = pages_page_profile(&v, &len);
    pages[1] = pages_page_card(d, NULL, &len);
    pages[2] = pages_page_signin("tok", "a\"@b", "bad <password>", &len);
    pages[3] = pages_page_message("<t>", "<m>", &len);
    for (size_t i = 0; i < 4; i++) {
        assert_non_null(pages[i]);
        assert_non_null(strstr(pages[i], "<html lang=\"en\">"));
        assert_null(strstr(pages[i], "<script>"));                       /* only <script src=…> */
        assert_null(strstr(pages[i], "<style"));
        assert_null(strstr(pages[i], "style=\""));
        assert_null(strstr(pages[i], " on"));                            /* no event handler attributes */
    }
    /* the error sits next to its field, tied to it for assistive technology */
    assert_non_null(strstr(pages[0], "aria-invalid=\"true\" aria-describedby=\"err-firstName\">"
                                     "<p class=\"field-error\" id=\"err-firstName\">Longer than 50 characters &lt;x&gt;</p>"));
    assert_non_null(strstr(pages[2], "value=\"a&quot;@b\""));
    assert_non_null(strstr(pages[3], "&lt;t&gt;"));
    /* every text field has its label */
    for (size_t i = 0; i < PAGES_N_FIELDS; i++) {
        char want[64];
        snprintf(want, sizeof(want), "<label for=\"%s\">", PAGES_FIELDS[i].name);
        assert_non_null(strstr(pages[0], want));
    }
    for (size_t i = 0; i < 4; i++)
        free(pages[i]);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags_decide),
        cmocka_unit_test(test_preview_keeps_hidden_sections),
        cmocka_unit_test(test_flag_values),
        cmocka_unit_test(test_picture_and_name),
        cmocka_unit_test(test_pages_have_no_inline_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
