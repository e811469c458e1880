import Foundation
@testable import Pipeline
@testable import State
import Testing

/// Who is alive among the owners of runs: this machine's by pid and start time (also in the
/// form written before machines were named), another machine's by its heartbeat, judged only
/// once this process has reached the database long enough.
@Suite(.tags(.small)) struct RunOwnersTests {
    static func beat(_ identity: String, silentFor: Double) -> InstanceBeat {
        InstanceBeat(identity: identity, host: "elsewhere", started: Date(), silentFor: silentFor)
    }

    @Test func ownersOfThisMachineAreKnownByTheirProcess() throws {
        let me = ProcessIdentity.current
        #expect(me.hasSuffix("@" + ProcessIdentity.machine) && ProcessIdentity.isLocal(me))
        let owners = RunOwners(instances: [:], judgesSilence: true)
        #expect(owners.isAlive(me))
        let legacy = try #require(me.split(separator: "@").first.map(String.init))
        #expect(ProcessIdentity.isLocal(legacy) && owners.isAlive(legacy), "PID:STARTTIME, as written before machines were named")
        #expect(!owners.isAlive("\(getpid()):1@\(ProcessIdentity.machine)"), "another start time: a reused pid")
        #expect(owners.gone(legacy).contains("its process (\(legacy)) stopped"))
    }

    @Test func ownersOfAnotherMachineAreKnownByTheirHeartbeat() {
        let fresh = "7:100@machine-b", silent = "8:100@machine-b", unknown = "9:100@machine-c"
        let instances = [fresh: Self.beat(fresh, silentFor: 1), silent: Self.beat(silent, silentFor: 30)]
        let judging = RunOwners(instances: instances, judgesSilence: true)
        #expect(!ProcessIdentity.isLocal(fresh))
        #expect(judging.isAlive(fresh))
        #expect(!judging.isAlive(silent) && !judging.isAlive(unknown))
        #expect(judging.gone(silent).contains("host elsewhere") && judging.gone(silent).contains("went silent 30 s ago"))
        #expect(judging.gone(nil) == "the service running it stopped")
        // Not long enough in reach of the database (it was just restarted): nobody is judged dead.
        let waiting = RunOwners(instances: instances, judgesSilence: false)
        #expect(waiting.isAlive(silent) && waiting.isAlive(unknown))
    }
}
