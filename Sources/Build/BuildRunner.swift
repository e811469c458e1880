import Archive
import Artifacts
import Foundation
import Images
import SlipwayCore
import Specs

/// Runs a buildspec on a source tree in the sandbox with CodeBuild's semantics, packs the
/// artifacts into the store and records the build under `<home>/builds/<project>/<uuid>/`.
///
/// Invalid buildspecs and requirements Slipway cannot meet throw `SlipwayError.badInput`
/// before anything runs; a build that ran returns its result whatever its status.
public struct BuildRunner: Sendable {
    /// Where builds, logs, caches and the artifact store live.
    public let home: SlipwayHome

    public init(home: SlipwayHome) {
        self.home = home
    }

    /// Runs one build to its end and returns its result, whatever its status; `events`
    /// streams the log and phase changes as they happen (from another thread).
    public func run(_ request: BuildRequest, events: @escaping @Sendable (BuildEvent) -> Void) throws -> BuildResult {
        try run(request, loaded: try load(request), events: events)
    }

    /// Runs the batch when the buildspec has one (list, graph or matrix), else the
    /// single build: what `slipway build` does, reading the source and buildspec once.
    public func runBuildOrBatch(_ request: BuildRequest,
                                events: @escaping @Sendable (_ batchEntry: String?, BuildEvent) -> Void) throws -> BuildOutcome {
        let loaded = try load(request)
        let parsed = BuildSpec.parse(contents: String(decoding: loaded.data, as: UTF8.self), file: loaded.file).spec
        if let batch = parsed?.batch {
            return .batch(try runBatch(request, batch: batch) { events($0, $1) })
        }
        return .single(try run(request, loaded: loaded) { events(nil, $0) })
    }

    /// The source as inspected and the buildspec's bytes.
    struct Loaded {
        var source: SourceSnapshot
        var file: String
        var data: Data
    }

    func load(_ request: BuildRequest) throws -> Loaded {
        let candidates = request.buildspec.map { [$0] } ?? ["buildspec.yml", "buildspec.yaml"]
        let (source, committed) = try SourceSnapshot.inspect(SlipwayHome.absolute(request.source), dirty: request.dirty,
                                                             reading: candidates.filter { !$0.hasPrefix("/") })
        for name in candidates {
            if source.isGit && !source.dirty && !name.hasPrefix("/") {
                if let data = committed[name] { return Loaded(source: source, file: name, data: data) }  // as committed
            } else if let data = FileManager.default.contents(atPath: name.hasPrefix("/") ? name : source.directory + "/" + name) {
                return Loaded(source: source, file: name, data: data)
            }
        }
        throw SlipwayError.notFound("no buildspec: \(candidates.joined(separator: " or ")) not found in \(source.directory)"
                                    + (source.isGit && !source.dirty ? " at HEAD (commit it, or build the working tree with --dirty)" : "")
                                    + "; give one with --buildspec")
    }

