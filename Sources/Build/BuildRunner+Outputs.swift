import Artifacts
import Foundation
import SlipwayCore
import Specs

extension BuildRunner {
    /// Reads exported variables, packs the artifacts and summarises the reports, with the
    /// paths the build's shell expanded. An artifact that matches nothing fails the build.
    func collectOutputs(_ result: inout BuildResult, plan: OutputPlan, context: BuildContext) {
        let values = OutputPlan.readExpanded(context.controlDirectory + "/expanded")
        guard values.count == plan.expansions.count else {
            context.log.container("Artifact paths could not be read back from the build (expected \(plan.expansions.count) values, got \(values.count))")
            if result.status == .succeeded {
                result.status = .fault
                result.message = "the build's artifact paths could not be read back"
            }
            return
        }
        for (name, index) in plan.exported {
            result.exportedVariables[name] = context.masker.apply(values[index])
        }
        let map = ArtifactCollector.PathMap(sourceDirectory: SandboxLayout.sourceDirectory, workspace: context.workspace,
                                            exportDirectory: context.controlDirectory + "/export")
        let collector = ArtifactCollector(map: map)

        for report in plan.reports {
            result.reports.append(summarise(report, values: values, collector: collector, context: context))
        }

        guard !plan.artifacts.isEmpty else { return }
        context.log.container("Entering phase UPLOAD_ARTIFACTS")
        let store = ArtifactStore(home: home)
        for (index, artifact) in plan.artifacts.enumerated() {
            let what = artifact.id == "primary" ? "artifacts" : "secondary artifact '\(artifact.id)'"
            do {
                let selection = try collector.select(files: artifact.files.map { values[$0] },
                                                     baseDirectory: artifact.baseDirectory.map { values[$0] },
                                                     excludePaths: artifact.excludePaths.map { values[$0] },
                                                     discardPaths: artifact.spec.discardPaths,
                                                     keepSymlinks: artifact.spec.enableSymlinks, what: what)
                // By position, not identifier: an identifier is the buildspec's text, not a path.
                let staging = context.buildDir + "/artifact-\(index)"
                removeTree(staging)
                try ArtifactCollector.stage(selection, into: staging)
                defer { removeTree(staging) }
                let provenance = Provenance(sourceCommit: context.source.commit, sourcePath: context.source.directory,
                                            buildID: context.buildID,
                                            buildspecDigest: Digest.of(context.specData),
                                            imageDigest: context.request.image.digest)
                let record = try store.pack(directory: staging, mtime: context.epoch, provenance: provenance)
                let refName = "\(context.project)-\(context.number)" + (artifact.id == "primary" ? "" : "-" + Self.pathSafe(artifact.id, fallback: "secondary\(index)"))
                try store.addReference(kind: "builds", name: refName, digest: record.digest)
                let name = artifact.name.map { values[$0] }
                result.artifacts.append(BuiltArtifact(id: artifact.id, name: name, digest: record.digest,
                                                      files: record.files ?? selection.count, size: record.size))
                context.log.container("Stored \(what)\(name.map { " '\($0)'" } ?? ""): \(selection.count) files, \(record.digest)")
            } catch {
                context.log.container("Phase context status code: CLIENT_ERROR Message: \(error)")
                if result.status == .succeeded {
                    result.status = .failed
                    result.message = "\(error)"
                }
            }
        }
        context.log.container("Phase complete: UPLOAD_ARTIFACTS State: \(result.artifacts.count == plan.artifacts.count ? "SUCCEEDED" : "FAILED")")
    }

    private func summarise(_ plan: OutputPlan.Report, values: [String], collector: ArtifactCollector, context: BuildContext) -> TestReport {
        var report = TestReport(name: plan.spec.name, format: plan.spec.format.rawValue)
        let selection: [ArtifactCollector.Selection]
        do {
            selection = try collector.select(files: plan.files.map { values[$0] }, baseDirectory: plan.baseDirectory.map { values[$0] },
                                             excludePaths: [], discardPaths: false, keepSymlinks: false,
                                             what: "report group '\(plan.spec.name)'")
        } catch {
            context.log.container("Warning: \(error)")
            return report
        }
        for file in selection where plan.spec.format == .junitXML {
            guard let data = FileManager.default.contents(atPath: file.hostPath) else { continue }
            report.add(junitXML: data, file: file.artifactPath)
        }
        context.log.container("Report \(report.name): \(report.total) tests, \(report.passed) passed, \(report.failed) failed, \(report.errors) errors, \(report.skipped) skipped")
        return report
    }
}
