import Deploy
import Foundation
import ObjectStorage
import SlipwayCore
import Synchronization

/// Carries out a `SitePlan` on a target: where each object's content comes from, the order,
/// and the records that let an interrupted change be finished by the next one.
final class SiteChange: Sendable {
    let target: SiteTarget
    /// A directory holding the release's files (its paths below it), when this machine has them.
    let root: String?
    /// Content hashes kept under `.slipway/objects/` (server-side copies instead of uploads).
    let kept: Locked<Set<String>>
    let events: DeployEventSink

    init(target: SiteTarget, root: String?, kept: Set<String>, events: @escaping DeployEventSink) {
        self.target = target
        self.root = root
        self.kept = Locked(kept)
        self.events = events
    }

    struct Counts: Sendable, Codable, Equatable {
        var uploaded = 0
        var copied = 0
        var unchanged = 0
        var retired = 0
        var deleted = 0
    }

    /// Refuses, before anything is written, a plan whose content is neither on this machine
    /// nor in the bucket.
    func checkSources(_ plan: SitePlan, release: String) throws {
        guard root == nil else { return }
        let have = kept.withLock { $0 }
        let missing = plan.writes.filter { !have.contains($0.file.sha256) }.map(\.file.path)
        guard missing.isEmpty else {
            throw SlipwayError.notFound("\(target): release \(release) needs \(missing.count) file(s) the bucket no longer keeps and this machine's store lacks "
                                        + "(\(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")); deploy its artifact again instead")
        }
    }

    /// Marks the keys the change touches as in flight and saves the state: a process killed
    /// from here on leaves them for the next one to look at.
    func begin(_ plan: SitePlan, release: String, state: inout SiteState) async throws {
        let keys = Set(plan.writes.map(\.file.path) + plan.retire.map(\.path) + state.retired.map(\.file.path))
        state.inFlight = SiteState.InFlight(release: release, started: Date(), owner: SiteLock.owner, keys: keys.sorted())
        try await target.save(state)
    }

    /// Writes the plan's assets, then (after `between`) its pages, then retires what the
    /// release no longer has; `state` follows what is done.
    func write(_ plan: SitePlan, state: inout SiteState, counts: inout Counts,
               between: () async throws -> Void = {}) async throws {
        counts.unchanged = plan.unchanged
        if !plan.assets.isEmpty {
            events(DeployEvent(host: target.description, kind: .step, text: "writing \(plan.assets.count) asset(s)"))
        }
        try await write(plan.assets, counts: &counts)
        for write in plan.assets { state.live[write.file.path] = write.file }
        try await between()
        if !plan.pages.isEmpty {
            events(DeployEvent(host: target.description, kind: .step, text: "writing \(plan.pages.count) page(s)"))
        }
        try await write(plan.pages, counts: &counts)
        for write in plan.pages { state.live[write.file.path] = write.file }
        let now = Date()
        for file in plan.retire {
            state.live[file.path] = nil
            state.retired.removeAll { $0.file.path == file.path }
            state.retired.append(SiteState.RetiredObject(file: file, since: now))
        }
        // A key written again is no longer waiting to be deleted.
        state.retired.removeAll { state.live[$0.file.path] != nil }
        counts.retired = plan.retire.count
        state.kept = kept.withLock { $0 }
    }

    /// Deletes the retired objects whose grace period is over (keeping their content under
    /// `.slipway/objects/` for rollbacks); the rest wait for a later deploy or rollback.
    func deleteDue(state: inout SiteState, grace: TimeInterval, counts: inout Counts) async throws {
        let now = Date()
        let due = state.retired.filter { now.timeIntervalSince($0.since) >= grace }
        let waiting = state.retired.count - due.count
        if waiting > 0 {
            events(DeployEvent(host: target.description, kind: .step,
                               text: "\(waiting) object(s) the live release no longer has stay for their grace period of \(Int(grace)) s; a later deploy or rollback deletes them"))
        }
        guard !due.isEmpty else { return }
        events(DeployEvent(host: target.description, kind: .step, text: "deleting \(due.count) object(s) past their grace period"))
        try await forEach(due) { [self] retired in
            try await preserve(retired.file, at: retired.file.path)
            try await target.client.delete(target.key(retired.file.path))
        }
        let gone = Set(due.map(\.file.path))
        state.retired.removeAll { gone.contains($0.file.path) }
        counts.deleted = due.count
        state.kept = kept.withLock { $0 }
    }

    private func write(_ writes: [SitePlan.Write], counts: inout Counts) async throws {
        let done = Locked((uploaded: 0, copied: 0))
        // Only content kept before this phase is copied from: what this phase keeps may still be on its way.
        let available = kept.withLock { $0 }
        try await forEach(writes) { [self] write in
            if let old = write.replacing, old.sha256 != write.file.sha256 { try await preserve(old, at: old.path) }
            let file = write.file
            if available.contains(file.sha256) {
                try await target.client.copy(target.objectKey(file.sha256), to: target.key(file.path), headers: file.headers)
                done.withLock { $0.copied += 1 }
            } else if let root {
                try await target.client.upload(root + "/" + file.path, to: target.key(file.path), headers: file.headers)
                done.withLock { $0.uploaded += 1 }
            } else {
                throw SlipwayError.notFound("\(target): no copy of \(file.path) (sha256 \(file.sha256)) to write")
            }
        }
        let (uploaded, copied) = done.withLock { $0 }
        counts.uploaded += uploaded
        counts.copied += copied
    }

    /// Keeps what `path` holds (`file`) under `.slipway/objects/` before it is overwritten or
    /// deleted, unless a copy is there already: a rollback then copies it back on the server.
    private func preserve(_ file: SiteFile, at path: String) async throws {
        guard file.sha256 != SiteFile.unknownContent else { return }
        let claimed = kept.withLock { kept in kept.insert(file.sha256).inserted }
        guard claimed else { return }
        do {
            try await target.client.copy(target.key(path), to: target.objectKey(file.sha256))
        } catch let error as SlipwayError where error.kind == .notFound {
            // Gone already (deleted by hand): nothing to keep.
            kept.withLock { _ = $0.remove(file.sha256) }
        } catch {
            kept.withLock { _ = $0.remove(file.sha256) }
            throw error
        }
    }

    /// Runs `body` for each item, `concurrency` at a time; the first failure stops the rest.
    func forEach<T: Sendable>(_ items: [T], _ body: @escaping @Sendable (T) async throws -> Void) async throws {
        let limit = max(1, target.client.options.concurrency)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(limit, items.count) {
                let item = items[next]
                group.addTask { try await body(item) }
                next += 1
            }
            while try await group.next() != nil {
                if next < items.count {
                    let item = items[next]
                    group.addTask { try await body(item) }
                    next += 1
                }
            }
        }
    }
}

