/*
 * test_xml.c - unit tests for src/codec/xml.c: the DocuSign Generic XML
 * encoding (escaping, ordering, arrays and item names, empty objects, names
 * that are not XML names), well-formedness checked by parsing the output
 * back with libxml2, round trips, and the hostile-input defences of
 * xml_to_json (DOCTYPE / entities, billion laughs, external entities, deep
 * nesting, too many nodes, malformed documents).
 *
 * Memory: every string and json_t obtained by a test is released by it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "core/limits.h"
#include "codec/xml.h"

#define NS_ATTRS " xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://www.docusign.com/restapi\""

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);

    if (j == NULL)
        fail_msg("bad test JSON: %s (%s)", e.text, text);
    return j;
}

static char *enc(const char *root, const char *json)
{
    json_t *j = J(json);
    size_t len = 0;
    char *x = xml_from_json(root, j, &len);

    json_decref(j);
    assert_non_null(x);
    assert_int_equal(len, strlen(x));
    return x;
}

/* Parses with libxml2 (strictly: no recovery) to prove well-formedness. */
static void assert_well_formed(const char *x)
{
    xmlDocPtr doc = xmlReadMemory(x, (int)strlen(x), NULL, "UTF-8",
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL)
        fail_msg("not well-formed: %s", x);
    xmlFreeDoc(doc);
}

static json_t *dec(const char *x, char **root, char *err, size_t errlen)
{
    return xml_to_json(x, strlen(x), root, err, errlen);
}

