import Archive
import Foundation
import Glibc

/// One input: the bytes as an archive file, read as Slipway reads an artifact or an image
/// layer, extracted with tight limits into a fresh directory that is then removed. Errors
/// are the expected outcome; a crash, a hang or a write outside the directory is the finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var template = Array("/tmp/fuzz-archive-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { return 0 }
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
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

// SwiftPM links executables with `main` aliased to `<module>_main`, which -parse-as-library
// never emits; so that symbol is defined here and hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzExtract_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzz)
}
