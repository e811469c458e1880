import Foundation
import SlipwayCore
import Specs

/// Finds the files an `artifacts` section names and lays them out in a staging directory,
/// ready to pack. Paths are judged as the build saw them (`/codebuild/output/src/...`) and
/// read on the host through `PathMap`; symlinks are never followed on the host.
struct ArtifactCollector {
    /// Maps sandbox paths to host paths: the source directory is the workspace; other
    /// absolute paths were copied out to the export directory at the end of the build.
    struct PathMap {
        var sourceDirectory: String
        var workspace: String
        var exportDirectory: String

        func host(_ sandboxPath: String) -> String {
            if sandboxPath == sourceDirectory { return workspace }
            if sandboxPath.hasPrefix(sourceDirectory + "/") { return workspace + sandboxPath.dropFirst(sourceDirectory.count) }
            return exportDirectory + sandboxPath
        }

        /// True when the host path for `sandboxPath` stays inside the workspace or export
        /// directory: no `..` and no symlink on the way (the last component may be a link;
        /// callers decide). The build controls these trees, and a link to `/etc` in one must
        /// not make Slipway read the host's files.
        func isContained(_ sandboxPath: String) -> Bool {
            let hostPath = host(sandboxPath)
            let root = hostPath.hasPrefix(workspace + "/") || hostPath == workspace ? workspace : exportDirectory
            let parts = hostPath.dropFirst(root.count).split(separator: "/")
            if parts.contains("..") || parts.contains(".") { return false }
            var rootStat = stat()
            guard lstat(root, &rootStat) == 0, rootStat.st_mode & S_IFMT == S_IFDIR else { return false }
            var current = root
            for part in parts.dropLast() {
                current += "/" + part
                var st = stat()
                if lstat(current, &st) != 0 || st.st_mode & S_IFMT != S_IFDIR { return false }
            }
            return true
        }

        /// An absolute sandbox path for `path` as written (relative = against the source dir).
        func absolute(_ path: String) -> String {
            let p = PathGlob.normalize(path)
            if p.hasPrefix("/") { return p }
            return p.isEmpty ? sourceDirectory : sourceDirectory + "/" + p
        }
    }

    /// A file chosen for an artifact: where it is on the host and where it goes.
    struct Selection: Equatable {
        var hostPath: String
        var artifactPath: String
    }

    let map: PathMap

    /// The files `files`/`base-directory`/`exclude-paths`/`discard-paths` select, already
    /// expanded. Throws when nothing matches.
    func select(files: [String], baseDirectory: String?, excludePaths: [String], discardPaths: Bool,
                keepSymlinks: Bool, what: String) throws -> [Selection] {
        let bases: [String]
        if let baseDirectory, !PathGlob.normalize(baseDirectory).isEmpty {
            let base = map.absolute(baseDirectory.hasSuffix("/") ? String(baseDirectory.dropLast()) : baseDirectory)
            bases = PathGlob.hasWildcard(base) ? matchingDirectories(base) : [base]
            if bases.isEmpty { throw SlipwayError.failed("\(what): no directory matches base-directory '\(baseDirectory)'") }
        } else {
            bases = [map.sourceDirectory]
        }
        let excludes = excludePaths.map { PathGlob($0) }
        var chosen: [String: Selection] = [:]
        for base in bases {
            for pattern in files {
                var p = PathGlob.normalize(pattern)
                if p.hasPrefix(map.sourceDirectory + "/") && base == map.sourceDirectory { p.removeFirst(map.sourceDirectory.count + 1) }
                // An absolute pattern outside any base stands on its own.
                let (root, relativePattern) = p.hasPrefix("/") ? ("/", String(p.dropFirst())) : (base, p)
                let glob = PathGlob(relativePattern)
                for file in try candidates(root: root, pattern: relativePattern) where glob.matches(file) {
                    if excludes.contains(where: { $0.matches(file) }) { continue }
                    let sandboxPath = root == "/" ? "/" + file : root + "/" + file
                    guard map.isContained(sandboxPath) else { continue }
                    let host = map.host(sandboxPath)
                    var st = stat()
                    guard lstat(host, &st) == 0 else { continue }
                    let type = st.st_mode & S_IFMT
                    guard type == S_IFREG || (type == S_IFLNK && keepSymlinks) else { continue }
                    let destination = discardPaths ? (file as NSString).lastPathComponent : file
                    chosen[destination] = Selection(hostPath: host, artifactPath: destination)
                }
            }
        }
        guard !chosen.isEmpty else {
            let list = files.map { "'\($0)'" }.joined(separator: ", ")
            throw SlipwayError.failed("\(what): no file matches \(list)" + (baseDirectory.map { " in base-directory '\($0)'" } ?? "")
                                      + "; check the paths (they are relative to CODEBUILD_SRC_DIR, not the last working directory)")
        }
        return chosen.values.sorted { $0.artifactPath < $1.artifactPath }
    }

