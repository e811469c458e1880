import SlipwayCore

/// What a stage that succeeded produced, by kind: the source stage a commit, the build an
/// artifact, an approval a decision, a deploy the release it installed.
public enum StageOutput: Sendable, Hashable, CustomStringConvertible {
    case commit(String)
    case artifact(Digest)
    case approval(ApprovalDecision)
    case release(ReleaseID)

    /// The text the state database stores for it (the stage's `detail` column).
    public var description: String {
        switch self {
        case let .commit(id): id
        case let .artifact(digest): digest.description
        case let .approval(decision): decision.description
        case let .release(id): id.rawValue
        }
    }

    /// Reads the stored text of a stage of `kind` back; nil when it is not that kind's output.
    public init?(kind: StageRecord.Kind, text: String) {
        guard !text.isEmpty else { return nil }
        switch kind {
        case .source: self = .commit(text)
        case .build:
            guard let digest = try? Digest(parsing: text) else { return nil }
            self = .artifact(digest)
        case .approval:
            guard let decision = ApprovalDecision(parsing: text) else { return nil }
            self = .approval(decision)
        case .deploy: self = .release(ReleaseID(text))
        }
    }

    public var commit: String? { if case let .commit(id) = self { id } else { nil } }
    public var artifact: Digest? { if case let .artifact(digest) = self { digest } else { nil } }
    public var approval: ApprovalDecision? { if case let .approval(decision) = self { decision } else { nil } }
    public var release: ReleaseID? { if case let .release(id) = self { id } else { nil } }
}

extension StageOutput: Codable {
    private enum CodingKeys: String, CodingKey { case commit, artifact, approval, release }

    /// `{"commit": ID}`, `{"artifact": DIGEST}`, `{"approval": {...}}` or `{"release": ID}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .commit(id): try container.encode(id, forKey: .commit)
        case let .artifact(digest): try container.encode(digest, forKey: .artifact)
        case let .approval(decision): try container.encode(decision, forKey: .approval)
        case let .release(id): try container.encode(id, forKey: .release)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let id = try container.decodeIfPresent(String.self, forKey: .commit) {
            self = .commit(id)
        } else if let digest = try container.decodeIfPresent(Digest.self, forKey: .artifact) {
            self = .artifact(digest)
        } else if let decision = try container.decodeIfPresent(ApprovalDecision.self, forKey: .approval) {
            self = .approval(decision)
        } else if let id = try container.decodeIfPresent(ReleaseID.self, forKey: .release) {
            self = .release(id)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a stage output is one of commit, artifact, approval, release"))
        }
    }
}
