import Foundation

/// How long a connection may take and how many the service keeps open.
///
/// A client has `headerTimeout` to send a complete request head, counted from the
/// connection's start or, on a kept-alive connection, from the first byte of the next
/// request; a kept-alive connection may sit idle for `idleTimeout`; a request body must make
/// progress every `bodyTimeout`. A response being written (a live log stream) has no limit.
/// Past `maxConnections` the longest-idle connection that has no request under way is
/// closed to admit the new one; when every connection is busy, new ones wait in the kernel's
/// backlog until one closes.
public struct ConnectionLimits: Sendable, Equatable {
    public var maxConnections: Int
    public var headerTimeout: Duration
    public var idleTimeout: Duration
    public var bodyTimeout: Duration

    public init(maxConnections: Int, headerTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60),
                bodyTimeout: Duration = .seconds(30)) {
        self.maxConnections = maxConnections
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
    }

    /// The default cap: 4,096, or fewer when the descriptor limit leaves less room once a
    /// quarter of it (at least 64) is kept for builds, deploys, the database and logs.
    public static func defaultMaxConnections(descriptorLimit: Int) -> Int {
        max(16, min(4096, descriptorLimit - reserve(descriptorLimit)))
    }

    /// Descriptors kept for everything but connections.
    public static func reserve(_ descriptorLimit: Int) -> Int { max(64, descriptorLimit / 4) }

    public static func defaults(descriptorLimit: Int = currentDescriptorLimit()) -> ConnectionLimits {
        ConnectionLimits(maxConnections: defaultMaxConnections(descriptorLimit: descriptorLimit))
    }

    /// RLIMIT_NOFILE's soft limit.
    public static func currentDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(min(limit.rlim_cur, rlim_t(Int32.max)))  // RLIM_INFINITY is the largest value
    }

    /// Raises the soft descriptor limit to the hard one (at most 65,536), as servers do: the
    /// soft default of 1,024 is meant for programs that use select(). Returns the limit now.
    @discardableResult
    public static func raiseDescriptorLimit(upTo ceiling: rlim_t = 65_536) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return currentDescriptorLimit() }
        let wanted = min(limit.rlim_max, ceiling)
        if limit.rlim_cur < wanted {
            limit.rlim_cur = wanted
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return currentDescriptorLimit()
    }
}
