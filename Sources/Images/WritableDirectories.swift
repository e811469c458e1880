import Foundation
import SlipwayCore

/// An unprivileged import cannot write into a read-only directory that a lower layer made
/// (root's CAP_DAC_OVERRIDE does that for a root import): before each upper layer, every
/// directory of the tree without owner rwx gets it, and the recorded modes are put back once
/// the last layer is in. A mode a later layer sets itself is left alone.
struct WritableDirectories {
    private var opened: [String: mode_t] = [:]  // path -> mode it had

    /// Adds owner rwx to every directory under `root` that lacks it.
    mutating func openUp(_ root: String) throws {
        try walk(root)
    }

    /// Restores the modes changed by `openUp`, where the directory still has the mode we gave it.
    func restore() throws {
        for (path, mode) in opened.sorted(by: { $0.key > $1.key }) {  // children before parents
            var st = stat()
            guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR,
                  st.st_mode & 0o7777 == (mode | 0o700) & 0o7777 else { continue }
            guard chmod(path, mode & 0o7777) == 0 else { throw SlipwayError.chmod(path) }
        }
    }

    private mutating func walk(_ directory: String) throws {
        var st = stat()
        guard lstat(directory, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { return }
        if st.st_mode & 0o700 != 0o700 {
            if opened[directory] == nil { opened[directory] = st.st_mode & 0o7777 }
            guard chmod(directory, (st.st_mode | 0o700) & 0o7777) == 0 else { throw SlipwayError.chmod(directory) }
        }
        guard let dir = opendir(directory) else { throw SlipwayError.open(directory) }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == DT_DIR || entry.pointee.d_type == DT_UNKNOWN else { continue }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            try walk(directory + "/" + name)
        }
    }
}
