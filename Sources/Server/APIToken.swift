import Crypto
import Foundation
import SlipwayCore

/// The service's bearer token. Only its SHA-256 is kept (`serve/token.sha256` under
/// SLIPWAY_HOME, mode 0600), so reading the state directory does not reveal it. The file is
/// read on every check, so `slipway serve --new-token` takes effect in a running service.
public struct APIToken: Sendable {
    public let hashFile: String

    public init(home: SlipwayHome) {
        hashFile = home.path + "/serve/token.sha256"
    }

    /// Makes a token when there is none yet; returns it (to be shown once) or nil if one exists.
    public func issueIfMissing() throws -> String? {
        FileManager.default.fileExists(atPath: hashFile) ? nil : try issue()
    }

    /// Replaces the token with a new random one and returns it; the old one stops working, and
    /// so does every dashboard login made with it (`DashboardSessions`).
    public func issue() throws -> String {
        let token = "slw_" + RandomSecret.hex(bytes: 32)
        let directory = (hashFile as NSString).deletingLastPathComponent
        try makeDirectories(directory, mode: 0o700)
        try writeFileAtomically(Data((Self.digest(token) + "\n").utf8), to: hashFile, mode: 0o600)
        if FileManager.default.fileExists(atPath: directory + "/sessions") { try FileManager.default.removeItem(atPath: directory + "/sessions") }
        return token
    }

    /// Whether `presented` is the current token; compares digests in constant time.
    public func accepts(_ presented: String) -> Bool {
        guard let stored = try? String(contentsOfFile: hashFile, encoding: .utf8) else { return false }
        let expected = Array(stored.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        let actual = Array(Self.digest(presented).utf8)
        guard expected.count == actual.count else { return false }
        var difference: UInt8 = 0
        for i in expected.indices { difference |= expected[i] ^ actual[i] }
        return difference == 0
    }

    static func digest(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Data(token.utf8)))
    }
}
