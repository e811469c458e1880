import AsyncHTTPClient
import Foundation
import HTTPTransport
import SlipwayCore

extension S3Client {
    /// Uploads a file: one PUT up to `partSize`, a multipart upload above it (parts in
    /// parallel, each signed with its own SHA-256). A failed multipart upload is aborted, so no
    /// parts are left to pay for; the object appears whole or not at all.
    public func upload(_ path: String, to key: String, headers: [(name: String, value: String)] = [],
                       progress: (@Sendable (Int64) -> Void)? = nil) async throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SlipwayError.open(path) }
        defer { Syscall.close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw SlipwayError.system("stat \(path)") }
        let size = Int64(status.st_size)
        if size <= options.partSize {
            try await put(key, data: try Self.read(fd, offset: 0, count: Int(size), path: path), headers: headers)
            progress?(size)
            return
        }
        let created = try await send("POST", key: key, query: [("uploads", "")], headers: headers)
        guard created.status.code == 200 else { throw await failure(created, "POST (start a multipart upload)", key: key) }
        let answer = try await HTTPTransport.collect(created, limit: 1 << 20, what: "the answer to a multipart upload's start")
        guard let uploadID = S3XML.first("UploadId", in: answer) else {
            throw SlipwayError.failed("S3 endpoint \(endpointName) started a multipart upload of \(what(key)) without an UploadId")
        }
        do {
            let etags = try await uploadParts(fd, size: size, path: path, key: key, uploadID: uploadID, progress: progress)
            let parts = etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element)</ETag></Part>" }
            let body = Data("<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>".utf8)
            let completed = try await send("POST", key: key, query: [("uploadId", uploadID)], body: body)
            let text = try await HTTPTransport.collect(completed, limit: 1 << 20, what: "the answer to a multipart upload's completion")
            // S3 may answer 200 and put the error in the body.
            guard completed.status.code == 200, S3XML.first("Code", in: text) == nil else {
                throw SlipwayError.failed("S3 endpoint \(endpointName) refused to complete the upload of \(what(key)) (\(completed.status.code)\(S3XML.first("Code", in: text).map { " " + $0 } ?? ""))")
            }
        } catch {
            _ = try? await send("DELETE", key: key, query: [("uploadId", uploadID)])
            throw error
        }
    }

    private func uploadParts(_ fd: Int32, size: Int64, path: String, key: String, uploadID: String,
                             progress: (@Sendable (Int64) -> Void)?) async throws -> [String] {
        let partSize = Int64(options.partSize)
        let count = Int((size + partSize - 1) / partSize)
        return try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var etags = [String](repeating: "", count: count)
            var next = 0, done: Int64 = 0
            func start() {
                let number = next
                next += 1
                group.addTask {
                    let offset = Int64(number) * partSize
                    let length = Int(min(partSize, size - offset))
                    let bytes = try Self.read(fd, offset: offset, count: length, path: path)
                    let response = try await self.send("PUT", key: key, query: [("partNumber", String(number + 1)), ("uploadId", uploadID)], body: bytes)
                    guard response.status.code == 200, let etag = response.headers.first(name: "ETag") else {
                        throw await self.failure(response, "PUT (part \(number + 1) of \(count))", key: key)
                    }
                    _ = try? await response.body.collect(upTo: 1 << 16)
                    return (number, etag)
                }
            }
            while next < min(count, options.concurrency) { start() }
            while let (number, etag) = try await group.next() {
                etags[number] = etag
                done += min(partSize, size - Int64(number) * partSize)
                progress?(done)
                if next < count { start() }
            }
            return etags
        }
    }

    /// Downloads an object into `path` (through a temporary file beside it, renamed into place
    /// once whole), checking its SHA-256 against `digest` and its size against `size` when
    /// given: a corrupt or truncated object is refused and nothing is left at `path`.
    public func download(_ key: String, to path: String, digest: Digest?, size expected: Int64? = nil,
                         progress: (@Sendable (Int64) -> Void)? = nil) async throws {
        let response = try await send("GET", key: key)
        guard response.status.code == 200 else { throw await failure(response, "GET", key: key) }
        var staging = try StagingFile(path + ".part-\(getpid())", replacing: true)
        defer { staging.close() }
        var hasher = SHA256Stream()
        var received: Int64 = 0
        do {
            for try await buffer in response.body {
                try buffer.withUnsafeReadableBytes { bytes in
                    hasher.update(bytes)
                    try Syscall.writeAll(staging.fd, bytes, what: staging.path)
                }
                received += Int64(buffer.readableBytes)
                progress?(received)
            }
        } catch let error as SlipwayError {
            throw error
        } catch {
            throw SlipwayError.failed("\(what(key)): the download broke off after \(received) bytes: \(HTTPTransport.reason(error))", cause: error)
        }
        if let expected, received != expected {
            throw SlipwayError.corrupt("\(what(key)) at S3 endpoint \(endpointName) is \(received) bytes, not the \(expected) recorded; refused")
        }
        let actual = hasher.finalize()
        if let digest, actual != digest {
            throw SlipwayError.corrupt("\(what(key)) at S3 endpoint \(endpointName) is corrupt: its SHA-256 is \(actual), not \(digest); refused")
        }
        try staging.place(at: path)
    }

    static func read(_ fd: Int32, offset: Int64, count: Int, path: String) throws -> Data {
        var data = Data(count: count)
        var done = 0
        try data.withUnsafeMutableBytes { buffer in
            while done < count {
                let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw SlipwayError.system("read \(path)") }
                done += n
            }
        }
        return data
    }
}