static void assert_rejected(const char *x, const char *err_part)
{
    char err[256] = "";
    char *root = (char *)"untouched";
    json_t *j = dec(x, &root, err, sizeof(err));

    assert_null(j);
    assert_null(root);
    assert_true(err[0] != '\0');
    if (err_part != NULL && strstr(err, err_part) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", err, err_part);
}

/* ---- encoding ---- */

static void test_root_and_namespaces(void **state)
{
    char *x = enc("errorDetails", "{\"message\":\"m\",\"errorCode\":\"E\"}");

    assert_string_equal(x, "<errorDetails" NS_ATTRS ">\n"
                           "  <errorCode>E</errorCode>\n"
                           "  <message>m</message>\n"
                           "</errorDetails>");
    assert_well_formed(x);
    free(x);
}

static void test_alphabetical_order_byte_order(void **state)
{
    char *x = enc("r", "{\"b\":\"1\",\"B\":\"2\",\"a\":\"3\",\"aa\":\"4\",\"Z\":\"5\"}");
    const char *pZ = strstr(x, "<Z>"), *pB = strstr(x, "<B>"), *pa = strstr(x, "<a>"),
               *paa = strstr(x, "<aa>"), *pb = strstr(x, "<b>");

    assert_non_null(pZ);
    assert_non_null(pb);
    assert_true(pB < pZ && pZ < pa && pa < paa && paa < pb);   /* byte order: upper case first */
    free(x);
}

static void test_escaping(void **state)
{
    char *x = enc("r", "{\"t\":\"a<b>&c\\\"d'e\"}");

    assert_non_null(strstr(x, "<t>a&lt;b&gt;&amp;c&quot;d'e</t>"));
    assert_well_formed(x);
    free(x);
}

static void test_control_characters_replaced(void **state)
{
    char *x = enc("r", "{\"t\":\"a\\u0001b\\u001fc\\td\\ne\\u0000f\\u007f\\u0085\"}");

    /* U+FFFD for the C0 controls (even NUL); tab and newline kept; DEL and NEL are legal XML */
    assert_non_null(strstr(x, "<t>a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\td\ne\xEF\xBF\xBD" "f\x7F\xC2\x85</t>"));
    assert_well_formed(x);
    free(x);
}

static void test_nonchars_replaced_and_utf8_kept(void **state)
{
    char *x = enc("r", "{\"t\":\"\\uffff\\ufffe\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"}");

    assert_non_null(strstr(x, "<t>\xEF\xBF\xBD\xEF\xBF\xBD\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80</t>"));
    assert_well_formed(x);
    free(x);
}

static void test_carriage_return_survives(void **state)
{
    char *x = enc("r", "{\"t\":\"a\\r\\nb\"}");
    char err[128];
    char *root = NULL;
    json_t *back;

    assert_non_null(strstr(x, "<t>a&#xD;\nb</t>"));
    back = dec(x, &root, err, sizeof(err));
    assert_non_null(back);
    assert_string_equal(json_string_value(json_object_get(back, "t")), "a\r\nb");
    json_decref(back);
    free(root);
    free(x);
}

static void test_scalars(void **state)
{
    char *x = enc("r", "{\"i\":42,\"n\":-7,\"t\":true,\"f\":false,\"z\":null,\"e\":\"\"}");

    assert_non_null(strstr(x, "<i>42</i>"));
    assert_non_null(strstr(x, "<n>-7</n>"));
    assert_non_null(strstr(x, "<t>true</t>"));
    assert_non_null(strstr(x, "<f>false</f>"));
    assert_non_null(strstr(x, "<z i:nil=\"true\" />"));
    assert_non_null(strstr(x, "<e></e>"));      /* as the seed's <message></message> */
    assert_well_formed(x);
    free(x);
}

static void test_empty_object_and_array(void **state)
{
    char *x = enc("userProfile", "{\"address\":{},\"authenticationMethods\":[]}");

    assert_string_equal(x, "<userProfile" NS_ATTRS ">\n"
                           "  <address />\n"
                           "  <authenticationMethods />\n"
                           "</userProfile>");
    free(x);
    x = enc("userProfile", "{}");
    assert_string_equal(x, "<userProfile" NS_ATTRS " />");
    assert_well_formed(x);
    free(x);
}

static void test_item_names(void **state)
{
    assert_string_equal(xml_item_name("authenticationMethods"), "authenticationMethod");
    assert_string_equal(xml_item_name("groupList"), "group");
    assert_string_equal(xml_item_name("customSettings"), "nameValue");
    assert_string_equal(xml_item_name("userSettings"), "nameValue");
    assert_string_equal(xml_item_name("users"), "userInfo");
    assert_string_equal(xml_item_name("accounts"), "account");
    assert_string_equal(xml_item_name("options"), "string");
    assert_string_equal(xml_item_name("whatever"), "string");
    assert_string_equal(xml_item_name(NULL), "string");
}

/* The seed's "Generic XML Response" layout for a slice of the sample. */
static void test_seed_layout(void **state)
{
    char *x = enc("userProfile",
        "{\"displayProfile\":\"sample string 1\",\"address\":{},"
        "\"authenticationMethods\":[{\"totalCount\":1,\"lastTimestamp\":\"sample string 2\","
        "\"lastProvider\":\"sample string 3\",\"authenticationType\":\"sample string 4\"}],"
        "\"userDetails\":{\"customSettings\":[{}],\"accountManagementGranular\":"
        "{\"canManageUsersMetadata\":{\"options\":[\"sample string 1\"],\"rights\":\"r\"},"
        "\"canManageAdminsMetadata\":{}}}}");
    const char *want =
        "<userProfile" NS_ATTRS ">\n"
        "  <address />\n"
        "  <authenticationMethods>\n"
        "    <authenticationMethod>\n"
        "      <authenticationType>sample string 4</authenticationType>\n"
        "      <lastProvider>sample string 3</lastProvider>\n"
        "      <lastTimestamp>sample string 2</lastTimestamp>\n"
        "      <totalCount>1</totalCount>\n"
        "    </authenticationMethod>\n"
        "  </authenticationMethods>\n"
        "  <displayProfile>sample string 1</displayProfile>\n"
        "  <userDetails>\n"
        "    <accountManagementGranular>\n"
        "      <canManageAdminsMetadata />\n"
        "      <canManageUsersMetadata>\n"
        "        <options>\n"
        "          <string>sample string 1</string>\n"
        "        </options>\n"
        "        <rights>r</rights>\n"
        "      </canManageUsersMetadata>\n"
        "    </accountManagementGranular>\n"
        "    <customSettings>\n"
        "      <nameValue />\n"
        "    </customSettings>\n"
        "  </userDetails>\n"
        "</userProfile>";

    assert_string_equal(x, want);
    assert_well_formed(x);
    free(x);
}

static void test_invalid_names_encoded(void **state)
{
    char *x = enc("r", "{\"a b\":\"1\",\"1st\":\"2\",\"x:y\":\"3\",\"<&>\":\"4\",\"_x\":\"5\",\"\":\"6\","
                       "\"caf\xC3\xA9\":\"7\"}");
    char err[128];
    char *root = NULL;
    json_t *back;

    assert_non_null(strstr(x, "<a_x0020_b>1</a_x0020_b>"));
    assert_non_null(strstr(x, "<_x0031_st>2</_x0031_st>"));
    assert_non_null(strstr(x, "<x_x003A_y>3</x_x003A_y>"));
    assert_non_null(strstr(x, "<_x005F_x>5</_x005F_x>"));
    assert_non_null(strstr(x, "<caf\xC3\xA9>7</caf\xC3\xA9>"));
    assert_null(strstr(x, ">6<"));              /* empty name skipped */
    assert_well_formed(x);
    back = dec(x, &root, err, sizeof(err));
    assert_non_null(back);
    assert_string_equal(json_string_value(json_object_get(back, "a b")), "1");
    assert_string_equal(json_string_value(json_object_get(back, "1st")), "2");
    assert_string_equal(json_string_value(json_object_get(back, "x:y")), "3");
    assert_string_equal(json_string_value(json_object_get(back, "<&>")), "4");
    assert_string_equal(json_string_value(json_object_get(back, "_x")), "5");
    assert_string_equal(json_string_value(json_object_get(back, "caf\xC3\xA9")), "7");
    assert_int_equal(json_object_size(back), 6);
    json_decref(back);
    free(root);
    free(x);
}

static void test_encode_depth_limit(void **state)
{
    json_t *root = json_object(), *cur = root, *n;
    size_t len;
    int i;

    for (i = 0; i < LIM_XML_DEPTH + 2; i++) {
        n = json_object();
        json_object_set_new(cur, "d", n);
        cur = n;
    }
    assert_null(xml_from_json("r", root, &len));
    json_decref(root);
    assert_null(xml_from_json(NULL, cur, &len));
    assert_null(xml_from_json("", cur, &len));
    assert_null(xml_from_json("r", NULL, &len));
}

/* ---- decoding and round trips ---- */

static void assert_same_strings(const json_t *a, const json_t *b)
{
    const char *k;
    json_t *v;
    size_t i;

    if (json_is_object(a)) {
        assert_true(json_is_object(b));
        assert_int_equal(json_object_size(a), json_object_size(b));
        json_object_foreach((json_t *)a, k, v) {
            if (json_object_get(b, k) == NULL)
                fail_msg("member %s lost", k);
            assert_same_strings(v, json_object_get(b, k));
        }
    } else if (json_is_array(a)) {
        assert_true(json_is_array(b));
        assert_int_equal(json_array_size(a), json_array_size(b));
        json_array_foreach(a, i, v)
            assert_same_strings(v, json_array_get(b, i));
    } else if (json_is_string(a)) {
        assert_true(json_is_string(b));
        assert_int_equal(json_string_length(a), json_string_length(b));
        assert_memory_equal(json_string_value(a), json_string_value(b), json_string_length(a));
    } else if (json_is_integer(a)) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(a));
        assert_string_equal(json_string_value(b), buf);
    } else if (json_is_boolean(a)) {
        assert_string_equal(json_string_value(b), json_is_true(a) ? "true" : "false");
    }
}

