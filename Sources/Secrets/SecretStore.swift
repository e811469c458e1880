import Crypto
import Foundation
import SlipwayCore

/// Secrets sealed at rest (AES-256-GCM) under `<home>/secrets/`: global ones, and ones that
/// belong to one pipeline and win over a global one of the same name. Names are not secret
/// (`slipway secret ls` shows them); values are only ever decrypted to hand them to a build.
public struct SecretStore: Sendable {
    /// Where a secret belongs.
    public enum Scope: Sendable, Hashable, CustomStringConvertible {
        case global
        case pipeline(String)

        public var description: String {
            switch self {
            case .global: return "global"
            case .pipeline(let name): return "pipeline \(name)"
            }
        }
    }

    public static let maxNameBytes = 120
    public static let maxValueBytes = 64 * 1024

    public let home: SlipwayHome
    let environment: [String: String]

    public init(home: SlipwayHome, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.home = home
        self.environment = environment
    }

    /// Stores (or replaces) a secret.
    public func set(_ name: String, value: String, scope: Scope = .global) throws {
        try Self.check(name: name)
        let bytes = Data(value.utf8)
        guard !bytes.isEmpty else { throw SlipwayError.badInput("secret '\(name)': the value is empty") }
        guard bytes.count <= Self.maxValueBytes else {
            throw SlipwayError.badInput("secret '\(name)': the value is \(bytes.count) bytes; at most \(Self.maxValueBytes)")
        }
        guard let key = try SecretKey.load(home: home, environment: environment, create: true) else { return }
        let sealed = try AES.GCM.seal(bytes, using: key, authenticating: Self.context(name, scope))
        guard let combined = sealed.combined else { throw SlipwayError.failed("secret '\(name)': sealing gave no output") }
        try makeDirectories(directory(scope), mode: 0o700)
        try writeFileAtomically(Data([Self.formatVersion]) + combined, to: file(name, scope), mode: 0o600)
    }

    /// Removes a secret; false when there was none.
    @discardableResult
    public func remove(_ name: String, scope: Scope = .global) throws -> Bool {
        try Self.check(name: name)
        if unlink(file(name, scope)) == 0 { return true }
        guard errno == ENOENT else { throw SlipwayError.system("remove secret '\(name)'") }
        return false
    }

    /// The names stored in one scope, sorted.
    public func names(_ scope: Scope = .global) throws -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory(scope))) ?? []
        return entries.compactMap { Self.name(fromFile: $0) }.sorted()
    }

    /// A secret's value: the pipeline's own first, then the global one.
    public func value(_ name: String, pipeline: String? = nil) throws -> String? {
        for scope in Self.lookupOrder(pipeline) {
            if let value = try value(name, scope: scope) { return value }
        }
        return nil
    }

    /// Every secret a pipeline can see, by name (its own over global ones).
    public func values(pipeline: String? = nil) throws -> [String: String] {
        var all: [String: String] = [:]
        for scope in Self.lookupOrder(pipeline).reversed() {
            for name in try names(scope) { all[name] = try value(name, scope: scope) }
        }
        return all
    }

    func value(_ name: String, scope: Scope) throws -> String? {
        guard let data = FileManager.default.contents(atPath: file(name, scope)) else { return nil }
        guard let key = try SecretKey.load(home: home, environment: environment, create: false) else {
            throw SlipwayError.badInput("secret '\(name)' is stored but its key is missing (\(home.path)/secrets/key or \(SecretKey.variable))")
        }
        guard data.first == Self.formatVersion else {
            throw SlipwayError.corrupt("secret '\(name)' (\(scope)): unknown format; set it again")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: data.dropFirst())
            return String(decoding: try AES.GCM.open(box, using: key, authenticating: Self.context(name, scope)), as: UTF8.self)
        } catch {
            throw SlipwayError.corrupt("secret '\(name)' (\(scope)) does not decrypt: the key changed or the file was altered; set it again")
        }
    }

    static let formatVersion: UInt8 = 1

    static func lookupOrder(_ pipeline: String?) -> [Scope] {
        (pipeline.map { [Scope.pipeline($0)] } ?? []) + [.global]
    }

    /// Bound into each sealed value, so a file copied to another name or scope does not open.
    static func context(_ name: String, _ scope: Scope) -> Data {
        Data("slipway-secret\0\(scope)\0\(name)".utf8)
    }

    /// Names are what buildspecs reference (`/CodeBuild/token`, `prod/db:password`): any
    /// printable text, kept short enough to be a file name once hex-encoded.
    static func check(name: String) throws {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maxNameBytes else {
            throw SlipwayError.badInput("secret name '\(name)': 1 to \(maxNameBytes) bytes")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw SlipwayError.badInput("secret name '\(name.debugDescription)': control characters are not allowed")
        }
    }

    func directory(_ scope: Scope) -> String {
        switch scope {
        case .global: return home.path + "/secrets/global"
        case .pipeline(let name): return home.path + "/secrets/pipelines/" + Self.hex(name)
        }
    }

    func file(_ name: String, _ scope: Scope) -> String { directory(scope) + "/" + Self.hex(name) }

    static func hex(_ text: String) -> String { Hex.encode(text.utf8) }

    static func name(fromFile file: String) -> String? {
        let chars = Array(file.utf8)
        guard !chars.isEmpty, chars.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let byte = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
