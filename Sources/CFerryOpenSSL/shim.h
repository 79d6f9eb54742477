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
#include <openssl/x509.h>
#include <string.h>

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

/* HMAC (RFC 2104) keyed once: a template context holds the key's inner and outer digest
   states, and each message runs on a copy of it. The one-shot HMAC() fetches the algorithm
   and re-derives the key's pads on every call, which dominated digesting one record at a time. */
static inline EVP_MAC_CTX *cferry_hmac_keyed(const char *digest, const unsigned char *key, size_t key_len) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) return NULL;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (ctx == NULL) return NULL;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(ctx, key, key_len, params) != 1) { EVP_MAC_CTX_free(ctx); return NULL; }
    return ctx;
}

/* One message under a keyed template; the template itself is only read, so threads may share it. */
static inline int cferry_hmac_message(EVP_MAC_CTX *keyed, const unsigned char *msg, size_t msg_len,
                                      unsigned char *out, size_t out_size, size_t *out_len) {
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(keyed);
    if (ctx == NULL) return 0;
    int ok = EVP_MAC_update(ctx, msg, msg_len) == 1 && EVP_MAC_final(ctx, out, out_len, out_size) == 1;
    EVP_MAC_CTX_free(ctx);
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

/* SM2 (GB/T 32918) through EVP. The distinguishing identifier is the standard default
   "1234567812345678" (GB/T 35276), set explicitly so no OpenSSL default can change it. */
static const char cferry_sm2_default_id[] = "1234567812345678";

static inline EVP_PKEY *cferry_sm2_generate(void) {
    return EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
}

static inline int cferry_sm2_sign(EVP_PKEY *key, const unsigned char *msg, size_t msg_len,
                                  unsigned char *sig, size_t *sig_len) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    int ok = md != NULL && pctx != NULL
        && EVP_PKEY_CTX_set1_id(pctx, cferry_sm2_default_id, 16) > 0;
    if (ok) { EVP_MD_CTX_set_pkey_ctx(md, pctx); }
    ok = ok && EVP_DigestSignInit(md, NULL, EVP_sm3(), NULL, key) > 0
        && EVP_DigestSign(md, sig, sig_len, msg, msg_len) > 0;
    EVP_MD_CTX_free(md);
    EVP_PKEY_CTX_free(pctx);
    return ok;
}

static inline int cferry_sm2_verify(EVP_PKEY *key, const unsigned char *msg, size_t msg_len,
                                    const unsigned char *sig, size_t sig_len) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    int ok = md != NULL && pctx != NULL
        && EVP_PKEY_CTX_set1_id(pctx, cferry_sm2_default_id, 16) > 0;
    if (ok) { EVP_MD_CTX_set_pkey_ctx(md, pctx); }
    ok = ok && EVP_DigestVerifyInit(md, NULL, EVP_sm3(), NULL, key) > 0
        && EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_CTX_free(pctx);
    return ok;
}

/* Public-key encryption with SM2; the output is the GM/T 0009 DER form (C1, C3, C2). */
static inline int cferry_pkey_encrypt(EVP_PKEY *key, const unsigned char *in, size_t in_len,
                                      unsigned char *out, size_t *out_len) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    int ok = ctx != NULL && EVP_PKEY_encrypt_init(ctx) > 0
        && EVP_PKEY_encrypt(ctx, out, out_len, in, in_len) > 0;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static inline int cferry_pkey_decrypt(EVP_PKEY *key, const unsigned char *in, size_t in_len,
                                      unsigned char *out, size_t *out_len) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    int ok = ctx != NULL && EVP_PKEY_decrypt_init(ctx) > 0
        && EVP_PKEY_decrypt(ctx, out, out_len, in, in_len) > 0;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

/* DER (PKCS#8 private, SubjectPublicKeyInfo public) for keys without a raw form. */
static inline int cferry_private_der(EVP_PKEY *key, unsigned char **out) { return i2d_PrivateKey(key, out); }
static inline int cferry_public_der(EVP_PKEY *key, unsigned char **out) { return i2d_PUBKEY(key, out); }
static inline EVP_PKEY *cferry_private_from_der(const unsigned char *in, long len) { return d2i_AutoPrivateKey(NULL, &in, len); }
static inline EVP_PKEY *cferry_public_from_der(const unsigned char *in, long len) { return d2i_PUBKEY(NULL, &in, len); }
static inline int cferry_is_sm2(EVP_PKEY *key) { return EVP_PKEY_is_a(key, "SM2"); }
static inline void cferry_free(void *p) { OPENSSL_free(p); }

#endif
