/*
 * image_etag.c - the strong ETag of a profile image (model/image.h), one
 * formula for every surface that stores images (REST PUT, SOAP
 * SetUserProfileImage).  Fills the caller's buffer; nothing allocated.
 */
#include "model/image.h"

#include <sodium.h>
#include <stdio.h>

void image_etag(const unsigned char *p, size_t len, char out[IMAGE_ETAG_MAX])
{
    unsigned char hash[16];
    char hex[2 * sizeof(hash) + 1];

    crypto_generichash(hash, sizeof(hash), p, len, NULL, 0);
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    snprintf(out, IMAGE_ETAG_MAX, "\"%s\"", hex);
}
