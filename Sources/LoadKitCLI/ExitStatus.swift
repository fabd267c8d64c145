import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

/// The one place where errors become exit codes (documented in README.md):
/// 0 success, 1 a task failed or the input was bad, 64 a usage or config error.
enum ExitStatus {
    static let failure: Int32 = 1
    static let usage: Int32 = 64

    /// The exit code for an error that ended a command.
    static func code(for error: any Error) -> Int32 {
        switch error {
        case is ConfigError, is ValidationError, is UsageError: return usage
        case let error as LoadKitError where error.code == .schema || error.code == .partitionKey || error.code == .graph
                                             || error.code == .transformNotReadOnly: return usage
        default: return failure
        }
    }

    /// Prints `error` to stderr prefixed with `loadkit: error:` and returns the exit code to
    /// end with.
    static func report(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("loadkit: error: \(error)\n".utf8))
        return ExitCode(code(for: error))
    }
}
