import LoadKit
import Testing

/// Quoted identifiers and display names, built without Foundation's string replacement.
@Suite struct NamingTextTests {
    @Test("Identifier.quoted doubles embedded quotes and keeps unicode (SQL standard, SQLite and PostgreSQL)",
          arguments: [("flights", "\"flights\""), ("dep \"time\"", "\"dep \"\"time\"\"\""),
                      ("\"", "\"\"\"\""), ("", "\"\""), ("vélo_日", "\"vélo_日\"")])
    func quoted(name: String, quoted: String) {
        #expect(Identifier.quoted(name) == quoted)
    }

    @Test("displayName is relative to the working directory inside it, absolute outside; . and .. resolved as written",
          arguments: [("data/d1.csv", "/work/p", "data/d1.csv"), ("./data/../d1.csv", "/work/p", "d1.csv"),
                      ("/work/p/sub//d1.csv", "/work/p/", "sub/d1.csv"), ("../q/d1.csv", "/work/p", "/work/q/d1.csv"),
                      ("/other/d1.csv", "/work/p", "/other/d1.csv"), ("d1.csv", "/", "/d1.csv"),
                      ("/work/pp/d1.csv", "/work/p", "/work/pp/d1.csv"), ("../../../x.csv", "/a", "/x.csv")])
    func displayName(path: String, workingDirectory: String, shown: String) {
        #expect(InputIdentity.displayName(of: path, workingDirectory: workingDirectory) == shown)
    }
}
