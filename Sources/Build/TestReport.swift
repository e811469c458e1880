import Foundation

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

    /// Adds the test cases of one JUnit XML document: `<testcase>` elements and their
    /// `<failure>`, `<error>` and `<skipped>` children, in `<testsuites>` or a bare
    /// `<testsuite>`. A file that is not well-formed XML counts nothing and is listed as
    /// unreadable.
    mutating func add(junitXML data: Data, file: String) {
        var counts = JUnitCounts()
        var scanner = XMLScanner(data)
        do {
            try scanner.scan { counts.add($0) }
        } catch {
            unreadable.append(file)
            return
        }
        files.append(file)
        total += counts.total
        failed += counts.failed
        errors += counts.errors
        skipped += counts.skipped
        passed += counts.total - counts.failed - counts.errors - counts.skipped
        duration += counts.duration
    }
}

/// The test cases of one document; a case's outcome is its first failure, error or skip.
private struct JUnitCounts {
    var total = 0, failed = 0, errors = 0, skipped = 0
    var duration: Double = 0
    private var inCase = false
    private var outcome: String?

    mutating func add(_ event: XMLScanner.Event) {
        switch event {
        case .start("testcase", let attributes):
            inCase = true
            outcome = nil
            duration += Double(attributes["time"] ?? "") ?? 0
        case .start(let element, _) where element == "failure" || element == "error" || element == "skipped":
            if inCase && outcome == nil { outcome = element }
        case .end("testcase"):
            inCase = false
            total += 1
            switch outcome {
            case "failure": failed += 1
            case "error": errors += 1
            case "skipped": skipped += 1
            default: break
            }
        default: break
        }
    }
}
