import Testing
@testable import PulseAgent

/// Parsers of procfs text: the node_exporter fixtures with the values node_exporter reports, plus malformed input.
struct ProcParserTests {
    let fs = TestSupport.hostFS

    // MARK: /proc/stat

    @Test func cpuTimesFromFixture() throws {
        let times = try CPUTimes.parse(fs.read(fs.procPath("stat")))
        #expect(times == CPUTimes(user: 301854, nice: 612, system: 111922, idle: 8979004, iowait: 3552, irq: 2,
                                  softirq: 3944, steal: 0))
        #expect(times.total == 301854 + 612 + 111922 + 8979004 + 3552 + 2 + 3944)
        #expect(times.busy == times.total - 8979004 - 3552)
        #expect(CPUTimes.countCPUs(try fs.read(fs.procPath("stat"))) == 8)
    }

    @Test func cpuTimesShortLineFromOldKernels() throws {
        #expect(try CPUTimes.parse("cpu  10 20 30 40\n") == CPUTimes(user: 10, nice: 20, system: 30, idle: 40))
    }

    @Test(arguments: ["", "intr 1 2 3\n", "cpu  1 2 3\n", "cpu  1 2 x 4 5\n", "cpu0 1 2 3 4\n", "cpu  -1 2 3 4\n"])
    func cpuTimesRejectsMalformed(_ text: String) {
        #expect(throws: ParseError.self) { try CPUTimes.parse(text) }
    }

    @Test func cpuUsageBetweenSamples() {
        let old = CPUTimes(user: 100, nice: 0, system: 0, idle: 100)
        #expect(CPUTimes.usagePercent(from: old, to: CPUTimes(user: 150, nice: 0, system: 0, idle: 150)) == 50)
        #expect(CPUTimes.usagePercent(from: old, to: CPUTimes(user: 100, nice: 0, system: 0, idle: 200)) == 0)
        #expect(CPUTimes.usagePercent(from: old, to: CPUTimes(user: 200, nice: 0, system: 0, idle: 100)) == 100)
        #expect(CPUTimes.usagePercent(from: old, to: old) == nil, "no time passed")
        #expect(CPUTimes.usagePercent(from: old, to: CPUTimes(user: 5, nice: 0, system: 0, idle: 5)) == nil,
                "counters reset")
    }

    // MARK: /proc/cpuinfo

    @Test func cpuInfoFromFixture() throws {
        let info = CPUInfo.parse(try fs.read(fs.procPath("cpuinfo")))
        #expect(info.model == "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz")
        #expect(info.logicalCount == 8)
    }

    @Test(arguments: [
        ("", nil, 0),
        ("processor\t: 0\nBogoMIPS\t: 48.00\nCPU implementer\t: 0x41\n\nprocessor\t: 1\nBogoMIPS\t: 48.00\n", nil, 2),
        ("Processor\t: ARMv7 Processor rev 4 (v7l)\nprocessor\t: 0\n", "ARMv7 Processor rev 4 (v7l)", 1),
        ("processor\t: 0\ncpu\t\t: POWER9 (raw), altivec supported\n", "POWER9 (raw), altivec supported", 1),
        ("processor : x\nmodel name :\n", nil, 0),
        ("garbage without colons\n", nil, 0),
    ] as [(String, String?, Int)])
    func cpuInfoVariants(_ text: String, _ model: String?, _ count: Int) {
        #expect(CPUInfo.parse(text) == CPUInfo(model: model, logicalCount: count))
    }

    // MARK: /proc/loadavg and /proc/uptime

    @Test func loadAverageFromFixture() throws {
        #expect(try LoadAverage.parse(fs.read(fs.procPath("loadavg"))) == [0.21, 0.37, 0.39])
    }

    @Test(arguments: ["", "0.1 0.2\n", "a b c 1/2 3\n", "0.1 -0.2 0.3 1/1 1\n", "nan 1 1 1/1 1\n"])
    func loadAverageRejectsMalformed(_ text: String) {
        #expect(throws: ParseError.self) { try LoadAverage.parse(text) }
    }

    @Test func uptimeFromFixture() throws {
        #expect(try Uptime.parse(fs.read(fs.procPath("uptime"))) == 1_603_245)
        #expect(try Uptime.parse("12.99") == 12)
    }

    @Test(arguments: ["", "\n", "abc 1", "-5 1", "inf 1"])
    func uptimeRejectsMalformed(_ text: String) {
        #expect(throws: ParseError.self) { try Uptime.parse(text) }
    }

    // MARK: /proc/meminfo

    @Test func memInfoFromFixture() throws {
        let info = try MemInfo.parse(fs.read(fs.procPath("meminfo")))
        // node_memory_*_bytes in node_exporter's e2e output.
        #expect(info["MemTotal"] == 3_831_959_552)
        #expect(info["MemFree"] == 230_883_328)
        #expect(info["Buffers"] == 22_568_960)
        #expect(info["Cached"] == 953_229_312)
        #expect(info["SReclaimable"] == 45_846_528)
        #expect(info["SwapTotal"] == 4_294_963_200)
        #expect(info["SwapFree"] == 3_231_088_640)
        #expect(info["HugePages_Total"] == 0, "unit-less counts are kept as is")

        let memory = try info.memory()
        // used = MemTotal − MemFree − Buffers − (Cached + SReclaimable) = 2518976 kB.
        #expect(memory.totalBytes == 3_831_959_552)
        #expect(memory.freeBytes == 230_883_328)
        #expect(memory.usedBytes == 2_518_976 * 1024)
        #expect(abs(memory.usagePercent - 2_518_976.0 / 3_742_148.0 * 100) < 1e-9)
        #expect(memory.swapTotalBytes == 4_294_963_200)
        #expect(memory.swapUsedBytes == (4_194_300 - 3_155_360) * 1024)
    }

    @Test func memoryFallsBackWhenCachesExceedUsed() throws {
        // LXCFS-style numbers where caches exceed total − free: used falls back to total − free.
        let memory = try MemInfo.parse("MemTotal: 100 kB\nMemFree: 10 kB\nCached: 200 kB\n").memory()
        #expect(memory.usedBytes == 90 * 1024)
        #expect(memory.swapTotalBytes == nil)
    }

    @Test func memoryWithoutSwapOmitsIt() throws {
        let memory = try MemInfo.parse("MemTotal: 100 kB\nMemFree: 50 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n").memory()
        #expect(memory.usedBytes == 50 * 1024)
        #expect(memory.usagePercent == 50)
        #expect(memory.swapTotalBytes == nil && memory.swapUsedBytes == nil)
    }

    @Test(arguments: ["", "MemTotal 123 kB\n", "MemTotal: abc kB\n", "MemTotal: 10 MB\n", "MemTotal: 1 2 3\n",
                      "MemTotal:\n", "MemTotal: 99999999999999999999 kB\n"])
    func memInfoRejectsMalformed(_ text: String) {
        #expect(throws: ParseError.self) { try MemInfo.parse(text) }
    }

    @Test(arguments: ["MemFree: 10 kB\n", "MemTotal: 10 kB\n", "MemTotal: 0 kB\nMemFree: 0 kB\n"])
    func memoryNeedsTotalAndFree(_ text: String) throws {
        let info = try MemInfo.parse(text)
        #expect(throws: ParseError.self) { try info.memory() }
    }

    // MARK: os-release

    @Test func osReleaseFromFixture() throws {
        // node_os_info{id="ubuntu",name="Ubuntu",version_id="20.04"} in node_exporter's e2e output.
        let release = OSRelease.parse(try fs.read(fs.etcPath("os-release")))
        #expect(release.platform == "ubuntu")
        #expect(release.name == "Ubuntu")
        #expect(release.versionID == "20.04")
        #expect(release.fields["PRETTY_NAME"] == "Ubuntu 20.04.2 LTS")
    }

    @Test(arguments: [
        ("ID=Debian\nNAME='Debian GNU/Linux'\nVERSION_ID=12", "debian", "Debian GNU/Linux", "12"),
        ("# comment\n\n  ID=\"fedora\"  \nNAME=\"Fedora \\\"Linux\\\"\"\n", "fedora", "Fedora \"Linux\"", nil),
        ("ID=\nNAME=\"\"\n", nil, nil, nil),
        ("", nil, nil, nil),
        ("not an assignment\n=value\nID", nil, nil, nil),
        ("NAME=\"unterminated\nID=arch", "arch", "unterminated", nil),
    ] as [(String, String?, String?, String?)])
    func osReleaseVariants(_ text: String, _ platform: String?, _ name: String?, _ version: String?) {
        let release = OSRelease.parse(text)
        #expect(release.platform == platform)
        #expect(release.name == name)
        #expect(release.versionID == version)
    }

    // MARK: /proc/net/dev

    @Test func netDevFromFixture() throws {
        let interfaces = try NetDev.parse(fs.read(fs.procPath("net", "dev")))
        #expect(interfaces.map(\.name) == ["lo", "eth0", "bond0", "dmz", "int"])
        #expect(interfaces[1] == NetDev(name: "eth0", rxBytes: 2_834_917_561, txBytes: 487_327_311))
        #expect(interfaces[2] == NetDev(name: "bond0", rxBytes: 1_228_392_031, txBytes: 90_213_887),
                "a counter glued to the colon")
    }

    @Test(arguments: ["garbage\n", "eth0: 1 2 3\n", "eth0: x 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0\n",
                      ": 1 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0\n"])
    func netDevRejectsMalformed(_ text: String) {
        #expect(throws: ParseError.self) { try NetDev.parse(text) }
    }

    @Test func netDevEmptyTable() throws {
        #expect(try NetDev.parse("").isEmpty)
        #expect(try NetDev.parse("Inter-|   Receive |  Transmit\n face |bytes|bytes\n").isEmpty)
    }
}
