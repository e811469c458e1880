import Foundation

/// The start and end tags of a well-formed XML document, in document order: enough to count
/// the test cases of a JUnit report, without FoundationXML, whose libxml2 and ICU every
/// `slipway` process would otherwise load and bind at start-up (docs/benchmarks.md, "Start-up").
///
/// A document that is not well-formed is refused as a whole: unbalanced or mismatched tags,
/// more or less than one root element, text outside it, a bad name or attribute, a duplicate
/// attribute, an unknown entity, an unterminated comment, CDATA section or processing
/// instruction. Entities defined in a DTD are not expanded (the internal subset is skipped),
/// as JUnit reports do not use them. UTF-8, with or without a byte-order mark, and UTF-16
/// with one.
struct XMLScanner {
    enum Event: Equatable {
        case start(name: String, attributes: [String: String])
        case end(name: String)
    }

    struct Malformed: Error, Equatable {
        /// Byte offset in the UTF-8 text.
        var offset: Int
        var reason: String
    }

    private let bytes: [UInt8]
    private var position = 0

    init(_ data: Data) {
        if data.starts(with: [0xFE, 0xFF]) || data.starts(with: [0xFF, 0xFE]) {
            let text = String(data: data, encoding: .utf16) ?? ""
            bytes = Array(text.utf8)
        } else if data.starts(with: [0xEF, 0xBB, 0xBF]) {
            bytes = Array(data.dropFirst(3))
        } else {
            bytes = Array(data)
        }
    }

