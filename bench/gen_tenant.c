/*
 * gen_tenant.c - writes a synthetic tenant in the profiled import format
 * (see /tmp/api-contract.md, "Import format") for the benchmark.
 *
 *   gen_tenant --users N --output FILE [--per-account M] [--seed S]
 *              [--sample K --sample-output FILE] [--admins-output FILE]
 *              [--pairs K --pairs-output FILE] [--png-output FILE] [--orgs-output FILE]
 *
 * N users spread over ceil(N/M) accounts (M = 1000 by default), one
 * organization per account, one membership per user (the first user of
 * each account is its admin).  Every user gets a ~1 KB profile built from
 * word lists by a seeded PRNG, so the same arguments give the same file.
 * Users carry a fixed Argon2id "passwordHash" (never a plain password:
 * hashing on import is deliberately slow).  User 0 also carries a ~5 KB PNG
 * profile image (40x40 RGB, stored deflate blocks).
 *
 * --sample writes "accountId userId" lines: first user 0 (the fixed user
 * of the single-user scenarios, admin of account 0, has the image), then K
 * distinct users drawn at random (all users, shuffled, when N <= K).
 * --admins-output writes "accountId adminUserId" for every account;
 * --pairs writes K lines "accountId userId" drawn uniformly (with
 * replacement) from all N users, for reads by the account admins across
 * the whole data set.  --png-output writes user 0's image.  The admin of
 * each account also administers its organization (organizationAdmins);
 * --orgs-output writes "organizationId adminUserId" for every organization.
 *
 * Memory: one output buffer (static), the PNG and sample arrays (heap,
 * freed before exit).  Nothing else is allocated per user, so N = 10^6
 * takes a few seconds and constant memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTBUF_SIZE (1u << 20)
#define MAX_USERS 100000000LL
#define MAX_SAMPLE 1000000LL
#define PNG_SIDE 40

/* A fixed Argon2id hash (libsodium crypto_pwhash_str, interactive limits,
 * of "bench-password-1"), shared by every user: real hashes have their
 * own salts but the same length. */
static const char PW_HASH[] =
    "$argon2id$v=19$m=65536,t=2,p=1$KS/jvvC6nDvCBJGDVjhy0A$"
    "wbDYzHPxQh19cPbbdwEJzCRoCyyp14KVwhlTMGEgvCc";

/* ---- output buffer ---- */

typedef struct {
    FILE *f;
    size_t len;
    int failed;
    unsigned char buf[OUTBUF_SIZE];
} out_t;

static out_t g_out;

