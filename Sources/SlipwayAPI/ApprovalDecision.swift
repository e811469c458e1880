/// A person's decision on a run's approval stage.
public struct ApprovalDecision: Codable, Sendable, Hashable, CustomStringConvertible {
    public var approved: Bool
    public var actor: String
    public var comment: String?

    public init(approved: Bool, actor: String, comment: String? = nil) {
        self.approved = approved
        self.actor = actor
        self.comment = comment
    }

    /// `approved by ACTOR: COMMENT`, the form the state database has always stored.
    public var description: String {
        "\(approved ? "approved" : "rejected") by \(actor)\(comment.map { ": \($0)" } ?? "")"
    }

    /// Reads `description` back. The actor never holds `": "` in what Slipway records (a user
    /// name, `api@ADDRESS`), so the first one starts the comment.
    public init?(parsing text: String) {
        let approved: Bool
        let rest: Substring
        if text.hasPrefix("approved by ") {
            approved = true
            rest = text.dropFirst("approved by ".count)
        } else if text.hasPrefix("rejected by ") {
            approved = false
            rest = text.dropFirst("rejected by ".count)
        } else {
            return nil
        }
        if let colon = rest.range(of: ": ") {
            self.init(approved: approved, actor: String(rest[..<colon.lowerBound]), comment: String(rest[colon.upperBound...]))
        } else {
            self.init(approved: approved, actor: String(rest))
        }
    }
}
