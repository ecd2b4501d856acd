#ifndef DATAFLOW_CCRYPTO_H
#define DATAFLOW_CCRYPTO_H
#include <stddef.h>
#include <stdint.h>

// One-shot digests over OpenSSL libcrypto (EVP). `name` is an OpenSSL digest name:
// "MD5", "SHA256", "SM3". Returns the digest length, or -1 when the digest is unavailable.
int dataflow_digest(const char *name, const uint8_t *data, size_t length, uint8_t *out, size_t out_capacity);
// HMAC with the named digest. Returns the MAC length, or -1.
int dataflow_hmac(const char *name, const uint8_t *key, size_t key_length, const uint8_t *data, size_t length, uint8_t *out, size_t out_capacity);

// A reusable SHA-256 context for content hashes (no allocation or algorithm lookup per call
// after creation; NULL if libcrypto has no SHA-256). digest returns 0, or -1 on failure.
typedef struct dataflow_sha256 dataflow_sha256;
dataflow_sha256 *dataflow_sha256_new(void);
void dataflow_sha256_free(dataflow_sha256 *ctx);
int dataflow_sha256_digest(dataflow_sha256 *ctx, const uint8_t *data, size_t length, uint8_t out[32]);
#endif
