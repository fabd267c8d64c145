#ifndef CLOADKIT_SQLITE_SHIM_H
#define CLOADKIT_SQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift cannot import; sqlite3_config is variadic.
// https://www.sqlite.org/c3ref/c_static.html
static inline sqlite3_destructor_type cloadkit_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
#endif
