import Foundation
import SlipwayTestSupport
import Testing
@testable import SlipwayCLI

/// Build output reaches a terminal with its control characters spelt out, and a file or pipe
/// with its bytes as they are.
@Suite(.tags(.large)) struct TerminalEscapeTests {
    static let hostile = #"printf 'before\033]0;pwned\007\033[2J\rFAKE OK\n'"#

    @Test func escapeSequencesAreShownEscapedOnATerminalAndKeptInTheLog() throws {
        let directory = try TemporaryDirectory("slipway-escape")
        let home = directory.path
        let cli = SlipwayCommand(home: home)
        let project = home + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try "version: 0.2\nphases:\n  build:\n    commands:\n      - \(Self.hostile)\n"
            .write(toFile: project + "/buildspec.yml", atomically: true, encoding: .utf8)
        let recipe = ReadmeTourTests.root + "/images/busybox"
        #expect(try cli.run(["image", "build", recipe]).status == 0)

        // Under a pseudo-terminal (util-linux `script`), stderr is a TTY.
        let command = "'\(SlipwayCommand.binary)' build '\(project)' --image busybox"
        let script = Process()
        script.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        script.arguments = ["-qec", command, "/dev/null"]
        script.environment = ProcessInfo.processInfo.environment.merging(["SLIPWAY_HOME": home]) { $1 }
        let out = Pipe()
        script.standardOutput = out
        script.standardInput = FileHandle.nullDevice
        try script.run()
        let seen = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        script.waitUntilExit()
        #expect(seen.contains(#"before\e]0;pwned\x07\e[2J\rFAKE OK"#), "\(seen)")
        #expect(!seen.contains("\u{1B}]0;pwned"))

        // Piped: the bytes as the build wrote them, and so in the stored log.
        let piped = try cli.run(["build", project, "--image", "busybox", "--no-cache"])
        #expect(piped.stderr.contains("before\u{1B}]0;pwned\u{07}\u{1B}[2J\rFAKE OK"))
        let logs = try FileManager.default.subpathsOfDirectory(atPath: home + "/builds").filter { $0.hasSuffix("build.log") }
        let log = try String(contentsOfFile: home + "/builds/" + (try #require(logs.first)), encoding: .utf8)
        #expect(log.contains("\u{1B}]0;pwned"))
    }

    @Test func bidirectionalOverridesAndC1ControlsAreSpeltOut() {
        #expect(TerminalText.escaped("a\u{202E}b") == #"a\u{202e}b"#)
        #expect(TerminalText.escaped("x\u{9B}31m") == #"x\u{9b}31m"#)
        #expect(TerminalText.escaped("del\u{7F}\u{08}") == #"del\x7f\b"#)
        #expect(TerminalText.escaped("tab\tok ünïcode ✓") == "tab\tok ünïcode ✓")
    }
}
