import CLoadKitPQ
import Foundation

/// libpq, opened when the first PostgreSQL connection is made (`dlopen`), not linked.
///
/// Linked, libpq and the libraries it needs (OpenSSL, GnuTLS, Kerberos, LDAP, SASL: about twenty)
/// were mapped into every `loadkit` process, SQLite-only ones included: about 5 MiB of resident
/// memory and their relocations at every start. Opened on demand, a SQLite load never pays for
/// them, and a machine without libpq runs `loadkit` on SQLite. The header still comes from
/// Debian's `libpq-dev` at build time; at run time `libpq.so.5` (Debian `libpq5`).
/// https://www.postgresql.org/docs/current/libpq.html, dlopen(3).
struct LibPQ: @unchecked Sendable {
    /// The library names tried, in order.
    static let names = ["libpq.so.5", "libpq.so", "libpq.5.dylib", "libpq.dylib"]

    /// The opened library, or why it could not be opened (dlerror's text).
    static let loaded: Result<LibPQ, PostgresError> = {
        var reasons: [String] = []
        for name in names {
            if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) {
                do {
                    return .success(try LibPQ(handle))
                } catch let error as PostgresError {
                    return .failure(error)
                } catch {
                    return .failure(PostgresError(sqlState: "58000", message: "\(error)"))
                }
            }
            reasons.append(dlerror().map { String(cString: $0) } ?? name)
        }
        return .failure(PostgresError(sqlState: "58000",
            message: "a PostgreSQL warehouse needs libpq, PostgreSQL's client library, which could not be opened "
                + "(\(reasons.joined(separator: "; "))); install it (Debian: apt-get install libpq5)"))
    }()

    /// Opens libpq on first use.
    /// - Throws: ``PostgresError`` (SQLSTATE 58000) naming the library and dlopen's reason.
    static func open() throws -> LibPQ { try loaded.get() }

    let PQconnectdbParams: @convention(c) (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?,
                                           Int32) -> OpaquePointer?
    let PQfinish: @convention(c) (OpaquePointer?) -> Void
    let PQstatus: @convention(c) (OpaquePointer?) -> ConnStatusType
    let PQerrorMessage: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<CChar>?
    let PQserverVersion: @convention(c) (OpaquePointer?) -> Int32
    let PQtransactionStatus: @convention(c) (OpaquePointer?) -> PGTransactionStatusType
    let PQsetNoticeProcessor: @convention(c) (OpaquePointer?, PQnoticeProcessor?, UnsafeMutableRawPointer?) -> PQnoticeProcessor?
    let PQhost: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<CChar>?
    let PQport: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<CChar>?
    let PQdb: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<CChar>?
    let PQuser: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<CChar>?
    let PQpass: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<CChar>?
    let PQexec: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> OpaquePointer?
    let PQexecParams: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32, UnsafePointer<Oid>?,
                                      UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
                                      UnsafePointer<Int32>?, Int32) -> OpaquePointer?
    let PQprepare: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32,
                                   UnsafePointer<Oid>?) -> OpaquePointer?
    let PQexecPrepared: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32,
                                        UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
                                        UnsafePointer<Int32>?, Int32) -> OpaquePointer?
    let PQsendQuery: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    let PQsendQueryParams: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32, UnsafePointer<Oid>?,
                                           UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
                                           UnsafePointer<Int32>?, Int32) -> Int32
    let PQsetSingleRowMode: @convention(c) (OpaquePointer?) -> Int32
    let PQgetResult: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let PQputCopyData: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32
    let PQputCopyEnd: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    let PQgetCancel: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let PQfreeCancel: @convention(c) (OpaquePointer?) -> Void
    let PQcancel: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int32) -> Int32
    let PQclear: @convention(c) (OpaquePointer?) -> Void
    let PQresultStatus: @convention(c) (OpaquePointer?) -> ExecStatusType
    let PQresultErrorField: @convention(c) (OpaquePointer?, Int32) -> UnsafeMutablePointer<CChar>?
    let PQntuples: @convention(c) (OpaquePointer?) -> Int32
    let PQnfields: @convention(c) (OpaquePointer?) -> Int32
    let PQfname: @convention(c) (OpaquePointer?, Int32) -> UnsafeMutablePointer<CChar>?
    let PQftype: @convention(c) (OpaquePointer?, Int32) -> Oid
    /// Never NULL for a field in range ("" for a NULL field; libpq manual §34.3.2).
    let PQgetvalue: @convention(c) (OpaquePointer?, Int32, Int32) -> UnsafeMutablePointer<CChar>
    let PQgetisnull: @convention(c) (OpaquePointer?, Int32, Int32) -> Int32
    let PQcmdTuples: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<CChar>?

    private init(_ handle: UnsafeMutableRawPointer) throws {
        func symbol<T>(_ name: String) throws -> T {
            guard let address = dlsym(handle, name) else {
                throw PostgresError(sqlState: "58000", message: "libpq has no \(name) (libpq 10 or later is needed)")
            }
            return unsafeBitCast(address, to: T.self)
        }
        PQconnectdbParams = try symbol("PQconnectdbParams")
        PQfinish = try symbol("PQfinish")
        PQstatus = try symbol("PQstatus")
        PQerrorMessage = try symbol("PQerrorMessage")
        PQserverVersion = try symbol("PQserverVersion")
        PQtransactionStatus = try symbol("PQtransactionStatus")
        PQsetNoticeProcessor = try symbol("PQsetNoticeProcessor")
        PQhost = try symbol("PQhost")
        PQport = try symbol("PQport")
        PQdb = try symbol("PQdb")
        PQuser = try symbol("PQuser")
        PQpass = try symbol("PQpass")
        PQexec = try symbol("PQexec")
        PQexecParams = try symbol("PQexecParams")
        PQprepare = try symbol("PQprepare")
        PQexecPrepared = try symbol("PQexecPrepared")
        PQsendQuery = try symbol("PQsendQuery")
        PQsendQueryParams = try symbol("PQsendQueryParams")
        PQsetSingleRowMode = try symbol("PQsetSingleRowMode")
        PQgetResult = try symbol("PQgetResult")
        PQputCopyData = try symbol("PQputCopyData")
        PQputCopyEnd = try symbol("PQputCopyEnd")
        PQgetCancel = try symbol("PQgetCancel")
        PQfreeCancel = try symbol("PQfreeCancel")
        PQcancel = try symbol("PQcancel")
        PQclear = try symbol("PQclear")
        PQresultStatus = try symbol("PQresultStatus")
        PQresultErrorField = try symbol("PQresultErrorField")
        PQntuples = try symbol("PQntuples")
        PQnfields = try symbol("PQnfields")
        PQfname = try symbol("PQfname")
        PQftype = try symbol("PQftype")
        PQgetvalue = try symbol("PQgetvalue")
        PQgetisnull = try symbol("PQgetisnull")
        PQcmdTuples = try symbol("PQcmdTuples")
    }
}

/// libpq's functions, for code that runs on a connection (which ``LibPQ/open()`` made possible).
var pq: LibPQ {
    // Every caller holds a connection, made after LibPQ.open() succeeded.
    try! LibPQ.loaded.get()
}
