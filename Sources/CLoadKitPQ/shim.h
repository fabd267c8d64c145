#ifndef CLOADKIT_PQ_SHIM_H
#define CLOADKIT_PQ_SHIM_H
// libpq, PostgreSQL's C client library (Debian libpq-dev): its header only. The library is not
// linked; LoadKitPostgres opens it with dlopen(3) at the first connection (LibPQ.swift), so a
// SQLite-only process never maps it and the libraries it needs.
// https://www.postgresql.org/docs/current/libpq.html
#include <postgresql/libpq-fe.h>
#include <dlfcn.h>
#endif
