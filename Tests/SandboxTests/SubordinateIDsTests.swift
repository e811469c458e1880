import Foundation
import SlipwayTestSupport
import Testing
@testable import Sandbox

/// The `slipway` subordinate id ranges: found, or added after every range already given out.
@Suite("Subordinate ids", .tags(.small))
struct SubordinateIDsTests {
    @Test("an existing entry is used as it is")
    func existing() throws {
        let directory = try TemporaryDirectory("slipway-subid")
        let uid = try directory.write("subuid", "alice:100000:65536\nslipway:300000:65536\n")
        let gid = try directory.write("subgid", "slipway:400000:1000\n")
        let ranges = try SubordinateIDs.ensure(uidFile: uid, gidFile: gid, lock: false)
        #expect(ranges.uids == .init(start: 300_000, count: 65_536) && ranges.gids == .init(start: 400_000, count: 1_000))
        #expect(try String(contentsOfFile: uid, encoding: .utf8) == "alice:100000:65536\nslipway:300000:65536\n")
    }

    @Test("a missing entry is added after every range in either file, the same in both, once")
    func added() throws {
        let directory = try TemporaryDirectory("slipway-subid")
        let uid = try directory.write("subuid", "# ranges\nalice:100000:65536\nbob:165536:65536")
        let gid = try directory.write("subgid", "alice:100000:65536\ncarol:500000:10\n")
        let ranges = try SubordinateIDs.ensure(uidFile: uid, gidFile: gid, lock: false)
        #expect(ranges.uids == .init(start: 500_010, count: 65_536) && ranges.gids == ranges.uids)
        #expect(try String(contentsOfFile: uid, encoding: .utf8) == "# ranges\nalice:100000:65536\nbob:165536:65536\nslipway:500010:65536\n")
        #expect(try String(contentsOfFile: gid, encoding: .utf8) == "alice:100000:65536\ncarol:500000:10\nslipway:500010:65536\n")
        #expect(try SubordinateIDs.ensure(uidFile: uid, gidFile: gid, lock: false) == ranges)
        #expect(try String(contentsOfFile: gid, encoding: .utf8).components(separatedBy: "slipway:").count == 2)
    }

    @Test("absent files are created; ranges start at 100000 at the least")
    func absentFiles() throws {
        let directory = try TemporaryDirectory("slipway-subid")
        let ranges = try SubordinateIDs.ensure(uidFile: directory.path + "/subuid", gidFile: directory.path + "/subgid", lock: false)
        #expect(ranges.uids == .init(start: 100_000, count: 65_536) && ranges.gids == ranges.uids)
        #expect(try String(contentsOfFile: directory.path + "/subgid", encoding: .utf8) == "slipway:100000:65536\n")
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
