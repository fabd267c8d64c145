import Foundation

extension Loader {
    /// Loads several partitions of one table in one transaction (a table's `batch:`): a direct
    /// partition replace covering every partition whose source changed, each from its own file,
    /// each with its own ledger entry, fingerprint and result.
    ///
    /// All or nothing: one bad row, an empty source, a held lock or any other error throws, and
    /// the target and the ledger are exactly as before (the runner then loads the partitions one
    /// by one, so the good ones land). The steps, and what a crash at each leaves:
    /// 1. take every partition's lock, in key order, with one `lock_timeout` for all — nothing
    ///    written; unless forced, the partitions whose ledger entry shows the same source and
    ///    definition are already loaded and left out;
    /// 2. open the destination's replace (SQLite: one `BEGIN IMMEDIATE`) and, file after file,
    ///    start each partition (its old rows deleted) and write its rows — nothing visible
    ///    outside; a bad row rolls it all back;
    /// 3. failpoint `after_staging`; decide every entry (an empty source is refused here);
    /// 4. upsert every entry; failpoint `before_commit`; commit — before it the target and ledger
    ///    are as before, after it every partition is as loaded, never in between;
    /// 5. failpoint `after_commit` (reached once per batch); release the locks.
    ///
    /// Only a direct replace can hold several partitions: with a destination without one, or a
    /// load armed with `after_staging:sleep` or forced to stage, it throws
    /// ``LoadKitError/Code/batchUnavailable`` having written nothing (the runner then loads the
    /// partitions one by one).
    ///
    /// ```swift
    /// let days = try (5...9).map { try scheme.partition(forKey: "2013-01-0\($0)") }
    /// let results = try loader.loadBatch(days.map { day in
    ///     let (_, input) = template.input(for: day)
    ///     return LoadRequest(table: flights, input: input, scope: .partition(day), runID: runID)
    /// })
    /// ```
    /// - Parameter requests: static partition replaces of one partitioned replace table from
    ///   files, distinct partitions, in any order; the first request's run id, lock timeout and
    ///   cancellation apply to all.
    /// - Returns: one result per request, in the order given.
    /// - Throws: ``LoadKitError`` `.schema` for requests that cannot share a transaction,
    ///   `.batchUnavailable` when this load cannot write directly; any error ``load(_:)`` throws,
    ///   for the first partition that fails. Whatever is thrown, the target and the ledger are
    ///   unchanged.
    public func loadBatch(_ requests: [LoadRequest]) throws -> [LoadResult] {
        guard let first = requests.first else { return [] }
        if requests.count == 1 { return [try load(first)] }
        let table = first.table
        var keys: [String] = []
        for request in requests {
            guard request.table.name == table.name, table.writeMode == .replace, table.partitioning != nil,
                  case .partition(let p) = request.scope, case .file = request.input else {
                throw LoadKitError(.schema, "a batch holds static partition replaces of one partitioned table from files")
            }
            keys.append(p.key)
            try checkScope(request)
        }
        guard Set(keys).count == keys.count else {
            throw LoadKitError(.schema, "a batch names the same partition twice")
        }
        guard requests.allSatisfy({ prefersDirect($0) }) else { throw Self.unavailable }
        try destination.prepareCatalog()
        try checkPartitioning(first)
        try destination.ensureTable(table)
        let locks = LoadLocks(destination: destination, runID: first.runID, timeout: first.lockTimeout)
        defer { locks.releaseAll() }
        try locks.acquire(keys.map { LoadLocks.partition(table.name, $0) })

        var results = [LoadResult?](repeating: nil, count: requests.count)
        var changed: [Int] = []
        for (i, request) in requests.enumerated() {
            if request.skipIfUnchanged, case .file(let path, _, _, _, let name) = request.input,
               let entry = try destination.ledgerEntry(table: table.name, loadID: request.loadID) {
                let source = try HashingByteSource.fingerprint(ofFile: path, displayName: name)
                if let unchanged = unchangedResult(request, entry: entry, source: source) {
                    results[i] = unchanged
                    continue
                }
            }
            changed.append(i)
        }
        if !changed.isEmpty {
            guard let writer = try destination.beginReplace(table, loadID: requests[changed[0]].loadID) else {
                throw Self.unavailable
            }
            for (i, result) in try writeBatch(changed.map { requests[$0] }, writer: writer).enumerated() {
                results[changed[i]] = result
            }
            try Self.reachAfterCommit(first.cancellation)
        }
        return results.map { $0! }
    }

    /// Steps 2–4 of ``loadBatch(_:)``: every request's rows into one open replace, then one commit.
    private func writeBatch(_ requests: [LoadRequest], writer: any PartitionReplaceWriter) throws -> [LoadResult] {
        // Rolls back unless committed (a no-op after the commit).
        defer { writer.abort() }
        let clock = ContinuousClock()
        var staged: [(request: LoadRequest, staged: Staged, seconds: Double)] = []
        for request in requests {
            let started = clock.now
            guard case .partition(let p) = request.scope else {
                throw LoadKitError(.schema, "a batch holds static partition replaces only")
            }
            let rows = try stage(request, loadID: request.loadID, into: writer, starts: .atOnce(p.key))
            staged.append((request, rows, (clock.now - started).seconds))
        }
        let written = clock.now
        try FailPoint.afterStaging.reach(cancellation: requests[0].cancellation)
        var results = try staged.map { item in
            var result = try decide(item.request, loadID: item.request.loadID, staged: item.staged).result
            result.loadID = item.request.loadID
            result.strategy = .direct
            result.stagingSeconds = item.seconds
            return result
        }
        try requests[0].cancellation?.check()
        try writer.commit(ledger: results.flatMap(\.entries)) {
            for request in requests { try request.beforeCommit?() }
            try FailPoint.beforeCommit.reach(cancellation: requests[0].cancellation)
        }
        // The one commit, shared out evenly.
        let commitSeconds = (clock.now - written).seconds / Double(results.count)
        for i in results.indices { results[i].commitSeconds = commitSeconds }
        return results
    }

    /// Why a batch cannot run here: its partitions need one transaction each.
    private static let unavailable = LoadKitError(.batchUnavailable,
        "these partitions cannot share one transaction (the destination only stages, or a staged write is forced); "
        + "load them one by one")
}

extension LoadKitError.Code {
    /// A batch of partitions cannot be written in one transaction here (terminal for the batch;
    /// its partitions are loaded one by one).
    public static let batchUnavailable = LoadKitError.Code("batch.unavailable")
}