static void o_flush(out_t *o)
{
    if (o->len > 0 && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->failed = 1;
    o->len = 0;
}

static void o_raw(out_t *o, const char *s, size_t n)
{
    if (n > OUTBUF_SIZE - o->len) {
        o_flush(o);
        if (n > OUTBUF_SIZE) {
            if (fwrite(s, 1, n, o->f) != n)
                o->failed = 1;
            return;
        }
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void o_s(out_t *o, const char *s)
{
    o_raw(o, s, strlen(s));
}

static void o_u(out_t *o, uint64_t v)
{
    char tmp[24];
    size_t n = 0;

    do {
        tmp[sizeof(tmp) - 1 - n] = (char)('0' + v % 10);
        v /= 10;
        n++;
    } while (v != 0);
    o_raw(o, tmp + sizeof(tmp) - n, n);
}

/* A JSON string with quotes; the word lists are plain ASCII, but escape
 * anyway so that the output is always valid JSON. */
static void o_js(out_t *o, const char *s)
{
    o_raw(o, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = { '\\', (char)c };
            o_raw(o, e, 2);
        } else if (c < 0x20) {
            char e[8];
            int n = snprintf(e, sizeof(e), "\\u%04x", c);
            o_raw(o, e, (size_t)n);
        } else {
            o_raw(o, (const char *)&c, 1);
        }
    }
    o_raw(o, "\"", 1);
}

/* "key":"value" with an optional leading comma */
static void o_kv(out_t *o, int comma, const char *k, const char *v)
{
    if (comma)
        o_raw(o, ",", 1);
    o_js(o, k);
    o_raw(o, ":", 1);
    o_js(o, v);
}

static void o_ku(out_t *o, int comma, const char *k, uint64_t v)
{
    if (comma)
        o_raw(o, ",", 1);
    o_js(o, k);
    o_raw(o, ":", 1);
    o_u(o, v);
}

/* ---- deterministic randomness ---- */

static uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

typedef struct { uint64_t s; } rng_t;

static uint64_t rnd(rng_t *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return splitmix(r->s);
}

static uint64_t rnd_below(rng_t *r, uint64_t n)
{
    return n ? rnd(r) % n : 0;
}

#define PICK(r, arr) ((arr)[rnd_below((r), sizeof(arr) / sizeof((arr)[0]))])

/* A v4-shaped GUID, lower case, from (seed, kind, index): random-looking
 * but reproducible, so memberships can name users without storing them. */
static void guid(char out[37], uint64_t seed, uint64_t kind, uint64_t idx)
{
    uint64_t a = splitmix(seed ^ splitmix(kind * 0x100000001b3ULL + idx * 2));
    uint64_t b = splitmix(seed ^ splitmix(kind * 0x100000001b3ULL + idx * 2 + 1));

    snprintf(out, 37, "%08" PRIx32 "-%04" PRIx32 "-4%03" PRIx32 "-%04" PRIx32 "-%012" PRIx64,
             (uint32_t)(a >> 32), (uint32_t)((a >> 16) & 0xffff), (uint32_t)(a & 0xfff),
             (uint32_t)(0x8000 | ((b >> 48) & 0x3fff)), (uint64_t)(b & 0xffffffffffffULL));
}

enum { K_ORG = 1, K_ACCOUNT = 2, K_USER = 3 };

/* ---- word lists ---- */

static const char *const FIRST[] = {
    "Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Dennis", "Margaret",
    "John", "Mary", "James", "Linda", "Robert", "Patricia", "Michael", "Jennifer", "William", "Elena",
    "David", "Sofia", "Richard", "Amara", "Joseph", "Yuki", "Thomas", "Priya", "Charles", "Fatima",
    "Daniel", "Ingrid", "Matthew", "Chen", "Anthony", "Olga", "Mark", "Lucia", "Paul", "Aisha",
    "Steven", "Hannah", "Andrew", "Marta", "Joshua", "Noor", "Kevin", "Camille", "Brian", "Zara",
};
static const char *const MIDDLE[] = {
    "", "", "", "A", "B", "C", "D", "E", "J", "K", "L", "M", "R", "S", "T", "Marie", "Lee", "Ann",
};
static const char *const LAST[] = {
    "Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Ritchie",
    "Hamilton", "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
    "Nakamura", "Okafor", "Kowalski", "Novak", "Svensson", "Rossi", "Dubois", "Muller", "Ivanova",
    "Haddad", "Kim", "Nguyen", "Patel", "Singh",
};
static const char *const SALUT[] = { "Mr", "Ms", "Mrs", "Dr", "Mx", "" };
static const char *const SUFFIX[] = { "", "", "", "", "", "", "", "", "Jr", "Sr", "III", "PhD" };
static const char *const JOB[] = {
    "Account Executive", "Sales Manager", "Software Engineer", "Senior Software Engineer",
    "Product Manager", "Legal Counsel", "Paralegal", "HR Business Partner", "Recruiter",
    "Procurement Specialist", "Finance Analyst", "Controller", "Operations Manager",
    "Customer Success Manager", "Contracts Administrator", "Chief Financial Officer",
    "Office Manager", "Compliance Officer", "Real Estate Agent", "Loan Officer",
};
static const char *const DEPT[] = {
    "Sales", "Engineering", "Legal", "Human Resources", "Finance", "Operations", "Procurement",
    "Customer Success", "Marketing", "Compliance",
};
static const char *const STREET[] = {
    "Oak Street", "Maple Avenue", "Cedar Lane", "Park Road", "High Street", "Market Street",
    "Mission Street", "King Street", "Queen Street", "Elm Drive", "Harbour Way", "Station Road",
};
typedef struct { const char *city, *state, *country, *phone; } place;
static const place PLACES[] = {
    { "San Francisco", "CA", "US", "+1 415 555 " }, { "Seattle", "WA", "US", "+1 206 555 " },
    { "Chicago", "IL", "US", "+1 312 555 " },       { "New York", "NY", "US", "+1 212 555 " },
    { "Austin", "TX", "US", "+1 512 555 " },         { "London", "London", "GB", "+44 20 7946 " },
    { "Manchester", "Greater Manchester", "GB", "+44 161 496 " },
    { "Dublin", "Leinster", "IE", "+353 1 555 " },   { "Paris", "Ile-de-France", "FR", "+33 1 55 55 " },
    { "Berlin", "Berlin", "DE", "+49 30 5555 " },    { "Sydney", "NSW", "AU", "+61 2 5550 " },
    { "Toronto", "ON", "CA", "+1 416 555 " },        { "Tokyo", "Tokyo", "JP", "+81 3 5555 " },
};
static const char *const COMPANY_A[] = {
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne",
    "Soylent", "Hooli", "Vandelay", "Massive", "Aperture", "Oscorp", "Gringotts",
};
static const char *const COMPANY_B[] = {
    "Industries", "Holdings", "Partners", "Logistics", "Realty", "Legal", "Health", "Capital",
    "Systems", "Foods", "Energy", "Labs",
};
static const char *const IDP[] = { "Okta", "Azure AD", "Google Workspace", "OneLogin", "Ping Identity" };
static const char *const LOCALE[] = { "en", "en", "en", "en_GB", "fr", "de", "es", "ja", "pt_BR" };

/* ---- record pieces ---- */

static void o_date(out_t *o, rng_t *r, int year_from)
{
    char d[40];
    int n = snprintf(d, sizeof(d), "\"%04d-%02d-%02dT%02d:%02d:%02d.%07dZ\"",
                     year_from + (int)rnd_below(r, 2), 1 + (int)rnd_below(r, 12),
                     1 + (int)rnd_below(r, 28), (int)rnd_below(r, 24), (int)rnd_below(r, 60),
                     (int)rnd_below(r, 60), (int)rnd_below(r, 10000000));
    o_raw(o, d, (size_t)n);
}

static void o_address(out_t *o, rng_t *r, const place *p, int with_line2)
{
    char line[64], zip[16], phone[40];

    snprintf(line, sizeof(line), "%u %s", 1 + (unsigned)rnd_below(r, 9999), PICK(r, STREET));
    snprintf(zip, sizeof(zip), "%05u", 10000 + (unsigned)rnd_below(r, 89999));
    snprintf(phone, sizeof(phone), "%s%04u", p->phone, (unsigned)rnd_below(r, 10000));
    o_raw(o, "{", 1);
    o_kv(o, 0, "address1", line);
    if (with_line2) {
        snprintf(line, sizeof(line), "Suite %u", 100 + (unsigned)rnd_below(r, 900));
        o_kv(o, 1, "address2", line);
    }
    o_kv(o, 1, "city", p->city);
    o_kv(o, 1, "stateOrProvince", p->state);
    o_kv(o, 1, "postalCode", zip);
    o_kv(o, 1, "country", p->country);
    o_kv(o, 1, "phone", phone);
    o_raw(o, "}", 1);
}

static void company_name(char *out, size_t cap, uint64_t seed, uint64_t acc)
{
    rng_t r = { splitmix(seed ^ (acc * 7919 + 13)) };
    const char *a = PICK(&r, COMPANY_A), *b = PICK(&r, COMPANY_B);

    snprintf(out, cap, "%s %s %" PRIu64, a, b, acc + 1);
}

/* The profile of one user; first/last/middle are chosen by the caller so
 * the email matches.  About 1 KB of JSON. */
static void o_profile(out_t *o, rng_t *r, const char *company, const char *first,
                      const char *middle, const char *last)
{
    const place *home = &PICK(r, PLACES), *work = &PICK(r, PLACES);
    const char *job = PICK(r, JOB), *sal = PICK(r, SALUT), *suf = PICK(r, SUFFIX);
    char uname[200], cc[24];

    snprintf(uname, sizeof(uname), "%s%s%s %s%s%s", first, middle[0] ? " " : "", middle, last,
             suf[0] ? " " : "", suf);
    o_s(o, "{\"address\":");
    o_address(o, r, home, 0);
    o_s(o, ",\"authenticationMethods\":[{\"authenticationType\":\"SSOAuth\"");
    o_kv(o, 1, "lastProvider", PICK(r, IDP));
    o_s(o, ",\"lastTimestamp\":");
    o_date(o, r, 2024);
    o_ku(o, 1, "totalCount", rnd_below(r, 500));
    o_s(o, "},{\"authenticationType\":\"PhoneAuth\",\"lastProvider\":\"SMS\",\"lastTimestamp\":");
    o_date(o, r, 2023);
    o_ku(o, 1, "totalCount", rnd_below(r, 20));
    o_s(o, "}]");
    o_kv(o, 1, "companyName", company);
    o_kv(o, 1, "displayOrganizationInfo", rnd_below(r, 4) ? "true" : "false");
    o_kv(o, 1, "displayPersonalInfo", rnd_below(r, 2) ? "true" : "false");
    o_kv(o, 1, "displayProfile", rnd_below(r, 8) ? "true" : "false");
    o_kv(o, 1, "displayUsageHistory", rnd_below(r, 3) ? "true" : "false");
    o_kv(o, 1, "title", job);
    o_s(o, ",\"usageHistory\":{\"lastSentDateTime\":");
    o_date(o, r, 2024);
    o_s(o, ",\"lastSignedDateTime\":");
    o_date(o, r, 2024);
    o_ku(o, 1, "sentCount", rnd_below(r, 5000));
    o_ku(o, 1, "signedCount", rnd_below(r, 2000));
    o_s(o, "},\"userDetails\":{");
    o_kv(o, 0, "firstName", first);
    if (middle[0])
        o_kv(o, 1, "middleName", middle);
    o_kv(o, 1, "lastName", last);
    if (suf[0])
        o_kv(o, 1, "suffixName", suf);
    if (sal[0])
        o_kv(o, 1, "title", sal);
    o_kv(o, 1, "userName", uname);
    o_kv(o, 1, "jobTitle", job);
    o_kv(o, 1, "countryCode", work->country);
    o_s(o, ",\"workAddress\":");
    o_address(o, r, work, 1);
    o_s(o, ",\"customSettings\":[");
    o_s(o, "{\"name\":\"department\",\"value\":");
    o_js(o, PICK(r, DEPT));
    snprintf(cc, sizeof(cc), "CC-%04u", (unsigned)rnd_below(r, 10000));
    o_s(o, "},{\"name\":\"costCenter\",\"value\":");
    o_js(o, cc);
    o_s(o, "}],\"userSettings\":[{\"name\":\"locale\",\"value\":");
    o_js(o, PICK(r, LOCALE));
    o_s(o, "},{\"name\":\"canSendEnvelope\",\"value\":\"true\"}"
           ",{\"name\":\"canSignEnvelope\",\"value\":\"true\"}"
           ",{\"name\":\"timezoneOffset\",\"value\":\"tz_");
    o_u(o, rnd_below(r, 40));
    o_s(o, "\"}]");
    o_kv(o, 1, "subscribe", rnd_below(r, 5) ? "false" : "true");
    o_s(o, "}}");
}

/* ---- a small PNG: 40x40 RGB, zlib with stored (uncompressed) blocks ---- */

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;

    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Appends a chunk (length, type, data, CRC) at png+*len. */
static void png_chunk(unsigned char *png, size_t *len, const char type[4],
                      const unsigned char *data, size_t n)
{
    unsigned char *c = png + *len;

    be32(c, (uint32_t)n);
    memcpy(c + 4, type, 4);
    if (n)
        memcpy(c + 8, data, n);
    be32(c + 8 + n, crc32_of(c + 4, n + 4));
    *len += 12 + n;
}

/* Builds the PNG into a malloc'ed buffer (caller frees); NULL on OOM. */
static unsigned char *make_png(size_t *out_len)
{
    const size_t row = 1 + PNG_SIDE * 3, raw_len = row * PNG_SIDE;
    const size_t z_len = 2 + 5 + raw_len + 4;      /* one stored block (< 65535) */
    unsigned char *png = malloc(8 + 25 + 12 + z_len + 12), *z = malloc(z_len);
    unsigned char ihdr[13] = {0};
    uint32_t a = 1, b = 0;
    size_t len = 0;

    if (png == NULL || z == NULL) {
        free(png);
        free(z);
        return NULL;
    }
    memcpy(png, "\x89PNG\r\n\x1a\n", 8);
    len = 8;
    be32(ihdr, PNG_SIDE);
    be32(ihdr + 4, PNG_SIDE);
    ihdr[8] = 8;                                    /* bit depth */
    ihdr[9] = 2;                                    /* RGB */
    png_chunk(png, &len, "IHDR", ihdr, sizeof(ihdr));
    z[0] = 0x78;
    z[1] = 0x01;
    z[2] = 1;                                       /* final stored block */
    z[3] = (unsigned char)(raw_len & 0xff);
    z[4] = (unsigned char)(raw_len >> 8);
    z[5] = (unsigned char)(~raw_len & 0xff);
    z[6] = (unsigned char)((~raw_len >> 8) & 0xff);
    for (size_t y = 0; y < PNG_SIDE; y++) {
        unsigned char *p = z + 7 + y * row;
        p[0] = 0;                                   /* filter: none */
        for (size_t x = 0; x < PNG_SIDE; x++) {
            int ring = ((int)x - 20) * ((int)x - 20) + ((int)y - 20) * ((int)y - 20) < 300;
            p[1 + x * 3] = (unsigned char)(ring ? 40 : 200 - x * 3);
            p[2 + x * 3] = (unsigned char)(ring ? 90 + y * 2 : 210);
            p[3 + x * 3] = (unsigned char)(ring ? 160 : 230 - y);
        }
    }
    for (size_t i = 0; i < raw_len; i++) {          /* Adler-32 */
        a = (a + z[7 + i]) % 65521;
        b = (b + a) % 65521;
    }
    be32(z + 7 + raw_len, (b << 16) | a);
    png_chunk(png, &len, "IDAT", z, z_len);
    png_chunk(png, &len, "IEND", NULL, 0);
    free(z);
    *out_len = len;
    return png;
}

static void o_base64(out_t *o, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];

    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        q[0] = tab[(v >> 18) & 63];
        q[1] = tab[(v >> 12) & 63];
        q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? tab[v & 63] : '=';
        o_raw(o, q, 4);
    }
}

