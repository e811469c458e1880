import Foundation

/// JSON for `--json` output: sorted keys so scripts and golden files see a stable shape.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try Timestamp.encoder().encode(value), as: UTF8.self)
    }
}
