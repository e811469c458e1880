import Foundation
@testable import ObjectStorage
import SlipwayTestSupport
import Testing

/// SigV4 against the answers AWS publishes: the signature test suite's `get-vanilla`, the key
/// derivation example of the IAM documentation, and the S3 documentation's GET, PUT and
/// list examples.
@Suite(.tags(.small)) struct SigV4Tests {
    static let suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let s3Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)     // 2013-05-24T00:00:00Z

    @Test func getVanillaFromTheSignatureTestSuite() {
        let signer = SigV4(accessKey: "AKIDEXAMPLE", secretKey: Self.suiteSecret, region: "us-east-1", service: "service")
        #expect(SigV4.amzDate(Self.suiteDate) == "20150830T123600Z")
        let request = SigV4.Request(method: "GET", path: "/", headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")],
                                    payloadHash: SigV4.emptyPayloadHash)
        #expect(signer.authorization(request, at: Self.suiteDate)
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func signingKeyOfTheDocumentedExample() {
        let signer = SigV4(accessKey: "AKIDEXAMPLE", secretKey: Self.suiteSecret, region: "us-east-1", service: "iam")
        let key = signer.signingKey(day: "20120215").withUnsafeBytes { SigV4.hex($0) }
        #expect(key == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    var s3: SigV4 { SigV4(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: Self.s3Secret, region: "us-east-1") }

    func signature(_ request: SigV4.Request) -> Substring {
        let header = s3.authorization(request, at: Self.s3Date)
        return header[header.range(of: "Signature=")!.upperBound...]
    }

    @Test func s3GetObjectExample() {
        let request = SigV4.Request(method: "GET", path: "/test.txt", headers: [
            ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", SigV4.emptyPayloadHash), ("x-amz-date", "20130524T000000Z"),
        ], payloadHash: SigV4.emptyPayloadHash)
        #expect(signature(request) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func s3PutObjectExampleEncodesTheKey() {
        let payload = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"  // "Welcome to Amazon S3."
        let request = SigV4.Request(method: "PUT", path: "/" + SigV4.encode("test$file.text", keepSlash: true), headers: [
            ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-date", "20130524T000000Z"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"), ("x-amz-content-sha256", payload),
        ], payloadHash: payload)
        #expect(signature(request) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func s3ListAndSubresourceExamplesSortTheQuery() {
        let headers: [(name: String, value: String)] = [("Host", "examplebucket.s3.amazonaws.com"),
                                                        ("x-amz-content-sha256", SigV4.emptyPayloadHash), ("x-amz-date", "20130524T000000Z")]
        let list = SigV4.Request(method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: headers,
                                 payloadHash: SigV4.emptyPayloadHash)
        #expect(signature(list) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
        let lifecycle = SigV4.Request(method: "GET", path: "/", query: [("lifecycle", "")], headers: headers, payloadHash: SigV4.emptyPayloadHash)
        #expect(signature(lifecycle) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func headerValuesAreTrimmedAndFolded() {
        let (text, signed) = SigV4.canonicalRequest(SigV4.Request(method: "GET", path: "/", headers: [
            ("Host", "h"), ("My-Header1", "  a   b   c  "), ("my-header1", "d"),
        ], payloadHash: "UNSIGNED-PAYLOAD"))
        #expect(signed == "host;my-header1")
        #expect(text.contains("my-header1:a b c,d\n"))
    }

    @Test func encodingKeepsOnlyUnreservedCharacters() {
        #expect(SigV4.encode("a b/c~d_e.f-g") == "a%20b%2Fc~d_e.f-g")
        #expect(SigV4.encode("dir/ü+x", keepSlash: true) == "dir/%C3%BC%2Bx")
    }
}
