import AsyncHTTPClient
import Foundation
import HTTPTransport
import SlipwayCore

/// What a site deploy needs beyond plain transfers: server-side copies, a write that only
/// creates, an object's user metadata, and listings.
extension S3Client {
    /// Copies `source` (a key of this bucket) to `key` on the server, nothing passing through
    /// this machine. `headers` replace the copy's metadata (Content-Type, Cache-Control,
    /// x-amz-meta-…) when given; without them the source's are kept.
    public func copy(_ source: String, to key: String, headers: [(name: String, value: String)] = []) async throws {
        var all: [(name: String, value: String)] = [("x-amz-copy-source", "/" + SigV4.encode(bucket) + "/" + SigV4.encode(source, keepSlash: true))]
        all.append(("x-amz-metadata-directive", headers.isEmpty ? "COPY" : "REPLACE"))
        all += headers
        let response = try await send("PUT", key: key, headers: all)
        let body = await Self.errorBody(response)
        // A copy may answer 200 and put its error in the body.
        guard response.status.code == 200, S3XML.first("Code", in: body) == nil else {
            if response.status.code == 404 || S3XML.first("Code", in: body) == "NoSuchKey" {
                throw SlipwayError.notFound("\(what(source)): no such object at S3 endpoint \(endpointName) to copy to \(key)")
            }
            throw failure(response, body: body, "PUT (copy from \(source))", key: key)
        }
    }

    /// Creates `key` only if there is no object under it (`If-None-Match: *`, which AWS S3,
    /// MinIO and Ceph RGW honour); false when one was there.
    public func create(_ key: String, data: Data) async throws -> Bool {
        let response = try await send("PUT", key: key, body: data, headers: [("If-None-Match", "*")])
        switch response.status.code {
        case 200:
            _ = try? await response.body.collect(upTo: 1 << 16)
            return true
        case 412, 409:
            _ = try? await response.body.collect(upTo: 1 << 16)
            return false
        default: throw await failure(response, "PUT (create)", key: key)
        }
    }

    /// An object's `x-amz-meta-NAME` values (names lower-cased, without the prefix), or nil
    /// when there is no object under `key`.
    public func metadata(of key: String) async throws -> [String: String]? {
        let response = try await send("HEAD", key: key)
        switch response.status.code {
        case 200:
            var values: [String: String] = [:]
            for header in response.headers where header.name.lowercased().hasPrefix("x-amz-meta-") {
                values[String(header.name.lowercased().dropFirst("x-amz-meta-".count))] = header.value
            }
            return values
        case 404:
            try await checkBucket()
            return nil
        default: throw await failure(response, "HEAD", key: key)
        }
    }

    /// Every key under `prefix` (ListObjectsV2, a page of up to 1,000 keys per request).
    public func keys(under prefix: String) async throws -> [String] {
        var keys: [String] = []
        var token: String?
        repeat {
            var query: [(name: String, value: String)] = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try await send("GET", key: nil, query: query)
            guard response.status.code == 200 else { throw await failure(response, "GET (list \(prefix))", key: nil) }
            let body = try await HTTPTransport.collect(response, limit: 64 << 20, what: "the listing of \(what(prefix))")
            keys += S3XML.all("Key", in: body)
            token = S3XML.first("IsTruncated", in: body) == "true" ? S3XML.first("NextContinuationToken", in: body) : nil
        } while token != nil
        return keys
    }
}
