import Foundation
import SlipwayCore

/// One file-system object found under a packed directory.
public struct TreeEntry: Sendable {
    public enum Kind: Sendable { case directory, regular, symlink, hardlink }
    /// Path relative to the packed directory, "/"-separated, no leading "./".
    public var path: String
    public var kind: Kind
    public var size: Int64
    public var executable: Bool
    /// Symlink target, or for a hardlink the path of the first entry with the same inode.
    public var linkTarget: String?
}

/// Lists a directory tree in canonical order: byte-wise sorted paths, so a parent always
/// precedes its children and the order does not depend on the file system or locale.
public enum TreeWalk {
    public static func entries(of root: String) throws -> [TreeEntry] {
        var found: [TreeEntry] = []
        var inodes: [UInt64: [UInt64: String]] = [:]  // dev -> ino -> first path
        try walk(root: root, relative: "", into: &found)
        found.sort { bytewisePrecedes($0.path, $1.path) }
        // Hardlinks are decided after sorting, so the first path in canonical order holds the data.
        for i in found.indices where found[i].kind == .regular {
            guard let key = found[i].linkTarget else { continue }  // "dev:ino" stashed by walk
            let parts = key.split(separator: ":").compactMap { UInt64($0) }
            found[i].linkTarget = nil
            if let first = inodes[parts[0]]?[parts[1]] {
                found[i].kind = .hardlink
                found[i].linkTarget = first
                found[i].size = 0
            } else {
                inodes[parts[0], default: [:]][parts[1]] = found[i].path
            }
        }
        return found
    }

    /// Byte-wise order of the UTF-8 (what `lexicographicallyPrecedes` on the UTF-8 views
    /// gives) with one memcmp: the generic comparison was 3 % of a pack's CPU.
    static func bytewisePrecedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                return order != 0 ? order < 0 : x.count < y.count
            }
        }
    }

    private static func walk(root: String, relative: String, into found: inout [TreeEntry]) throws {
        let dirPath = relative.isEmpty ? root : root + "/" + relative
        guard let dir = opendir(dirPath) else {
            throw SlipwayError.system("cannot read directory \(dirPath)")
        }
        defer { closedir(dir) }
        let dfd = dirfd(dir)
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                if errno != 0 { throw SlipwayError.system("readdir \(dirPath)") }
                break
            }
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(validatingCString: $0) }
            }
            guard let name else {
                throw SlipwayError.badInput("\(dirPath): a file name is not valid UTF-8; rename it before packing")
            }
            if name == "." || name == ".." { continue }
            let rel = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            guard fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw SlipwayError.system("stat \(root)/\(rel)")
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                found.append(TreeEntry(path: rel, kind: .directory, size: 0, executable: true))
                try walk(root: root, relative: rel, into: &found)
            case S_IFREG:
                let key = st.st_nlink > 1 ? "\(st.st_dev):\(st.st_ino)" : nil
                found.append(TreeEntry(path: rel, kind: .regular, size: Int64(st.st_size),
                                       executable: st.st_mode & 0o111 != 0, linkTarget: key))
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(dfd, name, &buffer, buffer.count - 1)
                guard n >= 0 else { throw SlipwayError.system("readlink \(root)/\(rel)") }
                buffer[n] = 0
                found.append(TreeEntry(path: rel, kind: .symlink, size: 0, executable: false,
                                       linkTarget: String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)))
            default:
                throw SlipwayError.badInput("\(root)/\(rel): is a device, fifo or socket; only files, directories and symlinks can be packed")
            }
        }
    }
}
