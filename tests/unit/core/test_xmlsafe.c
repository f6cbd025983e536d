/*
 * test_xmlsafe.c - unit tests for src/core/xmlsafe.c: well-formed input
 * parses; DOCTYPE, external entities, entity expansion (billion laughs),
 * undefined entity references, over-deep and over-large trees are
 * refused, with a reason that never quotes the input; the prefix of a
 * name never matters, the namespace does.
 *
 * Memory: documents are freed by each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/xmlsafe.h"

static xmlDocPtr parse(const char *s, int depth, long nodes, char *err, size_t errlen)
{
    return xmlsafe_parse(s, strlen(s), depth, nodes, err, errlen);
}

static void test_ok_and_names(void **state)
{
    char err[128], buf[16];
    xmlDocPtr d = parse("<?xml version=\"1.0\"?><!-- c --><a:Env xmlns:a=\"urn:e\"><a:B>x<![CDATA[y]]>z</a:B>"
                        "<C xmlns=\"urn:c\">t</C><D>u</D></a:Env>", 8, 100, err, sizeof(err));
    xmlNode *root, *b, *c, *dd;

    (void)state;
    assert_non_null(d);
    root = xmlDocGetRootElement(d);
    assert_true(xmlsafe_is(root, "urn:e", "Env"));
    assert_true(xmlsafe_is(root, "*", "Env"));
    assert_false(xmlsafe_is(root, "urn:other", "Env"));
    assert_false(xmlsafe_is(root, NULL, "Env"));
    b = xmlsafe_next_element(root, NULL);
    c = xmlsafe_next_element(root, b);
    dd = xmlsafe_next_element(root, c);
    assert_string_equal(xmlsafe_text(b, buf, sizeof(buf)), "xyz");
    assert_true(xmlsafe_is(c, "urn:c", "C"));
    assert_true(xmlsafe_is(dd, NULL, "D"));
    assert_string_equal(xmlsafe_text(dd, buf, sizeof(buf)), "u");
    assert_null(xmlsafe_next_element(root, dd));
    xmlFreeDoc(d);
}

static void test_refused(void **state)
{
    char err[128], *deep, *wide;
    static const char *const bad[] = {
        "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>",
        "<!DOCTYPE a [<!ENTITY x SYSTEM \"http://127.0.0.1:9/x\">]><a>&x;</a>",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>"
        "<lolz>&lol2;</lolz>",
        "\xEF\xBB\xBF<!DOCTYPE a SYSTEM \"http://127.0.0.1:9/a.dtd\"><a/>",
        "<a>&undefined;</a>", "<a><b></a>", "not xml", "", "<a/><b/>",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(parse(bad[i], 8, 100, err, sizeof(err)));
        assert_true(err[0] != '\0');
        assert_null(strstr(err, "passwd"));
    }
    deep = calloc(1, 20 * 7 + 1);
    assert_non_null(deep);
    for (int i = 0; i < 10; i++)
        strcat(deep, "<a>");
    for (int i = 0; i < 10; i++)
        strcat(deep, "</a>");
    assert_null(parse(deep, 9, 1000, err, sizeof(err)));
    assert_non_null(strstr(err, "deeply"));
    xmlDocPtr d = parse(deep, 10, 1000, err, sizeof(err));         /* exactly the limit */
    assert_non_null(d);
    xmlFreeDoc(d);
    free(deep);
    wide = calloc(1, 4 * 101 + 8);
    assert_non_null(wide);
    strcpy(wide, "<r>");
    for (int i = 0; i < 100; i++)
        strcat(wide, "<b/>");
    strcat(wide, "</r>");
    assert_null(parse(wide, 8, 100, err, sizeof(err)));           /* 101 elements */
    assert_non_null(strstr(err, "too many"));
    d = parse(wide, 8, 101, err, sizeof(err));
    assert_non_null(d);
    xmlFreeDoc(d);
    free(wide);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_and_names),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
