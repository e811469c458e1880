import Foundation
import SlipwayCore

/// Extraction that is all or nothing: entries go into a hidden sibling directory that is
/// renamed onto the destination only when every entry was written and the checks passed.
public enum Extraction {
    /// Extracts `archive` to `destination` (which must be missing or an empty directory).
    /// `check` runs after the last entry, with the whole input read (to verify digests);
    /// a throw there discards the extracted tree too.
    @discardableResult
    public static func extract(archive: String, to destination: String, options: ExtractOptions = .artifact,
                               check: ((TarReader) throws -> Void)? = nil) throws -> ExtractStats {
        let reader = try TarReader(decodingAhead: archive)
        return try extract(reader, to: destination, options: options, check: check)
    }

    @discardableResult
    public static func extract(_ reader: TarReader, to destination: String, options: ExtractOptions = .artifact,
                               check: ((TarReader) throws -> Void)? = nil) throws -> ExtractStats {
        let destination = SlipwayHome.absolute(destination)
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: destination), !existing.isEmpty {
            throw SlipwayError.badInput("\(destination): exists and is not empty; extract into a new directory")
        }
        let parent = (destination as NSString).deletingLastPathComponent
        try makeDirectories(parent)
        let staging = parent + "/." + (destination as NSString).lastPathComponent + ".partial-" + randomSuffix()
        guard mkdir(staging, 0o700) == 0 else { throw SlipwayError.mkdir(staging) }
        do {
            let stats = try SafeExtractor(rootPath: staging, options: options).extract(reader)
            try reader.drain()
            try check?(reader)
            guard chmod(staging, 0o755) == 0, rename(staging, destination) == 0 else {
                throw SlipwayError.rename(staging, to: destination)
            }
            return stats
        } catch {
            removeTree(staging)
            throw error
        }
    }

    public static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }
}
