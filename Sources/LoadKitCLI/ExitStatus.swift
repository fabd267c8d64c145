import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

/// The one place where errors become exit codes (documented in README.md):
/// 0 success, 1 a task failed or the input was bad, 64 a usage or config error, 75 another
/// `run --due` is active (`EX_TEMPFAIL`: try again later).
///
/// With `--json` an error that ends a command also prints one JSON document on stdout
/// (SPEC.md §3), the error document ``Document``; the human message still goes to stderr.
enum ExitStatus {
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let busy: Int32 = 75

    /// Whether errors are also printed as a JSON document: set once by ``LoadKitCommand/main()``
    /// from the arguments (`--json`) before anything runs, read when an error is reported.
    nonisolated(unsafe) static var printsJSON = false

    /// The exit code for an error that ended a command.
    static func code(for error: any Error) -> Int32 {
        switch error {
        case is ConfigError, is ValidationError, is UsageError: return usage
        case is RunDueBusyError: return busy
        case let error as LoadKitError where error.code == .schema || error.code == .partitionKey || error.code == .graph
                                             || error.code == .transformNotReadOnly: return usage
        default: return failure
        }
    }

    /// Prints `error` to stderr prefixed with `loadkit: error:` (and, with `--json`, its
    /// ``Document`` to stdout) and returns the exit code to end with.
    static func report(_ error: any Error) -> ExitCode {
        report(error, json: printsJSON)
    }

    /// ``report(_:)`` with the output mode given.
    static func report(_ error: any Error, json: Bool) -> ExitCode {
        let code = code(for: error)
        if json { printDocument(document(for: error)) }
        FileHandle.standardError.write(Data("loadkit: error: \(error)\n".utf8))
        return ExitCode(code)
    }

    /// The `--json` error document: `{"error": {"code", "message", "file", "line", "column",
    /// "key"}}`, absent fields left out (SPEC.md §3); the exit code is the process's.
    struct Document: Encodable, Equatable {
        var error: Body

        struct Body: Encodable, Equatable {
            /// `config`, `usage`, or a ``LoadKitError`` code (`value.invalid`, `partition.key`,
            /// …), `load.failed` for a failed load without one, `error` for anything else.
            var code: String
            /// What is wrong and what to do, without the location fields.
            var message: String
            /// The config file or the input file.
            var file: String?
            /// 1-based line (physical line of an input file, or of the config file).
            var line: Int?
            /// The config file's 1-based character column, or the input column's name (or
            /// 1-based field number when it has none).
            var column: Column?
            /// The config key path, for example `tables.flights.partition`.
            var key: String?
        }

        enum Column: Encodable, Equatable {
            case number(Int)
            case name(String)

            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .number(let n): try container.encode(n)
                case .name(let s): try container.encode(s)
                }
            }
        }
    }

    /// The error document for an error a command ended with.
    static func document(for error: any Error) -> Document {
        switch error {
        case let error as ConfigError:
            return Document(error: .init(code: "config", message: error.message, file: error.file, line: error.line,
                                         column: error.column.map(Document.Column.number),
                                         key: error.key.flatMap { $0.isEmpty ? nil : $0 }))
        case let error as LoadKitError:
            return document(for: error, code: error.code.rawValue)
        case let error as LoadFailure:
            if let cause = error.error { return document(for: cause, code: cause.code.rawValue) }
            return Document(error: .init(code: "load.failed", message: error.message))
        case is UsageError, is ValidationError:
            return Document(error: .init(code: "usage", message: "\(error)"))
        case is RunDueBusyError:
            return Document(error: .init(code: "busy", message: "\(error)"))
        default:
            return Document(error: .init(code: "error", message: "\(error)"))
        }
    }

    /// The document of a flag error ArgumentParser found before any command ran.
    static func parseErrorDocument(message: String) -> Document {
        Document(error: .init(code: "usage", message: message))
    }

    private static func document(for error: LoadKitError, code: String) -> Document {
        let location = error.location
        let column = location.column.map(Document.Column.name) ?? location.field.map(Document.Column.number)
        return Document(error: .init(code: code, message: error.message, file: location.file, line: location.line,
                                     column: column))
    }

    /// Writes `document` to stdout as one JSON document (keys sorted).
    static func printDocument(_ document: Document) {
        try? JSONOutput.print(document)
    }
}
