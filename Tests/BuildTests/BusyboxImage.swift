import Foundation
@testable import Images
import SlipwayCore
import SlipwayTestSupport
@testable import Build

/// A tiny image for sandboxed build tests: Debian's static busybox with its applets as
/// symlinks, a passwd with root and a build user. Made once per test process.
enum BusyboxImage {
    static let shared: Result<ImageRecord, Error> = Result { try make() }

    static func record() throws -> ImageRecord { try shared.get() }

    private static func make() throws -> ImageRecord {
        let root = try TemporaryDirectory.forThisProcess("slipway-busybox") + "/rootfs"
        removeTree(root)
        for dir in ["bin", "etc", "tmp", "root", "home/builder", "proc", "dev", "sys", "usr/bin", "usr/sbin", "sbin"] {
            try makeDirectories(root + "/" + dir)
        }
        try Busybox.install(into: root)
        try "root:x:0:0:root:/root:/bin/sh\nbuilder:x:1000:1000:builder:/home/builder:/bin/sh\n"
            .write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\nbuilder:x:1000:\n".write(toFile: root + "/etc/group", atomically: true, encoding: .utf8)
        try makeDirectories(root + "/etc/slipway")
        try "python 3.12 3.11\n".write(toFile: root + "/etc/slipway/runtimes", atomically: true, encoding: .utf8)
        chown(root + "/home/builder", 1000, 1000)
        chmod(root + "/tmp", 0o1777)
        return ImageRecord(reference: "busybox:test", digest: try Digest(hex: String(repeating: "b", count: 64)), rootfs: root,
                           created: Date(timeIntervalSince1970: 0), size: 0, format: "rootfs-directory", layers: [])
    }
}

/// A project directory with a buildspec, optionally a git repository, in a fresh SLIPWAY_HOME.
struct BuildFixture {
    let directory: TemporaryDirectory
    var root: String { directory.path }
    var source: String { root + "/project" }
    var home: SlipwayHome { SlipwayHome(path: root + "/home") }

    init(buildspec: String, files: [String: String] = [:], git: Bool = false) throws {
        directory = try TemporaryDirectory("slipway-build")
        try makeDirectories(source)
        try write("buildspec.yml", buildspec)
        for (path, text) in files { try write(path, text) }
        if git { try commit(message: "initial", date: "2024-01-02T03:04:05Z") }
    }

    /// The buildspec from its `phases` (the body of `phases:`), `env` and `after` (see `BuildspecText.make`).
    init(phases: String, env: String? = nil, after: String? = nil, files: [String: String] = [:], git: Bool = false) throws {
        try self.init(buildspec: BuildspecText.make(phases: phases, env: env, after: after), files: files, git: git)
    }

    func write(_ path: String, _ text: String) throws {
        try directory.write("project/" + path, text)
    }

    func commit(message: String, date: String) throws {
        let exists = FileManager.default.fileExists(atPath: source + "/.git")
        try (exists ? GitRepository(existing: source) : GitRepository(at: source)).commit(message, date: date)
    }

    func request(_ configure: (inout BuildRequest) -> Void = { _ in }) throws -> BuildRequest {
        var request = BuildRequest(source: source, image: try BusyboxImage.record())
        request.timeout = 60
        configure(&request)
        return request
    }

    func build(_ configure: (inout BuildRequest) -> Void = { _ in }) throws -> BuildResult {
        try BuildRunner(home: home).run(try request(configure)) { _ in }
    }

    func log(_ result: BuildResult) -> String {
        (try? String(contentsOfFile: result.logPath, encoding: .utf8)) ?? ""
    }
}
