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

    /// Removes the references of `kind` named `name` or `name-…` that point at one of
    /// `digests`: those a build made for its artifacts, primary and secondary.
    public func removeReferences(kind: String, name: String, to digests: Set<Digest>) {
        for ref in references() where ref.kind == kind && digests.contains(ref.digest) {
            let file = (ref.path as NSString).lastPathComponent
            if file == name || file.hasPrefix(name + "-") { unlink(ref.path) }
        }
    }

    /// Every digest some reference points at.
    public func referencedDigests() -> Set<Digest> {
        Set(references().map(\.digest))
    }

    /// Removes artifacts no root holds, except the newest `keepLast`; also blobs left without
    /// a record by a crash, and staging files older than an hour. Roots: every release
    /// reference (a release on some target), `roots` (the artifacts of the runs the
    /// pipelines' retention keeps), build references younger than `buildRetention` seconds
    /// (older ones are removed with what they held), pins of other kinds, and artifacts a
    /// deploy or unpack is reading right now (`use`).
    public func collectGarbage(keepLast: Int, dryRun: Bool, buildRetention: TimeInterval = 30 * 86400,
                               roots: Set<Digest> = []) throws -> GCReport {
        var report = GCReport(dryRun: dryRun)
        let cutoff = Date().addingTimeInterval(-buildRetention)
        var referenced = roots
        var expiredBuilds: [String] = []
        for ref in references() {
            if ref.kind == "builds", ref.modified < cutoff { expiredBuilds.append(ref.path) } else { referenced.insert(ref.digest) }
        }
        let records = try list()
        let keep = Set(records.prefix(keepLast).map(\.digest)).union(referenced)
        let known = Set(records.map(\.digest))
        for record in records {
            if keep.contains(record.digest) { report.kept += 1; continue }
            guard let hold = try? exclusiveHold(record.digest) else {
                report.kept += 1  // a deploy or unpack is reading it
                continue
            }
            defer { Syscall.close(hold) }
            report.removed.append(record.digest.description)
            report.freedBytes += record.blob.size
            if !dryRun {
                unlink(recordPath(record.digest))  // record first: a half-removed artifact is just an orphan blob
                unlink(blobPath(record.digest))
            }
        }
        if !dryRun { expiredBuilds.forEach { unlink($0) } }
        for digest in allDigests() where !known.contains(digest) {
            report.removed.append("\(digest) (orphan blob)")
            if !dryRun { unlink(blobPath(digest)) }
        }
        let abandoned = removeAbandonedStaging(dryRun: dryRun)
        report.removed += abandoned.map { $0 + " (staging file of a process that is gone)" }
        // Anything else an hour old (a writer whose pid was reused, another namespace's).
        let staleBefore = Date().addingTimeInterval(-3600)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] where !abandoned.contains(tmpDir + "/" + name) {
            let path = tmpDir + "/" + name
            if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
               modified < staleBefore {
                report.removed.append(path + " (stale staging file)")
                if !dryRun { unlink(path) }
            }
        }
        return report
    }

    /// An exclusive lock on the artifact's record, or nil when a reader holds it.
    private func exclusiveHold(_ digest: Digest) throws -> Int32 {
        let fd = try Syscall.retrying("open \(recordPath(digest))") { open(recordPath(digest), O_RDONLY | O_CLOEXEC) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Syscall.close(fd)
            throw SlipwayError.failed("\(digest) is in use")
        }
        return fd
    }

    struct Reference {
        var kind: String
        var path: String
        var digest: Digest
        var modified: Date
    }

    /// Every reference file with the digest it names and when it was written.
    func references() -> [Reference] {
        let fm = FileManager.default
        var found: [Reference] = []
        for kind in (try? fm.contentsOfDirectory(atPath: refsDir)) ?? [] {
            for name in (try? fm.contentsOfDirectory(atPath: "\(refsDir)/\(kind)")) ?? [] {
                let path = "\(refsDir)/\(kind)/\(name)"
                guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                      let digest = try? Digest(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
                let modified = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date ?? Date()
                found.append(Reference(kind: kind, path: path, digest: digest, modified: modified))
            }
        }
        return found
    }
}
