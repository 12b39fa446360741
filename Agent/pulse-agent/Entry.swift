#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import PulseAgent

/// `pulse-agent`: reports this host to a Pulse hub. Everything but process wiring lives in `PulseAgent`.
@main
struct Entry {
    static func main() {
        let status = AgentMain.run(arguments: Array(CommandLine.arguments.dropFirst()),
                                   environment: ProcessInfo.processInfo.environment)
        exit(status)
    }
}
