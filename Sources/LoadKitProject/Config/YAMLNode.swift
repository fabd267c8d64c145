import Foundation
import Yams

/// A YAML node with its key path, read with errors that name file, line, column and key.
///
/// Mappings are read through ``mapping(allowed:)``, which refuses keys not in `allowed` (so a
/// typo such as `granularty` is an error, not silently ignored) and duplicate keys.
package struct YAMLNode {
    package let node: Node
    package let path: String
    package let file: String

    package func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: node.mark?.line, column: node.mark?.column, key: path, message: message)
    }

    package func child(_ key: String, _ node: Node) -> YAMLNode {
        YAMLNode(node: node, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    /// The entries of a mapping, in file order, after checking every key against `allowed`
    /// (`nil` allows any key, for user-named entries such as table names).
    package func mapping(allowed: [String]?) throws -> [(key: String, value: YAMLNode)] {
        guard case .mapping(let mapping) = node else {
            throw error("expected a mapping (key: value lines), found \(kind)")
        }
        var seen = Set<String>()
        var entries: [(key: String, value: YAMLNode)] = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw YAMLNode(node: keyNode, path: path, file: file).error("keys must be plain names")
            }
            let key = scalar.string
            let keyed = YAMLNode(node: keyNode, path: path, file: file)
            if let allowed, !allowed.contains(key) {
                throw keyed.error("unknown key '\(key)'; allowed keys: \(allowed.joined(separator: ", "))")
            }
            guard seen.insert(key).inserted else {
                throw keyed.error("key '\(key)' appears twice")
            }
            entries.append((key, child(key, valueNode)))
        }
        return entries
    }

    package var kind: String {
        switch node {
        case .scalar(let s): return s.string.isEmpty ? "an empty value" : "'\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    package func string() throws -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a text value, found \(kind)") }
        return scalar.string
    }

    package func nonEmptyString() throws -> String {
        let value = try string()
        guard !value.isEmpty else { throw error("must not be empty") }
        return value
    }

    package func bool() throws -> Bool {
        guard case .scalar = node, let value = node.bool else {
            throw error("expected true or false, found \(kind)")
        }
        return value
    }

    package func int(in range: ClosedRange<Int>) throws -> Int {
        guard case .scalar = node, let value = node.int else {
            throw error("expected a whole number, found \(kind)")
        }
        guard range.contains(value) else {
            throw error("\(value) is out of range; allowed: \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    package func strings() throws -> [String] {
        guard case .sequence(let sequence) = node else {
            throw error("expected a list such as [a, b], found \(kind)")
        }
        return try sequence.enumerated().map { i, item in
            try YAMLNode(node: item, path: "\(path)[\(i)]", file: file).string()
        }
    }

    package func oneOf<T: RawRepresentable & CaseIterable>(_ type: T.Type) throws -> T where T.RawValue == String {
        let value = try string()
        guard let result = T(rawValue: value) else {
            throw error("'\(value)' is not allowed; allowed values: "
                + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return result
    }

    /// A duration such as `500ms`, `1s`, `2m`, `1h`, `7d` (see `Duration.init(parsing:)`).
    package func duration() throws -> Duration {
        do {
            return try Duration(parsing: try string())
        } catch let failure as Duration.SyntaxError {
            throw error(failure.reason)
        }
    }
}
