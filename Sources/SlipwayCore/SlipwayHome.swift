import Foundation

/// Where Slipway keeps its state: `$SLIPWAY_HOME` when set; otherwise `/var/lib/slipway` for
/// root and `$XDG_DATA_HOME/slipway` (default `~/.local/share/slipway`) for other users.
public struct SlipwayHome: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `variable` looks up one environment variable: `getenv`, not a copy of the whole
    /// environment (`ProcessInfo.environment`, 350,000 instructions a call).
    public static func fromEnvironment(_ variable: (String) -> String? = environmentVariable) -> SlipwayHome {
        if let home = variable("SLIPWAY_HOME"), !home.isEmpty {
            return SlipwayHome(path: absolute(home))
        }
        if getuid() == 0 {
            return SlipwayHome(path: "/var/lib/slipway")
        }
        let data = variable("XDG_DATA_HOME").flatMap { $0.isEmpty ? nil : $0 }
            ?? ((variable("HOME") ?? NSHomeDirectory()) + "/.local/share")
        return SlipwayHome(path: data + "/slipway")
    }

    public var store: String { path + "/store" }
    public var images: String { path + "/images" }
    public var builds: String { path + "/builds" }
    public var tmp: String { path + "/tmp" }

    /// Makes `path` absolute against the current directory, without resolving symlinks.
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// This process's value of the environment variable `name`.
public func environmentVariable(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// Creates a directory and its parents; an existing directory is fine.
public func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
    if mkdir(path, mode) == 0 || errno == EEXIST { return }
    guard errno == ENOENT else { throw SlipwayError.mkdir(path) }
    let parent = (path as NSString).deletingLastPathComponent
    if parent != path && !parent.isEmpty { try makeDirectories(parent, mode: mode) }
    if mkdir(path, mode) != 0 && errno != EEXIST { throw SlipwayError.mkdir(path) }
}

/// Removes a file or directory tree; a missing path is fine.
public func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}
