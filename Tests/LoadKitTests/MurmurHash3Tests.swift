import LoadKit
import Testing

@Suite struct MurmurHash3Tests {
    /// The 16 output bytes as hex: `h1` then `h2`, each little-endian (the reference's `out`).
    private static func digestHex(_ hash: (h1: UInt64, h2: UInt64)) -> String {
        var bytes: [UInt8] = []
        for word in [hash.h1, hash.h2] {
            for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i)))) }
        }
        return bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined()
    }

    @Test("SMHasher's verification test gives MurmurHash3_x64_128's published value 0x6384BA69")
    func smhasherVerification() {
        // KeysetTest.cpp, VerificationTest: hash the keys {}, {0}, {0,1}, … {0,…,254} with seed
        // 256 - length, concatenate the 256 digests, hash that with seed 0, and read the first
        // 4 bytes of the result as a little-endian UInt32.
        var key: [UInt8] = []
        var digests: [UInt8] = []
        for i in 0..<256 {
            let (h1, h2) = MurmurHash3.x64_128(key, seed: UInt32(256 - i))
            for word in [h1, h2] {
                for b in 0..<8 { digests.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(b)))) }
            }
            key.append(UInt8(i))
        }
        let (final, _) = MurmurHash3.x64_128(digests, seed: 0)
        #expect(UInt32(truncatingIfNeeded: final) == 0x6384_BA69)
    }

    @Test("Known digests: empty input, 'hello', the quick brown fox, tails of 15 and 17 bytes, a seed")
    func knownDigests() {
        #expect(MurmurHash3.x64_128([]) == (0, 0))
        #expect(MurmurHash3.x64_128(Array("hello".utf8)) == (0xcbd8_a7b3_41bd_9b02, 0x5b1e_906a_48ae_1d19))
        // The digest usually quoted for this sentence (seed 0).
        #expect(Self.digestHex(MurmurHash3.x64_128(Array("The quick brown fox jumps over the lazy dog".utf8)))
            == "6c1b07bc7bbc4be347939ac4a93c437a")
        // Cross-checked with the mmh3 Python package (mmh3.hash_bytes).
        #expect(MurmurHash3.x64_128([UInt8](repeating: 0, count: 15)) == (0x6ce1_13b1_15a5_6871, 0x1959_53c2_230f_8db2))
        #expect(MurmurHash3.x64_128((0..<17).map(UInt8.init)) == (0x5c76_f40f_9fe7_c20e, 0xc15f_026b_9eda_a824))
        #expect(MurmurHash3.x64_128(Array("hello".utf8), seed: 42) == (0xc4b8_b3c9_60af_6f08, 0x2334_b875_b0ef_bc7a))
    }

    @Test("An unaligned buffer hashes like an aligned one")
    func unaligned() {
        let bytes = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let padded = [0xAA] + bytes
        let direct = MurmurHash3.x64_128(bytes)
        let shifted = padded.withUnsafeBytes { MurmurHash3.x64_128(UnsafeRawBufferPointer(rebasing: $0.dropFirst())) }
        #expect(direct == shifted)
    }
}
