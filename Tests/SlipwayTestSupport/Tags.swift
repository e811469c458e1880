import Testing

extension Tag {
    /// Milliseconds: in-memory work or fixtures generated in a temporary directory.
    @Tag public static var small: Self
    /// Runs an external tool, a recipe, a sandbox or a single deploy: well under a few seconds.
    @Tag public static var medium: Self
    /// End to end: real builds and deploys through the orchestrator, the `slipway` binary, a
    /// server, sshd or a browser. `swift test --skip ...` or a tag filter leaves these out of
    /// a quick loop.
    @Tag public static var large: Self
    /// Builds or uses the Debian toolchain images (images/debian, python, node, go, java):
    /// root, mmdebstrap and the Debian mirror; minutes the first time in a test run, then
    /// shared through `ToolchainImages`. Always also `large`.
    @Tag public static var toolchainImages: Self
    /// Keeps both cores busy for minutes (the toolchain images, a fleet under rolling deploys
    /// and client load): `make test` runs these last, on their own, so they do not starve
    /// the suites that measure time. Always also `large`.
    @Tag public static var heavy: Self
    /// Several Slipway processes and servers of their own at once (workers building, services
    /// sharing a database, a PostgreSQL restarted): `make test` runs these in a phase of their
    /// own, so their processes do not starve the suites that measure time. Always also `large`.
    @Tag public static var cluster: Self
    /// Holds Slipway to how soon something happens (a page updated within 2 s, /healthz answered
    /// under a flood, a deploy killed after its first page): `make test` runs these after the
    /// others, one test at a time, so that no other suite's load decides them. Always also `large`.
    @Tag public static var timed: Self
}
