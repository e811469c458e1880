import Foundation
import SlipwayTestSupport
import Testing

/// The README's tour, run as a newcomer would paste it: every `sh` block under "## Tour", line
/// by line in one bash, from the top of the checkout. A tour line that stops working fails here.
@Suite(.tags(.large)) struct ReadmeTourTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func tourLines() throws -> [String] {
        let readme = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
        guard let start = readme.range(of: "\n## Tour\n") else { return [] }
        let rest = readme[start.upperBound...]
        let section = rest.range(of: "\n## ").map { rest[..<$0.lowerBound] } ?? rest
        var lines: [String] = []
        var inside = false
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inside = line == "```sh"; continue }
            // The build is this test's own.
            if inside, !line.hasPrefix("swift build") { lines.append(String(line)) }
        }
        return lines
    }

    @Test func everyTourLineWorks() throws {
        let lines = try Self.tourLines()
        #expect(lines.count > 30, "the tour was not found in README.md")
        let directory = try TemporaryDirectory("slipway-tour")
        let scratch = directory.path
        let script = "set -eo pipefail\n" + lines.joined(separator: "\n") + "\n"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: Self.root)
        var env = ProcessInfo.processInfo.environment
        env["TMPDIR"] = scratch
        env["PATH"] = (SlipwayCommand.binary as NSString).deletingLastPathComponent + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        process.environment = env
        let output = scratch + "/output"
        FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "the tour stopped:\n\(text.suffix(3000))")
        // What the tour says it shows.
        #expect(text.contains("\"result\" : \"hit\""))
        #expect(text.contains("<h1>Hello from Slipway</h1>"))
        #expect(text.contains("run 1: succeeded"))
    }
}
