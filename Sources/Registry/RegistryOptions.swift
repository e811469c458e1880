import Foundation
import SlipwayCore

/// How pulls reach registries: which speak plain HTTP, which CAs to trust besides the
/// system's, whose credentials to send, the platform to pick from a multi-platform image.
public struct RegistryOptions: Sendable {
    /// `host[:port]` of registries reached over plain HTTP (never tried over HTTPS).
    public var insecure: Set<String> = []
    /// A PEM file of CA certificates trusted in addition to the system's.
    public var caFile: String?
    public var platform: RegistryPlatform = .host
    public var credentials: RegistryCredentials
    /// Layers downloaded and unpacked at the same time.
    public var concurrentLayers = 3
    /// Tries of one request (or one layer) when the registry fails with 5xx, 429 or a reset.
    public var attempts = 4
    /// The wait before the second try; it doubles for each later one.
    public var retryDelay: Duration = .milliseconds(200)

    public init(home: SlipwayHome, environment: [String: String] = ProcessInfo.processInfo.environment) {
        credentials = RegistryCredentials(home: home, environment: environment)
        insecure = Self.insecureRegistries(environment)
    }

    /// `SLIPWAY_INSECURE_REGISTRIES=host:port,…`: what builds that pull on first use may reach
    /// over plain HTTP.
    public static let insecureVariable = "SLIPWAY_INSECURE_REGISTRIES"

    static func insecureRegistries(_ environment: [String: String]) -> Set<String> {
        Set((environment[insecureVariable] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// Whether `host` (with its port, as written in a reference) speaks plain HTTP.
    func isInsecure(_ host: String) -> Bool {
        insecure.contains(host)
    }
}
