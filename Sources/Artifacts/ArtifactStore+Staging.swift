import Archive
import Foundation
import SlipwayCore

/// Staging files (`tmp/blob-<pid>-<random>`) that no write will finish: a blob is staged
/// under its writer's pid, so one whose process is gone (killed mid-pack) is found and
/// removed by the next write to the store and by gc, and a writer interrupted by a signal
/// removes its own before it exits.
extension ArtifactStore {
    static let stagingPrefix = "blob-"

    /// A new staging path for this process.
    func stagingPath() -> String {
        "\(tmpDir)/\(Self.stagingPrefix)\(getpid())-\(Extraction.randomSuffix())"
    }

    /// Removes the staging files of processes that are gone; returns their paths.
    @discardableResult
    public func removeAbandonedStaging(dryRun: Bool = false) -> [String] {
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] where name.hasPrefix(Self.stagingPrefix) {
            guard let pid = pid_t(name.dropFirst(Self.stagingPrefix.count).prefix { $0 != "-" }), pid > 0,
                  kill(pid, 0) == -1, errno == ESRCH else { continue }
            let path = tmpDir + "/" + name
            if dryRun || unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }

    /// Removes this process's own staging files: for a signal handler that ends a write early.
    public func discardOwnStaging() {
        let own = "\(Self.stagingPrefix)\(getpid())-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] where name.hasPrefix(own) {
            unlink(tmpDir + "/" + name)
        }
    }
}
