import SlipwayAPI

/// Which run deployed each release, from the deploy stages of a pipeline's runs: the run says
/// who or what started it (a user, a push, a schedule), when, and which commit.
struct ReleaseDeployers: Sendable {
    private var runs: [ReleaseID: RunRecord] = [:]

    init(_ runs: [RunRecord] = []) {
        for run in runs {
            for stage in run.stages where stage.kind == .deploy && stage.status == .succeeded {
                if let release = stage.output?.release, self.runs[release] == nil { self.runs[release] = run }
            }
        }
    }

    subscript(release: ReleaseID) -> RunRecord? { runs[release] }

    /// Runs that deployed since.
    mutating func merge(_ other: ReleaseDeployers) { runs.merge(other.runs) { mine, _ in mine } }
}
