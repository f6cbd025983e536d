/*
 * tls.c - load or generate the HTTPS certificate (see tls.h), with GnuTLS.
 * PEM files are read whole (bounded by TLS_PEM_MAX).
 */
#include "http/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/strutil.h"

#define TLS_PEM_MAX (64 * 1024)
#define TLS_VALID_DAYS 825

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;

    if (f == NULL) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    buf = malloc(TLS_PEM_MAX + 1);
    if (buf == NULL)
        goto out;
    n = fread(buf, 1, TLS_PEM_MAX + 1, f);
    if (n > TLS_PEM_MAX) {
        snprintf(err, errlen, "%s is larger than %d bytes", path, TLS_PEM_MAX);
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
out:
    fclose(f);
    return buf;
}

static int write_file(const char *path, const void *data, size_t len, mode_t mode,
                      char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    ssize_t w;

    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    w = write(fd, data, len);
    if (w < 0 || (size_t)w != len || fsync(fd) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    return 0;
}

int tls_generate_selfsigned(const char *cert_path, const char *key_path, char *err, size_t errlen)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t kpem = {NULL, 0}, cpem = {NULL, 0};
    unsigned char serial[16];
    static const unsigned char ip4[4] = {127, 0, 0, 1};
    static const unsigned char ip6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    time_t now = time(NULL);
    int rc = -1, g;

#define TRY(call) do { if ((g = (call)) < 0) { snprintf(err, errlen, "%s: %s", #call, gnutls_strerror(g)); goto out; } } while (0)
    TRY(gnutls_x509_privkey_init(&key));
    TRY(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
    TRY(gnutls_x509_crt_init(&crt));
    TRY(gnutls_x509_crt_set_version(crt, 3));
    randombytes_buf(serial, sizeof(serial));
    serial[0] &= 0x7f;
    TRY(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)));
    TRY(gnutls_x509_crt_set_activation_time(crt, now - 3600));
    TRY(gnutls_x509_crt_set_expiration_time(crt, now + (time_t)TLS_VALID_DAYS * 86400));
    TRY(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "localhost", 9));
    TRY(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "profiled (self-signed)", 22));
    TRY(gnutls_x509_crt_set_key(crt, key));
    /* a self-signed trust anchor that is also the server certificate, like
     * `openssl req -x509`: clients add it to their trusted CAs */
    TRY(gnutls_x509_crt_set_basic_constraints(crt, 1, 0));
    TRY(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN));
    TRY(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0));
    TRY(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_APPEND));
    TRY(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip4, sizeof(ip4), GNUTLS_FSAN_APPEND));
    TRY(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip6, sizeof(ip6), GNUTLS_FSAN_APPEND));
    TRY(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0));
    TRY(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem));
    TRY(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem));
#undef TRY
    if (write_file(key_path, kpem.data, kpem.size, 0600, err, errlen) != 0)
        goto out;
    if (write_file(cert_path, cpem.data, cpem.size, 0644, err, errlen) != 0) {
        unlink(key_path);
        goto out;
    }
    rc = 0;
out:
    if (kpem.data) {
        sodium_memzero(kpem.data, kpem.size);
        gnutls_free(kpem.data);
    }
    gnutls_free(cpem.data);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
    return rc;
}

int tls_material_load(const char *cert_file, const char *key_file, const char *dir,
                      tls_material *out, char *err, size_t errlen)
{
    char cpath[512], kpath[512];

    memset(out, 0, sizeof(*out));
    if ((cert_file && *cert_file) != (key_file && *key_file)) {
        snprintf(err, errlen, "give both a certificate and a key, or neither");
        return -1;
    }
    if (cert_file && *cert_file) {
        str_copy(cpath, sizeof(cpath), cert_file);
        str_copy(kpath, sizeof(kpath), key_file);
    } else {
        if (snprintf(cpath, sizeof(cpath), "%s/cert.pem", dir) >= (int)sizeof(cpath) ||
            snprintf(kpath, sizeof(kpath), "%s/key.pem", dir) >= (int)sizeof(kpath)) {
            snprintf(err, errlen, "data directory path too long");
            return -1;
        }
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
            return -1;
        }
        if (access(cpath, R_OK) != 0 || access(kpath, R_OK) != 0) {
            unlink(cpath);
            unlink(kpath);
            if (tls_generate_selfsigned(cpath, kpath, err, errlen) != 0)
                return -1;
        }
    }
    out->cert_pem = read_file(cpath, err, errlen);
    out->key_pem = out->cert_pem ? read_file(kpath, err, errlen) : NULL;
    if (out->key_pem == NULL) {
        tls_material_free(out);
        return -1;
    }
    str_copy(out->cert_path, sizeof(out->cert_path), cpath);
    return 0;
}

void tls_material_free(tls_material *m)
{
    if (m->key_pem) {
        sodium_memzero(m->key_pem, strlen(m->key_pem));
        free(m->key_pem);
    }
    free(m->cert_pem);
    m->cert_pem = m->key_pem = NULL;
}
