import Foundation
import SlipwayCore
import Testing

extension Tag {
    /// Milliseconds: generated fixtures only.
    @Tag static var small: Self
    /// Runs a recipe or an external tool.
    @Tag static var medium: Self
}

/// A fresh temporary directory with its own Slipway home, removed on `cleanup()`.
struct Scratch {
    let path: String

    init(_ label: String = "slipway-images-test") {
        var template = Array("\(NSTemporaryDirectory())/\(label)-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    var home: SlipwayHome { SlipwayHome(path: path + "/home") }

    func cleanup() {
        _ = try? run("/bin/rm", ["-rf", path])
    }

    func dir(_ name: String) -> String {
        let p = path + "/" + name
        try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}

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

/// The tree under `root` as `path → "dir" | "file:<content>" | "link:<target>"`.
func snapshot(_ root: String) throws -> [String: String] {
    var result: [String: String] = [:]
    let fm = FileManager.default
    for path in try fm.subpathsOfDirectory(atPath: root) {
        let full = root + "/" + path
        let type = try fm.attributesOfItem(atPath: full)[.type] as? FileAttributeType
        switch type {
        case .typeDirectory: result[path] = "dir"
        case .typeSymbolicLink: result[path] = "link:" + (try fm.destinationOfSymbolicLink(atPath: full))
        default: result[path] = "file:" + String(decoding: try Data(contentsOf: URL(fileURLWithPath: full)), as: UTF8.self)
        }
    }
    return result
}

/// Runs a tool and returns its stdout; throws with its stderr when it fails.
@discardableResult
func run(_ tool: String, _ arguments: [String], cwd: String? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw SlipwayError.failed("\(tool) \(arguments.joined(separator: " ")): \(String(decoding: errors, as: UTF8.self))")
    }
    return String(decoding: output, as: UTF8.self)
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
