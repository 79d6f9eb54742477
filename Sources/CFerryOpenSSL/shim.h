#ifndef CFERRY_OPENSSL_SHIM_H
#define CFERRY_OPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <openssl/hmac.h>

/* EVP_PKEY_CTX_set_hkdf_md and friends are macros or variadic on some 3.x releases;
   these fixed-signature wrappers give Swift one stable entry point. */
static inline int cferry_hkdf_sha256(const unsigned char *salt, size_t salt_len,
                                     const unsigned char *ikm, size_t ikm_len,
                                     const unsigned char *info, size_t info_len,
                                     unsigned char *out, size_t out_len) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    if (ctx == NULL) return 0;
    int ok = EVP_PKEY_derive_init(ctx) > 0
        && EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) > 0
        && EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, (int)salt_len) > 0
        && EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikm_len) > 0
        && EVP_PKEY_CTX_add1_hkdf_info(ctx, info, (int)info_len) > 0
        && EVP_PKEY_derive(ctx, out, &out_len) > 0;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static inline int cferry_gcm_set_ivlen(EVP_CIPHER_CTX *ctx, int len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, len, NULL);
}
static inline int cferry_gcm_get_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag, int len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, len, tag);
}
static inline int cferry_gcm_set_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag, int len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, len, tag);
}
#endif
