import Foundation
import SlipwayCore

/// Where `slipway-sandbox` lives: `$SLIPWAY_SANDBOX_HELPER`, else next to the running
/// executable (so `.build/debug/slipway` and the test bundle beside it both find it).
enum HelperLocation {
    static let name = "slipway-sandbox"

    static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let path = environment["SLIPWAY_SANDBOX_HELPER"], !path.isEmpty {
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
