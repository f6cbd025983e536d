/*
 * tls.h - certificate material for the HTTPS listener.
 *
 * Operators pass their own PEM certificate and key; otherwise profiled
 * generates a self-signed certificate (ECDSA P-256, CN and SAN localhost,
 * 127.0.0.1 and ::1, valid 825 days) on first run and keeps it in the data
 * directory (cert.pem, key.pem with mode 0600) so clients can trust it once
 * (NODE_EXTRA_CA_CERTS=<dir>/cert.pem).
 *
 * Memory: tls_material owns its PEM buffers (tls_material_free).
 */
#ifndef PROFILED_TLS_H
#define PROFILED_TLS_H

#include <stddef.h>

typedef struct {
    char *cert_pem;       /* NUL-terminated */
    char *key_pem;        /* NUL-terminated; zeroed on free */
    char cert_path[512];  /* where it came from */
} tls_material;

/* Loads cert_file/key_file when both are given; otherwise loads or creates
 * <dir>/cert.pem and <dir>/key.pem.  0 on success, -1 with a reason in err. */
int tls_material_load(const char *cert_file, const char *key_file, const char *dir,
                      tls_material *out, char *err, size_t errlen);
void tls_material_free(tls_material *m);

/* Generates a self-signed certificate and key as PEM files (mode 0600 key). */
int tls_generate_selfsigned(const char *cert_path, const char *key_path, char *err, size_t errlen);

#endif
