import Archive
import Foundation
import SlipwayCore

extension BuildRunner {
    /// What identifies a build's source for the result cache, and the copies made so far.
    struct Inputs {
        /// git's tree id for a clean checkout, else the digest of the exported tree.
        var tree: String
        /// Whether the primary source is already in the workspace.
        var exported: Bool
        var secondary: [(name: String, workspace: String)]
        var secondaryTrees: [String]
    }

    /// A clean checkout is identified without copying it (so a result-cache hit copies
    /// nothing); a dirty tree or plain directory has to be copied first, then hashed.
    func prepareInputs(_ source: SourceSnapshot, request: BuildRequest, buildDir: String, workspace: String) throws -> Inputs {
        var inputs = Inputs(tree: "", exported: false, secondary: [], secondaryTrees: [])
        if let treeID = source.treeID, !source.dirty {
            inputs.tree = "git-tree:" + treeID
        } else {
            try source.export(to: workspace, scratch: buildDir, excluding: [home.path])
            inputs.exported = true
            inputs.tree = "tar:" + (try TarPacker.pack(directory: workspace, into: DiscardSink()).tarDigest.hex)
        }
        for (name, directory) in request.secondarySources.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty, name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else {
                throw SlipwayError.badInput("secondary source name '\(name)' must be letters, digits and _ (it becomes CODEBUILD_SRC_DIR_\(name))")
            }
            let snapshot = try SourceSnapshot.inspect(SlipwayHome.absolute(directory), dirty: request.dirty)
            let target = buildDir + "/src_" + name
            try snapshot.export(to: target, scratch: buildDir, excluding: [home.path])
            inputs.secondary.append((name, target))
            inputs.secondaryTrees.append(name + "=" + (try TarPacker.pack(directory: target, into: DiscardSink()).tarDigest.hex))
        }
        return inputs
    }
}
