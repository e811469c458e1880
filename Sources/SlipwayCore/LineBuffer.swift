/// Splits a byte stream into lines. A line longer than `maximum` is emitted in pieces, so a
/// build printing megabytes without a newline cannot grow the service's memory without bound.
public struct LineBuffer: Sendable {
    public static let maximum = 64 * 1024
    private var pending: [UInt8] = []

    public init() {}

    /// Appends bytes and returns the complete lines (without their newline).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                lines.append(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
                if pending.count >= Self.maximum {
                    lines.append(String(decoding: pending, as: UTF8.self))
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        return lines
    }

    /// The unterminated last line, if any.
    public mutating func finish() -> String? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
    }
}
