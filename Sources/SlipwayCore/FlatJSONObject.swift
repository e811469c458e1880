/// Reads a JSON object whose values are all strings (`{"a":"x","b":"y"}`), the shape of the
/// records Slipway appends to journals, about twenty times faster than `JSONDecoder`: a target's
/// journal holds a line per deploy and switch, and every rollback reads all of it.
/// Anything else (another value type, a repeated key, bad JSON) gives nil, for the caller
/// to leave to `JSONDecoder`, so what is read never differs from what it would read.
public enum FlatJSONObject {
    public static func strings(_ text: String) -> [String: String]? {
        strings(Array(text.utf8)[...])
    }

    /// Concrete, not generic over collections: unspecialised across modules, a generic
    /// reader took 190 instructions a byte.
    public static func strings(_ bytes: ArraySlice<UInt8>) -> [String: String]? {
        var reader = Reader(bytes: bytes, at: bytes.startIndex)
        return reader.object()
    }

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var at: Int

        mutating func object() -> [String: String]? {
            skipSpace()
            guard take(UInt8(ascii: "{")) else { return nil }
            var fields = [String: String](minimumCapacity: 8)
            skipSpace()
            if take(UInt8(ascii: "}")) { return end() ? fields : nil }
            repeat {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let value = string(), fields.updateValue(value, forKey: key) == nil else { return nil }
                skipSpace()
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { return nil }
            return end() ? fields : nil
        }

        mutating func end() -> Bool {
            skipSpace()
            return at == bytes.endIndex
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard at < bytes.endIndex, bytes[at] == byte else { return false }
            at += 1
            return true
        }

        mutating func skipSpace() {
            while at < bytes.endIndex {
                switch bytes[at] {
                case 0x20, 0x09, 0x0a, 0x0d: at += 1
                default: return
                }
            }
        }

        /// A string, its escapes decoded; nil for a raw control character, a bad escape, a
        /// lone surrogate or bytes that are not UTF-8.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            // Most strings have no escapes: taken whole.
            let start = at
            while at < bytes.endIndex, bytes[at] >= 0x20, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\") { at += 1 }
            if at < bytes.endIndex, bytes[at] == UInt8(ascii: "\"") {
                at += 1
                return text(bytes[start..<(at - 1)])
            }
            var out = Array(bytes[start..<at])
            while at < bytes.endIndex {
                let byte = bytes[at]
                at += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return text(out[...])
                case UInt8(ascii: "\\"):
                    guard at < bytes.endIndex else { return nil }
                    let escape = bytes[at]
                    at += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0c)
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let scalar = unicodeEscape() else { return nil }
                        out.append(contentsOf: String(Character(scalar)).utf8)
                    default: return nil
                    }
                case 0..<0x20:
                    return nil
                default:
                    out.append(byte)
                }
            }
            return nil
        }

        /// UTF-8 bytes as a string; nil when they are not UTF-8. ASCII, the usual case, is
        /// checked by a plain loop (the generic validation took 2,000 instructions a string).
        func text(_ utf8: ArraySlice<UInt8>) -> String? {
            if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
            return String(validating: utf8, as: UTF8.self)
        }

        /// The scalar of `\uXXXX` (after the `u`), a surrogate pair joined.
        mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let high = hex4() else { return nil }
            if (0xD800..<0xDC00).contains(high) {
                guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            }
            return Unicode.Scalar(high)
        }

        mutating func hex4() -> UInt32? {
            guard at + 4 <= bytes.endIndex else { return nil }
            var value: UInt32 = 0
            for byte in bytes[at..<(at + 4)] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            at += 4
            return value
        }
    }
}
