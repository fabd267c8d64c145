extension LoadKitError.Code {
    /// A transform's SQL is not exactly one read-only query (SPEC G7): it writes (`INSERT`,
    /// `UPDATE`, `DELETE`, DDL), runs a `PRAGMA`, `ATTACH`, `VACUUM` or a transaction statement,
    /// or a second statement follows it. Terminal; the CLI exits 64, as for a config error.
    public static let transformNotReadOnly = LoadKitError.Code("transform.not_read_only")

    /// The file system holding the warehouse, or the directory where the destination keeps its
    /// temporary (staging) files, is full. Terminal: free space or move the files, then run again.
    public static let diskFull = LoadKitError.Code("resource.disk_full")

    /// The warehouse cannot be written: a read-only file system, a read-only file, or a folder
    /// where the destination cannot create its journal files. Terminal.
    public static let readOnly = LoadKitError.Code("resource.read_only")

    /// Another process (or connection) held the warehouse's lock for longer than the busy
    /// timeout. Transient: the retry policy tries the task again.
    public static let resourceLocked = LoadKitError.Code("resource.locked")

    /// The operating system reported an I/O error, or the warehouse file cannot be opened.
    /// Terminal.
    public static let resourceIO = LoadKitError.Code("resource.io")

    /// The warehouse's server cannot be reached, refused the connection, or the connection was
    /// lost (PostgreSQL SQLSTATE class 08). Transient: the retry policy tries the task again; when
    /// it persists, check that the server runs and that `warehouse:` names it.
    public static let resourceConnection = LoadKitError.Code("resource.connection")
}
