import Foundation
import LoadKit
import Testing

/// The fingerprint of `rows`, added in the order given.
private func fingerprint(_ rows: [[Value]]) -> Fingerprint {
    var f = Fingerprint()
    for row in rows { f.add(row) }
    return f
}

/// A few rows with one value of each storage class.
private let sampleRows: [[Value]] = [
    [.integer(1), .text("JFK"), .real(2.5), .null],
    [.integer(-2), .text("é"), .real(-0.0), .null],
    [.integer(1), .text("JFK"), .real(2.5), .null],
    [.integer(0), .text(""), .real(0.0), .text("0")],
]

@Suite struct FingerprintTests {
    // MARK: - Golden values

    @Test("The canonical encoding of a row is the documented bytes")
    func encodingBytes() {
        var encoder = RowEncoder()
        encoder.append([.integer(1), .text("JFK"), .real(2.5), .null])
        let expected: [UInt8] =
            [0x01, 0, 0, 0, 0, 0, 0, 0, 0x01]            // integer 1: tag 1, 8 bytes big-endian
            + [0x03, 0, 0, 0, 0x03, 0x4A, 0x46, 0x4B]   // text "JFK": tag 3, length 3, UTF-8
            + [0x02, 0x40, 0x04, 0, 0, 0, 0, 0, 0]      // real 2.5: tag 2, bits 0x4004000000000000
            + [0x00]                                    // NULL: tag 0
        #expect(encoder.bytes == expected)
    }

    @Test("Negative integers, multi-byte text and -0.0 are encoded as documented")
    func encodingEdgeBytes() {
        var encoder = RowEncoder()
        encoder.append([.integer(-2), .text("é"), .real(-0.0), .integer(Int64.min)])
        let expected: [UInt8] =
            [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]
            + [0x03, 0, 0, 0, 0x02, 0xC3, 0xA9]
            + [0x02, 0, 0, 0, 0, 0, 0, 0, 0]
            + [0x01, 0x80, 0, 0, 0, 0, 0, 0, 0]
        #expect(encoder.bytes == expected)
        encoder.reset()
        #expect(encoder.bytes == [])
        encoder.append(.text(""))
        #expect(encoder.bytes == [0x03, 0, 0, 0, 0])
    }

    @Test("The fingerprint of one row is MurmurHash3_x64_128 of its encoding, h1 then h2")
    func singleRowDigest() {
        // python3 -c "import mmh3; print(mmh3.hash_bytes(bytes.fromhex(
        //   '0100000000000000010300000003 4a464b 024004000000000000 00'.replace(' ',''))).hex())"
        // ff9ba0bcbd3b4680 eea741bd47ed4e34: h1 = 0x80463bbdbca09bff, h2 = 0x344eed47bd41a7ee
        let f = fingerprint([[.integer(1), .text("JFK"), .real(2.5), .null]])
        #expect(f.version == .v2)
        #expect(f.hex == "80463bbdbca09bff344eed47bd41a7ee")
        #expect(f.rows == 1)
        #expect(f.description == "80463bbdbca09bff344eed47bd41a7ee (1 row)")

        var byEncoding = Fingerprint()
        var encoder = RowEncoder()
        encoder.append([.integer(1), .text("JFK"), .real(2.5), .null])
        byEncoding.add(digestOf: encoder.bytes)
        #expect(byEncoding == f)
    }

    @Test("A fixed set of rows has a pinned fingerprint (the sum wraps modulo 2^128)")
    func golden() {
        // Row hashes: 80463bbdbca09bff344eed47bd41a7ee (twice), b7381171f603aaa8a3661ff60a9c2f6e,
        // ed4f741d50fc3f0f640279378a35d599; summed mod 2^128 (computed independently with the
        // mmh3 Python package).
        let f = fingerprint(sampleRows)
        #expect(f.hex == "a513fd0ac04121b6700673bd0f5554e3")
        #expect(f.rows == 4)
    }

    @Test("Version v1 is still the first 128 bits of SHA-256 of each row's encoding")
    func version1() {
        // printf '\x01\x00\x00\x00\x00\x00\x00\x00\x01\x03\x00\x00\x00\x03JFK\x02\x40\x04\x00\x00\x00\x00\x00\x00\x00' | sha256sum
        // 9c49d0cc6b1b3ac777101581e0df6fe34f8cd9af8055e566b5e4e1a43493e51e
        var one = Fingerprint(version: .v1)
        one.add([.integer(1), .text("JFK"), .real(2.5), .null])
        #expect(one.hex == "9c49d0cc6b1b3ac777101581e0df6fe3")
        #expect(one.description == "9c49d0cc6b1b3ac777101581e0df6fe3 (1 row, v1)")
        // Digests (first 16 bytes): 9c49d0cc6b1b3ac777101581e0df6fe3 (twice),
        // d30896154cafef5c6ed6b4dcf9ee5f05, 27cbf5ce4a1c6dc0f5d19ca91ebe7fac; summed mod 2^128.
        var all = Fingerprint(version: .v1)
        for row in sampleRows { all.add(row) }
        #expect(all.hex == "33682d7c6d02d2ac52c87c89da6bbe77")
        #expect(all.version == .v1)
        #expect(Fingerprint(hex: "33682d7c6d02d2ac52c87c89da6bbe77", rows: 4, version: .v1) == all)
    }

