#ifndef CFERRY_ZSTD_SHIM_H
#define CFERRY_ZSTD_SHIM_H
#include <zstd.h>
#endif
