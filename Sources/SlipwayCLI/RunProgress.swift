import Foundation
import Pipeline
import State

/// Prints one run's progress on stderr from the orchestrator's event stream: stage changes
/// as they happen and the log lines under them.
struct RunProgress {
    let run: Int64
    var stages: [String: StageStatus] = [:]

    init(run: Int64) { self.run = run }

    mutating func show(_ event: RunEvent) {
        switch event {
        case let .log(chunk) where chunk.run == run:
            for line in chunk.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                Terminal.output("  │ " + line)
            }
        case let .run(record) where record.id == run:
            for stage in record.stages where stages[stage.name] != stage.status {
                stages[stage.name] = stage.status
                guard stage.status != .pending else { continue }
                let took = zip(stage.started, stage.finished).map { String(format: " (%.2f s)", $0.1.timeIntervalSince($0.0)) } ?? ""
                Terminal.note("▸ \(stage.name): \(stage.status.rawValue)\(took)\(stage.detail.map { " — " + $0 } ?? "")")
            }
        default: break
        }
    }
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}

/// Who is acting, for the audit trail.
enum CLIActor {
    static var current: String {
        let env = ProcessInfo.processInfo.environment
        if let name = env["SUDO_USER"] ?? env["USER"] ?? env["LOGNAME"] { return name }
        // Git hooks and services run without USER: the account's name.
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }
}
