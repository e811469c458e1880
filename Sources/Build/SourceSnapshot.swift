import Archive
import Foundation
import SlipwayCore

/// The source a build runs on: in a git checkout the tree committed at HEAD (or the working
/// tree when dirty builds are asked for), otherwise a plain directory.
struct SourceSnapshot: Sendable {
    var directory: String
    var commit: String?
    /// Seconds since the epoch: `SOURCE_DATE_EPOCH`.
    var commitTime: Int64?
    /// git's tree id of HEAD: identifies a clean checkout's content without hashing it.
    var treeID: String?
    var repositoryURL: String?
    var dirty: Bool

    static func inspect(_ directory: String, dirty: Bool) throws -> SourceSnapshot {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw SlipwayError.notFound("\(directory): no such source directory")
        }
        var snapshot = SourceSnapshot(directory: directory, dirty: dirty)
        // One git call: each spawn costs milliseconds, and a cached build costs little else.
        guard let (top, gitDirectory) = findRepository(from: directory),
              let head = try? Git.run(["log", "-1", "--format=%H %ct %T"], in: directory) else {
            return snapshot  // not a checkout, or no commit yet
        }
        let fields = head.split(separator: " ").map(String.init)
        guard fields.count == 3 else { return snapshot }
        snapshot.directory = top
        snapshot.commit = fields[0]
        snapshot.commitTime = Int64(fields[1])
        snapshot.treeID = fields[2]
        snapshot.repositoryURL = originURL(gitDirectory: gitDirectory)
        return snapshot
    }

    /// The work tree and git directory containing `directory`: the nearest `.git` above it,
    /// a directory or (worktrees, submodules) a file saying `gitdir: <path>`.
    static func findRepository(from directory: String) -> (top: String, gitDirectory: String)? {
        var current = URL(fileURLWithPath: directory).standardizedFileURL.path
        while true {
            let dotGit = current + "/.git"
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dotGit, isDirectory: &isDir) {
                if isDir.boolValue { return (current, dotGit) }
                if let text = try? String(contentsOfFile: dotGit, encoding: .utf8), text.hasPrefix("gitdir:") {
                    let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespacesAndNewlines)
                    return (current, path.hasPrefix("/") ? path : current + "/" + path)
                }
            }
            if current == "/" || current.isEmpty { return nil }
            current = (current as NSString).deletingLastPathComponent
        }
    }

    /// `remote.origin.url` read from the repository's config file.
    static func originURL(gitDirectory: String) -> String? {
        guard let text = try? String(contentsOfFile: gitDirectory + "/config", encoding: .utf8) else { return nil }
        var inOrigin = false
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") { inOrigin = line == "[remote \"origin\"]"; continue }
            if inOrigin, line.hasPrefix("url"), let eq = line.firstIndex(of: "=") {
                return line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    var isGit: Bool { commit != nil }

    /// Copies the source into `workspace` (which must not exist yet). Paths under `excluding`
    /// (Slipway's own state, when it lives inside the source) are left out.
    func export(to workspace: String, scratch: String, excluding: [String] = []) throws {
        if isGit && !dirty {
            let tar = scratch + "/source.tar"
            _ = try Git.run(["archive", "--format=tar", "-o", tar, "HEAD"], in: directory)
            defer { unlink(tar) }
            try Extraction.extract(archive: tar, to: workspace)
            return
        }
        let skip = excluding.map { URL(fileURLWithPath: $0).standardizedFileURL.path } + [workspace]
        func skipped(_ path: String) -> Bool { skip.contains { path == $0 || path.hasPrefix($0 + "/") } }
        try makeDirectories(workspace)
        if isGit {
            // The working tree: tracked and untracked files, minus what .gitignore excludes.
            let list = try Git.run(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], in: directory)
            for path in Set(list.split(separator: "\0").map(String.init)).sorted() where !skipped(directory + "/" + path) {
                try copyEntry(directory + "/" + path, to: workspace + "/" + path)
            }
        } else {
            try copyTree(directory, to: workspace, skipped: skipped)
        }
    }

    /// Copies a directory's contents without following symlinks.
    private func copyTree(_ source: String, to destination: String, skipped: (String) -> Bool) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: source)
        } catch {
            throw SlipwayError.failed("cannot read \(source): \(error.localizedDescription)")
        }
        for name in names.sorted() where !skipped(source + "/" + name) {
            var st = stat()
            guard lstat(source + "/" + name, &st) == 0 else { continue }
            if st.st_mode & S_IFMT == S_IFDIR {
                try makeDirectories(destination + "/" + name)
                try copyTree(source + "/" + name, to: destination + "/" + name, skipped: skipped)
            } else {
                try copyEntry(source + "/" + name, to: destination + "/" + name)
            }
        }
    }

    private func copyEntry(_ source: String, to destination: String) throws {
        var st = stat()
        guard lstat(source, &st) == 0 else { return }  // deleted but still in the index
        try makeDirectories((destination as NSString).deletingLastPathComponent)
        do {
            try FileManager.default.copyItem(atPath: source, toPath: destination)
        } catch {
            throw SlipwayError.failed("cannot copy \(source) into the build's workspace: \(error.localizedDescription)")
        }
    }
}
