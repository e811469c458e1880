import Foundation
import SlipwayCore
import Synchronization

/// Where `slipway-sandbox` lives: `$SLIPWAY_SANDBOX_HELPER`, else next to the running
/// executable (so `.build/debug/slipway` and the test bundle beside it both find it).
enum HelperLocation {
    static let name = "slipway-sandbox"

    /// The last path found for each value of `$SLIPWAY_SANDBOX_HELPER`: resolving reads
    /// /proc/self/exe, which every sandbox start would repeat.
    private static let found = Mutex<(setting: String?, path: String)?>(nil)

    /// The helper for this process's environment; checked once, then reused while the helper
    /// is still executable.
    static func resolve() throws -> String {
        let setting = getenv("SLIPWAY_SANDBOX_HELPER").map { String(cString: $0) }
        if let cached = found.withLock({ $0 }), cached.setting == setting, access(cached.path, X_OK) == 0 {
            return cached.path
        }
        let path = try resolve(setting: setting)
        found.withLock { $0 = (setting, path) }
        return path
    }

    /// `setting`: `$SLIPWAY_SANDBOX_HELPER`.
    static func resolve(setting: String?) throws -> String {
        if let path = setting, !path.isEmpty {
            guard access(path, X_OK) == 0 else {
                throw SlipwayError.notFound("sandbox helper \(path) (from SLIPWAY_SANDBOX_HELPER) is not an executable file")
            }
            return path
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let path = (executable as NSString).deletingLastPathComponent + "/" + name
        guard access(path, X_OK) == 0 else {
            throw SlipwayError.notFound("sandbox helper not found at \(path): build it (`swift build --product \(name)`) or set SLIPWAY_SANDBOX_HELPER")
        }
        return path
    }
}
