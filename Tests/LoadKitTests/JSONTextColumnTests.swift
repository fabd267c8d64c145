import Foundation
import LoadKit
import LoadKitTesting
import Testing

/// Arrays and objects stored in a text column get the same JSON text as before the strict
/// parser: what Foundation's `JSONDecoder` then `JSONEncoder` (sorted keys, slashes unescaped)
/// give for the value.
@Suite struct JSONTextColumnTests {
    /// The value model the source used with Foundation, kept here as the reference.
    enum FoundationJSON: Codable {
        case null
        case bool(Bool)
        case integer(Int64)
        case number(Double)
        case string(String)
        case array([FoundationJSON])
        case object([String: FoundationJSON])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let v = try? container.decode(Bool.self) {
                self = .bool(v)
            } else if let v = try? container.decode(Int64.self) {
                self = .integer(v)
            } else if let v = try? container.decode(Double.self) {
                self = .number(v)
            } else if let v = try? container.decode(String.self) {
                self = .string(v)
            } else if let v = try? container.decode([FoundationJSON].self) {
                self = .array(v)
            } else {
                self = .object(try container.decode([String: FoundationJSON].self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let v): try container.encode(v)
            case .integer(let v): try container.encode(v)
            case .number(let v): try container.encode(v)
            case .string(let v): try container.encode(v)
            case .array(let v): try container.encode(v)
            case .object(let v): try container.encode(v)
            }
        }
    }

    static func foundationText(_ json: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let value = try JSONDecoder().decode(FoundationJSON.self, from: Data(json.utf8))
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The text the source stores for each of `values` in a text column.
    static func storedTexts(_ values: [String]) throws -> [String?] {
        let dir = try TemporaryDirectory()
        let path = try dir.write("nested.jsonl", values.map { "{\"t\":\($0)}" }.joined(separator: "\n") + "\n")
        let rows = try readRows(path, format: .jsonl, schema: try TableSchema([Column("t", .text)]))
        return rows.map { $0[0].textValue }
    }

    static let samples = [
        #"{"b":2,"a":[1,"x/y",null]}"#, #"[{"z":1,"y":true}]"#, "[]", "{}", #"{"x":{"y":{"z":[]}},"w":{}}"#,
        #"[1e2,1.0,-0,-0.0,1.5e1,1e16,12345678901234567,12345678901234567.0,9223372036854775807]"#,
        #"[9223372036854775808,-9223372036854775809,12345678901234567890123,1e22,1e21,1.5e300]"#,
        #"[0.1,2.5e-5,1e-7,0.001,123456789.123,-0.5,5e-324,1.7976931348623157e308,100.25,1E3,0e0]"#,
        #"[1E+2,2.50,0.30000000000000004,4.35,1e-400,123456789012345678901e-5,3.0e-2]"#,
        #"["\u0001\u001f\u007f\b\f\n\r\t\"\\\/é☕️\u2028\u2029","\ud83d\ude00","\u00e9","a\u0000b"]"#,
        #"{"b":1,"B":2,"a":3,"10":4,"9":5,"_":6,"é":7,"e":8,"ab":9,"a b":10,"":11,"Z":12}"#,
        #"{"😀":1,"～":2,"f":3,"e\u0301":4,"ea":5,"A":6,"\u00e0":7}"#,
        #"[true,false,null,[null],{"n":null}]"#, " [ 1 , { \"a\" : [ ] } ] ",
    ]

    @Test("Arrays and objects become the text Foundation gave, sample by sample", arguments: samples)
    func sample(json: String) throws {
        #expect(try Self.storedTexts([json]) == [try Self.foundationText(json)])
    }

    @Test("Arrays and objects become the text Foundation gave, on 3,000 generated values")
    func generated() throws {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        // JSON text of keys and strings (escapes as written in the file).
        let keys = ["a", "b", "B", "id", "x_1", "10", "9", "", "é", #"e\u0301"#, #"\u00e9x"#, "😀", #"k\"q"#,
                    "a/b", "Ω"]
        let strings = ["", "plain", "x/y", #"tab\tnew\nline"#, #"\u0007bell"#, #"quote\"back\\"#, "☕️ é",
                       #"\ud83d\ude00"#, #"\u2028"#, #"\u001F"#]
        func number() -> String {
            let sign = next(3) == 0 ? "-" : ""
            let int = next(4) == 0 ? "0" : String(1 + next(9)) + String(repeating: String(next(10)), count: next(22))
            let fraction = next(3) == 0 ? "." + String(next(1_000_000)) : ""
            let exponent = next(4) == 0 ? ["e", "E", "e+", "e-"][next(4)] + String(next(40)) : ""
            return sign + int + fraction + exponent
        }
        func value(_ depth: Int) -> String {
            switch next(depth > 3 ? 4 : 6) {
            case 0: return number()
            case 1: return "\"\(strings[next(strings.count)])\""
            case 2: return ["true", "false", "null"][next(3)]
            case 3: return number()
            case 4: return "[" + (0..<next(4)).map { _ in value(depth + 1) }.joined(separator: ",") + "]"
            default:
                var pool = keys
                var members: [String] = []
                for _ in 0..<next(5) {
                    let key = pool.remove(at: next(pool.count))
                    // `é` spelled three ways is one key; keep one spelling per object.
                    if ["é", #"e\u0301"#].contains(key) { pool.removeAll { ["é", #"e\u0301"#].contains($0) } }
                    members.append("\"\(key)\":\(value(depth + 1))")
                }
                return "{" + members.joined(separator: ",") + "}"
            }
        }
        let values = (0..<3_000).map { _ in next(2) == 0 ? "[\(value(1))]" : "{\"k\":\(value(1))}" }
        let stored = try Self.storedTexts(values)
        var mismatches: [String] = []
        for (json, text) in zip(values, stored) where text != (try Self.foundationText(json)) {
            mismatches.append("\(json) -> \(text ?? "nil") != \(try Self.foundationText(json))")
        }
        #expect(mismatches.prefix(10) == [])
        #expect(stored.count == 3_000)
    }
}
