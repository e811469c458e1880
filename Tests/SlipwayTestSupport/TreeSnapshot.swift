import Foundation

/// The tree under `root` as `path → "dir" | "file:<content>" | "link:<target>"`, never
/// following a symlink: what a test compares an unpacked image or release against.
public func snapshot(_ root: String) throws -> [String: String] {
    var found: [String: String] = [:]
    func walk(_ relative: String) throws {
        let directory = relative.isEmpty ? root : root + "/" + relative
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            guard lstat(root + "/" + path, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                found[path] = "dir"
                try walk(path)
            case S_IFLNK:
                found[path] = "link:" + (try FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + path))
            default:
                found[path] = "file:" + String(decoding: try Data(contentsOf: URL(fileURLWithPath: root + "/" + path)), as: UTF8.self)
            }
        }
    }
    try walk("")
    return found
}
