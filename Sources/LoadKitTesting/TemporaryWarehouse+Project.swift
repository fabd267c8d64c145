import LoadKitProject

extension TemporaryWarehouse {
    /// Opens the project of `configPath` with this temporary warehouse in place of the
    /// config's own `warehouse:` (as `loadkit --warehouse` does), so a test loads your real
    /// tables from your real sources without touching your warehouse.
    ///
    /// ```swift
    /// let warehouse = try TemporaryWarehouse()
    /// let project = try warehouse.project(configPath: "loadkit.yml")
    /// try project.backfill("flights", from: "2013-01-01", to: "2013-01-03")
    /// ```
    /// - Parameter configPath: the `loadkit.yml` to read (relative paths in it are relative to
    ///   its folder).
    /// - Returns: the project; its `Project.warehouse` is ``path``.
    /// - Throws: `ConfigError` for a mistake in the file.
    public func project(configPath: String) throws -> Project {
        try Project(configPath: configPath, warehouse: path)
    }
}
