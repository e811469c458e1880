/// A test's own precondition that did not hold (a tool missing, a fixture that could not be
/// made), thrown so the test fails with this message.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
