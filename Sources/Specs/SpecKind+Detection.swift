import Foundation
import Yams

extension SpecKind {
    /// Guesses what a spec file is from its content (then its name): a buildspec has
    /// `phases`, `batch`, `artifacts` or version 0.1/0.2; an appspec has `hooks`, `os`,
    /// `files`, `Resources` or version 0.0; a pipeline (`slipway.yml`) has `stages` or `pipeline`.
    /// JSON with tabs between tokens (templated ECS/Lambda appspecs) is read as the appspec
    /// parser reads it, so its content decides, not its name.
    public static func detect(contents: String, file: String) -> SpecKind? {
        let name = (file as NSString).lastPathComponent.lowercased()
        var keys: Set<String> = []
        var version: String?
        if let root = try? Yams.compose(yaml: AppSpec.yamlText(contents)), case let .mapping(mapping) = root {
            for (key, value) in mapping {
                guard case let .scalar(k) = key else { continue }
                keys.insert(k.string)
                if k.string == "version", case let .scalar(v) = value { version = v.string }
            }
        }
        if !keys.isDisjoint(with: ["phases", "batch", "artifacts", "reports", "cache"]) || version == "0.2" || version == "0.1" {
            return .buildspec
        }
        if !keys.isDisjoint(with: ["hooks", "os", "files", "permissions", "Resources", "file_exists_behavior"]) || version == "0.0" {
            return .appspec
        }
        if !keys.isDisjoint(with: ["stages", "pipeline"]) { return .pipeline }
        if name.hasPrefix("buildspec") { return .buildspec }
        if name.hasPrefix("appspec") { return .appspec }
        if name.hasPrefix("slipway.") { return .pipeline }
        return nil
    }
}
