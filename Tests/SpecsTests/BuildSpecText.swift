@testable import Specs

/// A buildspec's text parsed as a file named `buildspec.yml`: the spec (nil on an error) and
/// every diagnostic.
func parse(_ text: String) -> (BuildSpec?, [Diagnostic]) {
    BuildSpec.parse(contents: text, file: "buildspec.yml")
}
