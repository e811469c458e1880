import Foundation
import SlipwayCore

/// One line of a target's journal: something happened to a release.
public struct JournalRecord: Codable, Sendable, Equatable {
    public enum Event: String, Codable, Sendable {
        /// A release directory is being written (not live, may be half-written).
        case created
        /// Unpacked, laid out and through AfterInstall: ready to switch to.
        case prepared
        /// `current` now points at this release (`previous` is what it pointed at).
        case switched
        /// Failed or rolled away from: never chosen by a rollback again.
        case bad
        /// Its directory was removed.
        case pruned
        /// A stale lock from a dead deploy was taken over.
        case lockTakenOver
    }

    public var time: Date
    public var event: Event
    public var release: String
    public var artifact: Digest?
    public var commit: String?
    public var previous: String?
    public var note: String?

    public init(event: Event, release: String, artifact: Digest? = nil, commit: String? = nil,
                previous: String? = nil, note: String? = nil, time: Date = Date()) {
        self.time = time
        self.event = event
        self.release = release
        self.artifact = artifact
        self.commit = commit
        self.previous = previous
        self.note = note
    }

    /// The record as one JSON line (no newline).
    public func line() throws -> String {
        String(decoding: try Timestamp.encoder(pretty: false).encode(self), as: UTF8.self)
    }

    /// Parses journal text; a torn last line (a crash mid-append) and foreign lines are skipped.
    /// Lines as `line()` writes them are read by `FlatJSONObject`; others by `JSONDecoder`.
    public static func parse(_ text: String) -> [JournalRecord] {
        var decoder: JSONDecoder?
        return Array(text.utf8).split(separator: UInt8(ascii: "\n")).compactMap { line in
            if let fields = FlatJSONObject.strings(line) { return JournalRecord(fields: fields) }
            if decoder == nil { decoder = Timestamp.decoder() }
            return try? decoder?.decode(JournalRecord.self, from: Data(line))
        }
    }

    /// The record a line's fields make, as its `Decodable` conformance would read them: nil
    /// where that would fail.
    init?(fields: [String: String]) {
        guard let timeText = fields["time"], let time = Timestamp.parse(timeText),
              let event = fields["event"].flatMap(Event.init(rawValue:)), let release = fields["release"] else { return nil }
        var artifact: Digest?
        if let text = fields["artifact"] {
            guard let digest = try? Digest(parsing: text) else { return nil }
            artifact = digest
        }
        self.init(event: event, release: release, artifact: artifact, commit: fields["commit"],
                  previous: fields["previous"], note: fields["note"], time: time)
    }
}

/// A target's append-only journal on this machine: each record is one `write(2)` on an
/// `O_APPEND` descriptor followed by `fsync`, so a crash loses at most the record being
/// written and never reorders or rewrites earlier ones.
public struct Journal: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func records() throws -> [JournalRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return JournalRecord.parse(String(decoding: data, as: UTF8.self))
    }

    public func append(_ record: JournalRecord) throws {
        let fd = try Syscall.retrying("open \(path)") { open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644) }
        defer { Syscall.close(fd) }
        // A crash mid-append leaves a line without its newline; start on a fresh line so the
        // torn bytes stay one unreadable line instead of corrupting this record.
        var text = try record.line() + "\n"
        var size = stat()
        if fstat(fd, &size) == 0, size.st_size > 0 {
            var last: UInt8 = 0
            if pread(fd, &last, 1, size.st_size - 1) == 1, last != UInt8(ascii: "\n") { text = "\n" + text }
        }
        try Array(text.utf8).withUnsafeBytes { try Syscall.writeAll(fd, $0, what: "append to \(path)") }
        try Syscall.fsync(fd, what: "fsync \(path)")
    }
}
