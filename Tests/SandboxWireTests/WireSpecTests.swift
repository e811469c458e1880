@testable import SandboxWire
import Testing

@Suite("Wire spec")
struct WireSpecTests {
    /// A spec with every field away from its default.
    static var full: WireSpec {
        var spec = WireSpec(rootfs: "/var/lib/slipway/images/ab cd", command: ["/bin/sh", "-c", "echo 'a=b' && ls", ""])
        spec.name = "build-42"
        spec.environment = ["PATH=/usr/bin:/bin", "EMPTY=", "EQUALS=a=b=c", "UNICODE=Grüße ✓"]
        spec.workspace = "/srv/work space"
        spec.workspacePath = "/src"
        spec.workingDirectory = "/src/sub"
        spec.binds = [WireSpec.Bind(source: "/cache", destination: "/root/.cache", readOnly: true),
                      WireSpec.Bind(source: "/same", destination: "/same", readOnly: false),
                      WireSpec.Bind(source: "/a,b:c", destination: "/x", readOnly: false)]
        spec.hostNetwork = true
        spec.hostname = "builder"
        spec.memoryBytes = 512 << 20
        spec.pids = 256
        spec.cpus = 1.5
        spec.timeout = 0.1
        spec.killGracePeriod = 0
        spec.uid = 1000
        spec.gid = 100
        spec.keepUpperDirectory = "/keep"
        spec.tmpSizeBytes = 1 << 30
        spec.upperSizeBytes = 2 << 30
        spec.subordinateUIDs = WireSpec.IDRange(start: 100_000, count: 65_536)
        spec.subordinateGIDs = WireSpec.IDRange(start: 200_000, count: 65_536)
        spec.seccompFilter = [0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x7f]
        return spec
    }

    @Test("the seccomp filter travels as hex; bad hex and odd lengths are refused")
    func seccompHex() throws {
        #expect(WireSpec.hex([0x00, 0x7f, 0xff, 0x10]) == "007fff10")
        #expect(WireSpec.bytes(hex: "007FfF10") == [0x00, 0x7f, 0xff, 0x10])
        #expect(WireSpec.bytes(hex: "abc") == nil && WireSpec.bytes(hex: "zz") == nil && WireSpec.bytes(hex: "") == [])
        var body = FieldWriter()
        try body.add(.rootfs, "/r")
        try body.add(.arg, "x")
        try body.add(.seccomp, "0g")
        #expect(throws: WireError.self) { try WireSpec(decoding: body.bytes) }
    }

    @Test("every field survives a round trip")
    func roundTripEveryField() throws {
        let spec = Self.full
        #expect(try WireSpec(decoding: spec.encoded()) == spec)
    }

    @Test("a minimal spec round-trips with the defaults")
    func roundTripDefaults() throws {
        let spec = WireSpec(rootfs: "/r", command: ["true"])
        let decoded = try WireSpec(decoding: spec.encoded())
        #expect(decoded == spec)
        #expect(decoded.workingDirectory == "/" && decoded.workspacePath == "/workspace" && decoded.hostname == "slipway")
        #expect(decoded.killGracePeriod == 2 && !decoded.hostNetwork && decoded.name == nil && decoded.memoryBytes == nil)
    }

    @Test("edge values round-trip exactly")
    func roundTripEdgeValues() throws {
        var spec = WireSpec(rootfs: "/", command: ["/bin/true"])
        for (memory, pids, cpus, timeout, id) in [(Int64.max, Int.max, 1024.0, Double.greatestFiniteMagnitude, UInt32.max),
                                                  (Int64(1 << 20), 1, 1e-300, 5e-324, UInt32(0)),
                                                  (Int64.min, Int.min, 0.1 + 0.2, 1.0 / 3.0, UInt32(1))] {
            spec.memoryBytes = memory
            spec.pids = pids
            spec.cpus = cpus
            spec.timeout = timeout
            spec.killGracePeriod = timeout
            spec.uid = id
            spec.gid = id
            #expect(try WireSpec(decoding: spec.encoded()) == spec)
        }
        spec.environment = [String(repeating: "V", count: 100_000) + "=" + String(repeating: "x", count: 100_000)]
        spec.command = (0..<1_000).map { "arg\($0)" }
        #expect(try WireSpec(decoding: spec.encoded()) == spec)
    }

    @Test("the frame carries the body's length, little-endian")
    func frame() throws {
        let spec = Self.full
        let framed = try spec.framed()
        let body = try spec.encoded()
        #expect(try WireFrame.bodyLength(header: Array(framed.prefix(4))) == body.count)
        #expect(Array(framed.dropFirst(4)) == body)
        #expect(try WireFrame.wrap([UInt8](repeating: 7, count: 0x0102_03)).prefix(4) == [0x03, 0x02, 0x01, 0x00])
    }

