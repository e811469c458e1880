import Foundation
import SlipwayCore

/// Results of successful builds by the digest of everything that decides their output, so
/// the same inputs return the earlier artifacts without running anything.
public struct ResultCache: Sendable {
    /// Bumped whenever Slipway changes how a buildspec runs, so old results stop matching.
    public static let semanticsVersion = "slipway-build-1"

    public let root: String

    public init(home: SlipwayHome) {
        root = home.builds + "/results"
    }

    /// The result key: sha256 over (source tree, buildspec bytes, image digest, effective
    /// environment, semantics version), each field length-prefixed so no two inputs collide.
    public static func key(sourceTree: String, buildspec: Data, imageDigest: String,
                           environment: [String: String], extra: [String] = []) -> String {
        var hash = SHA256Stream()
        func field(_ data: Data) {
            hash.update(Data("\(data.count):".utf8))
            hash.update(data)
        }
        field(Data(semanticsVersion.utf8))
        field(Data(sourceTree.utf8))
        field(Data(SHA256Stream.hex(of: buildspec).utf8))
        field(Data(imageDigest.utf8))
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
            field(Data(name.utf8))
            field(Data(value.utf8))
        }
        for item in extra { field(Data(item.utf8)) }
        return hash.finalizeHex()
    }

    public func lookup(_ key: String) -> BuildResult? {
        guard let data = FileManager.default.contents(atPath: path(key)) else { return nil }
        return try? Timestamp.decoder().decode(BuildResult.self, from: data)
    }

    public func store(_ result: BuildResult) throws {
        try makeDirectories(root)
        let encoder = Timestamp.encoder(pretty: false)
        let staging = path(result.resultKey) + ".tmp-\(UUID().uuidString)"
        try encoder.encode(result).write(to: URL(fileURLWithPath: staging))
        guard rename(staging, path(result.resultKey)) == 0 else { throw SlipwayError.system("rename \(staging)") }
    }

    private func path(_ key: String) -> String { root + "/" + key + ".json" }
}
