import Foundation
import SlipwayCore

/// Where an S3-compatible store is and how to sign for it, found as the AWS tools find them:
/// the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
/// `AWS_REGION`/`AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`, `AWS_PROFILE`),
/// then the profile's entries in `~/.aws/credentials` and `~/.aws/config` (or the files named
/// by `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`).
public struct S3Settings: Sendable {
    public var accessKey: String
    public var secretKey: String
    public var sessionToken: String?
    public var region: String
    /// `https://s3.REGION.amazonaws.com` unless an endpoint URL is set (MinIO, Ceph RGW, Garage…).
    public var endpoint: URL
    /// Where the credentials came from, for messages: "the environment" or "profile 'x' in FILE".
    public var source: String

    public init(accessKey: String, secretKey: String, sessionToken: String? = nil, region: String, endpoint: URL, source: String) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
        self.region = region
        self.endpoint = endpoint
        self.source = source
    }

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Settings {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let profile = environment["AWS_PROFILE"] ?? environment["AWS_DEFAULT_PROFILE"] ?? "default"
        let credentialsFile = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials"
        let configFile = environment["AWS_CONFIG_FILE"] ?? home + "/.aws/config"
        let credentials = try IniFile(path: credentialsFile)?.section(profile) ?? [:]
        let config = try IniFile(path: configFile)?.section(profile == "default" ? "default" : "profile " + profile) ?? [:]

        let accessKey: String, secretKey: String, token: String?, source: String
        if let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] {
            (accessKey, secretKey, token, source) = (key, secret, environment["AWS_SESSION_TOKEN"], "the environment (AWS_ACCESS_KEY_ID)")
        } else if let key = credentials["aws_access_key_id"] ?? config["aws_access_key_id"],
                  let secret = credentials["aws_secret_access_key"] ?? config["aws_secret_access_key"] {
            (accessKey, secretKey, token, source) = (key, secret, credentials["aws_session_token"] ?? config["aws_session_token"],
                                                     "profile '\(profile)' in \(credentials["aws_access_key_id"] != nil ? credentialsFile : configFile)")
        } else {
            throw SlipwayError.badInput("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile '\(profile)' aws_access_key_id and aws_secret_access_key in \(credentialsFile)")
        }
        let region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? config["region"] ?? "us-east-1"
        let endpointText = environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"] ?? config["endpoint_url"]
            ?? "https://s3.\(region).amazonaws.com"
        guard let endpoint = URL(string: endpointText), let scheme = endpoint.scheme, ["http", "https"].contains(scheme), endpoint.host != nil else {
            throw SlipwayError.badInput("S3 endpoint '\(endpointText)' is not an http(s) URL (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or endpoint_url)")
        }
        return S3Settings(accessKey: accessKey, secretKey: secretKey, sessionToken: token, region: region, endpoint: endpoint, source: source)
    }
}

/// The INI files of the AWS tools: `[section]` headers, `key = value` lines, `#`/`;` comments.
struct IniFile {
    var sections: [String: [String: String]] = [:]

    /// nil when the file does not exist; an unreadable or malformed file is an error naming the line.
    init?(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SlipwayError.badInput("\(path): cannot be read as UTF-8 text")
        }
        try self.init(text: text, path: path)
    }

    init(text: String, path: String) throws {
        var current: String?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw SlipwayError.badInput("\(path):\(index + 1): a section header must end with ']'") }
                current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                // Nested settings (`s3 =` followed by indented lines) start with a space: skipped.
                if raw.first == " " || raw.first == "\t" { continue }
                throw SlipwayError.badInput("\(path):\(index + 1): expected 'key = value'")
            }
            guard let section = current else { throw SlipwayError.badInput("\(path):\(index + 1): a setting before any [section]") }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            sections[section, default: [:]][key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
    }

    func section(_ name: String) -> [String: String]? { sections[name] }
}
