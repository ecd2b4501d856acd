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

struct dataflow_sha256 { EVP_MD_CTX *ctx; };

dataflow_sha256 *dataflow_sha256_new(void) {
    dataflow_sha256 *s = (dataflow_sha256 *)OPENSSL_malloc(sizeof(dataflow_sha256));
    if (s == NULL) return NULL;
    s->ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL);
    return s;
}
void dataflow_sha256_free(dataflow_sha256 *s) { if (s) { EVP_MD_CTX_free(s->ctx); OPENSSL_free(s); } }
void dataflow_sha256_reset(dataflow_sha256 *s) { EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL); }
void dataflow_sha256_update(dataflow_sha256 *s, const uint8_t *data, size_t length) { EVP_DigestUpdate(s->ctx, data, length); }
void dataflow_sha256_final(dataflow_sha256 *s, uint8_t out[32]) { unsigned int n = 0; EVP_DigestFinal_ex(s->ctx, out, &n); }
