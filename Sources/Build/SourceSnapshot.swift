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
    /// git's tree id of the source at HEAD: identifies a clean checkout's content without hashing it.
    var treeID: String?
    /// What `git archive` exports: `HEAD`, or `HEAD:<subdirectory>` for a project inside a repository.
    var treeish = "HEAD"
    /// The repository's work tree (git resolves `HEAD:<path>` from there).
    var topLevel: String?
    var repositoryURL: String?
    var dirty: Bool

    static func inspect(_ directory: String, dirty: Bool) throws -> SourceSnapshot {
        try inspect(directory, dirty: dirty, reading: []).snapshot
    }

    /// Inspects the source and, for a clean checkout, reads `files` (relative paths) as
    /// committed at HEAD: one `git cat-file --batch` call answers both, because each git
    /// spawn costs milliseconds and a cached build costs little else. Files missing at HEAD
    /// are absent from the result.
    static func inspect(_ directory: String, dirty: Bool, reading files: [String]) throws -> (snapshot: SourceSnapshot, files: [String: Data]) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw SlipwayError.notFound("\(directory): no such source directory")
        }
        var snapshot = SourceSnapshot(directory: directory, dirty: dirty)
        guard let (top, gitDirectory) = findRepository(from: directory) else { return (snapshot, [:]) }
        // A project in a subdirectory of a repository builds that subtree as committed.
        let subdirectory = relativePath(of: directory, in: top)
        func committed(_ path: String) -> String { "HEAD:" + (subdirectory.isEmpty ? path : subdirectory + "/" + path) }
        let trees = subdirectory.isEmpty ? [] : ["HEAD:" + subdirectory]
        let names = ["HEAD"] + trees + (dirty ? [] : files.map(committed))
        guard let output = try? Git.data(["cat-file", "--batch"], in: directory,
                                          input: Data(names.map { $0 + "\n" }.joined().utf8)) else {
            return (snapshot, [:])  // no commit yet
        }
        let objects = GitBatchOutput(output).objects
        guard let head = objects.first, head.type == "commit" else { return (snapshot, [:]) }
        let commit = String(decoding: head.content, as: UTF8.self)
        snapshot.directory = subdirectory.isEmpty ? top : directory
        snapshot.treeish = trees.first ?? "HEAD"
        snapshot.topLevel = top
        snapshot.commit = head.id
        for line in commit.split(separator: "\n") {
            if line.hasPrefix("tree ") { snapshot.treeID = String(line.dropFirst(5)) }
            if line.hasPrefix("committer ") {
                let words = line.split(separator: " ")
                if words.count >= 2 { snapshot.commitTime = Int64(words[words.count - 2]) }
            }
            if line.isEmpty { break }
        }
        if !trees.isEmpty {
            guard objects.count > 1, objects[1].type == "tree" else {
                throw SlipwayError.notFound("\(directory) is not committed at HEAD of \(top) (commit it, or build the working tree with --dirty)")
            }
            snapshot.treeID = objects[1].id
        }
        snapshot.repositoryURL = originURL(gitDirectory: gitDirectory)
        var read: [String: Data] = [:]
        for (file, object) in zip(files, objects.dropFirst(1 + trees.count)) where object.type == "blob" && !dirty {
            read[file] = object.content
        }
        return (snapshot, read)
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

    /// `directory` relative to the work tree `top` ("" when it is the top), symlinks resolved.
    static func relativePath(of directory: String, in top: String) -> String {
        func real(_ path: String) -> String { URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path }
        let (dir, root) = (real(directory), real(top))
        return dir.hasPrefix(root + "/") ? String(dir.dropFirst(root.count + 1)) : ""
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
            _ = try Git.run(["archive", "--format=tar", "-o", tar, treeish], in: topLevel ?? directory)
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
            throw SlipwayError.wrapping(error, "cannot read \(source)")
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
            throw SlipwayError.wrapping(error, "cannot copy \(source) into the build's workspace")
        }
    }
}

/// Parses `git cat-file --batch` output: `<id> <type> <size>\n<content>\n` per object, or
/// `<name> missing\n`. Missing objects keep their place with type "missing".
struct GitBatchOutput {
    struct Object {
        var id: String
        var type: String
        var content: Data
    }

    var objects: [Object] = []

    init(_ data: Data) {
        let bytes = [UInt8](data)
        var i = 0
        while i < bytes.count {
            guard let newline = bytes[i...].firstIndex(of: 10) else { break }
            let header = String(decoding: bytes[i..<newline], as: UTF8.self).split(separator: " ").map(String.init)
            i = newline + 1
            guard header.count == 3, let size = Int(header[2]), i + size <= bytes.count else {
                objects.append(Object(id: header.first ?? "", type: "missing", content: Data()))
                continue
            }
            objects.append(Object(id: header[0], type: header[1], content: Data(bytes[i..<(i + size)])))
            i += size + 1
        }
    }
}
