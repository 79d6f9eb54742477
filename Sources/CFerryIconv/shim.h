#ifndef CFERRY_ICONV_SHIM_H
#define CFERRY_ICONV_SHIM_H
// glibc's iconv, wrapped so that Swift never sees `(iconv_t)-1` or reads errno itself.
// Only FerryAdapters imports this module.
#include <iconv.h>
#include <errno.h>
#include <stddef.h>

/// What one conversion step ended with.
#define CFERRY_ICONV_DONE 0        /* all input converted */
#define CFERRY_ICONV_FULL 1        /* the output buffer is full: call again */
#define CFERRY_ICONV_INVALID 2     /* input bytes invalid in the source encoding, or not representable in the target */
#define CFERRY_ICONV_INCOMPLETE 3  /* the input ends inside a multi-byte sequence */
#define CFERRY_ICONV_FAILED 4      /* anything else */
#define CFERRY_ICONV_LOSSY 5       /* converted, but some characters only approximately */

/// A converter from `from` to `to`, or NULL when glibc has no such conversion.
static inline void *cferry_iconv_open(const char *to, const char *from) {
    iconv_t cd = iconv_open(to, from);
    return cd == (iconv_t)-1 ? NULL : (void *)cd;
}

static inline void cferry_iconv_close(void *cd) {
    if (cd != NULL) iconv_close((iconv_t)cd);
}

/// Converts from `*in` into `*out`, advancing both; the result says why it stopped.
static inline int cferry_iconv_step(void *cd, char **in, size_t *in_left, char **out, size_t *out_left) {
    size_t result = iconv((iconv_t)cd, in, in_left, out, out_left);
    if (result != (size_t)-1) return result == 0 ? CFERRY_ICONV_DONE : CFERRY_ICONV_LOSSY;
    switch (errno) {
    case E2BIG: return CFERRY_ICONV_FULL;
    case EILSEQ: return CFERRY_ICONV_INVALID;
    case EINVAL: return CFERRY_ICONV_INCOMPLETE;
    default: return CFERRY_ICONV_FAILED;
    }
}

/// Back to the initial shift state (after an invalid sequence, or between records).
static inline void cferry_iconv_reset(void *cd) {
    iconv((iconv_t)cd, NULL, NULL, NULL, NULL);
}
#endif
