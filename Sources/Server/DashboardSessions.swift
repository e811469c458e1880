import Foundation
import SlipwayCore
import Synchronization

/// Dashboard logins. Logging in with the token starts a session: the browser's cookie holds a
/// random session id, never the token, and the service keeps only the id's SHA-256 and when
/// it expires (`serve/sessions` under SLIPWAY_HOME, mode 0600, one `DIGEST EXPIRY` line per
/// session). Logging out ends that session; "Log out everywhere" and a new token
/// (`slipway serve --new-token`) end them all. The file is read on every check, so any of
/// these takes effect at once in every running service of the home.
public final class DashboardSessions: Sendable {
    public let file: String
    /// Serialises this process's read-modify-write of the file (it is replaced atomically).
    private let lock = Mutex(())

    /// How long a session lasts: a remembered login 30 days, otherwise a day (its cookie also
    /// ends with the browser session).
    static let remembered: TimeInterval = 30 * 24 * 3600
    static let browserSession: TimeInterval = 24 * 3600

    public init(home: SlipwayHome) {
        file = home.path + "/serve/sessions"
    }

    /// Starts a session; returns its id (for the cookie).
    func start(remember: Bool, now: Date = Date()) throws -> String {
        let id = "sls_" + RandomSecret.hex(bytes: 32)
        let expiry = now.addingTimeInterval(remember ? Self.remembered : Self.browserSession)
        try update(now: now) { $0[APIToken.digest(id)] = expiry }
        return id
    }

    /// Whether `id` names a live session; compares digests in constant time.
    func accepts(_ id: String, now: Date = Date()) -> Bool {
        guard id.hasPrefix("sls_") else { return false }
        let digest = Array(APIToken.digest(id).utf8)
        var found = false
        for (stored, expiry) in read() where expiry > now {
            let bytes = Array(stored.utf8)
            guard bytes.count == digest.count else { continue }
            var difference: UInt8 = 0
            for i in bytes.indices { difference |= bytes[i] ^ digest[i] }
            found = found || difference == 0
        }
        return found
    }

    /// Ends one session (logging out).
    func end(_ id: String) throws {
        try update { $0[APIToken.digest(id)] = nil }
    }

    /// Ends every session.
    public func endAll() throws {
        try lock.withLock { _ in
            if FileManager.default.fileExists(atPath: file) { try FileManager.default.removeItem(atPath: file) }
        }
    }

    private func read() -> [String: Date] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [:] }
        var sessions: [String: Date] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let seconds = TimeInterval(fields[1]) else { continue }
            sessions[String(fields[0])] = Date(timeIntervalSince1970: seconds)
        }
        return sessions
    }

    /// Changes the sessions and drops the expired ones.
    private func update(now: Date = Date(), _ change: (inout [String: Date]) -> Void) throws {
        try lock.withLock { _ in
            var sessions = read().filter { $0.value > now }
            change(&sessions)
            let text = sessions.map { "\($0.key) \(Int($0.value.timeIntervalSince1970))\n" }.sorted().joined()
            try makeDirectories((file as NSString).deletingLastPathComponent, mode: 0o700)
            try writeFileAtomically(Data(text.utf8), to: file, mode: 0o600)
        }
    }
}
