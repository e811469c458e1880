/// The spec's framing: a 4-byte little-endian length, then that many bytes of body. The length
/// lets the helper read exactly one spec and still see the pipe's later EOF as the service's
/// death (the pipe stays open as a lifeline).
public enum WireFrame {
    /// The length field's size in bytes.
    public static let headerSize = 4
    /// A larger frame is refused before anything is allocated for it.
    public static let maximumBodyLength = 16 << 20

    /// `body` with its length in front.
    public static func wrap(_ body: [UInt8]) throws(WireError) -> [UInt8] {
        guard body.count <= maximumBodyLength else {
            throw WireError(.tooLarge, "spec too large: \(body.count) bytes (at most \(maximumBodyLength))")
        }
        let length = UInt32(body.count)
        var framed: [UInt8] = [UInt8(truncatingIfNeeded: length), UInt8(truncatingIfNeeded: length >> 8),
                               UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 24)]
        framed.reserveCapacity(headerSize + body.count)
        framed += body
        return framed
    }

    /// The body length a header announces.
    public static func bodyLength(header: [UInt8]) throws(WireError) -> Int {
        guard header.count == headerSize else {
            throw WireError(.truncated, "truncated spec: \(header.count) of \(headerSize) length bytes")
        }
        let length = Int(header[0]) | Int(header[1]) << 8 | Int(header[2]) << 16 | Int(header[3]) << 24
        guard length <= maximumBodyLength else {
            throw WireError(.tooLarge, "spec too large: \(length) bytes (at most \(maximumBodyLength))")
        }
        return length
    }
}
