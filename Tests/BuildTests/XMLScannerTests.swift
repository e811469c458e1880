import Foundation
import Testing
@testable import Build

/// JUnit reports are read without FoundationXML: the tags of a well-formed document, and a
/// refusal of anything else, so a broken report is listed as unreadable, not half-counted.
@Suite(.tags(.small)) struct XMLScannerTests {
    func events(_ text: String) throws(XMLScanner.Malformed) -> [XMLScanner.Event] {
        var scanner = XMLScanner(Data(text.utf8))
        var events: [XMLScanner.Event] = []
        try scanner.scan { events.append($0) }
        return events
    }

    func refusal(_ text: String) -> String? {
        do {
            _ = try events(text)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func tagsAttributesAndReferencesAreRead() throws {
        let document = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- produced by a test runner -->
            <!DOCTYPE testsuites [ <!ELEMENT testsuites ANY> <!-- a ] in a comment --> ]>
            <testsuites>
              <testsuite name='a &amp; b' time="1.5" note="&lt;&#65;&#x42;&quot;&apos;&gt;" tab="x\ty">
                <testcase name="c"><failure><![CDATA[ <not> & a tag ]]></failure></testcase>
                <testcase name="d"/>
                text &amp; more <?pi inside?>
              </testsuite>
            </testsuites>
            """
        let found = try events(document)
        #expect(found == [
            .start(name: "testsuites", attributes: [:]),
            .start(name: "testsuite", attributes: ["name": "a & b", "time": "1.5", "note": "<AB\"'>", "tab": "x y"]),
            .start(name: "testcase", attributes: ["name": "c"]),
            .start(name: "failure", attributes: [:]),
            .end(name: "failure"),
            .end(name: "testcase"),
            .start(name: "testcase", attributes: ["name": "d"]),
            .end(name: "testcase"),
            .end(name: "testsuite"),
            .end(name: "testsuites"),
        ])
    }

    @Test func byteOrderMarksAreHonoured() throws {
        var utf8 = Data([0xEF, 0xBB, 0xBF])
        utf8.append(Data("<testsuite><testcase name='é'/></testsuite>".utf8))
        var scanner = XMLScanner(utf8)
        var names: [String] = []
        try scanner.scan { if case .start(_, let attributes) = $0, let name = attributes["name"] { names.append(name) } }
        #expect(names == ["é"])
        let utf16 = try #require("<testsuite><testcase name='ü'/></testsuite>".data(using: .utf16))
        #expect(utf16.starts(with: [0xFF, 0xFE]) || utf16.starts(with: [0xFE, 0xFF]))
        scanner = XMLScanner(utf16)
        names = []
        try scanner.scan { if case .start(_, let attributes) = $0, let name = attributes["name"] { names.append(name) } }
        #expect(names == ["ü"])
    }

    @Test func whatIsNotWellFormedIsRefused() {
        let cases: [(String, String)] = [
            ("not xml", "text outside the root element"),
            ("", "no root element"),
            ("<?xml version='1.0'?>", "no root element"),
            ("<a><b></a>", "end tag </a> matches no open element"),
            ("<a>", "<a> is never closed"),
            ("<a></a><b/>", "a second root element"),
            ("<a></a> trailing", "text outside the root element"),
            ("<a x='1' x='2'/>", "attribute x given twice"),
            ("<a x=1/>", "attribute x has no quoted value"),
            ("<a x='1'y='2'/>", "expected space before an attribute"),
            ("<a x='<'/>", "'<' in an attribute value"),
            ("<a x='1", "unterminated attribute value"),
            ("<a>&nbsp;</a>", "unknown reference '&nbsp;'"),
            ("<a>fish & chips</a>", "'&' without a reference"),
            ("<a>&amp</a>", "'&' without a reference"),
            ("<a>&bogus;</a>", "unknown reference '&bogus;'"),
            ("<a><!-- a -- b --></a>", "'--' inside a comment"),
            ("<a><!-- open</a>", "unterminated comment"),
            ("<a><![CDATA[ open</a>", "unterminated CDATA section"),
            ("<a>]]></a>", "']]>' in text"),
            ("<1a/>", "expected a name"),
            ("<a></a><!DOCTYPE a>", "DOCTYPE after the root element"),
            ("<a", "unterminated tag"),
        ]
        for (text, reason) in cases {
            #expect(refusal(text) == reason, "\(text)")
        }
    }
}
