import ArgumentParser
import Foundation
import SlipwayCore
import Specs

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check buildspec, appspec and pipeline files.",
        discussion: """
            Prints each finding as FILE:LINE:COL: error|warning: message (key.path). The kind of \
            file is detected from its content unless --kind is given.
            Exit status: 0 no errors, 1 some file has errors, 2 a file could not be read.
            """)

    @Argument(help: "The files to check.") var files: [String]
    @Option(help: "buildspec, appspec or pipeline (default: detected).") var kind: SpecKind?
    @Flag(help: "Print JSON: one entry per file with its kind and findings.") var json = false

    struct FileReport: Codable {
        var file: String
        var kind: SpecKind?
        var valid: Bool
        var diagnostics: [Diagnostic]
    }

    func run() throws {
        var reports: [FileReport] = []
        var unreadable = false
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                Terminal.error("\(file): cannot read the file")
                unreadable = true
                continue
            }
            let contents = String(decoding: data, as: UTF8.self)
            let kind = self.kind ?? SpecKind.detect(contents: contents, file: file)
            let diagnostics = Self.check(contents, file: file, kind: kind)
            reports.append(FileReport(file: file, kind: kind, valid: !diagnostics.hasErrors, diagnostics: diagnostics))
        }
        if json {
            try Terminal.json(reports)
        } else {
            for report in reports {
                for diagnostic in report.diagnostics { print(diagnostic.description) }
            }
        }
        if unreadable { throw ExitCode(2) }
        if reports.contains(where: { !$0.valid }) { throw ExitCode(1) }
    }

    static func check(_ contents: String, file: String, kind: SpecKind?) -> [Diagnostic] {
        switch kind {
        case .buildspec:
            return BuildSpec.parse(contents: contents, file: file).diagnostics
        case .appspec:
            return AppSpec.parse(contents: contents, file: file).diagnostics
        case .pipeline:
            return PipelineSpec.parse(contents: contents, file: file).diagnostics
        case nil:
            return [SpecLocation.start().diagnostic(.error, "cannot tell what kind of spec this is (no phases, hooks or stages); give --kind buildspec, appspec or pipeline",
                                                    file: file)]
        }
    }
}

extension SpecKind: ExpressibleByArgument {}
