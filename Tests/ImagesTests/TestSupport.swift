import Foundation
import SlipwayCore

/// One thing to create in a fixture tree.
enum Node {
    case file(String)
    case dir
    case symlink(String)
}

/// Creates `entries` under `root` (parents as needed), in order.
func makeTree(_ root: String, _ entries: [(String, Node)]) throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
    for (path, node) in entries {
        let full = root + "/" + path
        try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        switch node {
        case .file(let text): try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        case .dir: try fm.createDirectory(atPath: full, withIntermediateDirectories: true)
        case .symlink(let target): try fm.createSymbolicLink(atPath: full, withDestinationPath: target)
        }
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
