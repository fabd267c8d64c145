import Foundation

/// Sleeps the calling thread; `Thread.sleep` wrapped so the runner's files need no Foundation.
func usleepSeconds(_ seconds: Double) {
    Thread.sleep(forTimeInterval: seconds)
}