    func run(_ given: BuildRequest, loaded: Loaded, events: @escaping @Sendable (BuildEvent) -> Void) throws -> BuildResult {
        let started = Date()
        let source = loaded.source
        let project = Self.projectName(given.project ?? source.directory)
        let (specFile, specData) = (loaded.file, loaded.data)
        let (spec, warnings) = try validate(specData, file: specFile, request: given)
        let specEnvironment = given.environment.merging(given.projectEnvironment) { a, _ in a }
            .merging(spec.env.variables.map { ($0.name, $0.value) }) { a, _ in a }
        // The image the buildspec's runtime-versions pick (build.runtimes, or for an image
        // nobody named the Debian runtime images) replaces the given one.
        var chosen = given
        var runtimeImages = given.runtimeImages
        if given.imageIsDefault { runtimeImages.defaults = RuntimeImages.debianImages }
        let runtimeChoice = runtimeImages.choose(spec, file: specFile, environment: specEnvironment)
        if runtimeChoice.diagnostics.hasErrors {
            throw SlipwayError.badInput(runtimeChoice.diagnostics.map(\.description).joined(separator: "\n"))
        }
        if let reference = runtimeChoice.image {
            if runtimeChoice.isDefault {
                chosen.image = try RuntimeImages.resolveDefault(reference, runtime: runtimeChoice.runtime ?? "", file: specFile, home: home)
                chosen.imageError = nil
            } else if let resolve = given.resolveImage {
                chosen.image = try resolve(reference)
                chosen.imageError = nil
            }
        }
        if let missing = chosen.imageError { throw missing }
        let request = chosen
        let requirements = BuildRequirements(spec: spec, file: specFile, image: request.image, secrets: request.secrets,
                                             environment: specEnvironment, mappedRuntimes: Set(request.runtimeImages.mapping.keys))
        if requirements.diagnostics.hasErrors {
            throw SlipwayError.badInput(requirements.diagnostics.map(\.description).joined(separator: "\n"))
        }
        let allWarnings = warnings + requirements.diagnostics.map(\.description)

        let uuid = UUID().uuidString.lowercased()
        let buildID = "\(project):\(uuid)"
        let buildDir = home.builds + "/" + project + "/" + uuid
        try makeDirectories(buildDir)
        let workspace = buildDir + "/src"
        var secretValues = request.secretVariables
        for secret in spec.env.secrets { secretValues[secret.variable] = request.secrets[secret.reference] }
        let masker = SecretMasker(secrets: Array(secretValues.values))
        let log = try BuildLog(path: buildDir + "/build.log", masker: masker, sink: events)
        events(.started(buildID: buildID, logPath: log.path))
        defer { log.close() }
        for warning in allWarnings { log.container("Warning: \(warning)", at: started) }

        let inputs = try prepareInputs(source, request: request, buildDir: buildDir, workspace: workspace)
        let secondary = inputs.secondary
        let epoch = source.commitTime ?? Int64(request.environment["SOURCE_DATE_EPOCH"] ?? "") ?? 0
        let number = try nextBuildNumber(project)
        var builtins = builtinVariables(request, source: source, buildID: buildID, number: number, started: started,
                                        epoch: epoch, user: requirements.user)
        for (name, _) in secondary { builtins["CODEBUILD_SRC_DIR_" + name] = SandboxLayout.sourceDirectory + "_" + name }
        let variables = BuildVariables(spec: spec, request: request, secrets: secretValues, builtins: builtins,
                                       perRun: ["CODEBUILD_BUILD_ID", "CODEBUILD_BUILD_NUMBER", "CODEBUILD_START_TIME", "CODEBUILD_INITIATOR"])
        let key = ResultCache.key(sourceTree: inputs.tree, buildspec: specData, imageDigest: request.image.digest.description,
                                  environment: variables.effective,
                                  extra: [source.commit ?? "", requirements.user.name, request.network == .host ? "network=host" : ""]
                                      + (secretValues.isEmpty ? [] : ["secret-variables=" + secretValues.keys.sorted().joined(separator: ",")])
                                      + inputs.secondaryTrees)
        var context = BuildContext(request: request, spec: spec, specFile: specFile, specData: specData, source: source,
                                   project: project, buildID: buildID, number: number, buildDir: buildDir,
                                   workspace: workspace, started: started, epoch: epoch, resultKey: key,
                                   user: requirements.user, variables: variables, masker: masker, log: log,
                                   warnings: allWarnings, secondarySources: secondary)

        if request.useResultCache, let earlier = cachedResult(key) {
            removeTree(workspace)
            for (_, path) in secondary { removeTree(path) }
            return try finish(context.cacheHit(earlier))
        }
        if !inputs.exported { try source.export(to: workspace, scratch: buildDir, excluding: [home.path]) }
        defer {
            // The control directory holds the saved shell state, secrets included: never kept.
            removeTree(buildDir + "/control")
            if !request.keepWorkspace {
                removeTree(workspace)
                for (_, path) in secondary { removeTree(path) }
            }
        }
        context.resultCache = request.useResultCache ? .miss : .disabled
        let result = try execute(&context, events: events)
        // Recorded even when the lookup was skipped: a forced run refreshes the entry.
        if result.status == .succeeded { try? ResultCache(home: home).store(result) }
        return try finish(result)
    }

    /// The buildspec's `batch`, if it has one (read as `run` would read it).
    public func batch(for request: BuildRequest) throws -> BatchSpec? {
        let loaded = try load(request)
        let (spec, diagnostics) = BuildSpec.parse(contents: String(decoding: loaded.data, as: UTF8.self), file: loaded.file)
        guard let spec else { throw SlipwayError.badInput(diagnostics.map(\.description).joined(separator: "\n")) }
        return spec.batch
    }

