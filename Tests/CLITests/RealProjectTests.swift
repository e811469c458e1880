import Foundation
import SlipwayTestSupport
import Testing

/// Real projects on the Debian toolchain images: GNU hello (upstream's autotools build and
/// test suite, from Debian's orig tarball) and a Python package built into wheels with its
/// dependencies from PyPI. Each is reproducible: `--check` varies time, umask, checkout path,
/// time zone, locale and CPUs, and another SLIPWAY_HOME with another checkout gets the same
/// digest.
@Suite(.tags(.large, .toolchainImages, .heavy), .serialized,
       .enabled(if: SlipwayCommand.isBuilt && ToolchainImages.available, "needs the slipway binary, root, mmdebstrap and attr"))
struct RealProjectTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory("slipway-real-projects")
    }

    func json(_ output: ProgramOutput) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output)")
    }

    func digest(_ build: [String: Any]) -> String? {
        ((build["artifacts"] as? [[String: Any]])?.first)?["digest"] as? String
    }

    @Test func gnuHelloBuildsPassesItsTestsAndIsReproducible() throws {
        let debian = try ToolchainImages.image("debian")
        let prepare = Busybox.checkout + "/examples/hello-c/prepare"
        let first = directory.path + "/a/hello"
        let prepared = try Program.run(prepare, [first])
        #expect(prepared.status == 0, "\(prepared)")

        let check = try SlipwayCommand(home: directory.path + "/home-a")
            .run(["build", first, "--image", debian.rootfs, "--check", "--json"], timeout: .seconds(1200))
        #expect(check.status == 0, "\(check)")
        let report = try json(check)
        #expect(report["reproducible"] as? Bool == true, "\(check.stdout)")
        let artifact = try #require(((report["artifacts"] as? [[String: Any]])?.first)?["first"] as? String, "\(check.stdout)")

        // Another home, another checkout path, another umask: the same bytes.
        let second = directory.path + "/elsewhere/deeper/hello"
        #expect(try Program.run(prepare, [second]).status == 0)
        let other = try Program.run("/bin/sh", ["-c", "umask 077; exec \"$0\" \"$@\"", SlipwayCommand.binary,
                                                "build", second, "--image", debian.rootfs, "--json"],
                                    environment: ["SLIPWAY_HOME": directory.path + "/home-b", "TZ": "Asia/Tokyo"], timeout: .seconds(1200))
        #expect(other.status == 0, "\(other)")
        #expect(digest(try json(other)) == artifact)

        // What it built runs: the host is Debian 12 too.
        let unpacked = try SlipwayCommand(home: directory.path + "/home-b").run(["artifact", "unpack", artifact, directory.path + "/installed"])
        #expect(unpacked.status == 0, "\(unpacked)")
        let hello = try Program.run(directory.path + "/installed/usr/bin/hello", [], environment: ["LANGUAGE": "", "LANG": "C"])
        #expect(hello.stdout == "Hello, world!\n", "\(hello)")
    }

    @Test func aPythonWheelFetchesItsDependenciesOnceAndIsReproducible() throws {
        let python = try ToolchainImages.image("python")
        let project = try GitRepository(at: directory.path + "/wheel")
        let example = Busybox.checkout + "/examples/python-wheel"
        for file in ["pyproject.toml", "requirements.txt", "buildspec.yml", "slipway.yml", "src/slipway_greeting/__init__.py"] {
            try project.write(file, try String(contentsOfFile: example + "/" + file, encoding: .utf8))
        }
        // This machine reaches PyPI through a proxy whose CA only the host's bundle holds: pip
        // inside is given that bundle, as a team behind such a proxy would do.
        try project.write("host-ca.crt", try String(contentsOfFile: "/etc/ssl/certs/ca-certificates.crt", encoding: .utf8))
        _ = try project.commit("slipway-greeting 1.0.0")
        let slipway = SlipwayCommand(home: directory.path + "/home-wheel")
        let arguments = ["build", project.path, "--image", python.rootfs, "--network", "host", "--json",
                         "--env", "PIP_CERT=/codebuild/output/src/host-ca.crt"]

        let started = ContinuousClock.now
        let first = try slipway.run(arguments, timeout: .seconds(900))
        let firstTook = ContinuousClock.now - started
        #expect(first.status == 0, "\(first)")
        let firstBuild = try json(first)
        #expect(first.stderr.contains("hello, slipway (requests 2.32.3)"), "\(first.stderr)")

        // Again, not from the result cache: the wheelhouse, kept by the build cache, holds the
        // dependencies, and the wheels are the same bytes.
        let again = ContinuousClock.now
        let second = try slipway.run(arguments + ["--no-cache"], timeout: .seconds(900))
        let secondTook = ContinuousClock.now - again
        #expect(second.status == 0, "\(second)")
        #expect(first.stderr.contains("Downloading requests-2.32.3"), "\(first.stderr)")
        #expect(second.stderr.contains("Restoring cache 'default'"), "\(second.stderr)")
        #expect(second.stderr.contains("File was already downloaded /root/.cache/wheelhouse/requests-2.32.3"), "\(second.stderr)")
        #expect(!second.stderr.contains("Downloading "), "\(second.stderr)")
        #expect(digest(try json(second)) == digest(firstBuild))
        print("python wheel: first build \(firstTook), second from the wheelhouse \(secondTook)")
    }
}
