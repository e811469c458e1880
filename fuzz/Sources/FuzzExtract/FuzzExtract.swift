import Archive
import Foundation
import Glibc

/// One input: the bytes as an archive file, read as Slipway reads an artifact or an image
/// layer, extracted with tight limits into a fresh directory that is then removed. Errors
/// are the expected outcome; a crash, a hang or a write outside the directory is the finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let fd = memfd_create("fuzz-archive", 0)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    guard write(fd, data, size) == size else { return 0 }
    lseek(fd, 0, SEEK_SET)
    let root = NSTemporaryDirectory() + "fuzz-extract-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: root) }
    for options in [ExtractOptions.artifact, ExtractOptions.imageLayer] {
        var limited = options
        limited.maxBytes = 16 << 20
        limited.maxEntries = 10_000
        try? FileManager.default.removeItem(atPath: root)
        lseek(fd, 0, SEEK_SET)
        guard let reader = try? TarReader(fd: fd, source: "fuzz"),
              let extractor = try? SafeExtractor(rootPath: root, options: limited) else { continue }
        _ = try? extractor.extract(reader)
    }
    return 0
}
