import Crypto
import Foundation
import SlipwayCore

/// The key that seals secrets at rest: `SLIPWAY_SECRET_KEY` (32 bytes, base64) when set, so
/// the key can live apart from the data; otherwise `<home>/secrets/key`, 32 random bytes
/// created on first use with mode 0600.
struct SecretKey {
    static let variable = "SLIPWAY_SECRET_KEY"

    static func load(home: SlipwayHome, environment: [String: String], create: Bool) throws -> SymmetricKey? {
        if let text = environment[variable], !text.isEmpty {
            guard let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
                throw SlipwayError.badInput("\(variable) must be 32 bytes in base64 (for example: head -c 32 /dev/urandom | base64)")
            }
            return SymmetricKey(data: bytes)
        }
        let path = home.path + "/secrets/key"
        if let existing = try read(path) { return existing }
        guard create else { return nil }
        try makeDirectories(home.path + "/secrets", mode: 0o700)
        // Written aside and linked into place: link(2) never replaces, so two first uses at
        // once agree on one key instead of one sealing with a key the other overwrote.
        let staging = path + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try writeFileAtomically(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }, to: staging, mode: 0o600)
        defer { unlink(staging) }
        if link(staging, path) != 0 && errno != EEXIST { throw SlipwayError.system("link \(path)") }
        guard let key = try read(path) else { throw SlipwayError.failed("\(path) vanished while it was created") }
        return key
    }

    private static func read(_ path: String) throws -> SymmetricKey? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            throw SlipwayError.badInput("\(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 it")
        }
        guard data.count == 32 else { throw SlipwayError.corrupt("\(path) is not a 32-byte key (\(data.count) bytes)") }
        return SymmetricKey(data: data)
    }
}
