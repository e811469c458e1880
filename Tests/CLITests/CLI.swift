import Foundation

/// Runs the real `slipway` binary built next to the test bundle.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let binary: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var dir = (exe as NSString).deletingLastPathComponent
        while !dir.isEmpty, dir != "/", !FileManager.default.isExecutableFile(atPath: dir + "/slipway") {
            dir = (dir as NSString).deletingLastPathComponent
        }
        return dir + "/slipway"
    }()

    let home: String

    init(home: String) {
        self.home = home
    }

    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:], prefix: [String] = []) throws -> Result {
        let process = Process()
        let command = prefix + [CLI.binary] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        var env = ProcessInfo.processInfo.environment
        env["SLIPWAY_HOME"] = home
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}

func makeTempDir(_ label: String = "slipway-cli") -> String {
    var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}
