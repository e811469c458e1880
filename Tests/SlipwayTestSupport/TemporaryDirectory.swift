import Foundation
import SlipwayCore

/// A fresh directory under `$TMPDIR`, removed with everything in it when the last reference
/// goes (a test's local goes out of scope, or the fixture holding it does).
public final class TemporaryDirectory: Sendable {
    public let path: String

    /// `label` starts the directory's name, so a leftover says which test made it.
    public init(_ label: String = "slipway-test") throws {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent(label) + "-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp \(label): \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
    }

    deinit { removeTree(path) }

    /// `$TMPDIR/label-PID`, one directory for fixtures this test process makes once and keeps
    /// to its end (an image's root filesystem); those of test processes that have ended are
    /// removed here, so runs do not pile up.
    public static func forThisProcess(_ label: String) throws -> String {
        let temporary = NSTemporaryDirectory()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix(label + "-") {
            if let pid = Int32(name.dropFirst(label.count + 1)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                removeTree(temporary + "/" + name)
            }
        }
        let path = (temporary as NSString).appendingPathComponent("\(label)-\(getpid())")
        try makeDirectories(path)
        return path
    }

    /// A Slipway home inside the directory (created on first use by the code under test).
    public var home: SlipwayHome { SlipwayHome(path: path + "/home") }

    /// `relative` under the directory, created with its parents.
    @discardableResult
    public func directory(_ relative: String) throws -> String {
        let full = path + "/" + relative
        try makeDirectories(full)
        return full
    }

    /// Writes `text` to `relative` (parents created) with `mode`; returns the full path.
    @discardableResult
    public func write(_ relative: String, _ text: String, mode: mode_t = 0o644) throws -> String {
        let full = path + "/" + relative
        try makeDirectories((full as NSString).deletingLastPathComponent)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        guard chmod(full, mode) == 0 else { throw TestFailure("chmod \(full): \(String(cString: strerror(errno)))") }
        return full
    }

    /// Every path under `relative` (the whole directory by default), relative to it, sorted.
    public func tree(_ relative: String = "") -> [String] {
        let root = relative.isEmpty ? path : path + "/" + relative
        return ((FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []).sorted()
    }
}
