import Foundation
import SlipwayCore

extension ImageStore {
    /// What `build(recipe:)` is doing, for a progress display.
    public enum BuildProgress: Sendable {
        /// The recipe's digest matches an image already built from it: nothing runs.
        case unchanged(recipe: String, image: Digest)
        /// The recipe's `build` starts (on the parent image, when it has one).
        case running(recipe: String, parent: String?)
        /// Its tarball is being unpacked into the store (onto a copy of the parent's tree).
        case importing(recipe: String, bytes: Int64)
        case built(recipe: String, image: Digest, seconds: Double)
    }

    /// Builds an image from a recipe directory (`ImageRecipe`) and imports it as `reference`,
    /// by default `NAME:latest`; a recipe with a parent has its parent built (or found
    /// unchanged) first and tagged under the parent's own name. When the recipe's digest
    /// (its files, its parent, its environment inputs) is one an image was already built
    /// from, nothing runs and that image is tagged, unless `force`. The recipe's output goes
    /// to stderr.
    @discardableResult
    public func build(recipe path: String, reference: String? = nil, force: Bool = false,
                      progress: (BuildProgress) -> Void = { _ in }) throws -> ImageRecord {
        let recipe = try ImageRecipe(directory: path)
        let tag = try ImageReference(parsing: reference ?? recipe.name)
        return try build(recipe, tag: tag, force: force, progress: progress)
    }

    private func build(_ recipe: ImageRecipe, tag: ImageReference, force: Bool,
                       progress: (BuildProgress) -> Void) throws -> ImageRecord {
        let environment = ProcessInfo.processInfo.environment
        var parent: ImageRecord?
        if let parentRecipe = recipe.parent?.recipe {
            parent = try build(parentRecipe, tag: try ImageReference(parsing: parentRecipe.name), force: false, progress: progress)
        }
        let recipeDigest = try recipe.digest(parentImage: parent?.digest, environment: environment)
        if !force, let built = try builtImage(recipeDigest) {
            try setTag(tag, digest: built)
            progress(.unchanged(recipe: recipe.label, image: built))
            return try record(built, reference: tag.description)
        }
        let started = ContinuousClock.now
        try makeDirectories(root, mode: 0o700)
        try makeDirectories(tmpDir, mode: 0o700)
        let output = "\(tmpDir)/recipe-\(recipe.name)-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).tar"
        defer { unlink(output) }
        var recipeEnvironment = environment
        if let parent {
            recipeEnvironment["SLIPWAY_PARENT_ROOTFS"] = parent.rootfs
            recipeEnvironment["SLIPWAY_PARENT_IMAGE"] = parent.digest.description
        }
        progress(.running(recipe: recipe.label, parent: parent?.reference))
        try Self.run(recipe.directory + "/build", [output], environment: recipeEnvironment, what: "recipe \(recipe.label)")
        var st = stat()
        guard stat(output, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw SlipwayError.failed("recipe \(recipe.label) succeeded but wrote no tarball at the path it was given (its first argument)")
        }
        progress(.importing(recipe: recipe.label, bytes: Int64(st.st_size)))
        var built: ImageRecord
        if let parent {
            built = try importLayer(path: output, label: "recipe \(recipe.label)", onto: parent, reference: tag.description)
        } else {
            built = try importImage(path: output, reference: tag.description)
        }
        try rememberBuild(recipeDigest, image: built.digest)
        built.recipe = recipeDigest
        progress(.built(recipe: recipe.label, image: built.digest, seconds: Self.seconds(since: started)))
        return built
    }

    var recipesDir: String { root + "/recipes" }

    /// The image a recipe digest was built into, when that image is still in the store.
    func builtImage(_ recipe: Digest) throws -> Digest? {
        guard let data = FileManager.default.contents(atPath: "\(recipesDir)/\(recipe.hex)") else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let digest = try? Digest(parsing: text), isUnpacked(digest) else { return nil }
        return digest
    }

    /// Records which image a recipe digest gave, in the index and in the image's record.
    private func rememberBuild(_ recipe: Digest, image: Digest) throws {
        try makeDirectories(recipesDir, mode: 0o700)
        try writeFileAtomically(Data("\(image)\n".utf8), to: "\(recipesDir)/\(recipe.hex)")
        var stored = try record(image, reference: "")
        stored.recipe = recipe
        try writeRecord(stored)
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Runs a recipe with stdout sent to stderr, so a caller's stdout stays machine-readable.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], what: String) throws {
        let command = Command([executable] + arguments, environment: environment,
                              stdout: .descriptor(STDERR_FILENO), stderr: .descriptor(STDERR_FILENO))
        let ending: ChildProcess.Ending
        do {
            ending = try command.run().ending
        } catch {
            throw SlipwayError.wrapping(error, "\(what): cannot run \(executable)")
        }
        guard ending == .exited(0) else {
            throw SlipwayError.failed("\(what) failed (exit status \(ending.status ?? 0)); see its output above")
        }
    }
}
