import Foundation
import LoadKit
@testable import LoadKitSQLite
import LoadKitTesting
import Testing

@Suite struct LoadLockTableTests {
    @Test("Two lock tables of one warehouse (two workers) exclude each other per key; the waiter's error names the holder")
    func exclusionAndHolder() throws {
        let dir = try TemporaryDirectory()
        let folder = dir.path("w.db.loadkit-locks")
        let first = LoadLockTable(directory: folder), second = LoadLockTable(directory: folder)
        let held = try first.acquire("partition flights 2013-01-05", description: "run A (pid 1 on h, since t)", timeout: .zero)
        #expect(LoadLockTable.heldKeys(in: folder) == ["partition flights 2013-01-05"])

        let error = #expect(throws: LoadKitError.self) {
            _ = try second.acquire("partition flights 2013-01-05", description: "run B", timeout: .milliseconds(50))
        }
        #expect(error?.code == .locked)
        #expect(error?.isTransient == true)
        #expect(error?.message.contains("partition flights 2013-01-05 is locked by run A (pid 1 on h, since t)") == true,
                "\(error?.message ?? "")")

        // Another key is free; the first key is free once released.
        let other = try second.acquire("partition flights 2013-01-06", description: "run B", timeout: .zero)
        #expect(LoadLockTable.heldKeys(in: folder) == ["partition flights 2013-01-05", "partition flights 2013-01-06"])
        first.release(held)
        let taken = try second.acquire("partition flights 2013-01-05", description: "run B", timeout: .zero)
        #expect(LoadLockTable.holderOf("partition flights 2013-01-05", in: folder) == "run B")
        second.release(taken)
        second.release(other)
        #expect(LoadLockTable.heldKeys(in: folder) == [])
        // One shared file of locks and one holder file per live table: no file per key.
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(names.count == 3 && names.contains("keys"), "\(names)")
        #expect(LoadLockTable.unusedFiles(in: folder) == [])
    }

    @Test("A freed table (a finished run) leaves no holder file and no held key behind")
    func freedTable() throws {
        let dir = try TemporaryDirectory()
        let folder = dir.path("w.db.loadkit-locks")
        do {
            let table = LoadLockTable(directory: folder)
            _ = try table.acquire("table airlines", description: "run A", timeout: .zero)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["keys"])
        #expect(LoadLockTable.heldKeys(in: folder) == [])
        _ = try LoadLockTable(directory: folder).acquire("table airlines", description: "run B", timeout: .zero)
    }

    @Test("Key bytes are stable, never byte 0 (the holder files' liveness byte), and differ for different keys")
    func offsets() {
        let a = LoadLockTable.offset(of: "partition flights 2013-01-05")
        #expect(a == LoadLockTable.offset(of: "partition flights 2013-01-05"))
        #expect(a > 0 && LoadLockTable.offset(of: "") > 0)
        #expect(a != LoadLockTable.offset(of: "partition flights 2013-01-06"))
    }
}

@Suite struct SQLiteWriteGateTests {
    @Test("The gate lets one writer of a warehouse through at a time; a wait past its timeout says so")
    func oneAtATime() {
        let gate = SQLiteWriteGate.forWarehouse("/nonexistent/gate-test-\(UUID().uuidString).db")
        #expect(gate.enter(timeout: .zero))
        #expect(!gate.enter(timeout: .milliseconds(20)))
        gate.leave()
        #expect(gate.enter(timeout: .zero))
        gate.leave()
    }

    @Test("A writer waiting at the gate passes as soon as the one ahead leaves")
    func handOver() throws {
        let gate = SQLiteWriteGate.forWarehouse("/nonexistent/gate-test-\(UUID().uuidString).db")
        #expect(gate.enter(timeout: .zero))
        let entered = DispatchSemaphore(value: 0)
        let waiter = Thread {
            if gate.enter(timeout: .seconds(30)) {
                gate.leave()
                entered.signal()
            }
        }
        waiter.start()
        gate.leave()
        #expect(entered.wait(timeout: .now() + 30) == .success)
    }
}