extension SiteTarget {
    /// Finishes what a killed deploy or rollback left: each key it was writing is looked at
    /// (its `x-amz-meta-sha256`), so the state says what the bucket really holds and the next
    /// plan rewrites what differs. A release that never went live is marked bad.
    func reconcile(_ state: inout SiteState, events: @escaping DeployEventSink) async throws {
        guard let flight = state.inFlight else { return }
        events(DeployEvent(host: description, kind: .warning,
                           text: "a change to release \(flight.release) by \(flight.owner) (started \(Timestamp.format(flight.started))) did not finish: looking at its \(flight.keys.count) key(s)"))
        let found = Locked<[String: String?]>([:])
        let change = SiteChange(target: self, root: nil, kept: [], events: events)
        try await change.forEach(flight.keys) { path in
            let sha = try await client.metadata(of: key(path)).map { $0["sha256"] ?? "" }
            found.withLock { $0[path] = .some(sha) }
        }
        // Content the stopped change replaced or deleted was copied to `.slipway/objects/` first
        // (unless a copy of it was on its way there): what is there is kept.
        var replaced: Set<String> = []
        for (path, sha) in found.withLock({ $0 }) {
            let before = [state.live[path]?.sha256] + state.retired.filter { $0.file.path == path }.map { Optional($0.file.sha256) }
            replaced.formUnion(before.compactMap { $0 }.filter { $0 != sha && $0 != SiteFile.unknownContent })
            guard let sha else {
                state.live[path] = nil
                state.retired.removeAll { $0.file.path == path }
                continue
            }
            if state.live[path]?.sha256 == sha || state.retired.contains(where: { $0.file.path == path && $0.file.sha256 == sha }) { continue }
            state.retired.removeAll { $0.file.path == path }
            // Unknown content (no metadata) never matches a release's file, so it is rewritten.
            state.live[path] = SiteFile(path: path, sha256: sha.isEmpty ? SiteFile.unknownContent : sha, size: 0)
        }
        let present = Locked<Set<String>>([])
        try await change.forEach(Array(replaced.subtracting(state.kept))) { sha in
            if try await client.metadata(of: objectKey(sha)) != nil { present.withLock { _ = $0.insert(sha) } }
        }
        state.kept.formUnion(present.withLock { $0 })
        if state.history.releases[flight.release]?.state == .created {
            state.records.append(JournalRecord(event: .bad, release: flight.release, note: "interrupted: its deploy stopped before it finished"))
        }
        state.inFlight = nil
    }
}