static void test_round_trip_profile(void **state)
{
    const char *src =
        "{\"address\":{},\"authenticationMethods\":[{\"authenticationType\":\"STAN\",\"totalCount\":3}],"
        "\"companyName\":\"A & B <Ltd> \\\"q\\\" \xC3\xA9t\xC3\xA9\",\"displayProfile\":\"true\","
        "\"title\":\"  spaced  \",\"usageHistory\":{\"sentCount\":1,\"signedCount\":0},"
        "\"userDetails\":{\"userName\":\"Ann\",\"homeAddress\":{\"city\":\"X\"},\"workAddress\":{},"
        "\"customSettings\":[{\"name\":\"k\",\"value\":\"v\"},{\"name\":\"k2\",\"value\":\"\"}],"
        "\"userSettings\":[{\"name\":\"s\",\"value\":\"line1\\nline2\\ttab\"}],"
        "\"groupList\":[],\"accountManagementGranular\":{\"canManageUsers\":\"true\","
        "\"canManageUsersMetadata\":{\"options\":[\"a\",\"b\"]}}}}";
    json_t *in = J(src), *out;
    size_t len;
    char *x = xml_from_json("userProfile", in, &len);
    char err[128];
    char *root = NULL;

    assert_non_null(x);
    assert_well_formed(x);
    out = xml_to_json(x, len, &root, err, sizeof(err));
    if (out == NULL)
        fail_msg("decode failed: %s", err);
    assert_string_equal(root, "userProfile");
    assert_same_strings(in, out);
    /* typed shapes survive: empty lists stay lists, empty objects stay objects */
    assert_true(json_is_array(json_object_get(json_object_get(out, "userDetails"), "groupList")));
    assert_true(json_is_object(json_object_get(json_object_get(out, "userDetails"), "workAddress")));
    assert_true(json_is_object(json_object_get(out, "address")));
    json_decref(in);
    json_decref(out);
    free(root);
    free(x);
}

