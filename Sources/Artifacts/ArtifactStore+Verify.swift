import Archive
import Foundation
import SlipwayCore

extension ArtifactStore {
    /// Re-hashes a blob: its stored bytes and its uncompressed tar stream must both match.
    public func verify(_ record: ArtifactRecord) throws {
        try verify(record, blobAt: blobPath(record.digest))
    }

    /// Checks the blob at `path` (stored or still staged) against `record`.
    func verify(_ record: ArtifactRecord, blobAt path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SlipwayError.corrupt("\(record.digest): blob missing at \(path)")
        }
        var tar = SHA256Stream()
        do {
            let reader = try TarReader(decodingAhead: path, mode: .raw)
            if try reader.next() != nil {
                try reader.readData { chunk, _ in tar.update(chunk) }
            }
            try reader.drain()
            guard try reader.rawDigest == record.blob.digest else {
                throw SlipwayError.corrupt("\(record.digest): blob \(path) is corrupt (its bytes do not match sha256 \(record.blob.digest))")
            }
        } catch let error as SlipwayError where error.kind != .corrupt {
            throw SlipwayError.corrupt("\(record.digest): blob \(path) is corrupt", cause: error)
        }
        guard tar.finalize() == record.digest else {
            throw SlipwayError.corrupt("\(record.digest): blob \(path) is corrupt (its tar stream does not match its digest)")
        }
    }

    /// Extracts an artifact safely into `directory`, checking the blob's digest in the same
    /// pass; a corrupt blob leaves nothing behind.
    @discardableResult
    public func unpack(_ record: ArtifactRecord, to directory: String,
                       options: ExtractOptions = .artifact) throws -> ExtractStats {
        let hold = try use(record.digest)
        defer { withExtendedLifetime(hold) {} }
        let path = blobPath(record.digest)
        let reader: TarReader
        do {
            reader = try TarReader(decodingAhead: path)
        } catch let error as SlipwayError {
            throw SlipwayError.corrupt("\(record.digest): blob \(path) is unreadable", cause: error)
        }
        do {
            return try Extraction.extract(reader, to: directory, options: options) { reader in
                try checkBlob(record, rawDigest: try reader.rawDigest, path: path)
            }
        } catch let error as SlipwayError where error.kind == .badInput && error.message.hasPrefix(path) {
            // A damaged stream shows up as a tar error; say what it really is.
            throw SlipwayError.corrupt("\(record.digest): blob \(path) is corrupt", cause: error)
        }
    }

    /// Copies the stored blob to `destination` (a path, or "-" for stdout), verified first:
    /// a file destination appears only complete; stdout gets nothing from a corrupt blob.
    public func export(_ record: ArtifactRecord, to destination: String) throws {
        let hold = try use(record.digest)
        defer { withExtendedLifetime(hold) {} }
        try verify(record)
        let source = blobPath(record.digest)
        if destination == "-" {
            try copyFile(source) { try Syscall.writeAll(STDOUT_FILENO, $0, what: "write stdout") }
            return
        }
        var staging = try StagingFile(destination + ".partial-\(Extraction.randomSuffix())")
        defer { staging.close() }
        try copyFile(source) { try Syscall.writeAll(staging.fd, $0, what: "write \(staging.path)") }
        try staging.place(at: destination)
    }

    private func checkBlob(_ record: ArtifactRecord, rawDigest: Digest, path: String) throws {
        guard rawDigest == record.blob.digest else {
            throw SlipwayError.corrupt("\(record.digest): blob \(path) is corrupt (its bytes do not match sha256 \(record.blob.digest))")
        }
    }
}
