import Deploy
import Foundation
import ObjectStorage
import SlipwayCore

/// A site target's deploy lock: the object `.slipway/lock`, created only if absent
/// (`If-None-Match: *`), naming its holder and refreshed every 10 s while held. A lock whose
/// holder is a dead process on this machine, or which nobody refreshed for 60 s (a holder
/// killed elsewhere), is taken over, and the journal says so.
final class SiteLock: Sendable {
    struct Holder: Codable, Sendable {
        var owner: String
        var host: String
        var pid: Int32
        var purpose: String
        var since: Date
        var refreshed: Date
    }

    static let refreshEvery: Duration = .seconds(10)
    static let staleAfter: TimeInterval = 60

    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(cString: buffer)
    }

    static var owner: String { "\(hostName) pid \(getpid())" }

    let target: SiteTarget
    private let refresher: Task<Void, Never>
    /// Set when a stale lock was taken over: who held it.
    let tookOver: String?

    private init(target: SiteTarget, refresher: Task<Void, Never>, tookOver: String?) {
        self.target = target
        self.refresher = refresher
        self.tookOver = tookOver
    }

    static func acquire(_ target: SiteTarget, purpose: String, wait: TimeInterval) async throws -> SiteLock {
        let deadline = Date().addingTimeInterval(wait)
        var tookOver: String?
        while true {
            let now = Date()
            let me = Holder(owner: owner, host: hostName, pid: getpid(), purpose: purpose, since: now, refreshed: now)
            if try await target.client.create(target.lockKey, data: try Timestamp.encoder(pretty: false).encode(me)) {
                let refresher = Task {
                    var held = me
                    while !Task.isCancelled {
                        try? await Task.sleep(for: refreshEvery)
                        if Task.isCancelled { return }
                        held.refreshed = Date()
                        if let data = try? Timestamp.encoder(pretty: false).encode(held) {
                            try? await target.client.put(target.lockKey, data: data)
                        }
                    }
                }
                return SiteLock(target: target, refresher: refresher, tookOver: tookOver)
            }
            let data = try await target.client.data(target.lockKey, limit: 1 << 16)
            guard let data else { continue }  // released meanwhile
            let holder = try? Timestamp.decoder().decode(Holder.self, from: data)
            if let holder, !isStale(holder) {
                if Date() >= deadline {
                    throw SlipwayError.failed("\(target) is locked by another deploy: \(holder.purpose) by \(holder.owner) since \(Timestamp.format(holder.since)); "
                                              + "wait for it (--wait SECONDS)")
                }
                try await Task.sleep(for: .milliseconds(500))
                continue
            }
            // A dead holder's lock (or an unreadable one): remove it and try again.
            tookOver = holder.map { "\($0.purpose) by \($0.owner) since \(Timestamp.format($0.since))" } ?? "an unreadable lock"
            try await target.client.delete(target.lockKey)
        }
    }

    static func isStale(_ holder: Holder) -> Bool {
        if holder.host == hostName, holder.pid != getpid(), kill(holder.pid, 0) != 0, errno == ESRCH { return true }
        return Date().timeIntervalSince(holder.refreshed) > staleAfter
    }

    func release() async {
        refresher.cancel()
        try? await target.client.delete(target.lockKey)
    }
}
