import Foundation

/// One finding about a spec file, printed as `FILE:LINE:COL: error|warning: message (key.path)`.
public struct Diagnostic: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Codable, Sendable { case error, warning }

    public var file: String
    public var line: Int
    public var column: Int
    public var severity: Severity
    public var message: String
    /// Dotted key path, e.g. `phases.build.commands[2]`.
    public var keyPath: String

    public var description: String {
        "\(file):\(line):\(column): \(severity.rawValue): \(message)" + (keyPath.isEmpty ? "" : " (\(keyPath))")
    }
}

extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// In the order of the file (line, then column; findings at one place keep their order),
    /// however the parser happened to visit the sections.
    public var inLineOrder: [Diagnostic] {
        enumerated().sorted { a, b in
            (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
        }.map(\.element)
    }
}

/// Which kind of spec a file is.
public enum SpecKind: String, Codable, Sendable, CaseIterable {
    case buildspec, appspec, pipeline
}
