import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
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
        try blockUntil("the first deploy to hold the lock (its release created)", timeout: .seconds(10)) { !f.history.records.isEmpty }
        let second = f.deploy(other)
        #expect(!second.succeeded)
        #expect(second.error?.contains("another deploy holds this target") == true, "\(second)")
        #expect(second.error?.contains("pid \(getpid())") == true)
        try blockUntil("the first deploy to finish", timeout: .seconds(60)) { first.withLock { $0 != nil } }
        #expect(first.withLock { $0?.succeeded } == true)
        #expect(f.history.switches.count == 1)

        // With a wait, the second deploy queues behind the first instead.
        let queued = Mutex<DeployResult?>(nil)
        let t2 = Thread { queued.withLock { $0 = f.deploy(slow) } }
        t2.start()
        try blockUntil("the queued deploy to hold the lock", timeout: .seconds(30)) {
            f.history.records.filter { $0.event == .created }.count >= 2
        }
        let waiting = f.deploy(other) { $0.lockWait = 30 }
        #expect(waiting.succeeded, "\(waiting)")
        try blockUntil("the queued deploy to finish", timeout: .seconds(60)) { queued.withLock { $0 != nil } }
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

    /// Releasing twice (a defer after an explicit release) closes the lock's descriptor once:
    /// by the second call its number may be another thread's.
    @Test func aLockReleasedTwiceClosesItsDescriptorOnce() throws {
        let directory = try TemporaryDirectory("slipway-lock-twice")
        let strays = try StrayCloseDetector.count {
            for _ in 0..<2_000 {
                let lock = try DeployLock(path: directory.path + "/lock", purpose: "test")
                lock.release()
                lock.release()
            }
        }
        #expect(strays == 0, "\(strays) descriptors closed by a second release")
    }
}
