import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct DigestTests {
    static let hex = "ca1c3de1" + String(repeating: "0123456789abcdef", count: 3) + "01234567"
    static let text = "sha256:" + hex

    func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return (error as? SlipwayError)?.message ?? "\(error)" }
        return nil
    }

    @Test func parsesTheTextForm() throws {
        let d = try Digest(parsing: Self.text)
        #expect(d.hex == Self.hex)
        #expect(d.description == Self.text)
        #expect(d.short == "ca1c3de10123")
        #expect(try Digest(hex: Self.hex) == d)
    }

    @Test func refusalsSayWhatIsWrong() {
        #expect(message { _ = try Digest(parsing: Self.hex) }?.contains("expected sha256:<64 hex digits>") == true)
        #expect(message { _ = try Digest(parsing: "sha512:" + Self.hex) }?.contains("algorithm 'sha512'") == true)
        #expect(message { _ = try Digest(parsing: "sha256:abc") }?.contains("it has 3 hex digits, not 64") == true)
        #expect(message { _ = try Digest(parsing: Self.text + "0") }?.contains("it has 65 hex digits") == true)
        #expect(message { _ = try Digest(parsing: "sha256:" + Self.hex.uppercased()) }?
            .contains("'C' is not a lowercase hex digit") == true)
        #expect(message { _ = try Digest(parsing: "sha256:" + String(Self.hex.dropLast()) + "g") }?
            .contains("'g' is not a lowercase hex digit") == true)
        #expect(message { _ = try Digest(hex: "sha256:" + Self.hex) }?.contains("71 hex digits") == true)
        let error = (try? Digest(parsing: "x")) == nil
        #expect(error)
        #expect(throws: SlipwayError.self) { try Digest(parsing: "SHA256:" + Self.hex) }
    }

    @Test func hashesBytes() {
        // sha256("abc"), FIPS 180-2 appendix B.1.
        #expect(Digest.of(Data("abc".utf8)).description
            == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var stream = SHA256Stream()
        stream.update(Data("abc".utf8))
        #expect(stream.finalize() == Digest.of(Data("abc".utf8)))
    }

    @Test func codableAsThePlainString() throws {
        struct Record: Codable, Equatable { var digest: Digest; var blob: Digest? }
        let record = Record(digest: try Digest(parsing: Self.text), blob: nil)
        let json = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        #expect(json == #"{"digest":"\#(Self.text)"}"#)
        #expect(try JSONDecoder().decode(Record.self, from: Data(json.utf8)) == record)
        // A record written before the type existed reads back the same.
        let old = Data(#"{"digest":"\#(Self.text)","blob":"\#(Self.text)"}"#.utf8)
        #expect(try JSONDecoder().decode(Record.self, from: old).blob == record.digest)
        let bad = Data(#"{"digest":"sha256:nothex"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Record.self, from: bad) }
    }

    @Test func prefixesAsUsersTypeThem() throws {
        let d = try Digest(parsing: Self.text)
        for text in ["ca1c3de1", "sha256:ca1c", "CA1C3D", "SHA256:Ca1C", Self.text, Self.hex] {
            let p = try DigestPrefix(parsing: text)
            #expect(d.hasPrefix(p), "\(text)")
            #expect(p.description == text)
        }
        #expect(try DigestPrefix(parsing: Self.hex).digest == d)
        #expect(try DigestPrefix(parsing: "ca1c").digest == nil)
        #expect(!d.hasPrefix(try DigestPrefix(parsing: "ca1d")))
        #expect(message { _ = try DigestPrefix(parsing: "ca1") }?.contains("too short: give at least 4") == true)
        for text in ["", "sha256:", "xyz1", "ca1c-", Self.hex + "0", "ｃａ１ｃ", "sha512:ca1c"] {
            #expect(message { _ = try DigestPrefix(parsing: text) }?.contains("is not a digest") == true, "\(text)")
        }
        #expect(DigestPrefix.isPrefix("cafe") && !DigestPrefix.isPrefix("busybox"))
    }

    @Test func uniquePrefixLookup() throws {
        let a = try Digest(parsing: Self.text)
        let b = try Digest(hex: "ca1c3d" + String(repeating: "f", count: 58))
        let c = try Digest(hex: String(repeating: "0", count: 64))
        let all = [a, b, c]
        #expect(try DigestPrefix(parsing: "ca1c3de").unique(in: all, noun: "artifacts") == a)
        #expect(try DigestPrefix(parsing: "0000").unique(in: all, noun: "artifacts") == c)
        #expect(try DigestPrefix(parsing: "beef").unique(in: all, noun: "artifacts") == nil)
        let text = message { _ = try DigestPrefix(parsing: "ca1c").unique(in: all, noun: "images") }
        #expect(text == "digest prefix 'ca1c' is ambiguous: it matches 2 images "
            + "(sha256:ca1c3de101234567…, sha256:ca1c3dffffffffff…); give more digits")
    }
}