    /// Calls `handle` for every tag (an empty-element tag is a start and an end), then returns;
    /// throws `Malformed` at the first thing that is not XML, after the events before it.
    mutating func scan(_ handle: (Event) -> Void) throws(Malformed) {
        var open: [String] = []
        var sawRoot = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte != UInt8(ascii: "<") {
                if open.isEmpty {
                    guard Self.isSpace(byte) else { throw fail("text outside the root element") }
                    position += 1
                } else {
                    try skipText()
                }
                continue
            }
            if starts(with: "<?") {
                try skip(past: "?>", what: "processing instruction")
            } else if starts(with: "<!--") {
                try skipComment()
            } else if starts(with: "<![CDATA[") {
                guard !open.isEmpty else { throw fail("CDATA outside the root element") }
                try skip(past: "]]>", what: "CDATA section")
            } else if starts(with: "<!DOCTYPE") {
                guard !sawRoot else { throw fail("DOCTYPE after the root element") }
                try skipDoctype()
            } else if starts(with: "</") {
                position += 2
                let name = try readName()
                skipSpace()
                try expect(">")
                guard let last = open.popLast(), last == name else { throw fail("end tag </\(name)> matches no open element") }
                handle(.end(name: name))
            } else {
                if open.isEmpty && sawRoot { throw fail("a second root element") }
                position += 1
                let name = try readName()
                let attributes = try readAttributes()
                sawRoot = true
                handle(.start(name: name, attributes: attributes))
                if starts(with: "/>") {
                    position += 2
                    handle(.end(name: name))
                } else {
                    try expect(">")
                    open.append(name)
                }
            }
        }
        guard sawRoot else { throw fail("no root element") }
        guard open.isEmpty else { throw fail("<\(open.last!)> is never closed") }
    }

    private func fail(_ reason: String) -> Malformed { Malformed(offset: position, reason: reason) }

    private func starts(with literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let pointer = literal.utf8Start
        for i in 0..<count where bytes[position + i] != pointer[i] { return false }
        return true
    }

    private mutating func expect(_ literal: StaticString) throws(Malformed) {
        guard starts(with: literal) else { throw fail("expected '\(literal)'") }
        position += literal.utf8CodeUnitCount
    }

    private mutating func skip(past terminator: StaticString, what: String) throws(Malformed) {
        while position < bytes.count {
            if starts(with: terminator) {
                position += terminator.utf8CodeUnitCount
                return
            }
            position += 1
        }
        throw fail("unterminated \(what)")
    }

    /// `<!-- … -->`, where `--` may not appear inside.
    private mutating func skipComment() throws(Malformed) {
        position += 4
        while position < bytes.count {
            if starts(with: "--") {
                guard starts(with: "-->") else { throw fail("'--' inside a comment") }
                position += 3
                return
            }
            position += 1
        }
        throw fail("unterminated comment")
    }

    /// `<!DOCTYPE name … [internal subset]>`: skipped, quoted strings and the subset included.
    private mutating func skipDoctype() throws(Malformed) {
        position += 9
        var inSubset = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                guard let close = bytes[(position + 1)...].firstIndex(of: byte) else { throw fail("unterminated DOCTYPE") }
                position = close + 1
                continue
            }
            if inSubset && starts(with: "<!--") {
                try skipComment()
                continue
            }
            position += 1
            if byte == UInt8(ascii: "[") { inSubset = true }
            if byte == UInt8(ascii: "]") { inSubset = false }
            if byte == UInt8(ascii: ">") && !inSubset { return }
        }
        throw fail("unterminated DOCTYPE")
    }

    /// Character data up to the next `<`; every `&` must start a reference.
    private mutating func skipText() throws(Malformed) {
        while position < bytes.count, bytes[position] != UInt8(ascii: "<") {
            if bytes[position] == UInt8(ascii: "&") {
                _ = try readReference()
            } else {
                if starts(with: "]]>") { throw fail("']]>' in text") }
                position += 1
            }
        }
    }

    private mutating func skipSpace() {
        while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
    }

    private mutating func readName() throws(Malformed) -> String {
        let start = position
        guard position < bytes.count, Self.isNameStart(bytes[position]) else { throw fail("expected a name") }
        position += 1
        while position < bytes.count, Self.isNameStart(bytes[position]) || Self.isNameByte(bytes[position]) { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func readAttributes() throws(Malformed) -> [String: String] {
        var attributes: [String: String] = [:]
        while true {
            let before = position
            skipSpace()
            guard position < bytes.count else { throw fail("unterminated tag") }
            if bytes[position] == UInt8(ascii: ">") || starts(with: "/>") { return attributes }
            guard position > before else { throw fail("expected space before an attribute") }
            let name = try readName()
            skipSpace()
            try expect("=")
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
                throw fail("attribute \(name) has no quoted value")
            }
            let value = try readQuoted()
            guard attributes.updateValue(value, forKey: name) == nil else { throw fail("attribute \(name) given twice") }
        }
    }

    /// A quoted attribute value with its references replaced and white space made spaces.
    private mutating func readQuoted() throws(Malformed) -> String {
        let quote = bytes[position]
        position += 1
        var value: [UInt8] = []
        while position < bytes.count, bytes[position] != quote {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "<"): throw fail("'<' in an attribute value")
            case UInt8(ascii: "&"): value += try readReference()
            case 0x09, 0x0A, 0x0D:
                value.append(UInt8(ascii: " "))
                position += 1
            default:
                value.append(byte)
                position += 1
            }
        }
        guard position < bytes.count else { throw fail("unterminated attribute value") }
        position += 1
        return String(decoding: value, as: UTF8.self)
    }

    /// `&amp;` and the four other predefined entities, `&#N;` and `&#xH;`, as UTF-8.
    private mutating func readReference() throws(Malformed) -> [UInt8] {
        guard let semicolon = bytes[position...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { throw fail("'&' without a reference") }
        let body = String(decoding: bytes[(position + 1)..<semicolon], as: UTF8.self)
        let scalar: Unicode.Scalar?
        switch body {
        case "amp": scalar = "&"
        case "lt": scalar = "<"
        case "gt": scalar = ">"
        case "quot": scalar = "\""
        case "apos": scalar = "'"
        default:
            if body.hasPrefix("#x") {
                scalar = UInt32(body.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
            } else if body.hasPrefix("#") {
                scalar = UInt32(body.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init)
            } else {
                scalar = nil
            }
        }
        guard let scalar else { throw fail("unknown reference '&\(body);'") }
        position = semicolon + 1
        return Array(String(Character(scalar)).utf8)
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
    private static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte >= 0x80
    }
    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
}
