import Glibc
import PulseCommon

/// `pulse-bench`: a load generator for the hub's host report endpoint. See `OptionParser.helpText`.
@main
struct Entry {
    static func main() {
        let options: BenchOptions
        do {
            switch try OptionParser.parse(Array(CommandLine.arguments.dropFirst())) {
            case .help:
                Console.out(OptionParser.helpText)
                exit(0)
            case .run(let parsed):
                options = parsed
            }
        } catch {
            Console.error("pulse-bench: \(error.message)\nRun 'pulse-bench --help' for the options.")
            exit(2)
        }
        let control = RunControl()
        SignalWatcher.install(control)
        exit(Benchmark(options: options, control: control).run())
    }
}
