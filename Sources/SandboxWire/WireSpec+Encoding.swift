/// The spec's body: `key NUL value NUL` pairs, lists as repeated keys, each bind as `bind-rw`
/// or `bind-ro` (its source) optionally followed by `bind-to` (its destination). The helper
/// links no Foundation (its start-up cost is the sandbox's), hence no JSON; NUL cannot occur in
/// paths, arguments or environment strings, so it is a safe separator.
extension WireSpec {
    enum Key: String {
        case name, rootfs, arg, env, workspace, workdir, network, hostname, memory, pids, cpus, timeout, uid, gid
        case workspacePath = "workspace-path", bindReadWrite = "bind-rw", bindReadOnly = "bind-ro", bindTo = "bind-to"
        case killGrace = "kill-grace", keepUpper = "keep-upper"
        case tmpSize = "tmp-size", upperSize = "upper-size", subuid, subgid, seccomp

        /// The key spelled `text`. A switch, not `init(rawValue:)`: for this many cases the
        /// synthesized initializer builds a dictionary on its first call, which the helper would
        /// pay on every sandbox start.
        static func named(_ text: String) -> Key? {
            switch text {
            case "name": .name
            case "rootfs": .rootfs
            case "arg": .arg
            case "env": .env
            case "workspace": .workspace
            case "workspace-path": .workspacePath
            case "workdir": .workdir
            case "bind-rw": .bindReadWrite
            case "bind-ro": .bindReadOnly
            case "bind-to": .bindTo
            case "network": .network
            case "hostname": .hostname
            case "memory": .memory
            case "pids": .pids
            case "cpus": .cpus
            case "timeout": .timeout
            case "kill-grace": .killGrace
            case "uid": .uid
            case "gid": .gid
            case "keep-upper": .keepUpper
            case "tmp-size": .tmpSize
            case "upper-size": .upperSize
            case "subuid": .subuid
            case "subgid": .subgid
            case "seccomp": .seccomp
            default: nil
            }
        }

        /// A bit per key that may appear once (0 for the repeated ones), to refuse a second copy.
        var once: UInt32 {
            switch self {
            case .arg, .env, .bindReadWrite, .bindReadOnly, .bindTo: 0
            case .name: 1 << 0
            case .rootfs: 1 << 1
            case .workspace: 1 << 2
            case .workspacePath: 1 << 3
            case .workdir: 1 << 4
            case .network: 1 << 5
            case .hostname: 1 << 6
            case .memory: 1 << 7
            case .pids: 1 << 8
            case .cpus: 1 << 9
            case .timeout: 1 << 10
            case .killGrace: 1 << 11
            case .uid: 1 << 12
            case .gid: 1 << 13
            case .keepUpper: 1 << 14
            case .tmpSize: 1 << 15
            case .upperSize: 1 << 16
            case .subuid: 1 << 17
            case .subgid: 1 << 18
            case .seccomp: 1 << 19
            }
        }
    }

    /// The body (without the frame). Throws when a string holds a NUL byte, which the format
    /// cannot carry; `validate()` refuses those specs earlier with a friendlier message.
    public func encoded() throws(WireError) -> [UInt8] {
        var body = FieldWriter()
        if let name { try body.add(.name, name) }
        try body.add(.rootfs, rootfs)
        for argument in command { try body.add(.arg, argument) }
        for entry in environment { try body.add(.env, entry) }
        if let workspace { try body.add(.workspace, workspace) }
        try body.add(.workspacePath, workspacePath)
        try body.add(.workdir, workingDirectory)
        for bind in binds {
            try body.add(bind.readOnly ? .bindReadOnly : .bindReadWrite, bind.source)
            if bind.destination != bind.source { try body.add(.bindTo, bind.destination) }
        }
        try body.add(.network, hostNetwork ? "host" : "none")
        try body.add(.hostname, hostname)
        if let memoryBytes { try body.add(.memory, String(memoryBytes)) }
        if let pids { try body.add(.pids, String(pids)) }
        if let cpus { try body.add(.cpus, String(cpus)) }
        if let timeout { try body.add(.timeout, String(timeout)) }
        try body.add(.killGrace, String(killGracePeriod))
        try body.add(.uid, String(uid))
        try body.add(.gid, String(gid))
        if let keepUpperDirectory { try body.add(.keepUpper, keepUpperDirectory) }
        if let tmpSizeBytes { try body.add(.tmpSize, String(tmpSizeBytes)) }
        if let upperSizeBytes { try body.add(.upperSize, String(upperSizeBytes)) }
        if let subordinateUIDs { try body.add(.subuid, "\(subordinateUIDs.start) \(subordinateUIDs.count)") }
        if let subordinateGIDs { try body.add(.subgid, "\(subordinateGIDs.start) \(subordinateGIDs.count)") }
        if let seccompFilter { try body.add(.seccomp, Self.hex(seccompFilter)) }
        return body.bytes
    }

    /// The body with its length in front, as written to the helper's fd 3.
    public func framed() throws(WireError) -> [UInt8] {
        try WireFrame.wrap(encoded())
    }

