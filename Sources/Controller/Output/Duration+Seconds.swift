extension Duration {
    /// The duration in seconds, for display and for the agent protocol's `…Seconds` fields.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
