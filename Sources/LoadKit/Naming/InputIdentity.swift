import Foundation

/// The identity of an input file in its load id (SPEC.md §5): its canonical path — symlinks,
/// `.` and `..` resolved (`realpath(3)`) — relative to a base folder (the config's) when inside
/// it, so `d1.csv`, `./d1.csv`, `sub/../d1.csv`, a symlink to it and its absolute path are one
/// input, and the identity is the same on every machine that keeps the data beside the config.
public enum InputIdentity {
    /// The canonical absolute path of `path` (relative paths against `workingDirectory`); the
    /// path with `.`/`..` removed when the file does not exist (so its load fails later with a
    /// clear "not found", under a stable name).
    public static func canonicalPath(_ path: String,
                                     workingDirectory: String = FileManager.default.currentDirectoryPath) -> String {
        let absolute = path.hasPrefix("/") ? path : workingDirectory + "/" + path
        if let resolved = realpath(absolute, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        return URL(fileURLWithPath: absolute).standardized.path
    }

    /// The identity of `path`: canonical, relative to `baseDirectory` (itself canonicalized)
    /// when the file is inside it, else absolute.
    /// - Parameters:
    ///   - path: as the user or the config names it.
    ///   - baseDirectory: the config file's folder; empty for none.
    ///   - workingDirectory: the folder a relative `path` is relative to; this process's by default.
    public static func identity(of path: String, baseDirectory: String,
                                workingDirectory: String = FileManager.default.currentDirectoryPath) -> String {
        let canonical = canonicalPath(path, workingDirectory: workingDirectory)
        guard !baseDirectory.isEmpty else { return canonical }
        let base = canonicalPath(baseDirectory, workingDirectory: workingDirectory)
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return canonical.hasPrefix(prefix) ? String(canonical.dropFirst(prefix.count)) : canonical
    }

    /// How messages name `path`: relative to the working directory when the file is inside it
    /// (so it can be pasted into a shell there), else absolute. Not part of any identity.
    /// - Parameters:
    ///   - path: as the user or the config names it.
    ///   - workingDirectory: this process's by default.
    public static func displayName(of path: String,
                                   workingDirectory: String = FileManager.default.currentDirectoryPath) -> String {
        let absolute = lexicallyNormalized(path.hasPrefix("/") ? path : workingDirectory + "/" + path)
        let cwd = lexicallyNormalized(workingDirectory)
        guard cwd != "/" else { return absolute }
        return absolute.hasPrefix(cwd + "/") ? String(absolute.dropFirst(cwd.count + 1)) : absolute
    }

    /// An absolute path with `.`, `..` and repeated or trailing slashes removed, as written
    /// (symlinks are not resolved), as `URL.standardized` does, without its cost per partition.
    static func lexicallyNormalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