static void test_round_trip_v21_user_settings_object(void **state)
{
    json_t *in = J("{\"userDetails\":{\"userSettings\":{\"canSendEnvelope\":\"true\",\"locale\":\"en\","
                   "\"group\":\"\",\"userSettings\":\"\",\"xMetadata\":\"\"}}}");
    size_t len;
    char *x = xml_from_json("userProfile", in, &len);
    char err[128];
    char *root = NULL;
    json_t *out, *us;

    assert_non_null(x);
    out = xml_to_json(x, len, &root, err, sizeof(err));
    assert_non_null(out);
    us = json_object_get(json_object_get(out, "userDetails"), "userSettings");
    assert_true(json_is_object(us));
    assert_string_equal(json_string_value(json_object_get(us, "locale")), "en");
    /* empty settings stay "" even when named like an object or a list */
    assert_string_equal(json_string_value(json_object_get(us, "group")), "");
    assert_string_equal(json_string_value(json_object_get(us, "userSettings")), "");
    assert_string_equal(json_string_value(json_object_get(us, "xMetadata")), "");
    json_decref(in);
    json_decref(out);
    free(root);
    free(x);
}

static void test_decode_request_body(void **state)
{
    const char *x =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<!-- a comment in the prolog -->\n"
        "<userProfile xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xmlns=\"http://www.docusign.com/restapi\">\n"
        "  <companyName><![CDATA[A & <B>]]></companyName>\n"
        "  <title i:nil=\"true\" />\n"
        "  <address />\n"
        "  <userDetails>\n"
        "    <firstName>Ann</firstName><?pi ignored?>\n"
        "    <userSettings>\n"
        "      <nameValue><name>n</name><value>v</value></nameValue>\n"
        "      <nameValue />\n"
        "    </userSettings>\n"
        "    <middleName></middleName>\n"
        "    <unknownThing />\n"
        "  </userDetails>\n"
        "</userProfile>";
    char err[128];
    char *root = NULL;
    json_t *j = dec(x, &root, err, sizeof(err)), *ud, *us;

    if (j == NULL)
        fail_msg("decode failed: %s", err);
    assert_string_equal(root, "userProfile");
    assert_string_equal(json_string_value(json_object_get(j, "companyName")), "A & <B>");
    assert_null(json_object_get(j, "title"));                 /* i:nil omitted */
    assert_true(json_is_object(json_object_get(j, "address")));
    ud = json_object_get(j, "userDetails");
    assert_string_equal(json_string_value(json_object_get(ud, "firstName")), "Ann");
    assert_string_equal(json_string_value(json_object_get(ud, "middleName")), "");
    assert_string_equal(json_string_value(json_object_get(ud, "unknownThing")), "");
    us = json_object_get(ud, "userSettings");
    assert_true(json_is_array(us));
    assert_int_equal(json_array_size(us), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(us, 0), "value")), "v");
    assert_true(json_is_object(json_array_get(us, 1)));
    json_decref(j);
    free(root);
}

