import Foundation
import LoadKitPostgres
import LoadKitTesting
import Testing

/// What `--warehouse` and `warehouse:` accept, and what a hand-made PostgreSQL target must match.
@Suite struct WarehouseStringTests {
    @Test("A libpq key=value string is refused (exit 64, password masked), never taken for a SQLite file name")
    func keywordString() throws {
        let workspace = try ExampleWorkspace()
        let result = try workspace.run(["load", "--table", "airlines", "--json",
                                        "--warehouse", "host=127.0.0.1 port=1 password=sekret dbname=wh"])
        #expect(result.status == 64, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("key=value connection string") && !result.stdout.contains("sekret"), "\(result.stdout)")
        let created = try FileManager.default.contentsOfDirectory(atPath: workspace.root).filter { $0.contains("=") }
        #expect(created.isEmpty, "no file named after the string: \(created)")
    }
}

@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct HandMadeColumnTypeTests {
    @Test("A hand-made target whose real column is PostgreSQL's 4-byte real (or whose integer is int4) is a schema mismatch; nothing is loaded or rounded")
    func narrowerTypes() throws {
        let pg = try PostgresExample()
        try pg.db.execute("CREATE TABLE \(pg.schema.name).airlines (carrier text, name text)")
        try pg.db.execute("CREATE TABLE \(pg.schema.name).planes (tailnum text, seats integer, ratio real)")
        let yaml = try String(contentsOfFile: pg.workspace.config, encoding: .utf8)
        try (yaml + """
              planes:
                source: { path: data/planes.csv }
                columns: { tailnum: text, seats: integer, ratio: real }
                write: replace

            """).write(toFile: pg.workspace.config, atomically: true, encoding: .utf8)
        _ = try pg.workspace.directory.write("data/planes.csv", "tailnum,seats,ratio\nN10156,55,1234567.891\n")
        let result = try pg.run(["load", "--table", "planes", "--json"])
        #expect(result.status != 0, "\(result.stdout)")
        let message = ((try? parseObject(result.stdout))?["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("real") && message.contains("integer"), "names PostgreSQL's own types: \(message)")
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name).planes") == "0")
    }
}
