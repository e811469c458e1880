/// Lowercase hex of bytes. By table, not `String(format:)`: formatting a digest that way cost
/// 4.5 million instructions per process (Foundation's varargs and locale lookups), more than a
/// whole rollback's own work.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
