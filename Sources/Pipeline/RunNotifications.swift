import Foundation
import Notifications
import Secrets
import SlipwayAPI
import SlipwayCore
import Specs
import Synchronization

/// Tells a pipeline's `notify:` receivers when its runs start, wait for approval and end.
/// Status changes are queued as they are published and delivered by one task of the
/// orchestrator's service, so a slow receiver never holds a run up; each outcome is written
/// to the run's log.
final class RunNotifications: Sendable {
    struct Change: Sendable {
        var record: RunRecord
        var spec: PipelineSpec
        var event: PipelineSpec.Notification.Event
    }

    private let last = Mutex<[RunID: RunStatus]>([:])
    private let changes: AsyncStream<Change>
    private let queue: AsyncStream<Change>.Continuation
    let notifier: Notifier

    init(notifier: Notifier = Notifier()) {
        (changes, queue) = AsyncStream.makeStream(of: Change.self)
        self.notifier = notifier
    }

    /// Queues a notification when the run's status became one receivers hear about.
    func published(_ record: RunRecord, spec: PipelineSpec) {
        guard !spec.notify.isEmpty else { return }
        let previous = last.withLock { last in
            defer { if record.status.isFinal { last[record.id] = nil } else { last[record.id] = record.status } }
            return last[record.id]
        }
        guard previous != record.status, let event = Self.event(record.status) else { return }
        queue.yield(Change(record: record, spec: spec, event: event))
    }

    /// A run taken over from a stopped process: its receivers already heard of its status.
    func adopted(_ record: RunRecord) {
        last.withLock { $0[record.id] = record.status }
    }

    static func event(_ status: RunStatus) -> PipelineSpec.Notification.Event? {
        switch status {
        case .running: return .started
        case .waitingApproval: return .waitingApproval
        case .succeeded: return .succeeded
        case .failed, .interrupted: return .failed
        case .cancelled, .superseded: return .cancelled
        default: return nil
        }
    }

    /// Delivers queued notifications until cancelled.
    func deliver(secrets: SecretStore, log: @escaping @Sendable (RunID, String) async -> Void) async {
        await withDiscardingTaskGroup { group in
            for await change in changes {
                for receiver in change.spec.notify where receiver.events.contains(change.event) {
                    group.addTask { await log(change.record.id, await self.send(change, to: receiver, secrets: secrets)) }
                }
            }
        }
    }

    func send(_ change: Change, to receiver: PipelineSpec.Notification, secrets: SecretStore) async -> String {
        let pipeline = change.spec.name
        let what = "notify \(change.event.rawValue)"
        do {
            guard let url = try receiver.url ?? receiver.urlSecret.flatMap({ try secrets.value($0, pipeline: pipeline) }) else {
                return "\(what): no secret '\(receiver.urlSecret ?? "")' holds the URL; slipway secret set '\(receiver.urlSecret ?? "")' --pipeline \(pipeline)"
            }
            let key = try receiver.signingSecret.map { name in
                guard let value = try secrets.value(name, pipeline: pipeline) else {
                    throw SlipwayError.notFound("no secret '\(name)' holds the signing key")
                }
                return value
            }
            let record = change.record
            let notice = RunNotice(event: change.event, pipeline: pipeline, run: record.id.rawValue, status: record.status.rawValue,
                                   commit: record.commit?.id, author: record.commit?.author,
                                   message: record.commit?.message.split(separator: "\n").first.map(String.init),
                                   detail: record.stages.last(where: { $0.status == .failed })?.note)
            let outcome = await notifier.deliver(try WebhookDelivery(notice, to: url, format: receiver.format, signingKey: key))
            // Only the host: a URL can carry a credential (Slack's do).
            let host = URL(string: url)?.host ?? "the receiver"
            return "\(what) → \(host): \(outcome)"
        } catch {
            return "\(what): \(error)"
        }
    }
}
