/// MurmurHash3_x64_128, Austin Appleby's 128-bit non-cryptographic hash for 64-bit machines,
/// implemented from its public-domain reference (`MurmurHash3.cpp` of SMHasher,
/// https://github.com/aappleby/smhasher/blob/master/src/MurmurHash3.cpp).
///
/// The input is read in 16-byte blocks as two little-endian 64-bit words, whatever the
/// machine's byte order, so the result is the same everywhere. ``Fingerprint`` version `v2`
/// hashes each row's canonical encoding with it, seed 0. The result passes SMHasher's
/// verification test (`0x6384BA69`), which the tests check.
///
/// Not a cryptographic hash: collisions can be constructed on purpose. For inputs nobody
/// chose adversarially its outputs behave like random 128-bit values.
///
/// ```swift
/// let (h1, h2) = MurmurHash3.x64_128(Array("hello".utf8))
/// ```
public enum MurmurHash3 {
    private static let c1: UInt64 = 0x87c3_7b91_1142_53d5
    private static let c2: UInt64 = 0x4cf5_ad43_2745_937f

    /// The hash of `bytes` as the reference's two output words `h1`, `h2` (its `out[0]`,
    /// `out[1]`; the 16 output bytes are `h1` then `h2`, each little-endian).
    /// - Parameters:
    ///   - bytes: the input, any length.
    ///   - seed: the reference's 32-bit seed (both lanes start at it).
    public static func x64_128(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> (h1: UInt64, h2: UInt64) {
        let length = bytes.count
        var h1 = UInt64(seed)
        var h2 = UInt64(seed)
        var offset = 0
        let blocksEnd = length & ~15
        while offset < blocksEnd {
            var k1 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            var k2 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
            offset += 16

            k1 &*= c1; k1 = rotl(k1, 31); k1 &*= c2; h1 ^= k1
            h1 = rotl(h1, 27); h1 &+= h2; h1 = h1 &* 5 &+ 0x52dc_e729

            k2 &*= c2; k2 = rotl(k2, 33); k2 &*= c1; h2 ^= k2
            h2 = rotl(h2, 31); h2 &+= h1; h2 = h2 &* 5 &+ 0x3849_5ab5
        }

        // The tail: up to 15 bytes, the first 8 into k1 and the rest into k2, little-endian.
        let tail = length & 15
        if tail > 8 {
            var k2: UInt64 = 0
            for i in 8..<tail { k2 ^= UInt64(bytes[offset + i]) &<< UInt64((i - 8) * 8) }
            k2 &*= c2; k2 = rotl(k2, 33); k2 &*= c1; h2 ^= k2
        }
        if tail > 0 {
            var k1: UInt64 = 0
            for i in 0..<min(tail, 8) { k1 ^= UInt64(bytes[offset + i]) &<< UInt64(i * 8) }
            k1 &*= c1; k1 = rotl(k1, 31); k1 &*= c2; h1 ^= k1
        }

        h1 ^= UInt64(length); h2 ^= UInt64(length)
        h1 &+= h2
        h2 &+= h1
        h1 = fmix64(h1)
        h2 = fmix64(h2)
        h1 &+= h2
        h2 &+= h1
        return (h1, h2)
    }

    /// The hash of `bytes`, as the buffer form above.
    public static func x64_128(_ bytes: [UInt8], seed: UInt32 = 0) -> (h1: UInt64, h2: UInt64) {
        bytes.withUnsafeBytes { x64_128($0, seed: seed) }
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x &<< r) | (x &>> (64 &- r)) }

    /// The reference's finalization mix: forces every bit of the state to avalanche.
    @inline(__always)
    private static func fmix64(_ k: UInt64) -> UInt64 {
        var k = k
        k ^= k &>> 33
        k &*= 0xff51_afd7_ed55_8ccd
        k ^= k &>> 33
        k &*= 0xc4ce_b9fe_1a85_ec53
        k ^= k &>> 33
        return k
    }
}
