import LoadKit
import Testing

@Suite struct UTF8ValidationTests {
    @Test("Well-formed UTF-8 has no invalid byte", arguments: [
        [], Array("plain ASCII".utf8), Array("café ☕️ 𝄞".utf8), [0xEF, 0xBB, 0xBF],
        [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80],
    ] as [[UInt8]])
    func wellFormed(bytes: [UInt8]) {
        #expect(bytes.withUnsafeBytes { UTF8Validation.firstInvalidByte($0) } == nil)
    }

    @Test("The first byte of the first ill-formed sequence is found (Unicode Table 3-7)", arguments: [
        ([0x61, 0x80], 1),                          // a lone continuation byte
        ([0x61, 0x62, 0xC0, 0xAF], 2),              // overlong two-byte form
        ([0xC1, 0xBF], 0),                          // overlong two-byte form
        ([0xE0, 0x80, 0xAF], 0),                    // overlong three-byte form
        ([0xED, 0xA0, 0x80], 0),                    // a surrogate
        ([0xF0, 0x80, 0x80, 0xAF], 0),              // overlong four-byte form
        ([0xF4, 0x90, 0x80, 0x80], 0),              // above U+10FFFF
        ([0xF5, 0x80, 0x80, 0x80], 0),              // no such lead byte
        ([0x63, 0x61, 0x66, 0xC3], 3),              // truncated at the end
        ([0xE2, 0x98, 0x61], 0),                    // a bad third byte
        ([0xF0, 0x9D, 0x84, 0x41], 0),              // a bad fourth byte
        ([0x41, 0xFF, 0x42], 1),
    ] as [([UInt8], Int)])
    func illFormed(bytes: [UInt8], index: Int) {
        #expect(bytes.withUnsafeBytes { UTF8Validation.firstInvalidByte($0) } == index)
    }

    @Test("ASCII detection", arguments: [("abc", true), ("", true), ("café", false), ("\u{7F}", true)])
    func ascii(text: String, isASCII: Bool) {
        #expect(Array(text.utf8).withUnsafeBytes { UTF8Validation.isASCII($0) } == isASCII)
    }
}
