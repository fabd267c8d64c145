import LoadKit
import LoadKitPostgres
import Testing

@Suite struct PostgresQueryTextTests {
    @Test(":partition becomes $1 outside strings, quoted identifiers, comments and dollar quotes; ::partition and :partition_key do not",
          arguments: [
            ("SELECT * FROM t WHERE k = :partition", "SELECT * FROM t WHERE k = $1", true),
            ("SELECT ':partition', \":partition\" FROM t -- :partition\nWHERE k = :partition", "SELECT ':partition', \":partition\" FROM t -- :partition\nWHERE k = $1", true),
            ("SELECT /* :partition /* nested :partition */ */ $$ :partition $$, $q$ :partition $q$ FROM t", "SELECT /* :partition /* nested :partition */ */ $$ :partition $$, $q$ :partition $q$ FROM t", false),
            ("SELECT E'it\\'s :partition', 'it''s :partition' FROM t", "SELECT E'it\\'s :partition', 'it''s :partition' FROM t", false),
            ("SELECT x::partition, :partition_key FROM t", "SELECT x::partition, :partition_key FROM t", false),
            ("SELECT :partition::date, (:partition) FROM t;", "SELECT $1::date, ($1) FROM t", true),
            ("WITH a AS (SELECT 1 AS x) SELECT * FROM a ;  -- done\n;", "WITH a AS (SELECT 1 AS x) SELECT * FROM a ", false),
          ])
    func placeholders(sql: String, body: String, uses: Bool) throws {
        let text = try PostgresQueryText(sql)
        #expect(text.body == body)
        #expect(text.usesPartition == uses)
    }

    @Test("body(partitionAs:) writes the placeholder another way")
    func replacement() throws {
        let text = try PostgresQueryText("SELECT * FROM t WHERE k = :partition OR j = :partition;")
        #expect(text.body(partitionAs: "NULL::text") == "SELECT * FROM t WHERE k = NULL::text OR j = NULL::text")
    }

    @Test("Queries start with SELECT, WITH, VALUES or TABLE, after comments and parentheses",
          arguments: ["select 1", "  -- c\n/* d */ (SELECT 1) UNION (SELECT 2)", "VALUES (1), (2)", "TABLE flights",
                      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r"])
    func accepted(sql: String) throws {
        _ = try PostgresQueryText(sql)
    }

    @Test("Anything else is refused before it is sent, saying why",
          arguments: [
            ("DELETE FROM t", "DELETE is not a query"),
            ("explain SELECT 1", "EXPLAIN is not a query"),
            ("SELECT 1; DELETE FROM t", "a second statement follows the query: DELETE FROM t"),
            ("SELECT 1;; -- ok\n select 2", "a second statement follows the query: select 2"),
            ("SELECT 1) UNION (SELECT 2", "a ')' closes a parenthesis the query did not open"),
            ("SELECT (1", "its parentheses do not balance"),
            ("SELECT 'abc", "a string constant is never closed"),
            ("SELECT 1 /* open", "a /* comment is never closed"),
            ("SELECT $x$ open", "a dollar-quoted string is never closed"),
            ("  -- nothing\n", "the SQL holds no statement, only whitespace or comments"),
            ("'text'", "' is not a query"),
          ])
    func refused(sql: String, reason: String) {
        #expect(throws: LoadKitError.self) { try PostgresQueryText(sql) }
        do {
            _ = try PostgresQueryText(sql)
        } catch let error as LoadKitError {
            #expect(error.code == .transformNotReadOnly)
            #expect(error.message == reason + "; a transform's SQL must be exactly one read-only query (SELECT or WITH … SELECT)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
