import Deploy
import Foundation
import SlipwayTestSupport
import Synchronization
import Testing

@Suite(.tags(.large)) struct ZeroDowntimeTests {
    /// Readers that resolve `current` per request never see an error or a mixed release while
    /// 50 deploys and rollbacks switch it.
    @Test func fiftyDeploysAndRollbacksUnderLoad() throws {
        let f = try Fixture()
        // Bodies big enough (32 KiB, several reads) that a response spanning two releases would show.
        let bodies = (0..<4).map { i in String(repeating: "release \(i) ", count: 32 * 1024 / 10) }
        let artifacts = try bodies.enumerated().map { i, body in try f.artifact(["index.html": body], name: "r\(i)") }
        #expect(f.deploy(artifacts[0]).succeeded)
        let server = try TinyHTTPServer.files(under: f.target + "/current")
        let allowed = Set(bodies.map { Array($0.utf8) })

        let running = Atomic<Bool>(true)
        let ok = Atomic<Int>(0), bad = Atomic<Int>(0), errors = Atomic<Int>(0), mixed = Atomic<Int>(0)
        let group = DispatchGroup()
        // Dedicated threads: the shared pools can be saturated by other tests running in parallel.
        for _ in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while running.load(ordering: .relaxed) {
                    guard let (status, body) = httpGet(port: server.port, path: "/index.html") else {
                        errors.add(1, ordering: .relaxed); continue
                    }
                    if !(200..<300).contains(status) { bad.add(1, ordering: .relaxed) }
                    else if !allowed.contains(body) { mixed.add(1, ordering: .relaxed) }
                    else { ok.add(1, ordering: .relaxed) }
                }
            }
        }
        defer {
            running.store(false, ordering: .relaxed)
            group.wait()
        }
        /// Every switch happens while requests are being served: wait for a fresh response first.
        func awaitResponse() {
            let seen = ok.load(ordering: .relaxed) + bad.load(ordering: .relaxed) + errors.load(ordering: .relaxed) + mixed.load(ordering: .relaxed)
            let deadline = Date().addingTimeInterval(10)
            while ok.load(ordering: .relaxed) + bad.load(ordering: .relaxed) + errors.load(ordering: .relaxed) + mixed.load(ordering: .relaxed) == seen,
                  Date() < deadline { usleep(200) }
        }
        var switches = 0
        for i in 0..<25 {
            awaitResponse()
            let result = f.deploy(artifacts[(i % 3) + 1]) { $0.keep = 2 }
            #expect(result.succeeded, "\(result)")
            awaitResponse()
            let back = try Rollback(host: f.host, events: f.events).run()
            #expect(back.status == "succeeded")
            switches += 2
        }
        running.store(false, ordering: .relaxed)
        group.wait()
        #expect(switches == 50)
        #expect(bad.load(ordering: .relaxed) == 0, "non-2xx responses")
        #expect(errors.load(ordering: .relaxed) == 0, "connection errors")
        #expect(mixed.load(ordering: .relaxed) == 0, "bodies that were not exactly one release")
        #expect(ok.load(ordering: .relaxed) >= 50, "the load should average a response per switch at least")
        print("zero downtime: \(ok.load(ordering: .relaxed)) good responses during 50 switches")
    }
}
