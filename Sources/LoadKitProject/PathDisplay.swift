import Foundation

/// How paths are shown in messages.
package enum PathDisplay {
    /// `path` relative to `directory` when inside it, else as it is.
    package static func relative(_ path: String, to directory: String) -> String {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
