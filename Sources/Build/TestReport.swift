import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Totals of one report group (`reports.<name>`), from its JUnit XML files.
public struct TestReport: Codable, Sendable, Equatable {
    public var name: String
    public var format: String
    public var files: [String] = []
    public var total = 0
    public var passed = 0
    public var failed = 0
    public var errors = 0
    public var skipped = 0
    /// Seconds, summed over test cases.
    public var duration: Double = 0
    /// Files that could not be read as JUnit XML.
    public var unreadable: [String] = []

    public init(name: String, format: String) {
        self.name = name
        self.format = format
    }

    /// Adds the test cases of one JUnit XML document.
    mutating func add(junitXML data: Data, file: String) {
        let reader = JUnitReader()
        let parser = XMLParser(data: data)
        parser.delegate = reader
        guard parser.parse() else {
            unreadable.append(file)
            return
        }
        files.append(file)
        total += reader.total
        failed += reader.failed
        errors += reader.errors
        skipped += reader.skipped
        passed += reader.total - reader.failed - reader.errors - reader.skipped
        duration += reader.duration
    }
}

/// Counts `<testcase>` elements and their `<failure>`, `<error>` and `<skipped>` children;
/// works for both `<testsuites>` and bare `<testsuite>` documents.
private final class JUnitReader: NSObject, XMLParserDelegate {
    var total = 0, failed = 0, errors = 0, skipped = 0
    var duration: Double = 0
    private var inCase = false
    private var outcome: String?

    func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        switch element {
        case "testcase":
            inCase = true
            outcome = nil
            duration += Double(attributes["time"] ?? "") ?? 0
        case "failure", "error", "skipped":
            if inCase && outcome == nil { outcome = element }
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        guard element == "testcase" else { return }
        inCase = false
        total += 1
        switch outcome {
        case "failure": failed += 1
        case "error": errors += 1
        case "skipped": skipped += 1
        default: break
        }
    }
}
