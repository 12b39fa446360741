/// The version of this build of Pulse, shared by hub and agent.
public enum PulseVersion {
    /// Semantic version without a leading `v`.
    public static let current = "0.1.0"
}
