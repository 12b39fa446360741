/// The agent's version, sent as `agent.version` and in the `User-Agent` header, printed by `--version`.
public let pulseAgentVersion = "0.1.0"
