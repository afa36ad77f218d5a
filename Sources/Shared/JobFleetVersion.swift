/// The version of this JobFleet build, reported by `--version` and by the agent's `hello`.
public enum JobFleetVersion {
    /// Semantic version of the controller and agent (they are released together).
    public static let current = "0.1.0"
}
