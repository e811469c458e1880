import Foundation
import Specs

/// What a notification says about a run: the same fields for every receiver.
public struct RunNotice: Codable, Sendable, Equatable {
    public var event: PipelineSpec.Notification.Event
    public var pipeline: String
    public var run: Int64
    public var status: String
    public var commit: String?
    public var author: String?
    public var message: String?
    /// Why the run stopped, or what it waits for.
    public var detail: String?
    /// The run's page on the dashboard, when the service knows its own address.
    public var url: String?
    public var time: Date

    public init(event: PipelineSpec.Notification.Event, pipeline: String, run: Int64, status: String,
                commit: String? = nil, author: String? = nil, message: String? = nil, detail: String? = nil,
                url: String? = nil, time: Date = Date()) {
        self.event = event
        self.pipeline = pipeline
        self.run = run
        self.status = status
        self.commit = commit
        self.author = author
        self.message = message
        self.detail = detail
        self.url = url
        self.time = time
    }

    /// One line for people: "shop run 12 failed (abc1234 by Ada): build failed".
    public var summary: String {
        var text = "\(pipeline) run \(run) "
        switch event {
        case .started: text += "started"
        case .succeeded: text += "succeeded"
        case .failed: text += "failed"
        case .cancelled: text += "was cancelled"
        case .waitingApproval: text += "is waiting for approval"
        }
        if let commit { text += " (\(commit.prefix(7))\(author.map { " by \($0)" } ?? ""))" }
        if let detail, !detail.isEmpty { text += ": \(detail)" }
        return text
    }
}
