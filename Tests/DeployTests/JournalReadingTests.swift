import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing
@testable import Deploy

/// Journal lines are read by hand in the form Slipway writes them and by `JSONDecoder`
/// otherwise; the two must never disagree.
@Suite(.tags(.small)) struct JournalReadingTests {
    static let digest = try! Digest(parsing: "sha256:" + String(repeating: "ab", count: 32))

    func decoded(_ line: String) -> JournalRecord? {
        try? Timestamp.decoder().decode(JournalRecord.self, from: Data(line.utf8))
    }

    @Test func writtenRecordsReadBackByHand() throws {
        let awkward = ["plain", "quote \" and backslash \\ and slash /", "tab\tnew\nline\r\u{1}\u{1f}", "é ✓ 🚀 \u{2028}", ""]
        var records: [JournalRecord] = []
        for (i, note) in awkward.enumerated() {
            records.append(JournalRecord(event: .switched, release: "00000\(i)-r", previous: "p\(i)", note: note,
                                         time: Date(timeIntervalSince1970: 1_796_000_000 + Double(i) * 1.25)))
        }
        records.append(JournalRecord(event: .created, release: "000009-x", artifact: Self.digest, commit: "c0ffee"))
        for record in records {
            let line = try record.line()
            let fields = try #require(FlatJSONObject.strings(line), "\(line)")
            let read = try #require(JournalRecord(fields: fields))
            #expect(read == decoded(line), "\(line)")
            #expect(read.note == record.note && read.event == record.event && read.artifact == record.artifact)
        }
        let text = try records.map { try $0.line() }.joined(separator: "\n") + "\n{\"torn\":"
        #expect(JournalRecord.parse(text) == records.map { decoded(try! $0.line())! })
    }

    @Test func otherLinesAreReadAsJSONDecoderReadsThem() {
        let lines = [
            #"{"event":"switched","release":"r","time":"2026-12-01T19:33:34.123Z","note":null}"#,
            #"{"event":"switched","release":"r","time":"2026-12-01T19:33:34.123Z","extra":1}"#,
            #"{ "event" : "switched" , "release":"r","time":"2026-12-01T19:33:34Z" }"#,
            #"{"event":"switched","release":"r","time":"2026-12-01T19:33:34.123+02:00"}"#,
            #"{"event":"switched","release":"r\u00e9\ud83d\ude80","time":"2026-12-01T19:33:34.123Z"}"#,
            #"{"event":"exploded","release":"r","time":"2026-12-01T19:33:34.123Z"}"#,
            #"{"event":"switched","release":"r","time":"yesterday"}"#,
            #"{"event":"switched","time":"2026-12-01T19:33:34.123Z"}"#,
            #"{"event":"created","release":"r","artifact":"md5:1","time":"2026-12-01T19:33:34.123Z"}"#,
            #"{"event":"switched","release":"r","release":"s","time":"2026-12-01T19:33:34.123Z"}"#,
            #"{"event":"switched","release":"r\ud800","time":"2026-12-01T19:33:34.123Z"}"#,
            #"{"event":"switched","release":"r\x","time":"2026-12-01T19:33:34.123Z"}"#,
            #"{"event":"switched","release":"r","time":"2026-12-01T19:33:34.123Z"} trailing"#,
            #"["switched"]"#, "", "{", #"{"event":"sw"#,
        ]
        for line in lines {
            #expect(JournalRecord.parse(line) == (decoded(line).map { [$0] } ?? []), "\(line)")
        }
        #expect(FlatJSONObject.strings(#"{"a":"x","a":"y"}"#) == nil, "a repeated key is left to JSONDecoder")
        #expect(FlatJSONObject.strings(#"{"a":"\ud800"}"#) == nil)
        #expect(FlatJSONObject.strings("{\"a\":\"raw\ttab\"}") == nil, "a raw control character is not JSON")
        #expect(FlatJSONObject.strings(#"{}"#) == [:])
    }
}
