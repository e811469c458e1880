import Foundation
import Images
import SlipwayCore
import SlipwayTestSupport
import Testing

/// The Debian toolchain images, built from their recipes (once per test run, shared through
/// `ToolchainImages`) and each used in the real sandbox to build a tiny project in its language.
@Suite("Toolchain images from Debian packages", .tags(.large, .toolchainImages), .serialized,
       .enabled(if: SlipwayCommand.isBuilt && ToolchainImages.available, "needs the slipway binary, root, mmdebstrap and attr"))
struct ToolchainImageTests {
    /// Runs `script` with sh in a sandbox on `image`'s tree with `project` as /workspace.
    func sandbox(_ image: ImageRecord, project: TemporaryDirectory, network: String = "none", _ script: String) throws -> ProgramOutput {
        try SlipwayCommand(home: ToolchainImages.home.path).run([
            "sandbox", "run", "--rootfs", image.rootfs, "--workspace", project.path, "--timeout", "600s", "--memory", "2G", "--network", network,
            "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--env", "HOME=/root",
            "--env", "LC_ALL=C.UTF-8", "--", "/bin/sh", "-ec", script,
        ], timeout: .seconds(900))
    }

    @Test("images/debian: two builds in a row give the same image digest; it has the toolchain and nothing host-specific")
    func debianIsReproducible() throws {
        let first = try ToolchainImages.image("debian")
        let second = try ToolchainImages.image("debian", force: true)
        #expect(first.digest == second.digest)
        for tool in ["usr/bin/gcc", "usr/bin/make", "usr/bin/git", "usr/bin/curl", "etc/ssl/certs/ca-certificates.crt"] {
            #expect(FileManager.default.fileExists(atPath: second.rootfs + "/" + tool), "\(tool)")
        }
        #expect(try String(contentsOfFile: second.rootfs + "/etc/machine-id", encoding: .utf8).isEmpty)
        let lists = (try? FileManager.default.contentsOfDirectory(atPath: second.rootfs + "/var/lib/apt/lists")) ?? []
        #expect(lists.filter { $0 != "partial" && $0 != "lock" }.isEmpty, "\(lists)")
        let logs = try FileManager.default.subpathsOfDirectory(atPath: second.rootfs + "/var/log").filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: second.rootfs + "/var/log/" + $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        #expect(logs.isEmpty, "\(logs)")
    }

    @Test("images/debian: make and gcc build a C program in the sandbox; with host networking it resolves the mirror's name")
    func debianBuildsAndResolves() throws {
        let image = try ToolchainImages.image("debian")
        let project = try TemporaryDirectory("slipway-c-project")
        _ = try project.write("hello.c", "#include <stdio.h>\nint main(void) { puts(\"hello from c\"); return 0; }\n")
        _ = try project.write("Makefile", "hello: hello.c\n\tcc -O2 -o $@ $<\n")
        // The image has no resolv.conf of its own: the sandbox binds the host's with host networking.
        let mirror = URL(string: ProcessInfo.processInfo.environment["DEBIAN_MIRROR"] ?? "http://deb.debian.org/debian")?.host ?? "deb.debian.org"
        let run = try sandbox(image, project: project, network: "host", """
            make -s && ./hello
            getent hosts \(mirror) >/dev/null && echo RESOLVED
            git --version >/dev/null && echo GIT
            """)
        #expect(run.succeeded, "\(run)")
        #expect(run.stdout == "hello from c\nRESOLVED\nGIT\n", "\(run)")
        #expect(!FileManager.default.fileExists(atPath: image.rootfs + "/etc/resolv.conf"))
    }

