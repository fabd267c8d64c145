import Foundation
import LoadKit
import LoadKitSQLite
import Testing

/// One partition's ledger entry as the tests compare it.
struct LedgerRow: Equatable, CustomStringConvertible {
    var rows: Int
    var fingerprint: String
    var sourceFingerprint: String
    var runID: String
    var loadedAt: String

    var description: String { "\(rows) rows, \(fingerprint), run \(runID)" }
}

/// Reads `_loadkit_ledger` of `warehouse` for `table`, by partition key (`""` for an
/// unpartitioned table). Opens the file read-only.
func ledger(_ warehouse: String, table: String) throws -> [String: LedgerRow] {
    let destination = try SQLiteDestination(readingOnly: warehouse)
    var rows: [String: LedgerRow] = [:]
    for entry in try destination.ledger(table: table) {
        rows[entry.partitionKey ?? ""] = LedgerRow(rows: entry.fingerprint.rows, fingerprint: entry.fingerprint.hex,
                                                  sourceFingerprint: entry.sourceFingerprint, runID: entry.runID,
                                                  loadedAt: entry.loadedAt)
    }
    return rows
}

/// How many runs `_loadkit_runs` of `warehouse` holds.
func runCount(_ warehouse: String) throws -> Int {
    let destination = try SQLiteDestination(readingOnly: warehouse)
    return try destination.runs(limit: 1_000_000, failedOnly: false).count
}
