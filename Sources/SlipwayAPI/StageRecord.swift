import Foundation

/// One stage of a run as recorded: its status, times, what it produced and why it stopped.
public struct StageRecord: Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case source, build, approval, deploy }
    public var name: String
    public var kind: Kind
    public var status: StageStatus
    public var started: Date?
    public var finished: Date?
    /// What the stage produced (a reused stage keeps the output of the run it was done in).
    public var output: StageOutput?
    /// Why it stopped, was skipped or was reused: an error message, who cancelled it.
    public var note: String?
    /// A build stage's image and reproducibility check.
    public var build: BuildFacts?

    public init(name: String, kind: Kind, status: StageStatus = .pending, started: Date? = nil,
                finished: Date? = nil, output: StageOutput? = nil, note: String? = nil) {
        self.name = name
        self.kind = kind
        self.status = status
        self.started = started
        self.finished = finished
        self.output = output
        self.note = note
    }

    /// The stage's one line for people (and the state database's `detail` column): the note,
    /// the output, or `NOTE: OUTPUT` for a stage reused from an earlier run.
    public var detail: String? {
        switch (note, output) {
        case let (note?, output?): "\(note): \(output)"
        case let (note?, nil): note
        case let (nil, output?): output.description
        case (nil, nil): nil
        }
    }

    /// A stage as stored: `detail` is read back into an output or a note by the stage's kind
    /// and status, so databases written before outputs were typed read the same.
    public init(name: String, kind: Kind, status: StageStatus, started: Date? = nil, finished: Date? = nil, detail: String?) {
        self.init(name: name, kind: kind, status: status, started: started, finished: finished)
        guard let detail else { return }
        switch status {
        case .succeeded:
            if let output = StageOutput(kind: kind, text: detail) { self.output = output } else { note = detail }
        case .skipped:
            if let (reused, rest) = Self.reused(detail), let output = StageOutput(kind: kind, text: rest) {
                note = reused
                self.output = output
            } else {
                note = detail
            }
        default:
            note = detail
        }
    }

    /// `done in run N` and what follows `: ` in `done in run N: OUTPUT`.
    private static func reused(_ detail: String) -> (String, String)? {
        guard detail.hasPrefix("done in run "), let colon = detail.range(of: ": ") else { return nil }
        return (String(detail[..<colon.lowerBound]), String(detail[colon.upperBound...]))
    }
}

extension StageRecord: Codable {
    private enum CodingKeys: String, CodingKey { case name, kind, status, started, finished, output, note, detail, build }

    /// Every field, and `detail` as before for readers that know only it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(kind, forKey: .kind)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(started, forKey: .started)
        try container.encodeIfPresent(finished, forKey: .finished)
        try container.encodeIfPresent(output, forKey: .output)
        try container.encodeIfPresent(note, forKey: .note)
        try container.encodeIfPresent(detail, forKey: .detail)
        try container.encodeIfPresent(build, forKey: .build)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let (name, kind, status) = (try container.decode(String.self, forKey: .name), try container.decode(Kind.self, forKey: .kind),
                                    try container.decode(StageStatus.self, forKey: .status))
        let (started, finished) = (try container.decodeIfPresent(Date.self, forKey: .started),
                                   try container.decodeIfPresent(Date.self, forKey: .finished))
        if container.contains(.output) || container.contains(.note) {
            self.init(name: name, kind: kind, status: status, started: started, finished: finished,
                      output: try container.decodeIfPresent(StageOutput.self, forKey: .output),
                      note: try container.decodeIfPresent(String.self, forKey: .note))
        } else {
            self.init(name: name, kind: kind, status: status, started: started, finished: finished,
                      detail: try container.decodeIfPresent(String.self, forKey: .detail))
        }
        build = try container.decodeIfPresent(BuildFacts.self, forKey: .build)
    }
}
