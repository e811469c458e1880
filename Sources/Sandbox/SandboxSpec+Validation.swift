import Foundation
import SandboxWire
import SlipwayCore

extension SandboxSpec {
    /// Refuses specs the helper could not apply faithfully, before anything is spawned: the
    /// rules the helper also applies (`WireSpec.validate`), then what only the service can
    /// check (environment names before they are joined, the rootfs, the caller's identity).
    func validate(_ wire: WireSpec) throws {
        for (key, _) in environment where key.isEmpty || key.contains("=") {
            throw SlipwayError.badInput("sandbox: invalid environment variable name '\(key)'")
        }
        do {
            try wire.validate()
        } catch {
            throw SlipwayError.badInput("sandbox: \(error.message)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: rootfs, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SlipwayError.notFound("sandbox: rootfs \(rootfs) is not a directory")
        }
        if geteuid() != 0 && (uid != 0 || gid != 0) {
            throw SlipwayError.badInput("sandbox: without root only uid/gid 0 (mapped to the caller) exists inside the sandbox")
        }
    }
}
