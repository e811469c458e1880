import AsyncHTTPClient
import Foundation
import HTTPTransport
import Images
import NIOCore
import SlipwayCore

extension ImagePuller {
    /// Downloads and unpacks `layers`, at most `concurrentLayers` at a time; the bytes received.
    func fetch(_ layers: [PlannedLayer], client: RegistryClient, what: String,
               events: @escaping @Sendable (PullEvent) -> Void) async throws -> Int64 {
        guard !layers.isEmpty else { return 0 }
        let count = layers.count
        return try await withThrowingTaskGroup(of: Int64.self) { group in
            var pending = layers[...]
            for _ in 0..<min(max(1, options.concurrentLayers), layers.count) {
                let layer = pending.removeFirst()
                group.addTask { try await fetchWithRetries(layer, of: count, client: client, what: what, events: events) }
            }
            var total: Int64 = 0
            while let bytes = try await group.next() {
                total += bytes
                if let layer = pending.popFirst() {
                    group.addTask { try await fetchWithRetries(layer, of: count, client: client, what: what, events: events) }
                }
            }
            return total
        }
    }

    /// A transfer that broke off mid-layer starts the layer again (its partial tree is gone).
    private func fetchWithRetries(_ layer: PlannedLayer, of count: Int, client: RegistryClient, what: String,
                                  events: @escaping @Sendable (PullEvent) -> Void) async throws -> Int64 {
        var attempt = 0
        while true {
            do {
                return try await fetchOnce(layer, of: count, client: client, what: what, events: events)
            } catch let broken as BrokenTransfer {
                attempt += 1
                guard attempt < options.attempts, !Task.isCancelled else {
                    var error = broken.error
                    error.message += " (tried \(attempt) times)"
                    throw error
                }
                events(.layerRetry(index: layer.index, reason: broken.error.message))
                try await Task.sleep(for: options.retryDelay * (1 << (attempt - 1)))
            }
        }
    }

    private struct BrokenTransfer: Error {
        var error: SlipwayError
    }

    private func fetchOnce(_ layer: PlannedLayer, of count: Int, client: RegistryClient, what: String,
                           events: @escaping @Sendable (PullEvent) -> Void) async throws -> Int64 {
        let source = "\(what): layer \(layer.index + 1) of \(count) (\(layer.blob))"
        let response = try await client.blob(layer.blob, what: source)
        let length = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        if let size = layer.size, let length, length != size {
            throw SlipwayError.badInput("\(source): the registry's Content-Length is \(length) bytes but the manifest says the layer is \(size); refused")
        }
        events(.layerStarted(index: layer.index, digest: layer.blob, size: layer.size ?? length ?? 0))
        let feed = try LayerFeed()
        let store = self.store
        async let unpacked: Int64 = Self.onThread {
            try store.receiveLayer(fd: feed.readEnd, source: source, blob: layer.blob, diffID: layer.diffID,
                                   blobDigest: { try feed.digest() })
        }
        var broken: (error: SlipwayError, retry: Bool)?
        var received: Int64 = 0
        do {
            var reported: Int64 = 0
            for try await buffer in response.body {
                received += Int64(buffer.readableBytes)
                if let size = layer.size, received > size {
                    broken = (.badInput("\(source): the registry sent more than the manifest's \(size) bytes; refused"), false)
                    break
                }
                guard await feed.write(buffer) else { break }
                if received - reported >= 1 << 19 {
                    reported = received
                    events(.layerProgress(index: layer.index, received: received))
                }
            }
            if broken == nil, let size = layer.size, received < size, !Task.isCancelled {
                broken = (.failed("\(source): the download ended after \(received) of \(size) bytes"), true)
            }
        } catch {
            broken = (.failed("\(source): the download broke off after \(received) bytes: \(HTTPTransport.reason(error))", cause: error),
                      !(error is CancellationError))
        }
        await feed.finish(broken?.error)
        do {
            let bytes = try await unpacked
            events(.layerProgress(index: layer.index, received: received))
            events(.layerDone(index: layer.index))
            return bytes
        } catch {
            if let broken, broken.retry, !Task.isCancelled { throw BrokenTransfer(error: broken.error) }
            throw error
        }
    }

    /// Runs blocking work (extraction) on a thread of its own, off the concurrency pool.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
