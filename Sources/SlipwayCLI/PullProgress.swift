import Foundation
import Registry
import SlipwayCore
import Synchronization

/// One line per layer on an interactive stderr, redrawn in place at most ten times a second;
/// nothing at all when stderr is not a terminal.
final class PullProgress: Sendable {
    private struct Layer {
        var digest: String
        var size: Int64
        var received: Int64 = 0
        var state = "waiting"
    }

    private struct State {
        var layers: [Layer] = []
        var drawn = 0
        var last = Date.distantPast
    }

    private let state = Mutex(State())

    static func onTerminal() -> PullProgress? {
        Terminal.isInteractive ? PullProgress() : nil
    }

    func handle(_ event: PullEvent) {
        state.withLock { s in
            switch event {
            case let .resolved(_, _, count):
                s.layers = Array(repeating: Layer(digest: "", size: 0), count: count)
            case let .layerPresent(i, digest):
                guard s.layers.indices.contains(i) else { return }
                s.layers[i] = Layer(digest: digest.short, size: 0, state: "already present")
            case let .layerStarted(i, digest, size):
                guard s.layers.indices.contains(i) else { return }
                s.layers[i] = Layer(digest: digest.short, size: size, state: "downloading")
            case let .layerProgress(i, received):
                guard s.layers.indices.contains(i) else { return }
                s.layers[i].received = received
            case let .layerDone(i):
                guard s.layers.indices.contains(i) else { return }
                s.layers[i].state = "done"
            case let .layerRetry(i, _):
                guard s.layers.indices.contains(i) else { return }
                s.layers[i].state = "retrying"
                s.layers[i].received = 0
            }
            let now = Date()
            guard now.timeIntervalSince(s.last) > 0.1 else { return }
            s.last = now
            Self.draw(&s)
        }
    }

    func finish() {
        state.withLock { Self.draw(&$0) }
    }

    private static func draw(_ s: inout State) {
        var text = s.drawn > 0 ? "\u{1B}[\(s.drawn)A" : ""
        for layer in s.layers {
            let amount = layer.size > 0 ? " \(Terminal.bytes(layer.received))/\(Terminal.bytes(layer.size))" : ""
            text += "\r\(layer.digest.isEmpty ? "            " : layer.digest)  \(layer.state)\(layer.state == "downloading" ? amount : "")\u{1B}[K\n"
        }
        s.drawn = s.layers.count
        FileHandle.standardError.write(Data(text.utf8))
    }
}