static void test_decode_prefixed_names_and_bom(void **state)
{
    const char *x = "\xEF\xBB\xBF<ds:userProfile xmlns:ds=\"http://www.docusign.com/restapi\">"
                    "<ds:companyName>C</ds:companyName></ds:userProfile>";
    char err[128];
    char *root = NULL;
    json_t *j = dec(x, &root, err, sizeof(err));

    if (j == NULL)
        fail_msg("decode failed: %s", err);
    assert_string_equal(root, "userProfile");
    assert_string_equal(json_string_value(json_object_get(j, "companyName")), "C");
    json_decref(j);
    free(root);
}

static void test_decode_empty_root_and_null_root_out(void **state)
{
    char err[64];
    json_t *j = xml_to_json("<userProfile/>", 14, NULL, err, sizeof(err));

    assert_non_null(j);
    assert_true(json_is_object(j));
    assert_int_equal(json_object_size(j), 0);
    json_decref(j);
}

static void test_reject_doctype_billion_laughs(void **state)
{
    const char *x =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE lolz [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n"
        "<userProfile><companyName>&lol9;</companyName></userProfile>";

    assert_rejected(x, "DOCTYPE");
}

static void test_reject_external_entity(void **state)
{
    assert_rejected("<?xml version=\"1.0\"?>\n"
                    "<!DOCTYPE userProfile [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n"
                    "<userProfile><companyName>&xxe;</companyName></userProfile>", "DOCTYPE");
    assert_rejected("<!DOCTYPE userProfile SYSTEM \"http://127.0.0.1:1/evil.dtd\">"
                    "<userProfile/>", "DOCTYPE");
    /* after a comment and a PI, and with odd spacing */
    assert_rejected("<?xml version=\"1.0\"?><!-- c --><?pi x?>\r\n  <!DOCTYPE a []><a/>", "DOCTYPE");
}

static void test_undeclared_entity_rejected(void **state)
{
    /* no DTD: an entity reference other than the five predefined is an error */
    assert_rejected("<userProfile><companyName>&xxe;</companyName></userProfile>", "malformed");
}

static void test_predefined_entities_and_char_refs(void **state)
{
    char err[128];
    char *root = NULL;
    json_t *j = dec("<r><t>&lt;&amp;&gt;&quot;&apos;&#233;&#x20AC;</t></r>", &root, err, sizeof(err));

    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "t")), "<&>\"'\xC3\xA9\xE2\x82\xAC");
    json_decref(j);
    free(root);
}

static char *nested(int depth)
{
    size_t cap = (size_t)depth * 8 + 16, len = 0;
    char *x = malloc(cap);
    int i;

    assert_non_null(x);
    for (i = 0; i < depth; i++) {
        memcpy(x + len, "<a>", 3);
        len += 3;
    }
    for (i = 0; i < depth; i++) {
        memcpy(x + len, "</a>", 4);
        len += 4;
    }
    x[len] = '\0';
    return x;
}

