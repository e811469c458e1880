import Foundation
import SlipwayCore

/// A recipe directory (`images/NAME`): an executable `build` that writes a tarball to its
/// first argument and, optionally, a `parent` file naming another recipe directory (relative
/// to this one). Without a parent the tarball is a whole root filesystem; with one it is a
/// layer applied on the parent's tree (`.wh.` whiteouts allowed), and `build` finds the parent
/// unpacked at `$SLIPWAY_PARENT_ROOTFS`.
public struct ImageRecipe: Sendable {
    /// Environment variables the bundled recipes read; their values are inputs of the digest.
    public static let environmentInputs = ["DEBIAN_MIRROR", "DEBIAN_SUITE", "SOURCE_DATE_EPOCH"]
    /// Parents deeper than this are a mistake (or a cycle the path check missed).
    static let maxDepth = 8

    /// The absolute directory.
    public let directory: String
    /// As the user wrote it, for messages.
    public let label: String
    /// The directory's last component: the default image name.
    public var name: String { (directory as NSString).lastPathComponent }
    public let parent: Box?

    /// The parent recipe, boxed so the struct can hold one of its own kind.
    public final class Box: Sendable {
        public let recipe: ImageRecipe
        init(_ recipe: ImageRecipe) { self.recipe = recipe }
    }

    public init(directory: String) throws {
        try self.init(directory: SlipwayHome.absolute(directory), label: directory, seen: [])
    }

    private init(directory raw: String, label: String, seen: [String]) throws {
        var directory = (raw as NSString).standardizingPath
        if let real = realpath(directory, nil) {
            directory = String(cString: real)
            free(real)
        }
        self.directory = directory
        self.label = label
        guard access(directory + "/build", X_OK) == 0 else {
            throw SlipwayError.badInput("\(label): not an image recipe: expected an executable '\(label)/build' that writes a rootfs tarball to its first argument")
        }
        guard let text = try? String(contentsOfFile: directory + "/parent", encoding: .utf8) else {
            parent = nil
            return
        }
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard lines.count == 1, let named = lines.first else {
            throw SlipwayError.badInput("\(label)/parent: expected one line naming the parent recipe directory (e.g. ../debian), found \(lines.count)")
        }
        let parentDirectory = named.hasPrefix("/") ? named : directory + "/" + named
        let parentLabel = named.hasPrefix("/") ? named : Self.normalized(label + "/" + named)
        if seen.contains(directory) || seen.count >= Self.maxDepth {
            throw SlipwayError.badInput("\(label)/parent: recipes name each other as parents in a cycle (\((seen + [directory]).joined(separator: " -> ")))")
        }
        guard access(parentDirectory + "/build", X_OK) == 0 else {
            throw SlipwayError.badInput("\(label)/parent: '\(named)' is not an image recipe (no executable \(parentLabel)/build)")
        }
        parent = Box(try ImageRecipe(directory: parentDirectory, label: parentLabel, seen: seen + [directory]))
    }

    /// `images/python/../debian` as `images/debian`, for messages (standardizingPath keeps
    /// `..` in a relative path).
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return (path.hasPrefix("/") ? "/" : "") + (parts.isEmpty ? "." : parts.joined(separator: "/"))
    }

    /// What the built image depends on: every file of the directory (relative path, whether it
    /// is executable, contents), the parent's recipe digest and image digest, and the values of
    /// `environmentInputs`. Unchanged, the image need not be built again.
    public func digest(parentImage: Digest?, environment: [String: String]) throws -> Digest {
        var stream = SHA256Stream()
        func add(_ text: String) { stream.update(Data((text + "\n").utf8)) }
        add("slipway-image-recipe 1")
        for file in try files() {
            let path = directory + "/" + file
            add("file \(file) \(access(path, X_OK) == 0 ? "x" : "-") \(try SHA256Stream.hex(ofFile: path))")
        }
        if let parent {
            add("parent-recipe \(try parent.recipe.digest(parentImage: nil, environment: environment))")
        }
        if let parentImage { add("parent-image \(parentImage)") }
        for name in Self.environmentInputs { add("env \(name)=\(environment[name] ?? "")") }
        return stream.finalize()
    }

    /// Regular files under the directory, sorted; symlinks are followed to their content.
    private func files() throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else {
            throw SlipwayError.open(directory)
        }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            var st = stat()
            guard stat(directory + "/" + relative, &st) == 0 else { throw SlipwayError.system(call: "stat", directory + "/" + relative) }
            if st.st_mode & S_IFMT == S_IFREG { found.append(relative) }
        }
        return found.sorted()
    }
}
