import Foundation
import SlipwayCore

/// What a garbage collection removed (or would remove, in a dry run).
public struct GCReport: Codable, Sendable {
    public var removed: [String] = []
    public var kept: Int = 0
    public var freedBytes: Int64 = 0
    public var dryRun: Bool
}

extension ArtifactStore {
    /// Pins a digest under `refs/<kind>/<name>` so garbage collection keeps it.
    public func addReference(kind: String, name: String, digest: Digest) throws {
        let dir = "\(refsDir)/\(kind)"
        try makeDirectories(dir)
        try writeFileAtomically(Data("\(digest)\n".utf8), to: "\(dir)/\(name)")
    }

    public func removeReference(kind: String, name: String) {
        unlink("\(refsDir)/\(kind)/\(name)")
    }

    /// Every digest some reference points at.
    public func referencedDigests() -> Set<Digest> {
        let fm = FileManager.default
        var found: Set<Digest> = []
        for kind in (try? fm.contentsOfDirectory(atPath: refsDir)) ?? [] {
            for name in (try? fm.contentsOfDirectory(atPath: "\(refsDir)/\(kind)")) ?? [] {
                if let text = try? String(contentsOfFile: "\(refsDir)/\(kind)/\(name)", encoding: .utf8),
                   let digest = try? Digest(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                    found.insert(digest)
                }
            }
        }
        return found
    }

    /// Removes artifacts that no reference holds, except the newest `keepLast`; also blobs
    /// left without a record by a crash, and staging files older than an hour.
    public func collectGarbage(keepLast: Int, dryRun: Bool) throws -> GCReport {
        var report = GCReport(dryRun: dryRun)
        let referenced = referencedDigests()
        let records = try list()
        let keep = Set(records.prefix(keepLast).map(\.digest)).union(referenced)
        let known = Set(records.map(\.digest))
        for record in records {
            if keep.contains(record.digest) { report.kept += 1; continue }
            report.removed.append(record.digest.description)
            report.freedBytes += record.blob.size
            if !dryRun {
                unlink(recordPath(record.digest))  // record first: a half-removed artifact is just an orphan blob
                unlink(blobPath(record.digest))
            }
        }
        for digest in allDigests() where !known.contains(digest) {
            report.removed.append("\(digest) (orphan blob)")
            if !dryRun { unlink(blobPath(digest)) }
        }
        let cutoff = Date().addingTimeInterval(-3600)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] {
            let path = tmpDir + "/" + name
            if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
               modified < cutoff {
                report.removed.append(path + " (stale staging file)")
                if !dryRun { unlink(path) }
            }
        }
        return report
    }
}
