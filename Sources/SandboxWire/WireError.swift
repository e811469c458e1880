/// Why bytes on the spec or report pipe could not be encoded, decoded or accepted. The message
/// names the field and the value, so a report reads `read spec: memory is not a number: 12x`.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The input ended inside a frame, a key or a value.
        case truncated
        /// A frame longer than `WireFrame.maximumBodyLength`.
        case tooLarge
        /// Bytes that are not UTF-8.
        case notText
        /// A key or record kind this side does not know.
        case unknownKey
        /// A number field that does not parse, or a field given twice.
        case badValue
        /// A decoded spec that the helper must not apply (missing command, relative path, ...).
        case invalid
        /// A string that cannot be put on the wire (it holds a NUL byte).
        case unencodable
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