/* ---- the file ---- */

typedef struct {
    long long users, per_account, sample, pairs;
    uint64_t seed;
    const char *output, *sample_output, *png_output, *admins_output, *pairs_output;
    const char *orgs_output;
} opts;

static long long n_accounts(const opts *op)
{
    return (op->users + op->per_account - 1) / op->per_account;
}

static void write_orgs_accounts(out_t *o, const opts *op)
{
    char id[37], org[37], company[96], name[128];

    o_s(o, "{\"format\":\"profiled-import\",\"version\":1,\n\"organizations\":[");
    for (long long a = 0; a < n_accounts(op); a++) {
        guid(org, op->seed, K_ORG, (uint64_t)a);
        company_name(company, sizeof(company), op->seed, (uint64_t)a);
        o_s(o, a ? ",\n{" : "\n{");
        o_kv(o, 0, "organizationId", org);
        o_kv(o, 1, "name", company);
        o_s(o, "}");
    }
    o_s(o, "],\n\"accounts\":[");
    for (long long a = 0; a < n_accounts(op); a++) {
        guid(id, op->seed, K_ACCOUNT, (uint64_t)a);
        guid(org, op->seed, K_ORG, (uint64_t)a);
        company_name(company, sizeof(company), op->seed, (uint64_t)a);
        snprintf(name, sizeof(name), "%s - eSignature", company);
        o_s(o, a ? ",\n{" : "\n{");
        o_kv(o, 0, "accountId", id);
        o_ku(o, 1, "accountNumber", 2000000 + (uint64_t)a);
        o_kv(o, 1, "accountName", name);
        o_kv(o, 1, "organizationId", org);
        o_s(o, ",\"permissionProfiles\":[{\"permissionProfileId\":\"1\",\"permissionProfileName\":"
               "\"Account Administrator\"},{\"permissionProfileId\":\"2\",\"permissionProfileName\":"
               "\"DocuSign Sender\"}],\"groups\":[{\"groupId\":\"1\",\"groupName\":\"Administrators\","
               "\"groupType\":\"AdminGroup\"},{\"groupId\":\"2\",\"groupName\":\"Everyone\","
               "\"groupType\":\"EveryoneGroup\"}]}");
    }
    o_s(o, "],\n");
}

