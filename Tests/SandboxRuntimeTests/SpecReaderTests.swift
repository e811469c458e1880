import Glibc
import SandboxWire
import Testing
@testable import SandboxRuntime

/// The helper's first step: one framed spec from fd 3, decoded and checked.
@Suite("Spec reading")
struct SpecReaderTests {
    /// Feeds `bytes` through a pipe (closed after them unless `keepOpen`) and reads a spec.
    static func read(_ bytes: [UInt8]) -> Result<WireSpec, SetupFailure> {
        let pipe = Pipe()
        defer { close(pipe.read) }
        pipe.send(bytes)
        close(pipe.write)
        do {
            return .success(try SpecReader.read(from: pipe.read))
        } catch {
            return .failure(error)
        }
    }

    static func failure(_ bytes: [UInt8]) -> String? {
        guard case .failure(let failure) = read(bytes) else { return nil }
        #expect(failure.step == "read spec")
        return failure.message
    }

    @Test("reads exactly one frame, leaving what follows in the pipe")
    func exactlyOneFrame() throws {
        var spec = WireSpec(rootfs: "/images/alpine", command: ["/bin/sh", "-c", "true"])
        spec.memoryBytes = 64 << 20
        spec.environment = ["PATH=/bin"]
        let pipe = Pipe()
        defer { close(pipe.read); close(pipe.write) }
        pipe.send(try spec.framed() + Array("trailing".utf8))
        #expect(try SpecReader.read(from: pipe.read) == spec)
        var next: UInt8 = 0
        #expect(Glibc.read(pipe.read, &next, 1) == 1 && next == UInt8(ascii: "t"))
    }

    @Test("a frame split over many writes is reassembled")
    func splitWrites() throws {
        let spec = WireSpec(rootfs: "/r", command: (0..<500).map { "argument-\($0)" })
        let framed = try spec.framed()
        let pipe = Pipe()
        defer { close(pipe.read); close(pipe.write) }
        var writer = pthread_t()
        let box = Unmanaged.passRetained(WriterJob(fd: pipe.write, bytes: framed))
        pthread_create(&writer, nil, { job in
            let job = Unmanaged<WriterJob>.fromOpaque(job!).takeRetainedValue()
            for start in stride(from: 0, to: job.bytes.count, by: 7) {
                let end = min(start + 7, job.bytes.count)
                _ = job.bytes[start..<end].withUnsafeBytes { write(job.fd, $0.baseAddress, $0.count) }
            }
            return nil
        }, box.toOpaque())
        let read = try SpecReader.read(from: pipe.read)
        pthread_join(writer, nil)
        #expect(read == spec)
    }

    @Test("an empty or short pipe says how much arrived")
    func shortInput() throws {
        #expect(Self.failure([]) == "unexpected end of input after 0 of 4 bytes")
        #expect(Self.failure([9, 0]) == "unexpected end of input after 2 of 4 bytes")
        let framed = try WireSpec(rootfs: "/r", command: ["x"]).framed()
        #expect(Self.failure(Array(framed.dropLast(3))) == "unexpected end of input after \(framed.count - 7) of \(framed.count - 4) bytes")
    }

    @Test("an oversized frame is refused before it is read")
    func oversized() {
        #expect(Self.failure([0, 0, 0, 0x10]) == "spec too large: 268435456 bytes (at most 16777216)")
    }

    @Test("a spec that decodes but must not run is refused")
    func invalidSpec() throws {
        #expect(Self.failure(try WireSpec(rootfs: "relative", command: ["x"]).framed()) == "rootfs must be an absolute path: relative")
        #expect(Self.failure(try WireSpec(rootfs: "/r", command: []).framed()) == "no command given")
        #expect(Self.failure(try WireFrame.wrap(Array("rootfs\0/r\0arg\0x\0cpus\0two\0".utf8))) == "cpus is not a number: two")
    }
}

final class WriterJob: @unchecked Sendable {  // handed to one pthread, which alone uses it
    let fd: Int32
    let bytes: [UInt8]
    init(fd: Int32, bytes: [UInt8]) {
        self.fd = fd
        self.bytes = bytes
    }
}

@Suite("Helper spec")
struct HelperSpecTests {
    @Test("the cgroup is named for the requested name, else for the helper's pid")
    func cgroupName() {
        var wire = WireSpec(rootfs: "/r", command: ["x"])
        #expect(HelperSpec(wire, processID: 4242).cgroupName == "slipway-sandbox-4242")
        wire.name = "build-7"
        #expect(HelperSpec(wire, processID: 4242).cgroupName == "slipway-build-7")
    }

    @Test("a user namespace is used exactly when the caller is not root")
    func userNamespace() {
        let wire = WireSpec(rootfs: "/r", command: ["x"])
        #expect(!HelperSpec(wire, effectiveUserID: 0).usesUserNamespace)
        #expect(HelperSpec(wire, effectiveUserID: 1000).usesUserNamespace)
        #expect(HelperSpec(wire, effectiveUserID: 65534).usesUserNamespace)
    }

    @Test("as root with subordinate ranges the identity is subordinate, with id-mapped sources; without root the ranges are ignored")
    func subordinateIdentity() {
        var wire = WireSpec(rootfs: "/r", command: ["x"])
        wire.subordinateUIDs = .init(start: 100_000, count: 65_536)
        wire.subordinateGIDs = .init(start: 100_000, count: 65_536)
        let root = HelperSpec(wire, effectiveUserID: 0)
        #expect(root.identity == .subordinate(uids: wire.subordinateUIDs!, gids: wire.subordinateGIDs!))
        #expect(root.usesUserNamespace && root.usesIdmappedMounts)
        #expect(root.with(identity: .host).identity == .host && !root.with(identity: .host).usesUserNamespace)
        let unprivileged = HelperSpec(wire, effectiveUserID: 1000)
        #expect(unprivileged.identity == .caller && !unprivileged.usesIdmappedMounts)
    }

    @Test("id-mapped sources come in the order the sandbox's PID 1 expects them")
    func idmappedSources() {
        var wire = WireSpec(rootfs: "/image", command: ["x"])
        wire.workspace = "/ws"
        wire.binds = [.init(source: "/cache", destination: "/c", readOnly: true), .init(source: "/out", destination: "/o", readOnly: false)]
        wire.keepUpperDirectory = "/keep"
        #expect(IdmappedSources.sources(of: wire).map(\.path) == ["/image", "/ws", "/cache", "/out", "/keep"])
        #expect(IdmappedSources.sources(of: wire).map(\.readOnly) == [true, false, true, false, false])
        #expect(IdmappedSources.sources(of: WireSpec(rootfs: "/image", command: ["x"])).map(\.path) == ["/image"])
    }
}
