import CLinux
import Foundation
import SandboxWire
import SlipwayCore
import Synchronization

/// The host ids a sandbox started by root runs as: the `slipway` entries of /etc/subuid and
/// /etc/subgid (as podman's `--userns=auto` uses the `containers` entries). Root inside the
/// sandbox is the first id of the range, never host uid 0. The entries are added on first use
/// when absent: 65,536 ids starting after every range already given out (and at 100,000 at
/// the least, where useradd starts), the same start in both files. The account itself need not
/// exist in /etc/passwd.
public enum SubordinateIDs {
    public static let account = "slipway"
    /// Ids per range: every uid and gid an image can hold (0-65535).
    public static let rangeSize: UInt32 = 65_536
    /// Where ranges start when none are given out yet (useradd's SUB_UID_MIN).
    public static let lowestStart: UInt32 = 100_000

    public typealias IDRange = WireSpec.IDRange

    /// One `name:start:count` line.
    struct Entry: Equatable {
        var name: String
        var start: UInt32
        var count: UInt32
        var end: UInt64 { UInt64(start) + UInt64(count) }
    }

    /// The ranges for this process's sandboxes, found (or added) once.
    public static func forSandboxes() throws -> (uids: IDRange, gids: IDRange) {
        try cache.withLock { cached in
            if let cached { return cached }
            let found = try ensure()
            cached = found
            return found
        }
    }

    private static let cache = Mutex<(uids: IDRange, gids: IDRange)?>(nil)

    /// The `slipway` ranges in `uidFile` and `gidFile`, added to both (under the lock the
    /// shadow tools take, when `lock`) if either lacks one.
    static func ensure(uidFile: String = "/etc/subuid", gidFile: String = "/etc/subgid", lock: Bool = true) throws -> (uids: IDRange, gids: IDRange) {
        if let uid = try entry(in: read(uidFile), file: uidFile), let gid = try entry(in: read(gidFile), file: gidFile) {
            return (IDRange(start: uid.start, count: uid.count), IDRange(start: gid.start, count: gid.count))
        }
        if lock {
            guard cl_lock_account_files() == 0 else {
                throw cannotAdd(uidFile, gidFile, cause: SlipwayError.system("lckpwdf (the lock on the account files)"))
            }
        }
        defer { if lock { _ = cl_unlock_account_files() } }
        // Read again under the lock: another process may have added them meanwhile.
        let uidText = try read(uidFile), gidText = try read(gidFile)
        let uidEntries = try entries(in: uidText, file: uidFile), gidEntries = try entries(in: gidText, file: gidFile)
        let taken = (uidEntries + gidEntries).map(\.end).max() ?? 0
        let start = max(UInt64(lowestStart), taken)
        guard start + UInt64(rangeSize) <= UInt64(UInt32.max) else {
            throw SlipwayError.failed("no room for \(rangeSize) more subordinate ids in \(uidFile) and \(gidFile): add a line `\(account):START:\(rangeSize)` to both by hand")
        }
        let fresh = Entry(name: account, start: UInt32(start), count: rangeSize)
        do {
            let uid = try uidEntries.first { $0.name == account } ?? append(fresh, to: uidFile, text: uidText)
            let gid = try gidEntries.first { $0.name == account } ?? append(fresh, to: gidFile, text: gidText)
            return (IDRange(start: uid.start, count: uid.count), IDRange(start: gid.start, count: gid.count))
        } catch {
            throw cannotAdd(uidFile, gidFile, cause: error, start: fresh.start)
        }
    }

    /// Why the range is missing and what to do about it.
    private static func cannotAdd(_ uidFile: String, _ gidFile: String, cause: any Error, start: UInt32 = lowestStart) -> SlipwayError {
        SlipwayError.failed("""
            builds run as root need a \(account) range in \(uidFile) and \(gidFile) (their user namespace maps onto it) \
            and it could not be added (add the line `\(account):\(start):\(rangeSize)`, or another range of \(rangeSize) ids \
            that no other line overlaps, to both files, as scripts/install-deps does)
            """, cause: cause)
    }

    /// The first `slipway` entry of a file's text.
    static func entry(in text: String, file: String) throws -> Entry? {
        try entries(in: text, file: file).first { $0.name == account }
    }

    /// Every entry; blank lines and `#` comments are skipped, anything else malformed is
    /// refused with its line (a range we cannot read might overlap the one we would add).
    static func entries(in text: String, file: String) throws -> [Entry] {
        var entries: [Entry] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // Spaces and tabs, trimmed without Foundation's CharacterSet (1.5 million
            // instructions per `sandbox run`).
            var trimmed = line
            while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
            while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, !fields[0].isEmpty, let start = UInt32(fields[1]), let count = UInt32(fields[2]), count > 0 else {
                throw SlipwayError.badInput("\(file):\(index + 1): not a subordinate id range (NAME:START:COUNT): \(trimmed)")
            }
            entries.append(Entry(name: String(fields[0]), start: start, count: count))
        }
        return entries
    }

    /// The file's text; a missing file is empty (it is created with the first entry).
    private static func read(_ file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            if access(file, F_OK) != 0 && errno == ENOENT { return "" }
            throw SlipwayError.read(file)
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func append(_ entry: Entry, to file: String, text: String) throws -> Entry {
        var info = stat()
        let mode = stat(file, &info) == 0 ? info.st_mode & 0o7777 : 0o644
        let separator = text.isEmpty || text.hasSuffix("\n") ? "" : "\n"
        let updated = text + separator + "\(entry.name):\(entry.start):\(entry.count)\n"
        try writeFileAtomically(Data(updated.utf8), to: file, mode: mode)
        return entry
    }
}
