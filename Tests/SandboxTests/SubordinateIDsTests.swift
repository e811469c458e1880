import Foundation
import SlipwayTestSupport
import Testing
@testable import Sandbox

/// The `slipway` subordinate id ranges: found, or added after every range already given out.
@Suite("Subordinate ids", .tags(.small))
struct SubordinateIDsTests {
    /// The files before (nil: absent), the ranges `ensure` answers, and the files after it.
    struct Files: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var subuid: String?, subgid: String?
        var uids: SubordinateIDs.IDRange, gids: SubordinateIDs.IDRange
        var subuidAfter: String, subgidAfter: String
    }

    static let files = [
        Files(testDescription: "an existing entry is used as it is",
              subuid: "alice:100000:65536\nslipway:300000:65536\n", subgid: "slipway:400000:1000\n",
              uids: .init(start: 300_000, count: 65_536), gids: .init(start: 400_000, count: 1_000),
              subuidAfter: "alice:100000:65536\nslipway:300000:65536\n", subgidAfter: "slipway:400000:1000\n"),
        Files(testDescription: "a missing entry is added after every range in either file, the same in both",
              subuid: "# ranges\nalice:100000:65536\nbob:165536:65536", subgid: "alice:100000:65536\ncarol:500000:10\n",
              uids: .init(start: 500_010, count: 65_536), gids: .init(start: 500_010, count: 65_536),
              subuidAfter: "# ranges\nalice:100000:65536\nbob:165536:65536\nslipway:500010:65536\n",
              subgidAfter: "alice:100000:65536\ncarol:500000:10\nslipway:500010:65536\n"),
        Files(testDescription: "absent files are created; ranges start at 100000 at the least",
              subuid: nil, subgid: nil,
              uids: .init(start: 100_000, count: 65_536), gids: .init(start: 100_000, count: 65_536),
              subuidAfter: "slipway:100000:65536\n", subgidAfter: "slipway:100000:65536\n"),
    ]

    @Test("the slipway ranges are found or added, once", arguments: files)
    func ensure(_ files: Files) throws {
        let directory = try TemporaryDirectory("slipway-subid")
        let uid = directory.path + "/subuid", gid = directory.path + "/subgid"
        if let subuid = files.subuid { _ = try directory.write("subuid", subuid) }
        if let subgid = files.subgid { _ = try directory.write("subgid", subgid) }
        let ranges = try SubordinateIDs.ensure(uidFile: uid, gidFile: gid, lock: false)
        #expect(ranges.uids == files.uids && ranges.gids == files.gids)
        #expect(try String(contentsOfFile: uid, encoding: .utf8) == files.subuidAfter)
        #expect(try String(contentsOfFile: gid, encoding: .utf8) == files.subgidAfter)
        // Again: the same ranges, nothing added twice.
        #expect(try SubordinateIDs.ensure(uidFile: uid, gidFile: gid, lock: false) == ranges)
        #expect(try String(contentsOfFile: uid, encoding: .utf8) == files.subuidAfter)
        #expect(try String(contentsOfFile: gid, encoding: .utf8) == files.subgidAfter)
    }

    @Test("a malformed line is refused with its file and line, and nothing is written")
    func malformed() throws {
        let directory = try TemporaryDirectory("slipway-subid")
        let uid = try directory.write("subuid", "alice:100000:65536\nbob:lots\n")
        let gid = try directory.write("subgid", "")
        #expect { try SubordinateIDs.ensure(uidFile: uid, gidFile: gid, lock: false) } throws: { error in
            "\(error)".contains("\(uid):2:") && "\(error)".contains("bob:lots")
        }
        #expect(try String(contentsOfFile: gid, encoding: .utf8) == "")
    }

    @Test("a range that cannot be added is refused with the line to add by hand")
    func cannotAdd() throws {
        let directory = try TemporaryDirectory("slipway-subid")
        let uid = directory.path + "/missing/subuid", gid = directory.path + "/missing/subgid"
        #expect { try SubordinateIDs.ensure(uidFile: uid, gidFile: gid, lock: false) } throws: { error in
            let text = "\(error)"
            return text.contains("need a slipway range in \(uid) and \(gid)") && text.contains("add the line `slipway:100000:65536`")
                && text.contains("scripts/install-deps") && text.contains("No such file or directory")
        }
    }

    @Test("as root the service finds or makes its ranges in /etc")
    func system() throws {
        guard geteuid() == 0 else { return }
        let ranges = try SubordinateIDs.forSandboxes()
        let text = try String(contentsOfFile: "/etc/subuid", encoding: .utf8)
        #expect(text.contains("slipway:\(ranges.uids.start):\(ranges.uids.count)"))
        #expect(ranges.uids.start >= 100_000 && ranges.uids.count == 65_536)
    }
}