    @Test("Fingerprints of different versions differ; only the empty one is the same in both")
    func versionsDiffer() {
        var v1 = Fingerprint(version: .v1)
        v1.add([.integer(1)])
        var v2 = Fingerprint(version: .v2)
        v2.add([.integer(1)])
        #expect(v1 != v2)
        #expect(Fingerprint(hex: v1.hex, rows: 1, version: .v2) != v1)
        #expect(Fingerprint(version: .v1) == Fingerprint(version: .v2))
        #expect(Set([Fingerprint(version: .v1), Fingerprint(version: .v2)]).count == 1)
        // The empty fingerprint takes the version of what it is combined with.
        #expect(Fingerprint().combined(with: v1) == v1)
        #expect(Fingerprint().combined(with: v1).version == .v1)
        #expect(v1.combined(with: Fingerprint()) == v1)
        #expect(v1.subtracting(v1).isEmpty)
        #expect(Fingerprint.Version.current == .v2)
    }

    @Test("The empty fingerprint is 32 zeros and no rows")
    func empty() {
        #expect(Fingerprint().hex == String(repeating: "0", count: 32))
        #expect(Fingerprint().rows == 0)
        #expect(Fingerprint() == fingerprint([]))
    }

    // MARK: - Multiset properties

    @Test("Every order of the same rows has the same fingerprint")
    func orderIndependent() {
        let reference = fingerprint(sampleRows)
        var permutations: [[[Value]]] = [[]]
        for row in sampleRows {
            permutations = permutations.flatMap { p in (0...p.count).map { i in
                var q = p
                q.insert(row, at: i)
                return q
            } }
        }
        #expect(permutations.count == 24)
        for p in permutations {
            #expect(fingerprint(p) == reference)
        }
    }

    @Test("A row added twice is not the same as the row added once")
    func duplicatesCount() {
        let row: [Value] = [.integer(7), .text("LGA")]
        let once = fingerprint([row])
        let twice = fingerprint([row, row])
        #expect(once != twice)
        #expect(once.hex != twice.hex)
        #expect(twice.rows == 2)
        // And a duplicate in one set does not equal a different row in the other.
        #expect(fingerprint([row, row, [.integer(8)]]) != fingerprint([row, [.integer(8)], [.integer(8)]]))
    }

    @Test("Column order inside a row matters")
    func columnOrderMatters() {
        #expect(fingerprint([[.integer(1), .integer(2)]]) != fingerprint([[.integer(2), .integer(1)]]))
        #expect(fingerprint([[.text("ab"), .text("c")]]) != fingerprint([[.text("a"), .text("bc")]]))
    }

    @Test("Combining fingerprints of parts equals adding all rows")
    func combined() {
        let all = fingerprint(sampleRows)
        for split in 0...sampleRows.count {
            let a = fingerprint(Array(sampleRows[..<split]))
            let b = fingerprint(Array(sampleRows[split...]))
            #expect(a.combined(with: b) == all)
            #expect(b.combined(with: a) == all)
            #expect(a.combined(with: b).rows == sampleRows.count)
        }
        #expect(all.combined(with: Fingerprint()) == all)
    }

    @Test("A fingerprint round-trips through its hex form and row count")
    func hexRoundTrip() throws {
        for f in [Fingerprint(), fingerprint(sampleRows), fingerprint([[.null]])] {
            let back = try #require(Fingerprint(hex: f.hex, rows: f.rows))
            #expect(back == f)
            #expect(back.hex == f.hex)
            #expect(back.rows == f.rows)
            // Adding to a restored fingerprint continues exactly.
            var restored = back
            var original = f
            restored.add([.text("more")])
            original.add([.text("more")])
            #expect(restored == original)
        }
        let pinned = try #require(Fingerprint(hex: "a513fd0ac04121b6700673bd0f5554e3", rows: 4))
        #expect(pinned == fingerprint(sampleRows))
        #expect(Fingerprint(hex: "a513fd0ac04121b6700673bd0f5554e3", rows: 3) != fingerprint(sampleRows))
    }

    @Test("Hex that is not 32 hex digits is refused", arguments: [
        "", "0", String(repeating: "0", count: 31), String(repeating: "0", count: 33),
        String(repeating: "g", count: 32), "33682d7c6d02d2ac 2c87c89da6bbe77",
        "+" + String(repeating: "0", count: 31), "0000000000000000+000000000000000",
        "-" + String(repeating: "0", count: 31),
    ])
    func badHex(hex: String) {
        #expect(Fingerprint(hex: hex, rows: 0) == nil)
    }

    // MARK: - Values

    @Test("-0.0 is hashed as 0.0")
    func negativeZero() {
        #expect(fingerprint([[.real(-0.0)]]) == fingerprint([[.real(0.0)]]))
        #expect(fingerprint([[.text("a"), .real(-0.0)]]) == fingerprint([[.text("a"), .real(0.0)]]))
    }

    @Test("NULL, empty text, '0', integer 0 and real 0.0 all differ")
    func distinctValues() {
        let values: [Value] = [.null, .text(""), .text("0"), .integer(0), .real(0.0), .integer(1), .real(1.0),
                               .text("NULL"), .text("1")]
        let hexes = values.map { fingerprint([[$0]]).hex }
        #expect(Set(hexes).count == values.count)
        // Also as the last of several columns, and NULL vs a missing column.
        #expect(fingerprint([[.integer(1), .null]]) != fingerprint([[.integer(1)]]))
        #expect(fingerprint([[.text("")]]) != fingerprint([[]]))
    }

    @Test("Equal rows built from equal values have equal fingerprints")
    func deterministic() {
        #expect(fingerprint(sampleRows) == fingerprint(sampleRows))
        #expect(fingerprint([[.real(0.1 + 0.2)]]) != fingerprint([[.real(0.3)]]))
    }
}
