#ifndef CLOADKIT_SQLITE_SHIM_H
#define CLOADKIT_SQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift cannot import; sqlite3_config is variadic.
// https://www.sqlite.org/c3ref/c_static.html
static inline sqlite3_destructor_type cloadkit_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
// Memory statistics cost a global mutex on every allocation; loadkit never reads them.
// Must run before SQLite initializes. https://www.sqlite.org/c3ref/c_config_covering_index_scan.html
static inline int cloadkit_sqlite_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
