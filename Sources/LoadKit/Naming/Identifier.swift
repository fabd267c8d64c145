import Foundation

/// Validation and quoting of SQL identifiers (table and column names).
///
/// Every name loadkit puts into SQL goes through ``quoted(_:)``; values never do (they are
/// bound as parameters). Names may contain spaces, quotes and reserved words: quoting with
/// double quotes, doubling embedded ones, makes them safe in SQLite and PostgreSQL alike
/// (https://www.sqlite.org/lang_keywords.html, PostgreSQL manual §4.1.1).
public enum Identifier {
    /// The longest name in bytes: PostgreSQL's NAMEDATALEN - 1, so names port between targets.
    public static let maxBytes = 63

    /// Checks that `name` can be used as an identifier.
    ///
    /// Refused: the empty name, names longer than ``maxBytes`` UTF-8 bytes, names containing
    /// NUL or control characters, and names starting with `sqlite_` (reserved by SQLite).
    /// - Parameters:
    ///   - name: the candidate name.
    ///   - what: how the message refers to it, for example `"column name"`.
    /// - Throws: ``LoadKitError`` `.schema` saying what is wrong.
    public static func validate(_ name: String, what: String = "name") throws {
        if name.isEmpty {
            throw LoadKitError(.schema, "\(what) is empty")
        }
        if name.utf8.count > maxBytes {
            throw LoadKitError(.schema,
                "\(what) '\(name)' is \(name.utf8.count) bytes long; the limit is \(maxBytes)")
        }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw LoadKitError(.schema, "\(what) '\(name)' contains a control character")
        }
        if name.lowercased().hasPrefix("sqlite_") {
            throw LoadKitError(.schema, "\(what) '\(name)' starts with 'sqlite_', which SQLite reserves")
        }
    }

    /// The name of the index loadkit creates on `column` of `table`: `_loadkit_ix_` and the first
    /// 24 hex digits of the SHA-256 of `table␀column` (36 bytes whatever the names' lengths, so a
    /// 63-byte table name never makes PostgreSQL truncate it; unique per table and column).
    public static func indexName(table: String, column: String) -> String {
        "_loadkit_ix_" + HashingByteSource.sha256Hex(Array("\(table)\u{0}\(column)".utf8)).prefix(24)
    }

    /// `name` in double quotes with embedded double quotes doubled: `a"b` becomes `"a""b"`.
    /// The name must have passed ``validate(_:what:)``.
    public static func quoted(_ name: String) -> String {
        // Without Foundation's replacingOccurrences (bridged through NSString on Linux): a load
        // quotes its table's columns when it prepares its statements, once per partition.
        var out = "\""
        out.reserveCapacity(name.utf8.count + 2)
        for character in name {
            if character == "\"" { out += "\"\"" } else { out.append(character) }
        }
        out += "\""
        return out
    }
}