    /// Decodes a body. Unknown keys, a key given twice, numbers that do not parse, bytes that
    /// are not UTF-8 and input cut off inside a pair are refused with a message naming them.
    /// Decoding checks the form only: `validate()` checks what the values mean.
    public init(decoding body: [UInt8]) throws(WireError) {
        self.init(rootfs: "", command: [])
        var seen: UInt32 = 0
        var key: Key?
        var keyText = ""
        var start = 0
        var bindOpen = false
        for index in body.indices where body[index] == 0 {
            guard let text = Self.text(body[start..<index]) else {
                throw WireError(.notText, "\(key.map { "the value of \($0.rawValue)" } ?? "a key") is not UTF-8 text")
            }
            start = index + 1
            guard let current = key else {
                guard let parsed = Key.named(text) else {
                    throw WireError(.unknownKey, "unknown key '\(Self.printable(text))'")
                }
                if seen & parsed.once != 0 { throw WireError(.badValue, "\(text) is given twice") }
                seen |= parsed.once
                key = parsed
                keyText = text
                continue
            }
            try apply(current, text, bindOpen: &bindOpen)
            key = nil
        }
        if start != body.count || key != nil {
            let place = key.map { "in the value of \($0.rawValue)" } ?? (keyText.isEmpty ? "at the start" : "after \(keyText)")
            throw WireError(.truncated, "truncated spec: it ends \(place)")
        }
    }

    /// `bindOpen`: the last pair was a bind's source, so a `bind-to` may follow.
    private mutating func apply(_ key: Key, _ value: String, bindOpen: inout Bool) throws(WireError) {
        defer { bindOpen = key == .bindReadWrite || key == .bindReadOnly }
        switch key {
        case .name: name = value
        case .rootfs: rootfs = value
        case .arg: command.append(value)
        case .env: environment.append(value)
        case .workspace: workspace = value
        case .workspacePath: workspacePath = value
        case .workdir: workingDirectory = value
        case .bindReadWrite: binds.append(Bind(source: value, destination: value, readOnly: false))
        case .bindReadOnly: binds.append(Bind(source: value, destination: value, readOnly: true))
        case .bindTo:
            guard bindOpen else {
                throw WireError(.badValue, "bind-to '\(Self.printable(value))' does not follow a bind-rw or bind-ro")
            }
            binds[binds.count - 1].destination = value
        case .network:
            switch value {
            case "host": hostNetwork = true
            case "none": hostNetwork = false
            default: throw WireError(.badValue, "network must be host or none, not '\(Self.printable(value))'")
            }
        case .hostname: hostname = value
        case .memory: memoryBytes = try Self.number(key, value) { Int64($0) }
        case .pids: pids = try Self.number(key, value) { Int($0) }
        case .cpus: cpus = try Self.number(key, value) { Double($0) }
        case .timeout: timeout = try Self.number(key, value) { Double($0) }
        case .killGrace: killGracePeriod = try Self.number(key, value) { Double($0) }
        case .uid: uid = try Self.number(key, value) { UInt32($0) }
        case .gid: gid = try Self.number(key, value) { UInt32($0) }
        case .keepUpper: keepUpperDirectory = value
        case .tmpSize: tmpSizeBytes = try Self.number(key, value) { Int64($0) }
        case .upperSize: upperSizeBytes = try Self.number(key, value) { Int64($0) }
        case .subuid: subordinateUIDs = try Self.range(key, value)
        case .subgid: subordinateGIDs = try Self.range(key, value)
        case .seccomp:
            guard let bytes = Self.bytes(hex: value) else {
                throw WireError(.badValue, "seccomp is not an even number of hex digits")
            }
            seccompFilter = bytes
        }
    }

    /// `start count`.
    private static func range(_ key: Key, _ value: String) throws(WireError) -> IDRange {
        let parts = value.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = UInt32(parts[0]), let count = UInt32(parts[1]) else {
            throw WireError(.badValue, "\(key.rawValue) is not 'start count': \(printable(value))")
        }
        return IDRange(start: start, count: count)
    }

    /// Lower-case hex, two digits per byte.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of lower- or upper-case hex text, nil when it is not hex of even length.
    static func bytes(hex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes = [UInt8](repeating: 0, count: digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes[index / 2] = high << 4 | low
            index += 2
        }
        return bytes
    }

    private static func number<T>(_ key: Key, _ value: String, _ parse: (String) -> T?) throws(WireError) -> T {
        guard let parsed = parse(value) else {
            throw WireError(.badValue, "\(key.rawValue) is not a number: \(printable(value))")
        }
        return parsed
    }

    /// The bytes as a String, nil when they are not UTF-8. ASCII (nearly every path and
    /// argument) takes the plain decoding path: the validating initializer costs the helper
    /// tens of microseconds on its first call, on every sandbox start.
    static func text(_ bytes: ArraySlice<UInt8>) -> String? {
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// At most 100 characters of `text`, for messages about hostile input.
    static func printable(_ text: String) -> String {
        text.count <= 100 ? text : String(text.prefix(100)) + "..."
    }
}

/// Appends `key NUL value NUL` pairs.
struct FieldWriter {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(512) }

    mutating func add(_ key: WireSpec.Key, _ value: String) throws(WireError) {
        guard !value.utf8.contains(0) else {
            throw WireError(.unencodable, "the value of \(key.rawValue) holds a NUL byte, which the spec cannot carry")
        }
        bytes += key.rawValue.utf8
        bytes.append(0)
        bytes += value.utf8
        bytes.append(0)
    }
}
