import Archive
import Artifacts
import Deploy
import Foundation
import SlipwayCore
import Specs

/// An artifact unpacked on this machine for a site deploy: the bundle (where hooks run),
/// its appspec, and the site's files with their content hashes.
final class SiteBundle: Sendable {
    /// The unpacked artifact (removed with this value).
    let staging: String
    /// The bundle's root after the single-top-folder rule (hooks run here).
    let root: String
    /// The directory whose files are the site: the bundle root, or the appspec's one `files` source.
    let siteRoot: String
    let appspec: AppSpec?
    let files: [SiteFile]

    init(_ artifact: ArtifactRecord, store: ArtifactStore, appspecOverride: (name: String, text: String)?,
         events: DeployEventSink, host: String) throws {
        let staging = NSTemporaryDirectory() + "/slipway-site-\(getpid())-\(Extraction.randomSuffix())"
        do {
            try store.unpack(artifact, to: staging)
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []
            func appspecName(in dir: String) -> String? {
                AppSpec.fileNames.first { FileManager.default.fileExists(atPath: dir + "/" + $0) }
            }
            var root = staging
            if appspecName(in: staging) == nil, entries.count == 1, appspecName(in: staging + "/" + entries[0]) != nil {
                root = staging + "/" + entries[0]
            }
            var source = appspecOverride
            if source == nil, let name = appspecName(in: root), let data = FileManager.default.contents(atPath: root + "/" + name) {
                source = (name, String(decoding: data, as: UTF8.self))
            }
            var spec: AppSpec?
            if let source {
                let parsed = AppSpec.parse(contents: source.text, file: source.name)
                guard let parsedSpec = parsed.spec else {
                    throw SlipwayError.badInput("the appspec is invalid:\n" + parsed.diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "\n"))
                }
                spec = parsedSpec
            }
            var siteRoot = root
            var excluded: Set<String> = []
            if let spec {
                let mappings = spec.files.filter { !$0.isWholeBundle }
                guard mappings.count <= 1 else {
                    throw SlipwayError.badInput("\(source?.name ?? "appspec"): an S3 target takes the whole bundle or one `files` source directory (the site), not \(mappings.count) mappings")
                }
                if let mapping = mappings.first {
                    let relative = mapping.source.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                    var isDirectory: ObjCBool = false
                    guard !relative.split(separator: "/").contains(".."),
                          FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), isDirectory.boolValue else {
                        throw SlipwayError.badInput("\(source?.name ?? "appspec"): files source '\(mapping.source)' is not a directory of the bundle (an S3 target uploads one directory: the site)")
                    }
                    siteRoot = root + "/" + relative
                } else {
                    // The site is the bundle: its appspec and hook scripts are not part of it.
                    excluded = Set(AppSpec.fileNames)
                    for scripts in spec.hooks.values {
                        for script in scripts { excluded.insert(script.location.trimmingCharacters(in: CharacterSet(charactersIn: "/"))) }
                    }
                }
                if !spec.permissions.isEmpty {
                    events(DeployEvent(host: host, kind: .warning, text: "appspec permissions do not apply to an S3 target: objects have no owner or mode"))
                }
            }
            let files = try Self.files(in: siteRoot, excluding: excluded)
            self.staging = staging
            self.root = root
            self.siteRoot = siteRoot
            appspec = spec
            self.files = files
        } catch {
            removeTree(staging)
            throw error
        }
    }

    deinit { removeTree(staging) }

    /// The site's regular files with their SHA-256; a link (S3 has none) or a `.slipway/`
    /// path (the target's own records) is refused, naming it.
    static func files(in root: String, excluding excluded: Set<String>) throws -> [SiteFile] {
        var files: [SiteFile] = []
        for entry in try TreeWalk.entries(of: root) where !excluded.contains(entry.path) {
            if entry.path == ".slipway" || entry.path.hasPrefix(".slipway/") {
                throw SlipwayError.badInput("the site has \(entry.path): .slipway/ under an S3 target's prefix holds Slipway's records; rename it")
            }
            switch entry.kind {
            case .directory: continue
            case .symlink:
                throw SlipwayError.badInput("the site has a symbolic link, \(entry.path) → \(entry.linkTarget ?? "?"): S3 has no links; put the file itself there")
            case .regular, .hardlink:
                let path = root + "/" + entry.path
                var status = stat()
                guard stat(path, &status) == 0 else { throw SlipwayError.system("stat \(path)") }
                files.append(SiteFile(path: entry.path, sha256: try SHA256Stream.hex(ofFile: path), size: Int64(status.st_size)))
            }
        }
        return files
    }
}
