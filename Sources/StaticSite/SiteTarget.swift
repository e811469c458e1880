import Deploy
import Foundation
import ObjectStorage
import SlipwayCore

/// `s3://BUCKET/PREFIX` as a deploy target: a static site served from the bucket's keys
/// under the prefix (S3 website hosting, or a CDN in front of it), with Slipway's own
/// records beside it:
///
///     PREFIX/<path>                           the live site
///     PREFIX/.slipway/state.json              journal, what each key holds, pending deletions
///     PREFIX/.slipway/releases/<id>.json      each release's files (SiteManifest)
///     PREFIX/.slipway/objects/sha256/<hex>    content the live site no longer holds, kept for rollbacks
///     PREFIX/.slipway/lock                    the deploy lock
public struct SiteTarget: Sendable, CustomStringConvertible {
    public let location: S3Location
    public let client: S3Client

    public init(location: S3Location, settings: S3Settings, options: S3Client.Options = SiteTarget.defaultOptions) {
        self.location = location
        client = S3Client(settings: settings, bucket: location.bucket, options: options)
    }

    /// Requests in flight at once: small files are bound by round trips, not bandwidth.
    public static var defaultOptions: S3Client.Options {
        var options = S3Client.Options()
        options.concurrency = 16
        return options
    }

    /// Parses `s3://BUCKET[/PREFIX]` (nil for any other target) with the AWS tools' settings.
    public static func parse(_ text: String, field: String = "--target",
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SiteTarget? {
        guard text.hasPrefix("s3://") else { return nil }
        return SiteTarget(location: try S3Location(parsing: text, field: field), settings: try S3Settings.fromEnvironment(environment))
    }

    public var description: String { location.description }

    func key(_ path: String) -> String { location.key(path) }
    var stateKey: String { key(".slipway/state.json") }
    var lockKey: String { key(".slipway/lock") }
    func manifestKey(_ release: String) -> String { key(".slipway/releases/\(release).json") }
    var objectsPrefix: String { key(".slipway/objects/sha256/") }
    func objectKey(_ sha256: String) -> String { objectsPrefix + sha256 }

    // MARK: - Records

    /// The target's state; a fresh one when nothing was ever deployed (the bucket must exist).
    public func state() async throws -> SiteState {
        guard let data = try await client.data(stateKey, limit: 256 << 20) else {
            try await client.checkBucket()
            return SiteState()
        }
        do {
            return try Timestamp.decoder().decode(SiteState.self, from: data)
        } catch {
            throw SlipwayError.corrupt("\(location)/.slipway/state.json at S3 endpoint \(client.endpointName) is unreadable", cause: error)
        }
    }

    func save(_ state: SiteState) async throws {
        try await client.put(stateKey, data: try Timestamp.encoder(pretty: false).encode(state),
                             headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
    }

    func save(_ manifest: SiteManifest) async throws {
        try await client.put(manifestKey(manifest.release), data: try Timestamp.encoder(pretty: false).encode(manifest),
                             headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
    }

    public func manifest(_ release: String) async throws -> SiteManifest? {
        guard let data = try await client.data(manifestKey(release), limit: 256 << 20) else { return nil }
        do {
            return try Timestamp.decoder().decode(SiteManifest.self, from: data)
        } catch {
            throw SlipwayError.corrupt("\(location)/.slipway/releases/\(release).json is unreadable", cause: error)
        }
    }

    /// `slipway releases --target s3://…`: newest first, current marked.
    public func releases() async throws -> [Release] {
        let state = try await state()
        guard !state.records.isEmpty else {
            throw SlipwayError.notFound("\(location) is not a deploy target: nothing was ever deployed there (no .slipway/state.json at S3 endpoint \(client.endpointName))")
        }
        return state.history.ordered.filter { $0.state != .pruned }.reversed()
    }
}
