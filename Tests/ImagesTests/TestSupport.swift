import Foundation
import SlipwayCore
import SlipwayTestSupport

/// One thing to create in a fixture tree.
enum Node {
    case file(String)
    case dir
    case symlink(String)
}

extension TemporaryDirectory {
    /// `relative` under the directory, made with `entries` in it (parents as needed), in
    /// order; its path.
    @discardableResult
    func makeTree(_ relative: String, _ entries: [(String, Node)]) throws -> String {
        let root = try directory(relative)
        let fm = FileManager.default
        for (path, node) in entries {
            let full = root + "/" + path
            try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            switch node {
            case .file(let text): try Data(text.utf8).write(to: URL(fileURLWithPath: full))
            case .dir: try fm.createDirectory(atPath: full, withIntermediateDirectories: true)
            case .symlink(let target): try fm.createSymbolicLink(atPath: full, withDestinationPath: target)
            }
        }
        return root
    }
}

/// The error message a throwing call produced, or nil when it did not throw.
func errorMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as SlipwayError {
        return error.description
    } catch {
        return "\(error)"
    }
}
