/// A command line or environment the agent cannot run with.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    /// 2 for usage errors (unknown flag, missing argument), 1 for unusable values (no token, bad interval).
    public let exitCode: Int32

    /// A value the agent cannot run with; exit code 1.
    public static func invalid(_ message: String) -> ConfigurationError {
        ConfigurationError(message: message, exitCode: 1)
    }

    /// A malformed command line; exit code 2, with a pointer to `--help`.
    public static func usage(_ message: String) -> ConfigurationError {
        ConfigurationError(message: message + "\nRun 'pulse-agent --help' for usage.", exitCode: 2)
    }

    public var description: String { message }
}
