extension Duration {
    /// The duration in seconds, fractions kept.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// `250 ms`, `2 s`, `30 s`.
    public var spoken: String {
        let (whole, attoseconds) = components
        if whole == 0 { return "\(attoseconds / 1_000_000_000_000_000) ms" }
        let tenths = attoseconds / 100_000_000_000_000_000
        return tenths == 0 ? "\(whole) s" : "\(whole).\(tenths) s"
    }
}
