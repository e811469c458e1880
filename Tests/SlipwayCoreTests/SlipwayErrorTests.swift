import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct SlipwayErrorTests {
    /// A real failed open(2), not a made-up errno.
    func failedOpen(_ path: String) -> SlipwayError {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        #expect(fd < 0)
        return .open(path)
    }

    @Test func aSystemCallKeepsItsNameErrnoAndRemedy() {
        let error = SlipwayError.create("/proc/slipway-test", errno: ENOSPC)
        #expect(error.kind == .system && error.call == "open" && error.errno == ENOSPC)
        #expect(error.message == "create /proc/slipway-test")
        #expect(error.description == "create /proc/slipway-test: No space left on device (the disk is full: free space and retry)")
        #expect(error.exitCode == 1)

        let rename = SlipwayError.rename("a", to: "b", errno: EXDEV)
        #expect(rename.description == "rename a to b: Invalid cross-device link (the two paths are on different file systems)")
        // The text form names the call by its first word.
        let legacy = SlipwayError.system("fsync /x", errno: EIO)
        #expect(legacy.call == "fsync" && legacy.description == "fsync /x: Input/output error")

        let missing = failedOpen("/nonexistent/slipway")
        #expect(missing.kind == .system && missing.errno == ENOENT && missing.call == "open")
        #expect(missing.description == "open /nonexistent/slipway: No such file or directory")
    }

    @Test func theChainRendersOnceOutermostFirst() {
        let disk = SlipwayError.write("/var/lib/slipway/state.sqlite", errno: ENOSPC)
        let store = SlipwayError.wrapping(disk, "state database /var/lib/slipway/state.sqlite")
        let run = SlipwayError.wrapping(store, "could not record run 4")
        #expect(run.description == "could not record run 4: state database /var/lib/slipway/state.sqlite: "
            + "write /var/lib/slipway/state.sqlite: No space left on device (the disk is full: free space and retry)")
        #expect(run.message == "could not record run 4")
        #expect(run.kind == .system, "wrapping keeps the cause's kind")
        #expect(run.chain.count == 3)
        #expect((run.cause as? SlipwayError)?.message == store.message)

        // A level an outer message already quotes is not said twice.
        let quoted = SlipwayError.failed("deploy failed: \(disk.ownText)", cause: disk)
        #expect(quoted.description == "deploy failed: \(disk.ownText)")
        let same = SlipwayError.wrapping(SlipwayError.notFound("no run 9"), "no run 9")
        #expect(same.description == "no run 9" && same.kind == .notFound)
        // Words that merely occur in an outer message are still said where they belong.
        let short = SlipwayError.failed("deploy of web to host-a failed", cause: SlipwayError.failed("web"))
        #expect(short.description == "deploy of web to host-a failed: web")
    }

    @Test func foreignCausesReadAsSentences() throws {
        do {
            _ = try FileManager.default.contentsOfDirectory(atPath: "/nonexistent/slipway")
            Issue.record("listing a missing directory succeeded")
        } catch {
            let wrapped = SlipwayError.wrapping(error, "cannot read /nonexistent/slipway")
            #expect(wrapped.kind == .system)
            #expect(wrapped.description.hasPrefix("cannot read /nonexistent/slipway: "))
            #expect(!wrapped.description.contains("NSCocoaErrorDomain"), "\(wrapped)")
            #expect(!wrapped.description.contains("UserInfo"), "\(wrapped)")
        }
        let posix = SlipwayError.wrapping(POSIXError(.ENOSPC), "spill the cache", otherwise: .failed)
        #expect(posix.description == "spill the cache: No space left on device")
        struct Odd: Error, CustomStringConvertible { var description: String { "odd thing" } }
        #expect(SlipwayError.badInput("bad file", cause: Odd()).description == "bad file: odd thing")
    }

    @Test func httpStatusSaysWhoseFaultItIs() {
        #expect(SlipwayError.badInput("limit must be a number").httpStatus == 400)
        #expect(SlipwayError.notFound("no run 99").httpStatus == 404)
        #expect(SlipwayError.failed("run 3 is not waiting for approval").httpStatus == 409)
        #expect(SlipwayError.corrupt("record unreadable").httpStatus == 500)
        // The machine failing is never the client's conflict.
        #expect(SlipwayError.system(call: "fsync", "/x", errno: EIO).httpStatus == 500)
        #expect(SlipwayError.write("/x", errno: ENOSPC).httpStatus == 503)
        #expect(SlipwayError.system(call: "open", "/x", errno: EMFILE).httpStatus == 503)
        let buried = SlipwayError.failed("rollback of web", cause: SlipwayError.wrapping(SlipwayError.write("/j", errno: EIO), "journal"))
        #expect(buried.httpStatus == 500)
        #expect(SlipwayError.failed("approve", cause: POSIXError(.ENOSPC)).httpStatus == 503)
        struct Database: Error {}
        #expect(SlipwayError.wrapping(Database(), "state database /s").httpStatus == 500)
        // Input at fault stays 4xx whatever lies beneath.
        #expect(failedOpen("/nonexistent/slipway").httpStatus == 500)
        #expect(SlipwayError.notFound("no artifact 3f2a", cause: failedOpen("/nonexistent/slipway")).httpStatus == 404)
        #expect(SlipwayError.badInput("buildspec.yml", cause: SlipwayError.read("/b", errno: EISDIR)).httpStatus == 400)
        // Through the protocol, as a server sees an error it does not know.
        let unknown: any Error = SlipwayError.wrapping(SlipwayError.write("/x", errno: ENOSPC), "save")
        #expect((unknown as? HTTPClassifiedError)?.httpStatus == 503)
    }
}
