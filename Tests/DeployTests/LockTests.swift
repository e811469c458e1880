import Deploy
import Foundation
import SlipwayCore
import Synchronization
import Testing

@Suite(.tags(.medium)) struct LockTests {
    @Test func twoDeploysAtOnceNeverBothSwitch() throws {
        let f = try Fixture()
        let slow = try f.artifact(["appspec.yml": appspec([("BeforeInstall", "wait.sh")]), "wait.sh": "#!/bin/sh\nsleep 1.5\n"], name: "slow")
        let other = try f.artifact(["index.html": "other"], name: "other")
        let first = Mutex<DeployResult?>(nil)
        let thread = Thread { first.withLock { $0 = f.deploy(slow) } }
        thread.start()
        // Wait until the first deploy holds the lock (its release is created).
        let deadline = Date().addingTimeInterval(10)
        while f.history.records.isEmpty && Date() < deadline { usleep(20_000) }
        let second = f.deploy(other)
        #expect(!second.succeeded)
        #expect(second.error?.contains("another deploy holds this target") == true, "\(second)")
        #expect(second.error?.contains("pid \(getpid())") == true)
        while first.withLock({ $0 == nil }) { usleep(20_000) }
        #expect(first.withLock { $0?.succeeded } == true)
        #expect(f.history.switches.count == 1)

        // With a wait, the second deploy queues behind the first instead.
        let queued = Mutex<DeployResult?>(nil)
        let t2 = Thread { queued.withLock { $0 = f.deploy(slow) } }
        t2.start()
        while f.history.records.filter({ $0.event == .created }).count < 2 { usleep(20_000) }
        let waiting = f.deploy(other) { $0.lockWait = 30 }
        #expect(waiting.succeeded, "\(waiting)")
        while queued.withLock({ $0 == nil }) { usleep(20_000) }
        let switches = f.history.switches
        #expect(switches.count == 3)
        #expect(switches.last?.to == waiting.release && switches.last?.from == queued.withLock { $0?.release })
    }

    @Test func lockOfADeadProcessIsTakenOver() throws {
        let f = try Fixture()
        try makeDirectories(f.target + "/.slipway")
        // A child takes the lock, writes its owner text and is killed without releasing.
        let lockPath = f.target + "/.slipway/lock"
        let held = shell("exec 9>>\(lockPath); flock 9; echo 'pid 999999 on nowhere: deploy' > \(lockPath); kill -9 $$")
        #expect(held.status != 0)
        let result = f.deploy(try f.artifact(["a": "b"]))
        #expect(result.succeeded, "\(result)")
        #expect(f.history.records.contains { $0.event == .lockTakenOver && $0.note?.contains("pid 999999") == true })
    }
}
