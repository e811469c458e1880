import CArchive
import Foundation

/// Writes hand-made (often hostile) tar archives with libarchive, for tests.
struct TarFixture {
    enum Kind { case file(String), dir, symlink(String), hardlink(String), charDevice, fifo, hugeFile(Int64) }
    struct Entry {
        var path: String
        var kind: Kind
    }

    /// `filter`: "none", "gzip", "zstd".
    static func write(_ entries: [Entry], to path: String, filter: String = "none") throws {
        let a = archive_write_new()!
        defer { archive_write_free(a) }
        archive_write_set_format_pax_restricted(a)
        switch filter {
        case "gzip": archive_write_add_filter_gzip(a)
        case "zstd": archive_write_add_filter_zstd(a)
        default: break
        }
        guard archive_write_open_filename(a, path) == ARCHIVE_OK else { throw FixtureError.open(path) }
        for item in entries {
            let e = archive_entry_new()!
            defer { archive_entry_free(e) }
            archive_entry_set_pathname(e, item.path)
            archive_entry_set_perm(e, 0o644)
            switch item.kind {
            case .file(let text):
                archive_entry_set_filetype(e, UInt32(Glibc.S_IFREG))
                archive_entry_set_size(e, Int64(text.utf8.count))
                archive_write_header(a, e)
                _ = text.withCString { archive_write_data(a, $0, strlen($0)) }
            case .hugeFile(let size):
                archive_entry_set_filetype(e, UInt32(Glibc.S_IFREG))
                archive_entry_set_size(e, size)
                archive_write_header(a, e)
                let zeros = [UInt8](repeating: 0, count: 1 << 20)
                var left = size
                while left > 0 {
                    let n = Int(min(left, Int64(zeros.count)))
                    _ = zeros.withUnsafeBytes { archive_write_data(a, $0.baseAddress, n) }
                    left -= Int64(n)
                }
            case .dir:
                archive_entry_set_filetype(e, UInt32(Glibc.S_IFDIR))
                archive_entry_set_perm(e, 0o755)
                archive_write_header(a, e)
            case .symlink(let target):
                archive_entry_set_filetype(e, UInt32(Glibc.S_IFLNK))
                archive_entry_set_symlink(e, target)
                archive_write_header(a, e)
            case .hardlink(let target):
                archive_entry_set_filetype(e, UInt32(Glibc.S_IFREG))
                archive_entry_set_hardlink(e, target)
                archive_entry_set_size(e, 0)
                archive_write_header(a, e)
            case .charDevice:
                archive_entry_set_filetype(e, UInt32(Glibc.S_IFCHR))
                archive_entry_set_rdevmajor(e, 1); archive_entry_set_rdevminor(e, 3)
                archive_write_header(a, e)
            case .fifo:
                archive_entry_set_filetype(e, UInt32(Glibc.S_IFIFO))
                archive_write_header(a, e)
            }
        }
        archive_write_close(a)
    }

    enum FixtureError: Error { case open(String) }
}
