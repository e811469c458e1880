import Foundation
import Testing
@testable import SlipwayCore
import SlipwayTestSupport

/// Record times are written and read by hand in their canonical form; Foundation's ISO 8601
/// format style is the reference they must agree with to the bit.
@Suite(.tags(.small)) struct TimestampTests {
    static let reference = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    @Test func formatsAsFoundationDoes() {
        var generator = SystemRandomNumberGenerator()
        var dates = [0, -0.5, -1.0001, 1.9996, 951_782_400.25, 4_107_542_400.5, -62_135_596_800, 253_402_300_799]
            .map { Date(timeIntervalSince1970: $0) }
        for _ in 0..<5000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: -62_000_000_000...253_000_000_000, using: &generator)))
        }
        for date in dates {
            #expect(Timestamp.format(date) == Self.reference.format(date), "\(date.timeIntervalSince1970)")
        }
    }

    @Test func readsItsOwnFormAsFoundationDoes() throws {
        var generator = SystemRandomNumberGenerator()
        var texts = ["2026-12-01T19:33:34.123Z", "2024-02-29T00:00:00.000Z", "1970-01-01T00:00:00.000Z",
                     "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "2026-12-01T19:33:34Z",
                     "2026-12-01T19:33:34.1Z", "2026-12-01T19:33:34.123456789Z"]
        for _ in 0..<5000 {
            texts.append(Self.reference.format(Date(timeIntervalSince1970: Double.random(in: -62_000_000_000...253_000_000_000, using: &generator))))
        }
        for text in texts {
            let expected = try Self.reference.parse(text)
            #expect(Timestamp.parse(text) == expected, "\(text)")
            #expect((Canonical.parse(text) != nil) == (text >= "1900"), "\(text) is read by hand from 1900 on")
        }
        for text in texts.prefix(3) { #expect(Timestamp.format(try #require(Timestamp.parse(text))) == text) }
    }

    @Test func otherFormsAreLeftToFoundationAndNonsenseIsRefused() {
        #expect(Canonical.parse("2026-12-01T19:33:34.123+01:00") == nil)
        #expect(Timestamp.parse("2026-12-01T19:33:34.123+01:00") == (try? Self.reference.parse("2026-12-01T19:33:34.123+01:00")))
        for bad in ["", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-12-01T24:00:00Z",
                    "2026-12-01 19:33:34Z", "2026-12-01T19:33:34.Z", "2026-12-01T19:33:34.1234567890Z", "2026-1a-01T00:00:00Z"] {
            #expect(Canonical.parse(bad) == nil, "\(bad)")
            #expect(Timestamp.parse(bad) == (try? Self.reference.parse(bad)), "\(bad): as Foundation reads it")
        }
    }
}
