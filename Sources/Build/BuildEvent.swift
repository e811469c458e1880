import Foundation
import Specs

/// What a running build reports, in order, as it happens: the one stream the CLI display,
/// the stored log and a dashboard can all follow.
public enum BuildEvent: Sendable {
    /// The build has an id and a log; sent before anything else, also for a result-cache hit.
    case started(buildID: String, logPath: String)
    /// A log line; `container` marks Slipway's own `[Container]` lines. Secrets are masked.
    case log(String, container: Bool)
    case phaseStarted(BuildPhase.Name)
    case phaseFinished(PhaseResult)
}
