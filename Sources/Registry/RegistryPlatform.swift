import SlipwayCore

/// `os/architecture[/variant]` as OCI spells them (`linux/amd64`, `linux/arm64/v8`).
public struct RegistryPlatform: Sendable, Equatable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    /// This machine's: Linux on the host's architecture.
    public static var host: RegistryPlatform {
        #if arch(x86_64)
        RegistryPlatform(os: "linux", architecture: "amd64")
        #elseif arch(arm64)
        RegistryPlatform(os: "linux", architecture: "arm64")
        #else
        RegistryPlatform(os: "linux", architecture: "unknown")
        #endif
    }

    public var description: String { "\(os)/\(architecture)" + (variant.map { "/" + $0 } ?? "") }

    /// Whether an index entry's platform serves this one: the same OS and architecture, and
    /// the variant when this one names it (arm64's `v8` is what an entry without one means).
    func accepts(os: String, architecture: String, variant: String?) -> Bool {
        guard os == self.os, architecture == self.architecture else { return false }
        guard let wanted = self.variant else { return true }
        return (variant ?? (architecture == "arm64" ? "v8" : nil)) == wanted
    }
}

extension RegistryPlatform {
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw SlipwayError.badInput("--platform '\(text)': expected OS/ARCH[/VARIANT], for example linux/amd64 or linux/arm64/v8")
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }
}
