import Foundation
import SlipwayCore
import Synchronization

/// The delivery ids of webhooks already acted on, so a redelivery or a replayed request
/// starts nothing. Kept in `serve/webhook-deliveries` under SLIPWAY_HOME (one `TIME ID` line
/// each, appended and synced as each delivery is acted on), so a restart remembers them;
/// the newest `capacity` are kept.
///
/// A delivery is claimed before it is acted on, so two copies arriving together cannot both
/// go through, and released again when acting on it failed, so the forge's retry can.
final class WebhookDeliveries: Sendable {
    enum Claim: Equatable { case fresh, duplicate }

    let file: String
    let capacity: Int

    private struct State {
        var loaded = false
        var seen: Set<String> = []
        /// Oldest first: what goes when the set is over capacity.
        var order: [String] = []
        var inFlight: Set<String> = []
        var linesInFile = 0

        /// Records `id` as acted on, newest.
        mutating func remember(_ id: String) {
            if seen.insert(id).inserted { order.append(id) }
        }

        /// Forgets the oldest ids past `capacity`.
        mutating func trim(to capacity: Int) {
            guard order.count > capacity else { return }
            let dropped = order.prefix(order.count - capacity)
            dropped.forEach { seen.remove($0) }
            order.removeFirst(dropped.count)
        }
    }

    private let state = Mutex(State())

    init(home: SlipwayHome, capacity: Int = 10_000) {
        file = home.path + "/serve/webhook-deliveries"
        self.capacity = capacity
    }

    /// Claims `id` for this request; `.duplicate` when it was acted on before or another
    /// request holds it now.
    func claim(_ id: String) -> Claim {
        state.withLock { state in
            load(&state)
            guard !state.seen.contains(id), state.inFlight.insert(id).inserted else { return .duplicate }
            return .fresh
        }
    }

    /// Ends a claim: `acted` records the id for good (in memory and on disk); otherwise it is
    /// released so the same delivery can be tried again.
    func settle(_ id: String, acted: Bool) throws {
        try state.withLock { state in
            state.inFlight.remove(id)
            guard acted else { return }
            state.remember(id)
            state.trim(to: capacity)
            try persist(id, &state)
        }
    }

    private func load(_ state: inout State) {
        guard !state.loaded else { return }
        state.loaded = true
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return }
        for line in text.split(separator: "\n") {
            state.linesInFile += 1
            guard let space = line.firstIndex(of: " ") else { continue }
            state.remember(String(line[line.index(after: space)...]))
        }
        state.trim(to: capacity)
    }

    /// Appends one line; past twice the capacity the file is rewritten with the kept ids.
    private func persist(_ id: String, _ state: inout State) throws {
        try makeDirectories((file as NSString).deletingLastPathComponent, mode: 0o700)
        let stamp = Int(Date().timeIntervalSince1970)
        if state.linesInFile + 1 > 2 * capacity {
            let text = state.order.map { "\(stamp) \($0)\n" }.joined()
            try writeFileAtomically(Data(text.utf8), to: file, mode: 0o600)
            state.linesInFile = state.order.count
            return
        }
        let fd = try Syscall.retrying("open \(file)") { open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600) }
        defer { Syscall.close(fd) }
        let line = Array("\(stamp) \(id)\n".utf8)
        try line.withUnsafeBytes { try Syscall.writeAll(fd, $0, what: "write \(file)") }
        try Syscall.fsync(fd, what: "fsync \(file)")
        state.linesInFile += 1
    }
}