static void test_depth_limit(void **state)
{
    char err[128];
    char *root = NULL;
    char *x = nested(LIM_XML_DEPTH);
    json_t *j = dec(x, &root, err, sizeof(err));

    assert_non_null(j);                 /* exactly at the limit */
    json_decref(j);
    free(root);
    free(x);
    x = nested(LIM_XML_DEPTH + 1);
    assert_rejected(x, "deeply");
    free(x);
    x = nested(5000);                   /* libxml2's own limit or ours */
    assert_rejected(x, NULL);
    free(x);
}

static void test_node_limit(void **state)
{
    size_t n = LIM_XML_NODES + 10, i, len = 0;
    char *x = malloc(n * 9 + 32);

    assert_non_null(x);
    memcpy(x, "<r><l>", 6);
    len = 6;
    for (i = 0; i < n; i++) {
        memcpy(x + len, "<string/>", 9);
        len += 9;
    }
    memcpy(x + len, "</l></r>", 9);
    assert_rejected(x, "too many");
    free(x);
}

static void test_malformed(void **state)
{
    char err[64];

    assert_rejected("", "empty");
    assert_rejected("<a><b></a>", "malformed");
    assert_rejected("<a>", "malformed");
    assert_rejected("not xml at all", "malformed");
    assert_rejected("<a></a><b></b>", "malformed");
    assert_rejected("<a x='1' x='2'/>", "malformed");
    assert_rejected("<a>\x01</a>", "malformed");
    assert_rejected("<a>\xC3\x28</a>", "malformed");          /* invalid UTF-8 */
    assert_rejected("<a><b>1</b><b>2</b></a>", "duplicate");
    assert_rejected("<a>text<b>1</b></a>", "mixed");
    assert_rejected("<a>just text</a>", "root");
    assert_rejected("<a><userSettings>text</userSettings></a>", "list");
    assert_null(xml_to_json(NULL, 0, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "empty"));
    assert_null(xml_to_json("<a>", 3, NULL, NULL, 0));       /* NULL err is fine */
}

static void test_declared_encoding_ignored(void **state)
{
    /* the body is taken as UTF-8 whatever it declares */
    char err[128];
    char *root = NULL;
    json_t *j = dec("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r><t>\xC3\xA9</t></r>",
                    &root, err, sizeof(err));

    if (j == NULL)
        fail_msg("decode failed: %s", err);
    assert_string_equal(json_string_value(json_object_get(j, "t")), "\xC3\xA9");
    json_decref(j);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_and_namespaces),
        cmocka_unit_test(test_alphabetical_order_byte_order),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_control_characters_replaced),
        cmocka_unit_test(test_nonchars_replaced_and_utf8_kept),
        cmocka_unit_test(test_carriage_return_survives),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_empty_object_and_array),
        cmocka_unit_test(test_item_names),
        cmocka_unit_test(test_seed_layout),
        cmocka_unit_test(test_invalid_names_encoded),
        cmocka_unit_test(test_encode_depth_limit),
        cmocka_unit_test(test_round_trip_profile),
        cmocka_unit_test(test_round_trip_v21_user_settings_object),
        cmocka_unit_test(test_decode_request_body),
        cmocka_unit_test(test_decode_prefixed_names_and_bom),
        cmocka_unit_test(test_decode_empty_root_and_null_root_out),
        cmocka_unit_test(test_reject_doctype_billion_laughs),
        cmocka_unit_test(test_reject_external_entity),
        cmocka_unit_test(test_undeclared_entity_rejected),
        cmocka_unit_test(test_predefined_entities_and_char_refs),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_node_limit),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_declared_encoding_ignored),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    xmlCleanupParser();
    return rc;
}
