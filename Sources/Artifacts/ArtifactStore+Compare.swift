import Archive
import Foundation
import SlipwayCore

/// One path whose entry differs between two artifacts, and in what.
public struct ArtifactDifference: Codable, Sendable, Equatable {
    public enum Aspect: String, Codable, Sendable {
        /// Only one artifact has the path.
        case onlyInFirst = "only-in-first", onlyInSecond = "only-in-second"
        case kind, content, mode, owner, mtime, linkTarget = "link-target"
    }

    public var path: String
    public var aspects: [Aspect]
}

extension ArtifactStore {
    /// What each entry of an artifact is, by path: enough to say how two artifacts differ
    /// without unpacking either (contents compared by SHA-256).
    struct EntryFacts: Equatable {
        var kind: TarEntryHeader.Kind
        var mode: UInt32
        var owner: String
        var mtime: Int64
        var content: Digest?
        var linkTarget: String?
    }

    /// The paths whose entries differ between two stored artifacts, in path order; empty when
    /// they are the same artifact. Reads both blobs once, hashing file contents as it goes.
    public func compare(_ first: ArtifactRecord, _ second: ArtifactRecord) throws -> [ArtifactDifference] {
        guard first.digest != second.digest else { return [] }
        let a = try entries(of: first), b = try entries(of: second)
        var differences: [ArtifactDifference] = []
        for path in Set(a.keys).union(b.keys).sorted() {
            guard let x = a[path] else { differences.append(ArtifactDifference(path: path, aspects: [.onlyInSecond])); continue }
            guard let y = b[path] else { differences.append(ArtifactDifference(path: path, aspects: [.onlyInFirst])); continue }
            guard x != y else { continue }
            var aspects: [ArtifactDifference.Aspect] = []
            if x.kind != y.kind { aspects.append(.kind) }
            if x.content != y.content { aspects.append(.content) }
            if x.mode != y.mode { aspects.append(.mode) }
            if x.owner != y.owner { aspects.append(.owner) }
            if x.mtime != y.mtime { aspects.append(.mtime) }
            if x.linkTarget != y.linkTarget { aspects.append(.linkTarget) }
            differences.append(ArtifactDifference(path: path, aspects: aspects))
        }
        return differences
    }

    func entries(of record: ArtifactRecord) throws -> [String: EntryFacts] {
        let hold = try use(record.digest)
        defer { withExtendedLifetime(hold) {} }
        let reader = try TarReader(decodingAhead: blobPath(record.digest))
        var entries: [String: EntryFacts] = [:]
        while let header = try reader.next() {
            var content: Digest?
            if header.kind == .regular {
                var hash = SHA256Stream()
                try reader.readData { chunk, _ in hash.update(chunk) }
                content = hash.finalize()
            }
            entries[header.path] = EntryFacts(kind: header.kind, mode: header.mode & 0o7777, owner: "\(header.uid):\(header.gid)",
                                              mtime: header.mtime, content: content, linkTarget: header.linkTarget)
        }
        try reader.drain()
        return entries
    }
}