    /// Writes `result.json` next to the log.
    private func finish(_ result: BuildResult) throws -> BuildResult {
        let data = try JSONOutput.encode(result)
        try Data(data.utf8).write(to: URL(fileURLWithPath: (result.logPath as NSString).deletingLastPathComponent + "/result.json"))
        return result
    }

    /// An earlier successful result whose artifacts are all still in the store.
    private func cachedResult(_ key: String) -> BuildResult? {
        guard let earlier = ResultCache(home: home).lookup(key), earlier.status == .succeeded else { return nil }
        let store = ArtifactStore(home: home)
        let complete = earlier.artifacts.allSatisfy { (try? store.record($0.digest)) != nil }
        return complete ? earlier : nil
    }

    /// Parses and checks the buildspec; errors stop the build before it starts.
    private func validate(_ data: Data, file: String, request: BuildRequest) throws -> (BuildSpec, [String]) {
        let (spec, diagnostics) = BuildSpec.parse(contents: String(decoding: data, as: UTF8.self), file: file)
        guard let spec, !diagnostics.hasErrors else {
            throw SlipwayError.badInput(diagnostics.map(\.description).joined(separator: "\n"))
        }
        // Without phases CodeBuild still collects the artifacts from the source (AWS's own
        // ecs-agent release buildspec is only `artifacts`); a batch-only buildspec has nothing
        // to run as a single build.
        if spec.phases.isEmpty, spec.batch != nil {
            throw SlipwayError.badInput("\(file): the buildspec only lists batch builds, which 'slipway build' runs; it has no phases to run as one build")
        }
        return (spec, diagnostics.map(\.description))
    }

    private func builtinVariables(_ request: BuildRequest, source: SourceSnapshot, buildID: String, number: Int,
                                  started: Date, epoch: Int64, user: BuildRequirements.User) -> [String: String] {
        [
            "CODEBUILD_SRC_DIR": SandboxLayout.sourceDirectory,
            "CODEBUILD_BUILD_ID": buildID,
            "CODEBUILD_BUILD_NUMBER": String(number),
            "CODEBUILD_RESOLVED_SOURCE_VERSION": source.commit ?? "",
            "CODEBUILD_SOURCE_VERSION": request.sourceVersion ?? source.commit ?? "",
            "CODEBUILD_SOURCE_REPO_URL": source.repositoryURL ?? source.directory,
            "CODEBUILD_START_TIME": String(Int64(started.timeIntervalSince1970 * 1000)),
            "CODEBUILD_INITIATOR": request.initiator,
            "CODEBUILD_BUILD_IMAGE": request.image.reference,
            "CODEBUILD_CI": "true",
            "HOME": user.home,
            "SOURCE_DATE_EPOCH": String(epoch),
            "TZ": "UTC",
            "LC_ALL": "C.UTF-8",
        ]
    }

    /// Build numbers count up per project; the file is locked so concurrent builds (a batch,
    /// two pipelines) never share a number, and with it an artifact reference.
    private func nextBuildNumber(_ project: String) throws -> Int {
        let path = home.builds + "/" + project + "/number"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SlipwayError.open(path) }
        defer { Syscall.close(fd) }
        try Syscall.retrying("lock \(path)") { flock(fd, LOCK_EX) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        let last = n > 0 ? Int(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 : 0
        let text = Array("\(last + 1)\n".utf8)
        guard ftruncate(fd, 0) == 0, pwrite(fd, text, text.count, 0) == text.count else { throw SlipwayError.system("write \(path)") }
        return last + 1
    }

    /// A name usable in paths and build ids: the last path component of a project name or
    /// directory, made path-safe.
    static func projectName(_ directory: String) -> String {
        pathSafe((directory as NSString).lastPathComponent, fallback: "project")
    }

    /// Letters, digits, `-`, `_` and `.` kept, anything else `-`, no leading dot: text from
    /// a buildspec or a caller can never name a path outside its directory.
    static func pathSafe(_ text: String, fallback: String) -> String {
        let cleaned = String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "-" })
        return cleaned.isEmpty || cleaned.hasPrefix(".") ? fallback : cleaned
    }
}
