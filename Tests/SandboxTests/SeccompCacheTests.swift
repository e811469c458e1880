import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing
@testable import Sandbox

/// The compiled seccomp filter is kept in `<home>/seccomp`, so a `slipway sandbox run` reads
/// it instead of compiling it; a file that is not exactly this profile's, or that others
/// could have written, is never used.
@Suite(.tags(.small)) struct SeccompCacheTests {
    let directory: TemporaryDirectory
    var cache: String { directory.path + "/seccomp" }

    init() throws {
        directory = try TemporaryDirectory("slipway-seccomp")
    }

    func cachedFile() throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: cache)
        #expect(names.count == 1 && names[0].hasPrefix("filter-") && names[0].hasSuffix(".bpf"), "\(names)")
        return cache + "/" + names[0]
    }

    func write(_ content: [UInt8], to path: String, mode: mode_t) throws {
        unlink(path)
        try Data(content).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
    }

    @Test func theFirstCallCompilesAndLeavesTheProgramForTheNext() throws {
        let compiled = try SeccompProfile.compile()
        #expect(try SeccompProfile.cachedOrCompiled(in: cache) == compiled)
        let file = try cachedFile()
        let header = Array((SeccompProfile.rules + "\n").utf8)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: file))) == header + compiled)
        var info = stat()
        #expect(stat(file, &info) == 0 && info.st_mode & 0o777 == 0o600)
        // What is there is what the next call uses: a program of one instruction.
        let stand = [UInt8](repeating: 7, count: 8)
        try write(header + stand, to: file, mode: 0o600)
        #expect(try SeccompProfile.cachedOrCompiled(in: cache) == stand)
    }

    @Test func aFileThatIsNotThisProfilesOrThatOthersCouldWriteIsIgnored() throws {
        let compiled = try SeccompProfile.compile()
        _ = try SeccompProfile.cachedOrCompiled(in: cache)
        let file = try cachedFile()
        let header = Array((SeccompProfile.rules + "\n").utf8)
        let stand = [UInt8](repeating: 7, count: 8)
        let refused: [([UInt8], mode_t)] = [
            (header + stand, 0o622),                                   // others may write it
            (header + stand, 0o660),                                   // its group may write it
            (Array("slipway seccomp filter 0\n".utf8) + stand, 0o600),  // other rules
            (header + [1, 2, 3], 0o600),                               // not whole instructions
            (header, 0o600),                                           // no program
        ]
        for (content, mode) in refused {
            try write(content, to: file, mode: mode)
            #expect(try SeccompProfile.cachedOrCompiled(in: cache) == compiled, "\(content.suffix(8)) mode \(String(mode, radix: 8))")
        }
        // A cache that cannot be made (its home is a file) is no error.
        try write([], to: directory.path + "/file", mode: 0o600)
        #expect(try SeccompProfile.cachedOrCompiled(in: directory.path + "/file/seccomp") == compiled)
    }

    @Test func theRulesNameEverythingTheProgramIsCompiledFrom() {
        let rules = SeccompProfile.rules
        #expect(rules.contains("libseccomp 2.") && rules.contains("deny keyctl,") && rules.contains("personalities 0,8,"), "\(rules)")
    }
}