    @Test("a frame header announcing more than 16 MiB, or cut short, is refused")
    func frameRefusals() {
        #expect(throws: WireError(.tooLarge, "spec too large: 4294967295 bytes (at most 16777216)")) {
            try WireFrame.bodyLength(header: [0xff, 0xff, 0xff, 0xff])
        }
        #expect(throws: WireError(.truncated, "truncated spec: 2 of 4 length bytes")) {
            try WireFrame.bodyLength(header: [1, 0])
        }
        #expect(throws: WireError.self) { try WireFrame.wrap([UInt8](repeating: 0, count: WireFrame.maximumBodyLength + 1)) }
    }

    @Test("a NUL byte cannot be encoded")
    func nulRefused() {
        var spec = WireSpec(rootfs: "/r", command: ["a\0b"])
        #expect(throws: WireError(.unencodable, "the value of arg holds a NUL byte, which the spec cannot carry")) {
            try spec.encoded()
        }
        spec.command = ["ok"]
        spec.environment = ["A=\0"]
        #expect((try? spec.framed()) == nil)
    }

    @Test("input cut anywhere decodes to a shorter spec or a truncation error, never a crash")
    func everyPrefix() throws {
        let body = try Self.full.encoded()
        var pairBoundaries = 0
        for length in 0..<body.count {
            do {
                _ = try WireSpec(decoding: Array(body.prefix(length)))
                pairBoundaries += 1
            } catch {
                #expect(error.code == .truncated, "at \(length): \(error)")
            }
        }
        // Only cuts between whole pairs decode; there is one per field written, minus the last.
        #expect(pairBoundaries == body.filter { $0 == 0 }.count / 2)
    }

    @Test("hostile bodies get an error that names the problem", arguments: [
        ("rootfs\0/r\0bogus\0x\0", WireError.Code.unknownKey, "unknown key 'bogus'"),
        ("rootfs\0/a\0rootfs\0/b\0", .badValue, "rootfs is given twice"),
        ("memory\0lots\0", .badValue, "memory is not a number: lots"),
        ("pids\0-\0", .badValue, "pids is not a number: -"),
        ("cpus\0\0", .badValue, "cpus is not a number: "),
        ("uid\0-1\0", .badValue, "uid is not a number: -1"),
        ("gid\04294967296\0", .badValue, "gid is not a number: 4294967296"),
        ("timeout\01s\0", .badValue, "timeout is not a number: 1s"),
        ("kill-grace\0 2\0", .badValue, "kill-grace is not a number:  2"),
        ("bind-to\0/x\0", .badValue, "bind-to '/x' does not follow a bind-rw or bind-ro"),
        ("bind-rw\0/a\0bind-to\0/b\0bind-to\0/c\0", .badValue, "bind-to '/c' does not follow a bind-rw or bind-ro"),
        ("network\0bridge\0", .badValue, "network must be host or none, not 'bridge'"),
        ("rootfs\0/r\0arg", .truncated, "truncated spec: it ends after rootfs"),
        ("rootfs\0/r\0arg\0x", .truncated, "truncated spec: it ends in the value of arg"),
        ("\0", .unknownKey, "unknown key ''"),
    ])
    func hostileBodies(body: String, code: WireError.Code, message: String) {
        #expect(throws: WireError(code, message)) { try WireSpec(decoding: Array(body.utf8)) }
    }

    @Test("bytes that are not UTF-8 are refused")
    func notUTF8() {
        #expect(throws: WireError(.notText, "the value of arg is not UTF-8 text")) {
            try WireSpec(decoding: Array("arg\0".utf8) + [0xff, 0xfe, 0])
        }
        #expect(throws: WireError(.notText, "a key is not UTF-8 text")) { try WireSpec(decoding: [0xc3, 0]) }
    }

    @Test("a very long unknown key is quoted shortened")
    func longKeyShortened() throws {
        let key = String(repeating: "k", count: 5_000)
        do {
            _ = try WireSpec(decoding: Array((key + "\0v\0").utf8))
            Issue.record("decoded an unknown key")
        } catch {
            #expect(error.message.count < 200 && error.message.hasSuffix("...'"))
        }
    }

    @Test("random bytes never crash the decoder")
    func randomBytes() {
        var random = SplitMix64(seed: 0x5eed)
        let alphabet = Array("rootfs\0arg\0env\0bind-rw\0bind-to\0memory\01\0/".utf8) + [0xff, 0x80]
        for round in 0..<3_000 {
            let count = Int(random.next() % 64)
            let bytes = (0..<count).map { _ in
                round % 2 == 0 ? UInt8(truncatingIfNeeded: random.next()) : alphabet[Int(random.next() % UInt64(alphabet.count))]
            }
            if let spec = try? WireSpec(decoding: bytes) {
                // Whatever decodes encodes again to something that decodes the same.
                #expect((try? WireSpec(decoding: spec.encoded())) == spec)
            }
        }
    }
}

/// A small seeded generator, so a failing random input can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

@Suite("Wire spec keys")
struct WireSpecKeyTests {
    @Test("every key is found by its spelling on the wire")
    func keysByName() throws {
        let keys: [WireSpec.Key] = [.name, .rootfs, .arg, .env, .workspace, .workspacePath, .workdir, .bindReadWrite, .bindReadOnly,
                                    .bindTo, .network, .hostname, .memory, .pids, .cpus, .timeout, .killGrace, .uid, .gid, .keepUpper,
                                    .tmpSize, .upperSize, .subuid, .subgid, .seccomp]
        for key in keys { #expect(WireSpec.Key.named(key.rawValue) == key) }
        #expect(WireSpec.Key.named("Rootfs") == nil && WireSpec.Key.named("") == nil)
    }
}
