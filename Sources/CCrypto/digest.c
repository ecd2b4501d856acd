#include "CCrypto.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>

int dataflow_digest(const char *name, const uint8_t *data, size_t length, uint8_t *out, size_t out_capacity) {
    const EVP_MD *md = EVP_get_digestbyname(name);
    if (md == NULL || (size_t)EVP_MD_get_size(md) > out_capacity) return -1;
    unsigned int written = 0;
    if (EVP_Digest(data, length, out, &written, md, NULL) != 1) return -1;
    return (int)written;
}

int dataflow_hmac(const char *name, const uint8_t *key, size_t key_length, const uint8_t *data, size_t length, uint8_t *out, size_t out_capacity) {
    const EVP_MD *md = EVP_get_digestbyname(name);
    if (md == NULL || (size_t)EVP_MD_get_size(md) > out_capacity) return -1;
    unsigned int written = 0;
    if (HMAC(md, key, (int)key_length, data, length, out, &written) == NULL) return -1;
    return (int)written;
}

// The digest is fetched from its provider once, and each hash re-initialises the context with
// it (EVP_DigestInit_ex2 with no type): EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) looked the
// algorithm up again on every call, which cost more than hashing a row.
struct dataflow_sha256 { EVP_MD_CTX *ctx; EVP_MD *md; };

dataflow_sha256 *dataflow_sha256_new(void) {
    dataflow_sha256 *s = (dataflow_sha256 *)OPENSSL_zalloc(sizeof(dataflow_sha256));
    if (s == NULL) return NULL;
    s->md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    s->ctx = EVP_MD_CTX_new();
    if (s->md == NULL || s->ctx == NULL || EVP_DigestInit_ex2(s->ctx, s->md, NULL) != 1) {
        dataflow_sha256_free(s);
        return NULL;
    }
    return s;
}
void dataflow_sha256_free(dataflow_sha256 *s) {
    if (s == NULL) return;
    EVP_MD_CTX_free(s->ctx);
    EVP_MD_free(s->md);
    OPENSSL_free(s);
}
int dataflow_sha256_digest(dataflow_sha256 *s, const uint8_t *data, size_t length, uint8_t out[32]) {
    unsigned int n = 0;
    if (EVP_DigestInit_ex2(s->ctx, NULL, NULL) != 1 || EVP_DigestUpdate(s->ctx, data, length) != 1
        || EVP_DigestFinal_ex(s->ctx, out, &n) != 1 || n != 32) return -1;
    return 0;
}
