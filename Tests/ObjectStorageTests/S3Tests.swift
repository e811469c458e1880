import Artifacts
import Foundation
import Synchronization
@testable import ObjectStorage
import SlipwayCore
import SlipwayTestSupport
import Testing

/// The S3 client and the artifact bucket against moto's S3 server with signatures enforced
/// (one server per test process): transfers, multipart uploads, verification, and the
/// answers of a store that refuses.
@Suite(.tags(.medium), .enabled(if: MotoServer.available)) struct S3Tests {
    let moto: MotoServer
    let directory: TemporaryDirectory
    /// A key prefix of this test's own in the shared bucket.
    let prefix = "t-\(UUID().uuidString.prefix(8).lowercased())"

    init() throws {
        moto = try MotoServer.shared()
        directory = try TemporaryDirectory("slipway-s3")
    }

    var settings: S3Settings { get throws { try S3Settings.fromEnvironment(moto.environment) } }

    func client(_ options: S3Client.Options = S3Client.Options()) throws -> S3Client {
        S3Client(settings: try settings, bucket: MotoServer.bucket, options: options)
    }

    func randomFile(_ name: String, megabytes: Int) throws -> String {
        let path = directory.path + "/" + name
        let made = try Program.run("/bin/sh", ["-c", "head -c \(megabytes)M /dev/urandom > '\(path)'"])
        #expect(made.status == 0)
        return path
    }

    @Test func objectsGoUpAndComeBack() async throws {
        let s3 = try client()
        // Keys are sent encoded once, as botocore sends them; moto's signature check (like
        // botocore's requests to it) fails on keys with '+', '=' or non-ASCII, so these tests
        // keep to what it checks right. Slipway's own keys are hex digits.
        let key = "\(prefix)/a dir/key~1.txt"
        #expect(try await s3.size(of: key) == nil)
        try await s3.put(key, data: Data("hello\n".utf8))
        #expect(try await s3.size(of: key) == 6)
        #expect(try await s3.data(key) == Data("hello\n".utf8))
        try await s3.delete(key)
        #expect(try await s3.data(key) == nil)
    }

    @Test func largeFilesGoUpInPartsAndDownloadsAreChecked() async throws {
        var options = S3Client.Options()
        options.partSize = 5 << 20
        let s3 = try client(options)
        let source = try randomFile("big", megabytes: 23)
        let digest = try Digest(hex: try SHA256Stream.hex(ofFile: source))
        let seen = Counter()
        try await s3.upload(source, to: "\(prefix)/big", progress: { seen.set($0) })
        #expect(seen.value == 23 << 20)
        #expect(try await s3.size(of: "\(prefix)/big") == 23 << 20)
        let copy = directory.path + "/copy"
        try await s3.download("\(prefix)/big", to: copy, digest: digest, size: 23 << 20)
        #expect(try SHA256Stream.hex(ofFile: copy) == digest.hex)

        // The same object checked against another digest: refused, nothing left behind.
        let other = Digest.of(Data("something else".utf8))
        let refused = directory.path + "/refused"
        let error = await #expect(throws: SlipwayError.self) {
            try await s3.download("\(prefix)/big", to: refused, digest: other)
        }
        #expect(error?.message.contains("is corrupt: its SHA-256 is \(digest), not \(other); refused") == true, "\(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("refused") }.isEmpty)
    }

    @Test func wrongCredentialsAreRefusedWithEndpointAndBucketNamed() async throws {
        var wrong = try settings
        wrong.secretKey = "not-the-secret"
        let s3 = S3Client(settings: wrong, bucket: MotoServer.bucket)
        let error = await #expect(throws: SlipwayError.self) { try await s3.put("\(prefix)/x", data: Data("x".utf8)) }
        let message = error?.message ?? ""
        #expect(message.contains("S3 endpoint 127.0.0.1:") && message.contains("refused PUT s3://\(MotoServer.bucket)/\(prefix)/x (403 SignatureDoesNotMatch"), "\(message)")
        #expect(message.contains("credentials from the environment (AWS_ACCESS_KEY_ID)"), "\(message)")
    }

    @Test func aMissingBucketIsNamed() async throws {
        let s3 = S3Client(settings: try settings, bucket: "no-such-bucket-here")
        let error = await #expect(throws: SlipwayError.self) { try await s3.checkBucket() }
        #expect(error?.message.hasPrefix("bucket 'no-such-bucket-here' does not exist at S3 endpoint 127.0.0.1:") == true, "\(String(describing: error))")
        let put = await #expect(throws: SlipwayError.self) { try await s3.put("k", data: Data()) }
        #expect(put?.message.contains("bucket 'no-such-bucket-here' does not exist") == true, "\(String(describing: put))")
    }

    @Test(.timeLimit(.minutes(1))) func aHangingEndpointTimesOut() async throws {
        // A listener that accepts (the kernel does) and never answers.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 8) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        var hanging = try settings
        hanging.endpoint = URL(string: "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))")!
        var options = S3Client.Options()
        options.readTimeout = .seconds(1)
        options.attempts = 2
        options.retryDelay = .milliseconds(10)
        let s3 = S3Client(settings: hanging, bucket: MotoServer.bucket, options: options)
        let started = ContinuousClock.now
        let error = await #expect(throws: SlipwayError.self) { try await s3.data("k") }
        #expect(ContinuousClock.now - started < .seconds(60), "gave up rather than hanging")
        #expect(error?.message.contains("read timed out (tried 2 times)") == true, "\(String(describing: error))")
    }

    // MARK: - The artifact bucket

    @Test func artifactsGoThroughTheBucketToAnotherStoreChecked() async throws {
        let tree = directory.path + "/tree"
        try FileManager.default.createDirectory(atPath: tree + "/bin", withIntermediateDirectories: true)
        try Data("#!/bin/sh\necho hi\n".utf8).write(to: URL(fileURLWithPath: tree + "/bin/app"))
        _ = try randomFile("tree/data", megabytes: 2)
        let first = ArtifactStore(root: directory.path + "/first")
        let record = try first.pack(directory: tree)
        let location = try S3Location(parsing: "s3://\(MotoServer.bucket)/\(prefix)/artifacts")
        let bucket = ArtifactBucket(location: location, settings: try settings)

        #expect(try await bucket.push(record, from: first) == .transferred)
        #expect(try await bucket.push(record, from: first) == .present)

        let second = ArtifactStore(root: directory.path + "/second")
        let (fetched, outcome) = try await bucket.fetch(record.digest, into: second)
        #expect(outcome == .transferred && fetched.digest == record.digest)
        try second.verify(try second.record(record.digest))
        #expect(try await bucket.fetch(record.digest, into: second).1 == .present)

        // Someone replaces the blob in the bucket: the fetch refuses it and stores nothing.
        try await bucket.client.put(bucket.blobKey(record.digest), data: Data("tampered".utf8))
        let third = ArtifactStore(root: directory.path + "/third")
        let error = await #expect(throws: SlipwayError.self) { _ = try await bucket.fetch(record.digest, into: third) }
        #expect(error?.message.contains("is \(8) bytes, not the \(record.blob.size) recorded; refused") == true, "\(String(describing: error))")
        #expect(throws: SlipwayError.self) { try third.record(record.digest) }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: third.root + "/tmp")) ?? []).isEmpty)

        let missing = Digest.of(Data("never stored".utf8))
        let absent = await #expect(throws: SlipwayError.self) { _ = try await bucket.fetch(missing, into: third) }
        #expect(absent?.message == "no artifact \(missing) in \(location) (at S3 endpoint \(bucket.client.endpointName))")
    }
}

/// The last value a progress callback gave.
final class Counter: Sendable {
    private let storage = Mutex<Int64>(0)
    func set(_ value: Int64) { storage.withLock { $0 = value } }
    var value: Int64 { storage.withLock { $0 } }
}
