import Foundation
import Specs

/// A progress line from the driver script: `<nonce> <event> <args...>`.
enum BuildMarker: Equatable {
    case phaseStarted(BuildPhase.Name)
    /// `index` is `3` for commands[3], `f1` for finally[1].
    case commandStarted(BuildPhase.Name, index: String)
    case commandFinished(BuildPhase.Name, index: String, status: Int32)
    case retrying(BuildPhase.Name, attempt: Int)
    case phaseFinished(BuildPhase.Name, succeeded: Bool)
    case cacheRestored(status: Int32)
    case collecting
    case collectFailed(status: Int32)
    case cacheSaved(status: Int32)
    case done(failed: Bool)

    /// Splits a line into the output before the marker (a command's last line may lack its
    /// newline) and the marker itself; nil when the line holds no marker.
    static func parse(_ line: String, nonce: String) -> (before: String, marker: BuildMarker?)? {
        guard let range = line.range(of: nonce + " ") else { return nil }
        let before = String(line[..<range.lowerBound])
        let words = line[range.upperBound...].split(separator: " ").map(String.init)
        return (before, marker(words))
    }

    private static func marker(_ w: [String]) -> BuildMarker? {
        func phase(_ i: Int) -> BuildPhase.Name? { i < w.count ? BuildPhase.Name(rawValue: w[i]) : nil }
        func int(_ i: Int) -> Int32? { i < w.count ? Int32(w[i]) : nil }
        switch w.first {
        case "phase": return phase(1).map { .phaseStarted($0) }
        case "cmd": return phase(1).flatMap { p in w.count > 2 ? .commandStarted(p, index: w[2]) : nil }
        case "status": return phase(1).flatMap { p in int(3).map { .commandFinished(p, index: w[2], status: $0) } }
        case "retry": return phase(1).flatMap { p in int(2).map { .retrying(p, attempt: Int($0)) } }
        case "end": return phase(1).map { .phaseFinished($0, succeeded: w.count > 2 && w[2] == "SUCCEEDED") }
        case "cache-restored": return int(1).map { .cacheRestored(status: $0) }
        case "collect": return .collecting
        case "collect-failed": return int(1).map { .collectFailed(status: $0) }
        case "cache-saved": return int(1).map { .cacheSaved(status: $0) }
        case "done": return .done(failed: w.count > 1 && w[1] != "0")
        default: return nil
        }
    }
}
