import Foundation
import LoadKit
import Testing

/// Parses `environment` as `FailPoint.configured` does, without touching the process's own.
/// (Only parsing is tested here: `reach()` with a crash action would end the test process.)
private func configured(_ environment: [String: String]) throws
    -> (point: FailPoint, action: FailPoint.Action, times: Int?)? {
    try FailPoint.configured(environment: environment)
}

@Suite struct FailPointTests {
    @Test("Failure injection is off when LOADKIT_FAILPOINT is unset or empty", arguments: [
        [:], ["LOADKIT_FAILPOINT": ""], ["LOADKIT_FAILPOINT_TIMES": "2"], ["PATH": "/usr/bin"],
    ])
    func off(environment: [String: String]) throws {
        #expect(try configured(environment) == nil)
    }

    @Test("A point and an optional action are read; crash is the default", arguments: [
        ("before_commit", FailPoint.beforeCommit, FailPoint.Action.crash),
        ("after_staging", .afterStaging, .crash),
        ("after_commit", .afterCommit, .crash),
        ("before_commit:crash", .beforeCommit, .crash),
        ("after_staging:error", .afterStaging, .error),
        ("after_commit:fatal", .afterCommit, .fatal),
        ("after_staging:sleep=2s", .afterStaging, .sleep(.seconds(2))),
        ("before_commit:sleep=300ms", .beforeCommit, .sleep(.milliseconds(300))),
        ("after_commit:sleep=1.5m", .afterCommit, .sleep(.seconds(90))),
    ])
    func points(spec: String, point: FailPoint, action: FailPoint.Action) throws {
        let armed = try #require(try configured(["LOADKIT_FAILPOINT": spec]))
        #expect(armed.point == point)
        #expect(armed.action == action)
        #expect(armed.times == nil)
    }

    @Test("The known points are the three of SPEC.md §6")
    func knownPoints() {
        #expect(FailPoint.allCases.map(\.rawValue) == ["after_staging", "before_commit", "after_commit"])
    }

    @Test("An unknown point is a usage error naming the known points", arguments: [
        "x", "BEFORE_COMMIT", "before-commit", ":crash", "x:error",
    ])
    func unknownPoint(spec: String) throws {
        let error = loadKitError { _ = try configured(["LOADKIT_FAILPOINT": spec]) }
        let point = String(spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0])
        #expect(error?.code == .schema)
        #expect(error?.description == "LOADKIT_FAILPOINT: unknown point '\(point)'; "
            + "known points: after_staging, before_commit, after_commit")
    }

    @Test("The exact message for LOADKIT_FAILPOINT=x")
    func unknownPointX() {
        #expect(loadKitError { _ = try configured(["LOADKIT_FAILPOINT": "x"]) }?.description
            == "LOADKIT_FAILPOINT: unknown point 'x'; known points: after_staging, before_commit, after_commit")
    }

    @Test("An unknown action is a usage error naming the actions", arguments: [
        ("before_commit:boom", "boom"), ("before_commit:", ""), ("before_commit:CRASH", "CRASH"),
        ("after_staging:error:2", "error:2"),
    ])
    func unknownAction(spec: String, action: String) {
        let error = loadKitError { _ = try configured(["LOADKIT_FAILPOINT": spec]) }
        #expect(error?.code == .schema)
        #expect(error?.description == "LOADKIT_FAILPOINT: unknown action '\(action)'; use crash, error, fatal or sleep=DURATION")
        #expect(error?.isTransient == false)
    }

    @Test("sleep needs a duration with a unit", arguments: [
        ("after_staging:sleep=2", "LOADKIT_FAILPOINT: '2' has no unit; write it like 2s, 2ms or 2m (units: ms, s, m, h, d)"),
        ("after_staging:sleep=", "LOADKIT_FAILPOINT: '' is not a duration; write it like 500ms, 1s, 2m, 1h or 7d"),
        ("after_staging:sleep=1e20s", "LOADKIT_FAILPOINT: '1e20s' is too long; the longest accepted duration is 366d"),
        ("after_staging:sleep", "LOADKIT_FAILPOINT: unknown action 'sleep'; use crash, error, fatal or sleep=DURATION"),
    ])
    func badSleep(spec: String, message: String) {
        let error = loadKitError { _ = try configured(["LOADKIT_FAILPOINT": spec]) }
        #expect(error?.code == .schema)
        #expect(error?.description == message)
    }

    @Test("LOADKIT_FAILPOINT_TIMES limits how often the point acts", arguments: [
        ("1", 1), ("2", 2), ("0", 0), ("10", 10),
    ])
    func times(text: String, times: Int) throws {
        let armed = try #require(try configured(
            ["LOADKIT_FAILPOINT": "after_staging:error", "LOADKIT_FAILPOINT_TIMES": text]))
        #expect(armed.point == .afterStaging)
        #expect(armed.action == .error)
        #expect(armed.times == times)
    }

    @Test("LOADKIT_FAILPOINT_TIMES must be a whole number", arguments: ["-1", "two", "1.5", " 2", "2x"])
    func badTimes(text: String) {
        let error = loadKitError {
            _ = try configured(["LOADKIT_FAILPOINT": "before_commit", "LOADKIT_FAILPOINT_TIMES": text])
        }
        #expect(error?.code == .schema)
        #expect(error?.description == "LOADKIT_FAILPOINT_TIMES must be a whole number, not '\(text)'")
    }

    @Test("Injected failures have their own error code")
    func injectedCode() {
        #expect(LoadKitError.Code.injected.rawValue == "failpoint")
    }
}
