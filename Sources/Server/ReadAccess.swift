/// Who may read (GET the API, the dashboard and `/metrics`).
///
/// Changes always need the token. Reads are `open` by default when the service listens on a
/// loopback address (only this machine's users can reach it, and they can read SLIPWAY_HOME
/// anyway) and need the token otherwise (`--listen 0.0.0.0:8080`, as in the container).
public enum ReadAccess: String, Sendable, CaseIterable {
    case open, token

    public static func `default`(for address: ListenAddress) -> ReadAccess {
        address.isLoopback ? .open : .token
    }
}
