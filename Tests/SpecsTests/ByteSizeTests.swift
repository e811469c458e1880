import Specs
import Testing

/// The one size parser behind slipway.yml and every size flag.
@Suite("Sizes as written", .tags(.small))
struct ByteSizeTests {
    static let sizes: [(String, Int64?)] = [
        ("1048576", 1_048_576), ("0", 0), ("64K", 64 << 10), ("64k", 64 << 10), ("500M", 500 << 20), ("2G", 2 << 30),
        ("2T", 2 << 40), ("1.5G", 3 << 29), ("0.5K", 512), ("512MiB", 512 << 20), ("512mb", 512 << 20), ("7B", 7),
        ("9223372036854775807", .max),
        // Not sizes: empty, a unit alone, signs, exponents, hex, other units, spaces.
        ("", nil), ("M", nil), ("-1", nil), ("+1", nil), ("1e3", nil), ("0x10", nil), ("12X", nil), ("1 G", nil), ("1..5G", nil),
        // Past Int64: refused, never trapped.
        ("9223372036854775808", nil), ("8589934592G", nil), ("99999999999T", nil), ("99999999999999999999.5T", nil),
    ]

    @Test(arguments: sizes)
    func parses(_ text: String, _ bytes: Int64?) {
        #expect(ByteSize.parse(text) == bytes)
    }
}
