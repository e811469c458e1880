import Foundation
@testable import Images
import SlipwayTestSupport
import Testing

@Suite("Unprivileged imports", .tags(.small))
struct WritableDirectoriesTests {
    @Test("read-only directories of lower layers are opened for upper layers, then restored")
    func openAndRestore() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let root = try scratch.directory("root")
        try makeTree(root, [("ro/inner/file", .file("x")), ("locked", .dir), ("plain", .dir)])
        chmod(root + "/ro/inner", 0o555)
        chmod(root + "/ro", 0o555)
        chmod(root + "/locked", 0o000)
        var writable = WritableDirectories()
        try writable.openUp(root)
        func mode(_ path: String) -> Int? {
            try? FileManager.default.attributesOfItem(atPath: root + "/" + path)[.posixPermissions] as? Int
        }
        #expect(mode("ro") == 0o755)
        #expect(mode("ro/inner") == 0o755)
        #expect(mode("locked") == 0o700)
        #expect(mode("plain") == 0o755)
        chmod(root + "/ro/inner", 0o711)  // a later layer declares its own mode: kept
        try writable.restore()
        #expect(mode("ro") == 0o555)
        #expect(mode("ro/inner") == 0o711)
        #expect(mode("locked") == 0o000)
        #expect(mode("plain") == 0o755)
    }
}
