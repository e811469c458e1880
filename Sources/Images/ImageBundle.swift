import CLinux
import Foundation
import SlipwayCore

/// A directory holding an image in transit: an OCI layout or the contents of a `docker save`
/// tarball. Every file is opened with openat2(RESOLVE_IN_ROOT), so a symlink inside the
/// bundle (legacy `docker save` links duplicate layers) can never reach a host file.
final class ImageBundle {
    /// Where the bundle came from, for messages: the user's path, not a staging directory.
    let source: String
    let path: String
    private let fd: Int32

    /// JSON documents are small; a bigger one is hostile or not what we think it is.
    static let maxDocumentBytes = 16 << 20

    init(path: String, source: String) throws {
        self.path = path
        self.source = source
        fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SlipwayError.open(source) }
    }

    deinit {
        Syscall.close(fd)
    }

    /// Opens a file of the bundle for reading; a missing file is bad input naming it.
    func open(_ relative: String) throws -> Int32 {
        let fd = cl_openat2(self.fd, relative, O_RDONLY | O_CLOEXEC, 0,
                            UInt64(CL_RESOLVE_IN_ROOT | CL_RESOLVE_NO_MAGICLINKS))
        if fd >= 0 {
            var st = stat()
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
                Syscall.close(fd)
                throw SlipwayError.badInput("\(source): '\(relative)' is not a regular file")
            }
            return fd
        }
        if errno == ENOENT { throw SlipwayError.badInput("\(source): '\(relative)' is missing") }
        if errno == ENOSYS { throw SlipwayError.failed("openat2 is not available: Linux 5.6 or later is required to import images") }
        throw SlipwayError.open("\(source)/\(relative)")
    }

    func exists(_ relative: String) -> Bool {
        guard let fd = try? open(relative) else { return false }
        Syscall.close(fd)
        return true
    }

    /// A whole small file.
    func read(_ relative: String) throws -> Data {
        let fd = try open(relative)
        defer { Syscall.close(fd) }
        var data = Data()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try Syscall.read(fd, into: buffer, what: "read \(source)/\(relative)")
            if n == 0 { return data }
            data.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            if data.count > Self.maxDocumentBytes {
                throw SlipwayError.badInput("\(source): '\(relative)' is larger than \(Self.maxDocumentBytes >> 20) MiB; not an image document")
            }
        }
    }

    /// A JSON document of the bundle, decoded; errors name the file and the field.
    func decode<T: Decodable>(_ type: T.Type, _ relative: String, expectedDigest: Digest? = nil) throws -> T {
        let data = try read(relative)
        if let expectedDigest {
            let actual = Digest.of(data)
            guard actual == expectedDigest else {
                throw SlipwayError.badInput("\(source): '\(relative)' does not match its digest: expected \(expectedDigest), found \(actual)")
            }
        }
        return try Self.decode(type, data, what: "\(source): '\(relative)'")
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw SlipwayError.badInput("\(what): missing field '\(fieldPath(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw SlipwayError.badInput("\(what): field '\(fieldPath(context.codingPath))' has the wrong type (\(context.debugDescription))")
        } catch let DecodingError.dataCorrupted(context) {
            throw SlipwayError.badInput("\(what): not valid JSON (\(context.underlyingError.map { "\($0)" } ?? context.debugDescription))")
        }
    }

    private static func fieldPath(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
    }

    /// `blobs/sha256/<hex>`: where a layout keeps the blob with `digest`.
    static func blobPath(_ digest: Digest) -> String {
        "blobs/sha256/" + digest.hex
    }

    /// A digest the bundle's documents give (`what` says where); other algorithms and
    /// malformed digests are refused.
    func digest(_ text: String, what: String) throws -> Digest {
        do {
            return try Digest(parsing: text)
        } catch {
            throw SlipwayError.badInput("\(source): \(what)", cause: error)
        }
    }
}
