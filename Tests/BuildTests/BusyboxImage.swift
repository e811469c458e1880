import Foundation
import Images
import SlipwayCore
@testable import Build

/// A tiny image for sandboxed build tests: Debian's static busybox with its applets as
/// symlinks, a passwd with root and a build user. Made once per test process.
enum BusyboxImage {
    static let shared: Result<ImageRecord, Error> = Result { try make() }

    static func record() throws -> ImageRecord { try shared.get() }

    private static func make() throws -> ImageRecord {
        let busybox = ["/bin/busybox", "/usr/bin/busybox"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let busybox else { throw TestFailure("busybox-static is not installed (scripts/install-deps)") }
        let temporary = FileManager.default.temporaryDirectory.path
        // Images of test processes that have ended are removed, so runs do not pile up.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix("slipway-busybox-") {
            if let pid = Int32(name.dropFirst("slipway-busybox-".count)), pid != getpid(), kill(pid, 0) != 0 {
                removeTree(temporary + "/" + name)
            }
        }
        let root = temporary + "/slipway-busybox-\(getpid())"
        removeTree(root)
        for dir in ["bin", "etc", "tmp", "root", "home/builder", "proc", "dev", "sys", "usr/bin", "usr/sbin", "sbin"] {
            try makeDirectories(root + "/" + dir)
        }
        try FileManager.default.copyItem(atPath: busybox, toPath: root + "/bin/busybox")
        let applets = try String(decoding: run(busybox, ["--list"]), as: UTF8.self).split(separator: "\n")
        for applet in applets where applet != "busybox" {
            try? FileManager.default.createSymbolicLink(atPath: root + "/bin/" + applet, withDestinationPath: "busybox")
        }
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

    static func run(_ tool: String, _ arguments: [String], in directory: String? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("\(tool) \(arguments) failed") }
        return data
    }
}

/// A project directory with a buildspec, optionally a git repository, in a fresh SLIPWAY_HOME.
struct BuildFixture {
    let root = FileManager.default.temporaryDirectory.path + "/slipway-build-\(UUID().uuidString)"
    var source: String { root + "/project" }
    var home: SlipwayHome { SlipwayHome(path: root + "/home") }

    init(buildspec: String, files: [String: String] = [:], git: Bool = false) throws {
        try makeDirectories(source)
        try write("buildspec.yml", buildspec)
        for (path, text) in files { try write(path, text) }
        if git { try commit(message: "initial", date: "2024-01-02T03:04:05Z") }
    }

    func write(_ path: String, _ text: String) throws {
        let full = source + "/" + path
        try makeDirectories((full as NSString).deletingLastPathComponent)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    func commit(message: String, date: String) throws {
        let git = "/usr/bin/git"
        if !FileManager.default.fileExists(atPath: source + "/.git") { _ = try BusyboxImage.run(git, ["init", "-q", source]) }
        _ = try BusyboxImage.run(git, ["-C", source, "add", "-A"])
        _ = try BusyboxImage.run("/usr/bin/env", ["GIT_AUTHOR_DATE=\(date)", "GIT_COMMITTER_DATE=\(date)", git, "-C", source,
                                                  "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", message])
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

    func cleanup() { removeTree(root) }
}
