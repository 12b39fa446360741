import Foundation
import Testing
@testable import PulseAgent

/// `SystemCommandRunner` against real programs (`sh`, `sleep`, `head`, `cat`).
struct CommandRunnerTests {
    let runner = SystemCommandRunner()

    func shell(_ script: String, timeout: Duration = .seconds(10)) -> Command {
        Command("sh", ["-c", script], timeout: timeout)
    }

    @Test func capturesOutputAndExitStatus() throws {
        let result = try runner.run(shell("printf 'out\\n'; printf 'err\\n' >&2; exit 3"))
        #expect(result.termination == .exited(3))
        #expect(result.exitStatus == 3)
        #expect(result.standardOutput == "out\n")
        #expect(result.standardError == "err")
        #expect(!result.truncated)
    }

    @Test func argumentsArePassedWithoutAShell() throws {
        let result = try runner.run(Command("printf", ["%s|", "a b", "$HOME", "*", ""], timeout: .seconds(5)))
        #expect(result.standardOutput == "a b|$HOME|*||")
    }

    @Test func childHasDefaultSignalsAndCLocale() throws {
        let killed = try runner.run(shell("kill -TERM $$; sleep 5"))
        #expect(killed.termination == .signalled(SIGTERM))
        #expect(try runner.run(shell("printf %s \"$LC_ALL\"")).standardOutput == "C")
        // stdin is /dev/null: `cat` ends at once instead of waiting for input.
        let cat = try runner.run(Command("cat", [], timeout: .seconds(5)))
        #expect(cat.termination == .exited(0) && cat.stdout.isEmpty)
    }

    @Test func timeoutKillsTheWholeProcessGroup() throws {
        let started = ContinuousClock.now
        let result = try runner.run(shell("sleep 30 & echo $!; wait", timeout: .milliseconds(300)))
        #expect(result.termination == .timedOut)
        #expect(ContinuousClock.now - started < .seconds(3))
        let grandchild = try #require(Int32(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        var gone = false
        for _ in 0..<100 {
            let stat = try? String(contentsOfFile: "/proc/\(grandchild)/stat", encoding: .utf8)
            // Gone, or a zombie waiting for whoever adopted it: either way no longer running.
            if stat == nil || stat?.split(separator: ")").last?.split(separator: " ").first == "Z" {
                gone = true
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(gone, "the background sleep in the child's process group was killed too")
    }

    @Test func outputIsBoundedAndDrained() throws {
        let small = SystemCommandRunner(outputLimit: 1000)
        let result = try small.run(Command("head", ["-c", "50000", "/dev/zero"], timeout: .seconds(10)))
        #expect(result.termination == .exited(0), "the child never blocks on a full pipe")
        #expect(result.stdout.count == 1000 && result.truncated)

        let large = try runner.run(Command("head", ["-c", "\(5 << 20)", "/dev/zero"], timeout: .seconds(20)))
        #expect(large.termination == .exited(0))
        #expect(large.stdout.count == SystemCommandRunner.defaultOutputLimit && large.truncated)
    }

    @Test func runsConcurrentlyAndKeepsOrder() {
        let started = ContinuousClock.now
        let commands = (0..<6).map { index in shell("sleep 0.4; echo \(index)") }
        let results = runner.run(commands, concurrency: 3)
        let elapsed = ContinuousClock.now - started
        #expect(results.map { (try? $0.get())?.standardOutput } == (0..<6).map { "\($0)\n" })
        #expect(elapsed >= .milliseconds(780), "two waves of three")
        #expect(elapsed < .milliseconds(2000), "not one after another (2.4 s)")
    }

    @Test func missingProgramsFailOnlyTheirOwnSlot() {
        let results = runner.run([shell("echo a"), Command("pulse-no-such-tool", [], timeout: .seconds(1)),
                                  shell("echo c")], concurrency: 4)
        #expect((try? results[0].get())?.standardOutput == "a\n")
        #expect((try? results[2].get())?.standardOutput == "c\n")
        guard case .failure(let error) = results[1] else {
            Issue.record("a missing program must fail")
            return
        }
        #expect(error.call == "lookup" && error.description.contains("not found"))
    }

    @Test func locate() {
        #expect(runner.locate("sh") != nil)
        #expect(runner.locate("/bin/sh") == "/bin/sh")
        #expect(runner.locate("/bin") == nil, "a directory is not an executable")
        #expect(runner.locate("/nonexistent/tool") == nil)
        #expect(runner.locate("") == nil)
        #expect(runner.searchPath.contains("/usr/sbin") && runner.searchPath.contains("/sbin"))
        let restricted = SystemCommandRunner(searchPath: ["/nonexistent"])
        #expect(restricted.locate("sh") == nil)
    }
}