static void lower_ascii(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

static void write_users(out_t *o, const opts *op, const unsigned char *png, size_t png_len)
{
    char id[37], company[96], email[160], created[40];

    o_s(o, "\"users\":[");
    for (long long u = 0; u < op->users; u++) {
        uint64_t acc = (uint64_t)(u / op->per_account);
        rng_t r = { splitmix(op->seed ^ ((uint64_t)u * 0x2545f4914f6cdd1dULL + 7)) };
        const char *first = PICK(&r, FIRST), *middle = PICK(&r, MIDDLE), *last = PICK(&r, LAST);

        guid(id, op->seed, K_USER, (uint64_t)u);
        company_name(company, sizeof(company), op->seed, acc);
        snprintf(email, sizeof(email), "%s.%s.%lld@%s-%" PRIu64 ".test", first, last, u,
                 PICK(&r, COMPANY_A), acc + 1);
        lower_ascii(email);
        snprintf(created, sizeof(created), "%04d-%02d-%02dT09:00:00.0000000Z",
                 2018 + (int)rnd_below(&r, 6), 1 + (int)rnd_below(&r, 12), 1 + (int)rnd_below(&r, 28));
        o_s(o, u ? ",\n{" : "\n{");
        o_kv(o, 0, "userId", id);
        o_kv(o, 1, "email", email);
        o_kv(o, 1, "passwordHash", PW_HASH);
        o_kv(o, 1, "userStatus", "Active");
        o_kv(o, 1, "createdDateTime", created);
        o_s(o, ",\"profile\":");
        o_profile(o, &r, company, first, middle, last);
        if (u == 0 && png != NULL) {
            o_s(o, ",\"profileImage\":{\"data\":\"");
            o_base64(o, png, png_len);
            o_s(o, "\"}");
        }
        o_s(o, "}");
    }
    o_s(o, "],\n");
}

static void write_memberships(out_t *o, const opts *op)
{
    char id[37], acc_id[37];

    o_s(o, "\"memberships\":[");
    for (long long u = 0; u < op->users; u++) {
        uint64_t acc = (uint64_t)(u / op->per_account);
        int admin = u % op->per_account == 0;

        guid(id, op->seed, K_USER, (uint64_t)u);
        guid(acc_id, op->seed, K_ACCOUNT, acc);
        o_s(o, u ? ",\n{" : "\n{");
        o_kv(o, 0, "accountId", acc_id);
        o_kv(o, 1, "userId", id);
        o_s(o, admin ? ",\"isAdmin\":true,\"permissionProfileId\":\"1\",\"groupIds\":[\"1\",\"2\"]}"
                     : ",\"isAdmin\":false,\"permissionProfileId\":\"2\",\"groupIds\":[\"2\"]}");
    }
    /* the admin of each account also administers its organization (Admin API) */
    o_s(o, "],\n\"organizationAdmins\":[");
    for (long long a = 0; a < n_accounts(op); a++) {
        guid(id, op->seed, K_USER, (uint64_t)(a * op->per_account));
        guid(acc_id, op->seed, K_ORG, (uint64_t)a);
        o_s(o, a ? ",\n{" : "\n{");
        o_kv(o, 0, "organizationId", acc_id);
        o_kv(o, 1, "userId", id);
        o_s(o, "}");
    }
    o_s(o, "]}\n");
}

/* "organizationId adminUserId" per organization (one per account). */
static int write_org_list(const opts *op, const char *path)
{
    char id[37], org[37];
    FILE *f = fopen(path, "w");
    int rc = 0;

    if (f == NULL) {
        fprintf(stderr, "gen_tenant: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (long long a = 0; a < n_accounts(op); a++) {
        guid(id, op->seed, K_USER, (uint64_t)(a * op->per_account));
        guid(org, op->seed, K_ORG, (uint64_t)a);
        if (fprintf(f, "%s %s\n", org, id) < 0)
            rc = -1;
    }
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

/* Sample file: user 0, then K distinct random users (Floyd's algorithm;
 * all users shuffled when N <= K). */
static int write_sample(const opts *op)
{
    long long k = op->sample < op->users ? op->sample : op->users;
    long long *pick = malloc(sizeof(long long) * (size_t)(k > 0 ? k : 1));
    rng_t r = { splitmix(op->seed ^ 0x5eedULL) };
    char id[37], acc_id[37];
    FILE *f = NULL;
    int rc = -1;

    if (pick == NULL)
        goto out;
    if (k == op->users) {
        for (long long i = 0; i < k; i++)
            pick[i] = i;
        for (long long i = k - 1; i > 0; i--) {
            long long j = (long long)rnd_below(&r, (uint64_t)i + 1), t = pick[i];
            pick[i] = pick[j];
            pick[j] = t;
        }
    } else {
        long long n = 0;
        for (long long j = op->users - k; j < op->users; j++) {
            long long t = (long long)rnd_below(&r, (uint64_t)j + 1), seen = 0;
            for (long long i = 0; i < n && !seen; i++)
                seen = pick[i] == t;
            pick[n++] = seen ? j : t;
        }
    }
    f = fopen(op->sample_output, "w");
    if (f == NULL) {
        fprintf(stderr, "gen_tenant: cannot write %s: %s\n", op->sample_output, strerror(errno));
        goto out;
    }
    for (long long i = -1; i < k; i++) {
        long long u = i < 0 ? 0 : pick[i];
        guid(id, op->seed, K_USER, (uint64_t)u);
        guid(acc_id, op->seed, K_ACCOUNT, (uint64_t)(u / op->per_account));
        fprintf(f, "%s %s\n", acc_id, id);
    }
    rc = 0;
out:
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    free(pick);
    return rc;
}

/* "accountId adminUserId" per account, or K random "accountId userId". */
static int write_id_list(const opts *op, const char *path, int admins)
{
    rng_t r = { splitmix(op->seed ^ 0xa11ULL) };
    long long n = admins ? n_accounts(op) : op->pairs;
    char id[37], acc_id[37];
    FILE *f = fopen(path, "w");
    int rc = 0;

    if (f == NULL) {
        fprintf(stderr, "gen_tenant: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (long long i = 0; i < n; i++) {
        long long u = admins ? i * op->per_account : (long long)rnd_below(&r, (uint64_t)op->users);
        guid(id, op->seed, K_USER, (uint64_t)u);
        guid(acc_id, op->seed, K_ACCOUNT, (uint64_t)(u / op->per_account));
        if (fprintf(f, "%s %s\n", acc_id, id) < 0)
            rc = -1;
    }
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

static int parse_ll(const char *s, long long min, long long max, long long *out)
{
    char *end = NULL;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, opts *op)
{
    long long seed = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = v == NULL;
        if (!bad && strcmp(a, "--users") == 0)
            bad = parse_ll(v, 1, MAX_USERS, &op->users);
        else if (!bad && strcmp(a, "--per-account") == 0)
            bad = parse_ll(v, 1, MAX_USERS, &op->per_account);
        else if (!bad && strcmp(a, "--sample") == 0)
            bad = parse_ll(v, 0, MAX_SAMPLE, &op->sample);
        else if (!bad && strcmp(a, "--seed") == 0)
            bad = parse_ll(v, 0, INT64_MAX, &seed);
        else if (!bad && strcmp(a, "--output") == 0)
            op->output = v;
        else if (!bad && strcmp(a, "--sample-output") == 0)
            op->sample_output = v;
        else if (!bad && strcmp(a, "--png-output") == 0)
            op->png_output = v;
        else if (!bad && strcmp(a, "--admins-output") == 0)
            op->admins_output = v;
        else if (!bad && strcmp(a, "--orgs-output") == 0)
            op->orgs_output = v;
        else if (!bad && strcmp(a, "--pairs") == 0)
            bad = parse_ll(v, 0, MAX_SAMPLE * 100, &op->pairs);
        else if (!bad && strcmp(a, "--pairs-output") == 0)
            op->pairs_output = v;
        else
            bad = 1;
        if (bad) {
            fprintf(stderr, "gen_tenant: bad or incomplete option '%s'\n", a);
            return -1;
        }
        i++;
    }
    op->seed = (uint64_t)seed;
    if (op->users <= 0 || op->output == NULL || (op->sample > 0 && op->sample_output == NULL) ||
        (op->pairs > 0 && op->pairs_output == NULL)) {
        fprintf(stderr, "usage: gen_tenant --users N --output FILE [--per-account M] [--seed S]\n"
                        "                  [--sample K --sample-output FILE] [--admins-output FILE]\n"
                        "                  [--pairs K --pairs-output FILE] [--png-output FILE]\n"
                        "                  [--orgs-output FILE]\n");
        return -1;
    }
    return 0;
}

static int write_png_file(const char *path, const unsigned char *png, size_t n)
{
    FILE *f = fopen(path, "wb");
    int rc = 0;

    if (f == NULL)
        return -1;
    if (fwrite(png, 1, n, f) != n)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

int main(int argc, char **argv)
{
    opts op = { .users = 0, .per_account = 1000, .sample = 0 };
    unsigned char *png = NULL;
    size_t png_len = 0;
    int rc = 1;

    if (parse_args(argc, argv, &op) != 0)
        return 2;
    crc_init();
    png = make_png(&png_len);
    if (png == NULL)
        goto out;
    if (op.png_output && write_png_file(op.png_output, png, png_len) != 0) {
        fprintf(stderr, "gen_tenant: cannot write %s\n", op.png_output);
        goto out;
    }
    g_out.f = fopen(op.output, "w");
    if (g_out.f == NULL) {
        fprintf(stderr, "gen_tenant: cannot write %s: %s\n", op.output, strerror(errno));
        goto out;
    }
    write_orgs_accounts(&g_out, &op);
    write_users(&g_out, &op, png, png_len);
    write_memberships(&g_out, &op);
    o_flush(&g_out);
    if (fclose(g_out.f) != 0 || g_out.failed) {
        fprintf(stderr, "gen_tenant: write error on %s\n", op.output);
        goto out;
    }
    if (op.sample > 0 && write_sample(&op) != 0)
        goto out;
    if (op.admins_output && write_id_list(&op, op.admins_output, 1) != 0)
        goto out;
    if (op.orgs_output && write_org_list(&op, op.orgs_output) != 0)
        goto out;
    if (op.pairs > 0 && write_id_list(&op, op.pairs_output, 0) != 0)
        goto out;
    fprintf(stderr, "gen_tenant: %lld users in %lld accounts -> %s\n", op.users, n_accounts(&op),
            op.output);
    rc = 0;
out:
    free(png);
    return rc;
}
