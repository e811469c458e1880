import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing
@testable import Secrets

@Suite(.tags(.small)) struct SecretStoreTests {
    /// A fresh Slipway home, removed after the test.
    struct Home {
        let directory: TemporaryDirectory
        var path: String { directory.path }
        var home: SlipwayHome { SlipwayHome(path: path) }
        init() throws { directory = try TemporaryDirectory("slipway-secrets") }
    }

    @Test func valuesAreSealedAtRestAndNamesListed() throws {
        let h = try Home()
        let store = SecretStore(home: h.home, environment: [:])
        try store.set("/CodeBuild/token", value: "hunter2-very-secret")
        try store.set("npm-token", value: "npm_abc")
        #expect(try store.names() == ["/CodeBuild/token", "npm-token"])
        #expect(try store.value("/CodeBuild/token") == "hunter2-very-secret")
        // Nothing under the home holds the value in clear.
        let files = FileManager.default.enumerator(atPath: h.path)!.compactMap { $0 as? String }
        for file in files {
            let data = FileManager.default.contents(atPath: h.path + "/" + file) ?? Data()
            #expect(!String(decoding: data, as: UTF8.self).contains("hunter2"), "\(file)")
        }
        var info = stat()
        #expect(stat(h.path + "/secrets/key", &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(stat(store.file("npm-token", .global), &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test func aPipelinesOwnSecretWinsOverAGlobalOne() throws {
        let h = try Home()
        let store = SecretStore(home: h.home, environment: [:])
        try store.set("db", value: "global-value")
        try store.set("db", value: "shop-value", scope: .pipeline("shop"))
        try store.set("only-shop", value: "x", scope: .pipeline("shop"))
        #expect(try store.value("db", pipeline: "shop") == "shop-value")
        #expect(try store.value("db", pipeline: "blog") == "global-value")
        #expect(try store.value("only-shop") == nil)
        #expect(try store.values(pipeline: "shop") == ["db": "shop-value", "only-shop": "x"])
        #expect(try store.remove("db", scope: .pipeline("shop")))
        #expect(try !store.remove("db", scope: .pipeline("shop")))
        #expect(try store.value("db", pipeline: "shop") == "global-value")
    }

    @Test func aFileMovedToAnotherNameDoesNotOpen() throws {
        let h = try Home()
        let store = SecretStore(home: h.home, environment: [:])
        try store.set("a", value: "alpha")
        try store.set("b", value: "beta")
        #expect(rename(store.file("a", .global), store.file("b", .global)) == 0)
        #expect(throws: SlipwayError.self) { try store.value("b") }
    }

    @Test func aKeyFromTheEnvironmentIsUsedAndAWrongOneRefused() throws {
        let h = try Home()
        let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let store = SecretStore(home: h.home, environment: ["SLIPWAY_SECRET_KEY": key])
        try store.set("x", value: "from-env-key")
        #expect(!FileManager.default.fileExists(atPath: h.path + "/secrets/key"))
        #expect(try store.value("x") == "from-env-key")
        let other = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()
        #expect { try SecretStore(home: h.home, environment: ["SLIPWAY_SECRET_KEY": other]).value("x") } throws: { error in
            (error as? SlipwayError)?.message.contains("does not decrypt") == true
        }
        #expect { try SecretStore(home: h.home, environment: ["SLIPWAY_SECRET_KEY": "short"]).set("y", value: "v") } throws: { error in
            (error as? SlipwayError)?.message.contains("32 bytes in base64") == true
        }
    }

    @Test func badNamesAndValuesAreRefused() throws {
        let h = try Home()
        let store = SecretStore(home: h.home, environment: [:])
        #expect(throws: SlipwayError.self) { try store.set("", value: "v") }
        #expect(throws: SlipwayError.self) { try store.set("a\nb", value: "v") }
        #expect(throws: SlipwayError.self) { try store.set(String(repeating: "n", count: 121), value: "v") }
        #expect(throws: SlipwayError.self) { try store.set("ok", value: "") }
        #expect(throws: SlipwayError.self) { try store.set("ok", value: String(repeating: "v", count: 64 * 1024 + 1)) }
        #expect(try store.names().isEmpty)
    }

    @Test func aKeyReadableByOthersIsRefused() throws {
        let h = try Home()
        let store = SecretStore(home: h.home, environment: [:])
        try store.set("x", value: "v")
        chmod(h.path + "/secrets/key", 0o644)
        #expect { try store.value("x") } throws: { error in (error as? SlipwayError)?.message.contains("chmod 600") == true }
    }
}
