import SandboxWire
import Testing

@Suite("Report records")
struct ReportRecordTests {
    static func decode(_ record: ReportRecord) throws -> ReportRecord {
        let line = record.line
        #expect(line.last == UInt8(ascii: "\n") && line.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        return try ReportRecord(line: String(decoding: line.dropLast(), as: UTF8.self))
    }

    @Test("every kind round-trips", arguments: [
        ReportRecord.setupFailure("mount(bind /workspace): EPERM (Operation not permitted)"),
        .execFailure("make: ENOENT (No such file or directory)"),
        .unenforced("pids 10: applied only as RLIMIT_NPROC"),
        .message("timed out after 30s: sent SIGTERM, then SIGKILL after 2s"),
        .message(""),
        .limitReached("the process limit of 64 was reached (pids): a fork was refused, so the sandbox was stopped"),
        .setupFailure("  leading and trailing spaces  "),
        .result(ExitRecord(status: 0, reason: .exited, duration: 0.004_812)),
    ])
    func roundTrip(record: ReportRecord) throws {
        #expect(try Self.decode(record) == record)
    }

    @Test("results round-trip at the edges", arguments: ExitRecord.Reason.allCases)
    func resultEdges(reason: ExitRecord.Reason) throws {
        for (status, duration) in [(Int32.min, 0.0), (Int32.max, Double.greatestFiniteMagnitude), (137, 5e-324), (-1, 1.0 / 3.0)] {
            let record = ReportRecord.result(ExitRecord(status: status, reason: reason, duration: duration))
            #expect(try Self.decode(record) == record)
        }
    }

    @Test("the wire form is `kind text`")
    func wireForm() {
        #expect(String(decoding: ReportRecord.unenforced("cpus 2").line, as: UTF8.self) == "unenforced cpus 2\n")
        #expect(String(decoding: ReportRecord.result(ExitRecord(status: 124, reason: .timedOut, duration: 1.5)).line, as: UTF8.self)
            == "result 124 timedOut 1.5\n")
        #expect(String(decoding: ReportRecord.setupFailure("x").line, as: UTF8.self) == "error x\n")
        #expect(String(decoding: ReportRecord.execFailure("y").line, as: UTF8.self) == "exec y\n")
        #expect(String(decoding: ReportRecord.limitReached("z").line, as: UTF8.self) == "limit z\n")
    }

    @Test("newlines in the text become spaces, so a record stays one line")
    func newlines() throws {
        #expect(try Self.decode(.message("first\nsecond\n")) == .message("first second "))
    }

    @Test("long text is cut below PIPE_BUF between characters")
    func longText() throws {
        for filler in ["x", "é", "✓", "🦀"] {
            let line = ReportRecord.setupFailure(String(repeating: filler, count: 10_000)).line
            #expect(line.count <= ReportRecord.maximumLineLength && line.count > ReportRecord.maximumLineLength - 5)
            let text = String(validating: line.dropLast(), as: UTF8.self)
            #expect(text != nil, "cut inside a character for \(filler)")
            #expect(text.map { $0.dropFirst("error ".count).allSatisfy { String($0) == filler } } == true)
        }
    }

    @Test("lines of an unknown kind are refused")
    func unknownKind() {
        #expect(throws: WireError(.unknownKey, "unknown report record 'bogus text'")) { try ReportRecord(line: "bogus text") }
        #expect(throws: WireError(.unknownKey, "unknown report record ''")) { try ReportRecord(line: "") }
    }

    @Test("malformed results are refused, quoted", arguments: [
        "", "0 exited", "0 exited 1 2", "x exited 1", "0 vanished 1", "0 exited -1", "0 exited nan", "0 exited inf",
        "99999999999 exited 1", " 0 exited 1",
    ])
    func malformedResult(text: String) {
        let message = "malformed result record '\(text)' (expected: status reason seconds)"
        #expect(throws: WireError(.badValue, message)) { try ReportRecord(line: "result " + text) }
    }

    @Test("a kind without text is a record with empty text")
    func kindOnly() throws {
        #expect(try ReportRecord(line: "message") == .message(""))
        #expect(try ReportRecord(line: Substring("error step: reason")) == .setupFailure("step: reason"))
    }
}
