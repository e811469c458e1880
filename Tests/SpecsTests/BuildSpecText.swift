import SlipwayTestSupport
@testable import Specs

/// A buildspec's text parsed as a file named `buildspec.yml`: the spec (nil on an error) and
/// every diagnostic.
func parse(_ text: String) -> (BuildSpec?, [Diagnostic]) {
    BuildSpec.parse(contents: text, file: "buildspec.yml")
}

/// A buildspec of `env` (the body of `env:`) and `after` (top-level keys such as `artifacts:`)
/// around one phase that runs `x`, parsed: for the tests of the keys around the phases.
func parse(env: String? = nil, after: String? = nil) -> (BuildSpec?, [Diagnostic]) {
    parse(BuildspecText.make(phases: "build: { commands: [x] }", env: env, after: after))
}
