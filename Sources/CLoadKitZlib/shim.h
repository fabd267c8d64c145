#ifndef CLOADKIT_ZLIB_SHIM_H
#define CLOADKIT_ZLIB_SHIM_H
#include <zlib.h>
#endif
