import Foundation

/// Writes one JSON document to stdout: keys sorted, so output is stable for scripts and tests.
enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws {
        FileHandle.standardOutput.write(try JSONEncoder.sorted.encode(value))
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
