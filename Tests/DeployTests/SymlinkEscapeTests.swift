import Artifacts
import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// Hook locations and permissions objects are paths the artifact names, and an artifact may
/// hold symlinks: resolved beneath the release, none of them reaches a host file.
@Suite(.tags(.medium)) struct SymlinkEscapeTests {
    /// Packs `files` plus `links` (path → link target) into the store.
    static func artifact(_ f: Fixture, files: [String: String], links: [String: String]) throws -> ArtifactRecord {
        let source = f.dir + "/src-" + UUID().uuidString
        for (path, text) in files {
            try makeDirectories(((source + "/" + path) as NSString).deletingLastPathComponent)
            try Data(text.utf8).write(to: URL(fileURLWithPath: source + "/" + path))
            if path.hasSuffix(".sh") { chmod(source + "/" + path, 0o755) }
        }
        for (path, target) in links {
            try makeDirectories(((source + "/" + path) as NSString).deletingLastPathComponent)
            try FileManager.default.createSymbolicLink(atPath: source + "/" + path, withDestinationPath: target)
        }
        return try f.store.pack(directory: source)
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    @Test func aHookScriptThatIsASymlinkToAHostFileIsNeitherChangedNorRun() throws {
        let f = try Fixture()
        let host = f.dir + "/host-script"
        try Data("#!/bin/sh\ntouch \(f.dir)/ran\n".utf8).write(to: URL(fileURLWithPath: host))
        chmod(host, 0o644)
        let a = try Self.artifact(f, files: ["appspec.yml": appspec([("AfterInstall", "start.sh")]), "index.html": "x"],
                                  links: ["start.sh": host])
        let r = f.deploy(a)
        #expect(!r.succeeded)
        #expect(r.error?.contains("AfterInstall: script start.sh leads out of the bundle through a symlink") == true, "\(r)")
        #expect(Self.mode(host) == 0o644, "the host file's mode was changed through the link")
        #expect(!FileManager.default.fileExists(atPath: f.dir + "/ran"))
        #expect(f.current == nil)
    }

    @Test func aHookUnderASymlinkedDirectoryDoesNotRun() throws {
        let f = try Fixture()
        try makeDirectories(f.dir + "/outside")
        try Data("#!/bin/sh\ntouch \(f.dir)/ran\n".utf8).write(to: URL(fileURLWithPath: f.dir + "/outside/run.sh"))
        chmod(f.dir + "/outside/run.sh", 0o755)
        for link in [f.dir + "/outside", "../../../outside"] {
            let a = try Self.artifact(f, files: ["appspec.yml": appspec([("BeforeInstall", "scripts/run.sh")]), "index.html": "x"],
                                      links: ["scripts": link])
            let r = f.deploy(a)
            #expect(r.error?.contains("BeforeInstall: script scripts/run.sh leads out of the bundle through a symlink") == true, "\(r)")
            #expect(!FileManager.default.fileExists(atPath: f.dir + "/ran"), "ran through \(link)")
        }
    }

    @Test func aSymlinkThatStaysInsideTheBundleStillRuns() throws {
        let f = try Fixture()
        let a = try Self.artifact(f, files: ["appspec.yml": appspec([("AfterInstall", "bin/start")]), "real/start.sh": "#!/bin/sh\necho inside\n"],
                                  links: ["bin/start": "../real/start.sh"])
        let r = f.deploy(a)
        #expect(r.succeeded, "\(r)")
        #expect(f.lines == ["inside"])
    }

    @Test func permissionsThroughASymlinkLeaveHostFilesAlone() throws {
        let f = try Fixture()
        try makeDirectories(f.dir + "/hostdata/sub")
        let hostFile = f.dir + "/hostdata/sub/secret"
        try Data("host".utf8).write(to: URL(fileURLWithPath: hostFile))
        chmod(hostFile, 0o600)
        for object in ["/srv/app/data/sub", "/srv/app/data"] {
            let spec = "version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /srv/app\npermissions:\n  - object: \(object)\n    mode: 0777\n"
            let a = try Self.artifact(f, files: ["appspec.yml": spec, "index.html": "x"], links: ["data": f.dir + "/hostdata"])
            let r = f.deploy(a) { $0.appRoot = "/srv/app" }
            #expect(r.error?.contains("permissions: object \(object) is reached through a symlink in the release") == true, "\(r)")
            #expect(Self.mode(hostFile) == 0o600, "changed through \(object)")
            #expect(Self.mode(f.dir + "/hostdata/sub") == 0o755)
        }
        // Links among the entries of an object are passed over, not followed.
        let spec = "version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /srv/app\npermissions:\n  - object: /srv/app\n    mode: 0750\n"
        let a = try Self.artifact(f, files: ["appspec.yml": spec, "index.html": "x", "www/page": "p"], links: ["data": f.dir + "/hostdata"])
        let r = f.deploy(a) { $0.appRoot = "/srv/app" }
        #expect(r.succeeded, "\(r)")
        #expect(Self.mode(f.target + "/current/www/page") == 0o750)
        #expect(Self.mode(f.target + "/current/www") == 0o750)
        #expect(Self.mode(hostFile) == 0o600 && Self.mode(f.dir + "/hostdata") == 0o755)
    }
}
