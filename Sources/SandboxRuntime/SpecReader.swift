import Glibc
import SandboxWire

/// Reads the one framed spec the service writes to the helper's fd 3, exactly: the pipe stays
/// open after it as the service's lifeline, so reading to EOF would wait for the service's end.
enum SpecReader {
    static func read(from fd: Int32) throws(SetupFailure) -> WireSpec {
        do {
            let length = try WireFrame.bodyLength(header: try readExactly(WireFrame.headerSize, from: fd))
            let spec = try WireSpec(decoding: try readExactly(length, from: fd))
            try spec.validate()
            return spec
        } catch {
            throw SetupFailure(step: "read spec", message: error.message)
        }
    }

    /// `count` bytes, or a truncation error naming how many arrived.
    private static func readExactly(_ count: Int, from fd: Int32) throws(WireError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw WireError(.truncated, "truncated spec: \(ErrorName.describe(errno))") }
            if n == 0 { throw WireError(.truncated, "unexpected end of input after \(offset) of \(count) bytes") }
            offset += n
        }
        return bytes
    }
}
