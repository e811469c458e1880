import Foundation
import SlipwayTestSupport
import Testing

/// The `slipway artifact` commands, end to end through the real binary.
@Suite(.tags(.large)) struct ArtifactCLITests {
    let directory: TemporaryDirectory
    var dir: String { directory.path }
    var cli: SlipwayCommand { SlipwayCommand(home: dir + "/home") }

    init() throws {
        directory = try TemporaryDirectory("slipway-cli")
    }

    func makeSource() throws -> String {
        let src = dir + "/src"
        try FileManager.default.createDirectory(atPath: src + "/bin", withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: src + "/index.html"))
        try Data("#!/bin/sh\n".utf8).write(to: URL(fileURLWithPath: src + "/bin/start"))
        chmod(src + "/bin/start", 0o755)
        return src
    }

    /// Every command, found by walking the SUBCOMMANDS of each help page, answers --help.
    @Test func helpOnEveryCommand() throws {
        var pending: [[String]] = [[]], seen: [[String]] = []
        while let command = pending.popLast() {
            seen.append(command)
            let r = try cli.run(command + ["--help"])
            #expect(r.status == 0, "\(command) --help")
            #expect(r.stdout.contains("USAGE: slipway \((command).joined(separator: " "))"), "\(command) --help: \(r.stdout) \(r.stderr)")
            guard let list = r.stdout.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first else { continue }
            for line in list.split(separator: "\n", omittingEmptySubsequences: false) {
                // "  name   abstract"; wrapped abstracts are indented further.
                guard line.hasPrefix("  "), line.dropFirst(2).first != " ", !line.hasPrefix("  See "),
                      let name = line.split(separator: " ").first else {
                    if line.isEmpty { break } else { continue }
                }
                pending.append(command + [String(name)])
            }
        }
        #expect(seen.count > 30, "found \(seen.count) commands")
        #expect(seen.contains(["sandbox", "bench"]) && seen.contains(["artifact", "gc"]))
    }

    @Test func badUsageExitsTwo() throws {
        #expect(try cli.run(["artifact", "nonsense"]).status == 2)
        #expect(try cli.run(["artifact", "pack"]).status == 2)
        #expect(try cli.run(["artifact", "pack", dir + "/missing"]).status == 2)
        let r = try cli.run(["artifact", "show", "deadbeef"])
        #expect(r.status == 2 && r.stderr.contains("no artifact matches 'deadbeef'"))
    }

    @Test func packJSONAndTheRoundTrip() throws {
        let src = try makeSource()
        let r = try cli.run(["artifact", "pack", src, "--json"], environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        #expect(r.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let digest = object["digest"] as! String
        #expect(digest.hasPrefix("sha256:"))
        #expect(object["files"] as? Int == 2)
        #expect((object["size"] as? Int ?? 0) > 0)
        // Plain output is the digest alone; the same tree gives the same digest.
        let again = try cli.run(["artifact", "pack", src], environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        #expect(again.stdout == digest + "\n")
        let prefix = String(digest.dropFirst(7).prefix(10))
        #expect(try cli.run(["artifact", "verify", prefix]).status == 0)
        #expect(try cli.run(["artifact", "unpack", prefix, dir + "/out"]).status == 0)
        #expect(try String(contentsOfFile: dir + "/out/index.html", encoding: .utf8) == "hello\n")
        #expect(try cli.run(["artifact", "export", prefix, dir + "/a.tar.zst"]).status == 0)
        let other = SlipwayCommand(home: dir + "/other")
        let imported = try other.run(["artifact", "import", dir + "/a.tar.zst"])
        #expect(imported.stdout == digest + "\n")
        let ls = try cli.run(["artifact", "ls", "--json"])
        #expect(ls.stdout.contains(digest))
        // An unpack into a non-empty directory is refused.
        let again2 = try cli.run(["artifact", "unpack", prefix, dir + "/out"])
        #expect(again2.status == 2 && again2.stderr.contains("not empty"))
    }

    @Test func corruptionExitsOneAndNamesTheBlob() throws {
        let src = try makeSource()
        let digest = try cli.run(["artifact", "pack", src]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let hex = String(digest.dropFirst(7))
        let blob = "\(dir)/home/store/blobs/sha256/\(hex.prefix(2))/\(hex)"
        let fd = open(blob, O_RDWR)
        var byte: UInt8 = 0x55
        pwrite(fd, &byte, 1, 30)
        close(fd)
        let verify = try cli.run(["artifact", "verify"])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("CORRUPT") && verify.stdout.contains(blob))
        let unpack = try cli.run(["artifact", "unpack", hex, dir + "/out"])
        #expect(unpack.status == 1 && unpack.stderr.contains("corrupt"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        let export = try cli.run(["artifact", "export", hex, "-"])
        #expect(export.status == 1 && export.stdout.isEmpty)
    }

    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                   "needs root to switch to an unprivileged user"))
    func unreadableFileIsNamed() throws {
        let src = try makeSource()
        try Data("secret".utf8).write(to: URL(fileURLWithPath: src + "/secret"))
        chmod(src + "/secret", 0o000)
        chmod(dir, 0o755)
        try FileManager.default.createDirectory(atPath: dir + "/home", withIntermediateDirectories: true)
        chmod(dir + "/home", 0o777)
        let r = try cli.run(["artifact", "pack", src],
                            prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
        #expect(r.status != 0)
        #expect(r.stderr.contains(src + "/secret"))
        let staging = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/home/store/tmp")) ?? []
        #expect(staging.isEmpty)
    }

    @Test func gcDryRunAndJSON() throws {
        let src = try makeSource()
        _ = try cli.run(["artifact", "pack", src])
        let r = try cli.run(["artifact", "gc", "--keep-last", "0", "--dry-run", "--json"])
        #expect(r.status == 0 && r.stdout.contains("\"dryRun\" : true"))
        #expect(try cli.run(["artifact", "ls", "--json"]).stdout.contains("sha256:"))
    }
}