    /// A tiny project in an image's language: its files, the script that builds and tests it
    /// in the sandbox (with sh -e), and what that prints.
    struct LanguageProject: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var image: String
        var files: [String: String]
        var script: String
        var printed: String
    }

    static let projects = [
        LanguageProject(testDescription: "images/python: a venv installs a pyproject package and its tests pass", image: "python", files: [
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools"]
                build-backend = "setuptools.build_meta"
                [project]
                name = "greeter"
                version = "1.0"
                [project.scripts]
                greet = "greeter:main"
                [tool.setuptools]
                py-modules = ["greeter"]
                """,
            "greeter.py": "def greeting():\n    return 'hello from python'\n\ndef main():\n    print(greeting())\n",
            "test_greeter.py": "import unittest, greeter\n\nclass T(unittest.TestCase):\n    def test(self):\n        self.assertEqual(greeter.greeting(), 'hello from python')\n",
        ], script: """
            python3 -m venv --system-site-packages /tmp/venv
            /tmp/venv/bin/pip install -q --no-index --no-build-isolation .
            /tmp/venv/bin/greet
            python3 -m unittest -q 2>&1 | tail -1
            """, printed: "hello from python\nOK"),
        LanguageProject(testDescription: "images/node: npm runs a package's tests and packs it", image: "node", files: [
            "package.json": #"{"name": "greeter", "version": "1.0.0", "main": "index.js", "scripts": {"test": "node test.js"}}"#,
            "index.js": "exports.greeting = () => 'hello from node';\n",
            "test.js": "const assert = require('assert');\nassert.strictEqual(require('./index').greeting(), 'hello from node');\nconsole.log('tests passed');\n",
        ], script: """
            npm test --silent
            npm pack --silent
            node -e "console.log(require('./index').greeting())"
            """, printed: "tests passed\ngreeter-1.0.0.tgz\nhello from node"),
        LanguageProject(testDescription: "images/go: go test and go build a module", image: "go", files: [
            "go.mod": "module example.org/greeter\n\ngo 1.19\n",
            "main.go": "package main\n\nimport \"fmt\"\n\nfunc greeting() string { return \"hello from go\" }\n\nfunc main() { fmt.Println(greeting()) }\n",
            "main_test.go": "package main\n\nimport \"testing\"\n\nfunc TestGreeting(t *testing.T) {\n\tif greeting() != \"hello from go\" {\n\t\tt.Fatal(greeting())\n\t}\n}\n",
        ], script: """
            export GOCACHE=/tmp/gocache GOPATH=/tmp/go GOFLAGS=-mod=mod
            go test ./... >/dev/null
            go build -o /tmp/greeter .
            /tmp/greeter
            """, printed: "hello from go"),
        LanguageProject(testDescription: "images/java: javac, jar and java build and run a program; maven is there", image: "java", files: [
            "src/Greeter.java": "public class Greeter {\n  public static void main(String[] a) { System.out.println(\"hello from java\"); }\n}\n",
        ], script: """
            javac -d /tmp/classes src/Greeter.java
            jar --create --file /tmp/greeter.jar --main-class Greeter -C /tmp/classes .
            java -jar /tmp/greeter.jar
            mvn -B -v > /tmp/maven-version
            grep -o "Apache Maven 3[.0-9]*" /tmp/maven-version  # its banner has terminal colour codes even with -B
            """, printed: "hello from java\nApache Maven 3."),
    ]

    @Test(arguments: projects)
    func languageProjectBuilds(_ language: LanguageProject) throws {
        let image = try ToolchainImages.image(language.image)
        let project = try TemporaryDirectory("slipway-\(language.image)-project")
        for (path, text) in language.files { _ = try project.write(path, text) }
        let run = try sandbox(image, project: project, language.script)
        #expect(run.succeeded, "\(run)")
        #expect(run.stdout.contains(language.printed), "\(run)")
    }

    @Test("images/python is layered on images/debian")
    func pythonIsLayeredOnDebian() throws {
        #expect(try ToolchainImages.image("python").parent == ToolchainImages.image("debian").digest)
    }

    @Test("images/java records its JDK's version and CodeBuild's names for it, which runtime-versions is checked against")
    func javaRecordsItsRuntimes() throws {
        let runtimes = try String(contentsOfFile: try ToolchainImages.image("java").rootfs + "/etc/slipway/runtimes", encoding: .utf8)
        #expect(runtimes.hasPrefix("java 17.") && runtimes.contains(" corretto17 openjdk17"), "\(runtimes)")
    }

    @Test("a buildspec with runtime-versions python 3.11 and no image runs on images/python; 3.12 is refused naming the line")
    func runtimeVersionsPickTheImage() throws {
        let python = try ToolchainImages.image("python")
        let project = try TemporaryDirectory("slipway-runtime-project")
        _ = try project.write("buildspec.yml", """
            version: 0.2
            phases:
              install:
                runtime-versions:
                  python: 3.11
              build:
                commands:
                  - python3 --version
                  - echo "image $CODEBUILD_BUILD_IMAGE"
            """)
        let slipway = SlipwayCommand(home: ToolchainImages.home.path)
        let run = try slipway.run(["build", project.path, "--json"], timeout: .seconds(600))
        #expect(run.succeeded, "\(run)")
        #expect(run.stderr.contains("Python 3.11.") || run.stdout.contains("Python 3.11."), "\(run)")
        #expect(run.stderr.contains("image python:latest") || run.stdout.contains("image python:latest"), "\(run)")
        #expect(python.reference == "python:latest")

        _ = try project.write("buildspec.yml", """
            version: 0.2
            phases:
              install:
                runtime-versions:
                  python: 3.12
              build:
                commands:
                  - python3 --version
            """)
        let refused = try slipway.run(["build", project.path], timeout: .seconds(600))
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("buildspec.yml:5:") && refused.stderr.contains("does not provide python 3.12"), "\(refused)")
    }
}
