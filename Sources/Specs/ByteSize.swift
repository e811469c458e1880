/// Sizes as people write them in flags and files: `1048576`, `64K`, `500M`, `1.5G`, `2T`, with
/// an optional `B` or `iB` (`512MiB`), in any case; the units are powers of 1024. One parser
/// for the command line and slipway.yml, so the two accept the same words.
public enum ByteSize {
    /// The number of bytes `text` names; nil for anything else (signs, exponents, hex), and for
    /// a size past Int64, so no input can trap the conversion.
    public static func parse(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var number = Substring(text.uppercased())
        if number.hasSuffix("IB") { number = number.dropLast(2) } else if number.hasSuffix("B") { number = number.dropLast() }
        var scale: Int64 = 1
        if let last = number.last, let unit = units[last] { number = number.dropLast(); scale = unit }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) else { return nil }
        if let whole = Int64(number) {
            let (bytes, overflow) = whole.multipliedReportingOverflow(by: scale)
            return overflow ? nil : bytes
        }
        guard let value = Double(number) else { return nil }
        let bytes = (value * Double(scale)).rounded(.down)
        return bytes < 0x1p63 ? Int64(bytes) : nil
    }
}
