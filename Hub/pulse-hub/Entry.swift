import Foundation
import PulseHub

/// `pulse-hub`: the Pulse hub server and its admin commands.
@main
struct Entry {
    static func main() {
        let code = AdminCommand.run(arguments: Array(CommandLine.arguments.dropFirst()),
                                    environment: ProcessInfo.processInfo.environment)
        exit(code)
    }
}
