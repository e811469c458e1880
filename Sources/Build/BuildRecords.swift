import Artifacts
import Foundation
import SlipwayCore

/// The records builds leave under `<home>/builds/<project>/<uuid>/` (the build's log,
/// `result.json`), which a pipeline's retention rule prunes with its runs.
public struct BuildRecords: Sendable {
    public let home: SlipwayHome

    public init(home: SlipwayHome) {
        self.home = home
    }

    /// Removes the records of `project`'s builds last changed before `date`, and the store
    /// references that kept their artifacts (so garbage collection follows the same rule);
    /// returns the directories removed. A build in progress writes its log as it goes, so
    /// its record is newer than any `date` a caller keeps runs from.
    @discardableResult
    public func remove(project: String, changedBefore date: Date) -> [String] {
        let directory = home.builds + "/" + BuildRunner.projectName(project)
        let store = ArtifactStore(home: home)
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where UUID(uuidString: name) != nil {
            let path = directory + "/" + name
            let changed = [path, path + "/build.log", path + "/result.json"].compactMap(Self.modified).max()
            guard let changed, changed < date else { continue }
            if let data = FileManager.default.contents(atPath: path + "/result.json"),
               let result = try? Timestamp.decoder().decode(BuildResult.self, from: data) {
                store.removeReferences(kind: "builds", name: "\(result.project)-\(result.buildNumber)",
                                       to: Set(result.artifacts.map(\.digest)))
            }
            removeTree(path)
            removed.append(path)
        }
        return removed
    }

    private static func modified(_ path: String) -> Date? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }
}
