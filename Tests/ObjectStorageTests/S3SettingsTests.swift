import Foundation
@testable import ObjectStorage
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct S3SettingsTests {
    @Test func locationsParseAndRefuseBadBuckets() throws {
        let location = try S3Location(parsing: "s3://team-artifacts/ci//builds/")
        #expect(location.bucket == "team-artifacts" && location.prefix == "ci/builds")
        #expect(location.key("blobs/x") == "ci/builds/blobs/x")
        #expect(try S3Location(parsing: "s3://abc").prefix == "")
        for bad in ["s3://AB", "s3://Upper", "https://b/x", "s3://-abc", "s3://a_b"] {
            #expect(throws: SlipwayError.self) { try S3Location(parsing: bad) }
        }
        let error = try #require(throws: SlipwayError.self) { try S3Location(parsing: "s3://My_Bucket/x") }
        #expect(error.message.contains("'My_Bucket' is not a valid bucket name"))
    }

    @Test func theEnvironmentWins() throws {
        let settings = try S3Settings.fromEnvironment(["HOME": "/nonexistent", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
                                                       "AWS_SESSION_TOKEN": "T", "AWS_REGION": "eu-west-1",
                                                       "AWS_ENDPOINT_URL": "http://127.0.0.1:9000"])
        #expect(settings.accessKey == "AK" && settings.secretKey == "SK" && settings.sessionToken == "T")
        #expect(settings.region == "eu-west-1" && settings.endpoint.absoluteString == "http://127.0.0.1:9000")
        let aws = try S3Settings.fromEnvironment(["HOME": "/nonexistent", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
                                                  "AWS_DEFAULT_REGION": "ap-south-1"])
        #expect(aws.endpoint.absoluteString == "https://s3.ap-south-1.amazonaws.com")
    }

    @Test func profilesComeFromTheSharedFiles() throws {
        let directory = try TemporaryDirectory("slipway-aws")
        try FileManager.default.createDirectory(atPath: directory.path + "/.aws", withIntermediateDirectories: true)
        try Data("""
            [default]
            aws_access_key_id = DEFAULTKEY
            aws_secret_access_key = defaultsecret
            # a comment
            [ci]
            aws_access_key_id=CIKEY
            aws_secret_access_key=cisecret

            """.utf8).write(to: URL(fileURLWithPath: directory.path + "/.aws/credentials"))
        try Data("""
            [profile ci]
            region = eu-central-1
            endpoint_url = http://minio.internal:9000
            s3 =
              addressing_style = path

            """.utf8).write(to: URL(fileURLWithPath: directory.path + "/.aws/config"))
        let ci = try S3Settings.fromEnvironment(["HOME": directory.path, "AWS_PROFILE": "ci"])
        #expect(ci.accessKey == "CIKEY" && ci.secretKey == "cisecret" && ci.region == "eu-central-1")
        #expect(ci.endpoint.absoluteString == "http://minio.internal:9000")
        #expect(ci.source == "profile 'ci' in \(directory.path)/.aws/credentials")
        let standard = try S3Settings.fromEnvironment(["HOME": directory.path])
        #expect(standard.accessKey == "DEFAULTKEY" && standard.region == "us-east-1")
    }

    @Test func missingCredentialsAndBadFilesAreNamed() throws {
        let none = try #require(throws: SlipwayError.self) { try S3Settings.fromEnvironment(["HOME": "/nonexistent"]) }
        #expect(none.message.contains("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"))
        let directory = try TemporaryDirectory("slipway-aws-bad")
        try Data("[default\naws_access_key_id = x\n".utf8).write(to: URL(fileURLWithPath: directory.path + "/credentials"))
        let bad = try #require(throws: SlipwayError.self) {
            try S3Settings.fromEnvironment(["HOME": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": directory.path + "/credentials"])
        }
        #expect(bad.message == "\(directory.path)/credentials:1: a section header must end with ']'")
        let endpoint = try #require(throws: SlipwayError.self) {
            try S3Settings.fromEnvironment(["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_ENDPOINT_URL": "ftp://x"])
        }
        #expect(endpoint.message.contains("S3 endpoint 'ftp://x' is not an http(s) URL"))
    }
}
