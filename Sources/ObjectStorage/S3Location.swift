import SlipwayCore

/// `s3://BUCKET/PREFIX`: a bucket and a key prefix under which Slipway keeps its objects.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    /// The key prefix without leading or trailing `/` (may be empty).
    public var prefix: String

    /// Parses `text`, refusing what S3 would: bucket names are 3–63 characters of lowercase
    /// letters, digits, `.` and `-`, starting and ending with a letter or digit.
    public init(parsing text: String, field: String = "--artifacts") throws {
        guard text.hasPrefix("s3://") else {
            throw SlipwayError.badInput("\(field) \(text): expected s3://BUCKET[/PREFIX]")
        }
        let rest = text.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        let valid = (3...63).contains(bucket.count)
            && bucket.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" }
            && bucket.first.map { $0 != "." && $0 != "-" } == true && bucket.last.map { $0 != "." && $0 != "-" } == true
        guard valid else {
            throw SlipwayError.badInput("\(field) \(text): '\(bucket)' is not a valid bucket name (3-63 characters: lowercase letters, digits, '.' and '-', starting and ending with a letter or digit)")
        }
        self.bucket = bucket
        prefix = rest.dropFirst(bucket.count).split(separator: "/").joined(separator: "/")
    }

    /// The full key of `name` under the prefix.
    public func key(_ name: String) -> String { prefix.isEmpty ? name : prefix + "/" + name }

    public var description: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/" + prefix) }
}
