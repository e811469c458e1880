import Foundation
import SlipwayTestSupport
import Testing

/// The half-open flood of `ServeAbuseTests` shares this process with every suite running beside
/// it: it holds a small part of the descriptor limit here, and its holder processes take the
/// flood's sockets and nothing else of this process.
@Suite(.tags(.small)) struct HalfOpenFloodTests {
    @Test func holdsAnEighthOfTheDescriptorLimitAtMostInThisProcess() {
        for limit in [256, 1_024, 4_096, 10_000, 20_000, 65_536, 1 << 20] {
            let batch = HalfOpenFlood.batchSize(descriptorLimit: limit)
            #expect(batch >= 64 && batch <= max(64, limit / 8) && batch <= 2_000, "descriptor limit \(limit): \(batch) held here")
        }
    }

    @Test func aHolderKeepsTheSocketsAndNothingElseOfThisProcess() throws {
        let (listener, port) = try Loopback.listener(backlog: 128)
        defer { close(listener) }
        // A pipe without close-on-exec, as Foundation's Pipe makes them, below the sockets.
        var pipe: [Int32] = [-1, -1]
        #expect(Glibc.pipe(&pipe) == 0)
        defer { pipe.forEach { close($0) } }
        let flood = HalfOpenFlood(port: port)
        defer { flood.close() }
        flood.open(50, inheritable: true)
        flood.waitConnected(timeout: .seconds(10))
        #expect(flood.connected == 50)
        try flood.handOver()
        #expect(flood.sockets.isEmpty, "this process's copies are closed")
        let holder = try #require(flood.holders.first)
        // sleep may hold a file for a moment while it starts (its locale): read until it settles.
        var held: [Int32: String] = [:]
        for _ in 0..<100 {
            let names = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(holder)/fd").compactMap { Int32($0) }
            let targets = names.map { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(holder)/fd/\($0)")) ?? "?" }
            held = Dictionary(uniqueKeysWithValues: zip(names, targets))
            if held.count == 53 { break }
            usleep(20_000)
        }
        #expect(held.count == 53, "\(held)")
        #expect((0...2).allSatisfy { held[$0] == "/dev/null" }, "standard streams: \(held.filter { $0.key <= 2 })")
        #expect(held.filter { $0.key > 2 }.values.allSatisfy { $0.hasPrefix("socket:") }, "\(held)")
    }
}
