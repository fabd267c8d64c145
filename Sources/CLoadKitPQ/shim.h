#ifndef CLOADKIT_PQ_SHIM_H
#define CLOADKIT_PQ_SHIM_H
// libpq, PostgreSQL's C client library (Debian libpq-dev; pkg-config "libpq").
// https://www.postgresql.org/docs/current/libpq.html
#include <libpq-fe.h>
#endif
