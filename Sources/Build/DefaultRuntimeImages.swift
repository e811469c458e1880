import Foundation
import Images
import SlipwayCore
import Specs

/// Which image a build runs on when nothing names one and the buildspec asks for runtimes
/// (`phases.install.runtime-versions`): the images the bundled recipes build from Debian's
/// packages, so a typical CodeBuild buildspec runs unchanged. The versions are Debian's; a
/// requested version the image does not declare in `/etc/slipway/runtimes` is reported by
/// `BuildRequirements` before anything runs.
public enum DefaultRuntimeImages {
    /// CodeBuild's runtime names to image names (`slipway image build images/NAME`).
    public static let table: [String: String] = [
        "python": "python",
        "nodejs": "node",
        "golang": "go",
        "java": "java",
    ]

    /// The image name for the runtimes `spec` asks for; nil when it asks for none. All of them
    /// must map to one image.
    public static func imageName(for spec: BuildSpec, file: String) throws -> String? {
        let wanted = spec.phases.flatMap(\.runtimeVersions)
        guard !wanted.isEmpty else { return nil }
        var names: [String: String] = [:]  // image -> the runtime that chose it
        for located in wanted {
            let runtime = located.value.runtime
            guard let image = table[runtime] else {
                throw SlipwayError.badInput(located.location.diagnostic(.error, "no default image provides runtime '\(runtime)' (there are: \(table.keys.sorted().joined(separator: ", "))); name an image that does (--image, or build.image in slipway.yml)", file: file).description)
            }
            names[image] = names[image] ?? runtime
        }
        guard names.count == 1, let name = names.keys.first else {
            let pairs = names.sorted { $0.key < $1.key }.map { "\($0.value) → \($0.key)" }.joined(separator: ", ")
            throw SlipwayError.badInput("\(file): runtime-versions asks for runtimes no single default image holds (\(pairs)); build an image with all of them (a recipe whose parent is one of these) and name it (--image, or build.image in slipway.yml)")
        }
        return name
    }

    /// `request` with its image replaced by the default runtime image, when the request's
    /// image was not named by anyone (`imageIsDefault`) and the buildspec asks for runtimes.
    static func apply(to request: BuildRequest, spec: BuildSpec, file: String, home: SlipwayHome) throws -> BuildRequest {
        guard request.imageIsDefault, let name = try imageName(for: spec, file: file) else { return request }
        var request = request
        do {
            request.image = try ImageStore(home: home).resolve(name)
        } catch let error as SlipwayError where error.kind == .notFound {
            throw SlipwayError.notFound("\(file): runtime-versions asks for a runtime of the '\(name)' image, which is not built; build it with: slipway image build images/\(name) (or name another image with --image, or build.image in slipway.yml)")
        }
        return request
    }
}
