import Foundation
import SlipwayCore

/// Artifacts that arrive whole from elsewhere (another machine's store, a bucket): their blob
/// is staged here, checked against the record, and only then stored under its digest.
extension ArtifactStore {
    /// A staging path for a blob this process is about to receive; a process that dies while
    /// receiving leaves it to `removeAbandonedStaging`.
    public func receivingPath() throws -> String {
        try makeDirectories(tmpDir)
        return stagingPath()
    }

    /// Stores the blob staged at `path` as `record`'s once both its bytes and its tar stream
    /// match the record; a mismatch removes it and throws, leaving the store as it was.
    @discardableResult
    public func adopt(_ record: ArtifactRecord, blobAt path: String) throws -> ArtifactRecord {
        defer { unlink(path) }
        if let existing = try? self.record(record.digest) { return existing }
        try verify(record, blobAt: path)
        let final = blobPath(record.digest)
        try makeDirectories((final as NSString).deletingLastPathComponent)
        guard rename(path, final) == 0 else { throw SlipwayError.rename(path, to: final) }
        try writeRecord(record)
        try Syscall.fsyncDirectory((final as NSString).deletingLastPathComponent)
        return record
    }
}
