import Foundation
import Images
import Specs

/// Checks what a buildspec needs that only the chosen image and Slipway's secret store can
/// provide, before anything runs: runtime versions, secrets and `run-as` users. Each finding
/// names the line and key path and says what to do.
public struct BuildRequirements {
    /// The user the build runs as.
    public struct User: Sendable, Equatable {
        public var name: String
        public var uid: UInt32
        public var gid: UInt32
        public var home: String
    }

    public var diagnostics: [Diagnostic] = []
    public var user = User(name: "root", uid: 0, gid: 0, home: SandboxLayout.home)

    /// `mappedRuntimes`: runtimes slipway.yml's `build.runtimes` maps to an image, which is
    /// taken to provide them.
    public init(spec: BuildSpec, file: String, image: ImageRecord, secrets: [String: String], environment: [String: String],
                mappedRuntimes: Set<String> = []) {
        let runtimes = ImageRuntimes(rootfs: image.rootfs)
        for phase in spec.phases {
            for located in phase.runtimeVersions {
                let wanted = located.value
                let version = Self.expand(wanted.version, environment)
                guard let version else {
                    diagnostics.append(located.location.diagnostic(.error, "runtime version '\(wanted.version)' names a variable that is not set; set it in env.variables or with --env", file: file))
                    continue
                }
                if mappedRuntimes.contains(wanted.runtime) { continue }
                if runtimes.versions.isEmpty {
                    let suggested = RuntimeImages.suggestion(wanted.runtime, version)
                    let pick = suggested.map { "build on an image that has it (--image \($0), or build.image), or map it in slipway.yml: build.runtimes: {\(wanted.runtime): \"\($0.replacingOccurrences(of: version, with: "{version}"))\"}" }
                        ?? "build on an image that has it (--image), or map it in slipway.yml: build.runtimes: {\(wanted.runtime): IMAGE}"
                    diagnostics.append(located.location.diagnostic(.warning, "Slipway installs no runtimes: \(wanted.runtime) \(version) must come with the image, and image \(image.reference) declares none (/etc/slipway/runtimes); \(pick)", file: file))
                    continue
                }
                if !runtimes.provides(wanted.runtime, version) {
                    let offered = runtimes.versions[wanted.runtime].map { "it offers \(wanted.runtime) \($0.joined(separator: ", "))" }
                        ?? "it declares no \(wanted.runtime) runtime in /etc/slipway/runtimes"
                    diagnostics.append(located.location.diagnostic(.error, "image \(image.reference) does not provide \(wanted.runtime) \(version) (\(offered)); build with an image that does (--image) or change runtime-versions", file: file))
                }
            }
        }
        for secret in spec.env.secrets where secrets[secret.reference] == nil {
            diagnostics.append(secret.location.diagnostic(.error, "\(secret.store.rawValue) entry '\(secret.reference)' for \(secret.variable) has no secret configured in Slipway; store it (slipway secret set '\(secret.reference)' [--pipeline NAME], reading the value from stdin) or remove the variable", file: file))
        }
        let shell = spec.env.shell.path
        var st = stat()
        if stat(image.rootfs + shell, &st) != 0 && lstat(image.rootfs + shell, &st) != 0 {
            let location = spec.env.shellLocation ?? .start("env.shell")
            diagnostics.append(location.diagnostic(.error, "image \(image.reference) has no \(shell), which runs every command; build with an image that has it" + (spec.env.shell == .bash ? " or use env.shell: sh" : ""), file: file))
        }
        let users = ImageUsers(rootfs: image.rootfs)
        let phaseUsers = spec.phases.compactMap(\.runAs)
        if let runAs = spec.runAs ?? phaseUsers.first {
            if let found = users.lookup(runAs.value) {
                user = found
            } else {
                diagnostics.append(runAs.location.diagnostic(.error, "user '\(runAs.value)' does not exist in image \(image.reference); create it in the image or remove run-as", file: file))
            }
        }
        for phaseUser in phaseUsers where phaseUser.value != user.name {
            diagnostics.append(phaseUser.location.diagnostic(.warning, "the whole build runs as one user ('\(user.name)'); this phase's run-as '\(phaseUser.value)' is not applied", file: file))
        }
    }

    /// `3.12`, `$VAR` or `${VAR}`; nil when the variable is unset.
    static func expand(_ text: String, _ environment: [String: String]) -> String? {
        guard text.hasPrefix("$") else { return text }
        let name = text.dropFirst().trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
        return environment[name]
    }
}

/// Runtimes an image declares in `/etc/slipway/runtimes`: one line per runtime, the name
/// then its versions (`python 3.12 3.11`).
struct ImageRuntimes {
    var versions: [String: [String]] = [:]

    init(rootfs: String) {
        guard let text = try? String(contentsOfFile: rootfs + "/etc/slipway/runtimes", encoding: .utf8) else { return }
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let words = line.split(separator: " ").map(String.init)
            if let name = words.first { versions[name, default: []] += words.dropFirst() }
        }
    }

    /// `latest` takes any version; `18` matches `18` and `18.x`.
    func provides(_ runtime: String, _ version: String) -> Bool {
        guard let offered = versions[runtime], !offered.isEmpty else { return false }
        return version == "latest" || offered.contains { $0 == version || $0.hasPrefix(version + ".") }
    }
}

/// Users from the image's `/etc/passwd`.
struct ImageUsers {
    var entries: [String: BuildRequirements.User] = [:]

    init(rootfs: String) {
        entries["root"] = .init(name: "root", uid: 0, gid: 0, home: "/root")
        guard let text = try? String(contentsOfFile: rootfs + "/etc/passwd", encoding: .utf8) else { return }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 6, let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { continue }
            entries[f[0]] = .init(name: f[0], uid: uid, gid: gid, home: f[5].isEmpty ? "/" : f[5])
        }
    }

    func lookup(_ name: String) -> BuildRequirements.User? { entries[name] }
}
