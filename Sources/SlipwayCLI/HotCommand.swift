import Deploy
import Sandbox

/// The calls scripts and deploys make most, each a whole process that is mostly start-up,
/// read without swift-argument-parser: its parse of even one command costs about 20 million
/// instructions of Swift protocol-conformance scans (it reflects every property wrapper, runs
/// the synthesized `Decodable` and checks generic requirements at run time), several times the
/// rollback or sandbox start it leads to. Only the plain forms are read here. Anything else
/// (help, an unknown, repeated or misspelt option, a value that looks like an option, a failed
/// validation, the stage and fleet options) gives nil and is left to the parser, so every
/// message is still the parser's. `HotCommandTests` holds each form to what the parser makes of it.
enum HotCommand: Equatable {
    case sandboxRun(SandboxRunOptions)
    case rollback(RollbackCommand.Single)

    static func parse(_ arguments: [String]) -> HotCommand? {
        if arguments.starts(with: ["sandbox", "run"]) {
            guard let plain = PlainArguments(arguments.dropFirst(2), values: SandboxRunOptions.optionNames,
                                             repeatable: ["bind", "env"], takesCommand: true),
                  let options = SandboxRunOptions(plain), (try? options.validate()) != nil else { return nil }
            return .sandboxRun(options)
        }
        if arguments.first == "rollback" {
            guard let plain = PlainArguments(arguments.dropFirst(), values: ["target", "to", "health-url", "health-cmd", "wait"],
                                             flags: ["json"]),
                  let single = RollbackCommand.Single(plain) else { return nil }
            return .rollback(single)
        }
        return nil
    }

    func run() throws {
        switch self {
        case .sandboxRun(let options): try options.run()
        case .rollback(let single): try single.run()
        }
    }
}

/// The plain forms of a command line: `--name value`, `--name=value`, `--flag`, and with
/// `takesCommand` a `--` and everything after it.
struct PlainArguments {
    /// In the order given: a dictionary's first use costs more than this whole reading.
    private var values: [(name: String, value: String)] = []
    private var flags: [String] = []
    private(set) var command: [String] = []

    /// nil for anything else: an unknown name, a short option, an argument before `--`, an
    /// option without its value (or with one that starts with `-`, or `--name=`), a flag with
    /// `=`, a second use of an option that is not `repeatable` or of a flag.
    init?(_ arguments: ArraySlice<String>, values names: [String], repeatable: [String] = [],
          flags flagNames: [String] = [], takesCommand: Bool = false) {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--" {
                guard takesCommand else { return nil }
                command = Array(rest)
                return
            }
            guard argument.hasPrefix("--") else { return nil }
            let body = argument.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            if flagNames.contains(name), name.count == body.count {
                guard !flags.contains(name) else { return nil }
                flags.append(name)
                continue
            }
            guard names.contains(name), repeatable.contains(name) || value(name) == nil else { return nil }
            let value: String
            if name.count < body.count {
                value = String(body.dropFirst(name.count + 1))
                guard !value.isEmpty else { return nil }
            } else {
                guard let next = rest.popFirst(), !next.hasPrefix("-") else { return nil }
                value = next
            }
            values.append((name, value))
        }
    }

    func value(_ name: String) -> String? { values.first { $0.name == name }?.value }
    func all(_ name: String) -> [String] { values.filter { $0.name == name }.map(\.value) }
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// `name`'s value read by `convert`: .some(nil) when not given, nil when it does not read.
    func value<T>(_ name: String, _ convert: (String) -> T?) -> T?? {
        guard let text = value(name) else { return .some(nil) }
        return convert(text).map { .some($0) }
    }
}
