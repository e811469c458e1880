import Foundation
import SlipwayCore

/// CodeDeploy's minimum healthy hosts: how many hosts of a fleet stay in service while the
/// others switch. The rest switch together, batch after batch (CodeDeploy's OneAtATime is
/// "all but one", HalfAtATime "50%", AllAtOnce "0").
public enum MinimumHealthyHosts: Sendable, Equatable, CustomStringConvertible {
    /// A number of hosts (CodeDeploy's HOST_COUNT).
    case hosts(Int)
    /// A share of the fleet, rounded up (CodeDeploy's FLEET_PERCENT).
    case percent(Int)

    /// `3` or `75%`.
    public static func parse(_ text: String) throws -> MinimumHealthyHosts {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") {
            guard let n = Int(trimmed.dropLast()), (0...99).contains(n) else {
                throw SlipwayError.badInput("minimum healthy hosts '\(text)': a share must be 0% to 99% (100% would leave no host to deploy to)")
            }
            return .percent(n)
        }
        guard let n = Int(trimmed), n >= 0 else {
            throw SlipwayError.badInput("minimum healthy hosts '\(text)': give a number of hosts (0 or more) or a share such as 75%")
        }
        return .hosts(n)
    }

    /// How many hosts must stay in service in a fleet of `count`.
    public func minimum(of count: Int) -> Int {
        switch self {
        case .hosts(let n): return n
        case .percent(let p): return (count * p + 99) / 100
        }
    }

    /// How many hosts switch at a time in a fleet of `count`; throws when none could.
    public func batchSize(of count: Int) throws -> Int {
        let size = count - minimum(of: count)
        guard size >= 1 else {
            throw SlipwayError.badInput("minimum healthy hosts \(self) keeps all \(count) host\(count == 1 ? "" : "s") in service: "
                                        + "no host could be deployed to (lower it, or give a strategy)")
        }
        return size
    }

    public var description: String {
        switch self {
        case .hosts(let n): return "\(n)"
        case .percent(let p): return "\(p)%"
        }
    }
}
