import Foundation
import SlipwayCore

/// Commands that take a host out of a load balancer's rotation (`drain`) and put it back
/// (`undrain`): what CodeDeploy does itself with an ELB in its BlockTraffic and AllowTraffic
/// steps, between the appspec's BeforeBlockTraffic/AfterBlockTraffic and
/// BeforeAllowTraffic/AfterAllowTraffic hooks. They run on the machine that deploys (where
/// the balancer's API or configuration is reachable), not on the host, with `SLIPWAY_HOST`
/// naming the host. A batch drains its hosts in parallel, so a command that edits a shared
/// file must take a lock of its own.
public struct TrafficControl: Sendable, Equatable {
    public var drain: String?
    public var undrain: String?
    /// Seconds each may run before its process group is killed and the step fails.
    public var timeout: TimeInterval = 120

    public init(drain: String? = nil, undrain: String? = nil) {
        self.drain = drain
        self.undrain = undrain
    }

    public var isEmpty: Bool { drain == nil && undrain == nil }

    enum Step: String {
        case block = "BlockTraffic", allow = "AllowTraffic"
        var word: String { self == .block ? "drain" : "undrain" }
    }

    /// Runs the step's command for `host` (none configured: nothing to do). Its output goes to
    /// `events`; a non-zero exit or a timeout throws, naming the command and its last lines.
    /// `context` is made only when there is a command: it hashes the target's name.
    func run(_ step: Step, host: any ReleaseHost, context makeContext: @autoclosure () -> HookContext, events: DeployEventSink) throws {
        guard let command = step == .block ? drain : undrain else { return }
        let context = makeContext()
        var environment = Command.baseEnvironment()
        environment.merge(context.variables) { $1 }
        environment.merge([
            "LIFECYCLE_EVENT": step.rawValue,
            "SLIPWAY_HOST": host.healthHost,
            "SLIPWAY_HOST_NAME": host.name,
            "SLIPWAY_TARGET_PATH": host.layout.root,
            "DEPLOYMENT_ID": context.deploymentID,
            "APPLICATION_NAME": context.applicationName,
            "DEPLOYMENT_GROUP_NAME": context.deploymentGroupName,
        ]) { $1 }
        events(DeployEvent(host: host.name, kind: .step, text: "\(step.rawValue): running the \(step.word) command"))
        var last = LastLines()
        let ending = try Command(["/bin/sh", "-c", command], environment: environment).runLines(timeout: timeout, grace: 2) { _, line in
            last.append(line)
            events(DeployEvent(host: host.name, kind: .hookOutput, text: "\(step.word): \(line)"))
        }
        let said = last.lines.suffix(3).joined(separator: "\n")
        switch ending {
        case .exited(0), .outputHeldOpen(0): return
        case .exited(let code), .outputHeldOpen(let code):
            throw SlipwayError.failed("\(step.rawValue): the \(step.word) command `\(command)` exited with status \(code)" + (said.isEmpty ? "" : ": " + said))
        case .timedOut:
            throw SlipwayError.failed("\(step.rawValue): the \(step.word) command `\(command)` ran longer than \(Int(timeout)) s; its process group was killed")
        }
    }
}
