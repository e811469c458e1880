import Foundation
import SlipwayCore

/// A user name and password (or token) for one registry.
public struct RegistryCredential: Sendable, Equatable {
    public var username: String
    public var password: String
    /// Where it was found, for messages: never the secret itself.
    public var source: String

    /// `Basic base64(user:password)`.
    var basicAuthorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

/// Where credentials come from, first match wins: the environment
/// (`SLIPWAY_REGISTRY_AUTH_<HOST>=user:password`, the host upper-cased with every other
/// character `_`: `SLIPWAY_REGISTRY_AUTH_GHCR_IO`, `SLIPWAY_REGISTRY_AUTH_127_0_0_1_5000`), then
/// `slipway image login` (`$SLIPWAY_HOME/registries/auth.json`, mode 0600), then Docker's
/// `~/.docker/config.json` (or `$DOCKER_CONFIG/config.json`) `auths`. Credential helpers
/// (`credsStore`) are not run.
public struct RegistryCredentials: Sendable {
    public var loginFile: String
    public var dockerConfig: String?
    public var environment: [String: String]

    public init(home: SlipwayHome, environment: [String: String] = ProcessInfo.processInfo.environment) {
        loginFile = home.path + "/registries/auth.json"
        self.environment = environment
        if let dir = environment["DOCKER_CONFIG"] {
            dockerConfig = dir + "/config.json"
        } else if let user = environment["HOME"] {
            dockerConfig = user + "/.docker/config.json"
        } else {
            dockerConfig = nil
        }
    }

    /// The environment variable that carries credentials for `registry`.
    public static func variable(for registry: String) -> String {
        "SLIPWAY_REGISTRY_AUTH_" + String(registry.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    public func lookup(_ registry: String) throws -> RegistryCredential? {
        let variable = Self.variable(for: registry)
        if let value = environment[variable] {
            guard let colon = value.firstIndex(of: ":"), colon != value.startIndex else {
                throw SlipwayError.badInput("\(variable): expected USER:PASSWORD")
            }
            return RegistryCredential(username: String(value[..<colon]), password: String(value[value.index(after: colon)...]),
                                      source: variable)
        }
        if let found = try Self.read(loginFile, registry: registry, label: "slipway image login") { return found }
        if let dockerConfig, let found = try Self.read(dockerConfig, registry: registry, label: dockerConfig) { return found }
        return nil
    }

    /// Stores credentials for `registry` in the login file (created 0600), replacing earlier ones.
    public func save(_ registry: String, username: String, password: String) throws {
        var document = (try? Self.document(loginFile)) ?? [:]
        var auths = document["auths"] as? [String: Any] ?? [:]
        auths[registry] = ["auth": Data("\(username):\(password)".utf8).base64EncodedString()]
        document["auths"] = auths
        try makeDirectories((loginFile as NSString).deletingLastPathComponent, mode: 0o700)
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        try writeFileAtomically(data, to: loginFile, mode: 0o600)
    }

    private static func document(_ path: String) throws -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SlipwayError.badInput("\(path): not a JSON object; fix or remove it")
        }
        return object
    }

    /// The `auths` entry for `registry` in a Docker-style config. Keys may be `host[:port]` or
    /// a URL (`https://index.docker.io/v1/` is Docker Hub).
    static func read(_ path: String, registry: String, label: String) throws -> RegistryCredential? {
        guard let document = try document(path), let auths = document["auths"] as? [String: Any] else { return nil }
        for (key, value) in auths where normalize(key) == registry {
            guard let entry = value as? [String: Any] else { continue }
            if let auth = entry["auth"] as? String, !auth.isEmpty {
                guard let decoded = Data(base64Encoded: auth).map({ String(decoding: $0, as: UTF8.self) }),
                      let colon = decoded.firstIndex(of: ":") else {
                    throw SlipwayError.badInput("\(path): auths.\"\(key)\".auth is not base64 of USER:PASSWORD")
                }
                return RegistryCredential(username: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]),
                                          source: label)
            }
            if let user = entry["username"] as? String, let password = entry["password"] as? String {
                return RegistryCredential(username: user, password: password, source: label)
            }
        }
        return nil
    }

    static func normalize(_ key: String) -> String {
        var host = key
        for scheme in ["https://", "http://"] where host.hasPrefix(scheme) { host.removeFirst(scheme.count) }
        if let slash = host.firstIndex(of: "/") { host = String(host[..<slash]) }
        if host == "index.docker.io" || host == "registry-1.docker.io" { return RegistryReference.dockerHub }
        return host
    }
}
