import ArgumentParser
import Server
import SlipwayCore

/// `slipway serve`'s connection limits; each flag overrides the default
/// (`ConnectionLimits.defaults`).
struct ConnectionLimitOptions: ParsableArguments {
    @Option(help: """
        Open connections kept at most (default: 4096, or fewer when `ulimit -n` leaves less room); \
        past it the longest-idle connection is closed to admit a new one.
        """)
    var maxConnections: Int?
    @Option(help: "Time a client has to send a complete request head, e.g. 10s (the default).")
    var headerTimeout: SandboxDuration?
    @Option(help: "Time a kept-alive connection may wait for its next request, e.g. 60s (the default).")
    var idleTimeout: SandboxDuration?

    /// The defaults under the descriptor limit, raised first to the hard limit as servers do,
    /// with the flags given applied.
    func limits() throws -> ConnectionLimits {
        let descriptors = ConnectionLimits.raiseDescriptorLimit()
        var limits = ConnectionLimits.defaults(descriptorLimit: descriptors)
        if let maxConnections {
            guard maxConnections > 0 else { throw SlipwayError.badInput("--max-connections must be a positive number") }
            limits.maxConnections = maxConnections
            let room = descriptors - ConnectionLimits.reserve(descriptors)
            if maxConnections > room {
                Terminal.note("""
                    warning: --max-connections \(maxConnections) is more than the \(room) connections the descriptor limit \
                    (ulimit -n: \(descriptors)) leaves room for; accept() may run out of descriptors
                    """)
            }
        }
        if let headerTimeout { limits.headerTimeout = .milliseconds(Int64(headerTimeout.seconds * 1000)) }
        if let idleTimeout { limits.idleTimeout = .milliseconds(Int64(idleTimeout.seconds * 1000)) }
        return limits
    }
}
