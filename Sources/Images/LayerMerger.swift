import Foundation
import SlipwayCore

/// Stacks unpacked layer trees into one root filesystem, bottom first, as an OCI runtime
/// applies layers: an opaque marker (`.wh..wh..opq`) empties the directory of what lower
/// layers put there, `.wh.NAME` removes NAME, a directory merges into a directory and replaces
/// anything else, any other entry replaces what was there. Files are hard links to the layer
/// trees (the rootfs is only ever a read-only lower layer, so sharing inodes is safe), so
/// stacking costs a link per file and no copying.
///
/// Every path it touches is below `target`, and it never follows a symlink: parents are
/// directories this merge made or checked with lstat, entries are replaced, not written through.
struct LayerMerger {
    let target: String
    /// Bytes of regular-file content linked (what the layers hold, whiteouts not subtracted).
    private(set) var bytes: Int64 = 0
    /// Each directory's attributes from the uppermost layer that has it, applied at the end
    /// (a read-only directory must stay writable while upper layers are merged into it).
    private var directories: [String: stat] = [:]
    private let isRoot = geteuid() == 0

    static let opaqueMarker = ".wh..wh..opq"

    init(target: String) {
        self.target = target
    }

    mutating func merge(layer: String) throws {
        try mergeDirectory(from: layer, into: target, relative: "")
    }

    private mutating func mergeDirectory(from source: String, into destination: String, relative: String) throws {
        let names = try Self.entries(source)
        if names.contains(Self.opaqueMarker) {
            for child in try Self.entries(destination) { removeWritableTree(destination + "/" + child) }
        }
        for name in names where name.hasPrefix(".wh.") && name != Self.opaqueMarker {
            let hidden = String(name.dropFirst(4))
            guard !hidden.isEmpty, hidden != ".", hidden != ".." else {
                throw SlipwayError.badInput("layer \((source as NSString).lastPathComponent): '\(relative)\(name)' is a malformed whiteout")
            }
            removeWritableTree(destination + "/" + hidden)
        }
        for name in names where !name.hasPrefix(".wh.") {
            let from = source + "/" + name, to = destination + "/" + name
            var st = stat()
            guard lstat(from, &st) == 0 else { throw SlipwayError.system(call: "lstat", from) }
            var existing = stat()
            var exists = lstat(to, &existing) == 0
            if st.st_mode & S_IFMT == S_IFDIR {
                if exists && existing.st_mode & S_IFMT != S_IFDIR {
                    removeWritableTree(to)
                    exists = false
                }
                if !exists {
                    guard mkdir(to, 0o700) == 0 else { throw SlipwayError.mkdir(to) }
                } else if existing.st_mode & 0o700 != 0o700 {
                    guard chmod(to, (existing.st_mode | 0o700) & 0o7777) == 0 else { throw SlipwayError.chmod(to) }
                }
                directories[to] = st
                try mergeDirectory(from: from, into: to, relative: relative + name + "/")
            } else {
                if exists { removeWritableTree(to) }
                guard linkat(AT_FDCWD, from, AT_FDCWD, to, 0) == 0 else { throw SlipwayError.system(call: "link", from) }
                if st.st_mode & S_IFMT == S_IFREG { bytes += Int64(st.st_size) }
            }
        }
    }

    /// Gives every directory its owner, mode and time, deepest first (a parent's time is set
    /// after its children stop changing it).
    func finish() throws {
        for (path, st) in directories.sorted(by: { $0.key > $1.key }) {
            if isRoot && lchown(path, st.st_uid, st.st_gid) != 0 { throw SlipwayError.system(call: "chown", path) }
            guard chmod(path, st.st_mode & 0o7777) == 0 else { throw SlipwayError.chmod(path) }
            var times = [st.st_atim, st.st_mtim]
            utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
        }
    }

    /// Names in a directory, sorted, without following a symlink.
    private static func entries(_ directory: String) throws -> [String] {
        try Syscall.directoryNames(directory).sorted()
    }
}