    /// Relative paths of files under `root` worth testing against `pattern`: only the static
    /// prefix of the pattern is walked.
    private func candidates(root: String, pattern: String) throws -> [String] {
        let parts = pattern.split(separator: "/").map(String.init)
        let staticParts = parts.prefix { !PathGlob.hasWildcard($0) }
        let prefix = staticParts.joined(separator: "/")
        if staticParts.count == parts.count { return [prefix] }  // a plain path
        let start = prefix.isEmpty ? root : (root == "/" ? "/" + prefix : root + "/" + prefix)
        var st = stat()
        guard map.isContained(start + "/x"), lstat(map.host(start), &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { return [] }
        return walk(map.host(start)).map { prefix.isEmpty ? $0 : prefix + "/" + $0 }
    }

    /// Every non-directory under `hostDirectory`, relative, without following symlinks.
    private func walk(_ hostDirectory: String) -> [String] {
        var out: [String] = []
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: hostDirectory) else { return [] }
        for name in entries.sorted() {
            var st = stat()
            guard lstat(hostDirectory + "/" + name, &st) == 0 else { continue }
            if st.st_mode & S_IFMT == S_IFDIR {
                out += walk(hostDirectory + "/" + name).map { name + "/" + $0 }
            } else {
                out.append(name)
            }
        }
        return out
    }

    /// Directories matching a base-directory glob (absolute sandbox pattern).
    private func matchingDirectories(_ pattern: String) -> [String] {
        let glob = PathGlob(String(pattern.dropFirst()))
        let parts = pattern.dropFirst().split(separator: "/").map(String.init)
        let staticPrefix = "/" + parts.prefix { !PathGlob.hasWildcard($0) }.joined(separator: "/")
        var out: [String] = []
        guard map.isContained(staticPrefix + "/x") else { return [] }
        func visit(_ sandboxDir: String) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: map.host(sandboxDir)) else { return }
            for name in names.sorted() {
                let child = sandboxDir == "/" ? "/" + name : sandboxDir + "/" + name
                var st = stat()
                guard lstat(map.host(child), &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { continue }
                if glob.matches(String(child.dropFirst())) { out.append(child) }
                visit(child)
            }
        }
        visit(staticPrefix)
        return out
    }

    /// Hard-links (or copies) the selection into `directory`.
    static func stage(_ selection: [Selection], into directory: String) throws {
        try makeDirectories(directory)
        for item in selection {
            let destination = directory + "/" + item.artifactPath
            try makeDirectories((destination as NSString).deletingLastPathComponent)
            var st = stat()
            if lstat(item.hostPath, &st) == 0, st.st_mode & S_IFMT == S_IFLNK {
                let target = try FileManager.default.destinationOfSymbolicLink(atPath: item.hostPath)
                try FileManager.default.createSymbolicLink(atPath: destination, withDestinationPath: target)
            } else if link(item.hostPath, destination) != 0 {
                try FileManager.default.copyItem(atPath: item.hostPath, toPath: destination)
            }
        }
    }
}
