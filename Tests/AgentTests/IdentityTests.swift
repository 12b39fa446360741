import Testing
@testable import PulseAgent

/// Agent id and hostname resolution (agent-protocol 1.2).
struct IdentityTests {
    @Test(arguments: [
        ("4c4c4544004d3510804cb8c04f533532", "4c4c4544-004d-3510-804c-b8c04f533532"),
        ("4C4C4544004D3510804CB8C04F533532\n", "4C4C4544-004D-3510-804C-B8C04F533532"),
        ("  0123456789abcdefABCDEF0123456789  ", "01234567-89ab-cdef-ABCD-EF0123456789"),
        ("abcdefgh", "abcdefgh"),
        ("not-a-uuid-but-long-enough", "not-a-uuid-but-long-enough"),
        ("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"),
        ("4c4c4544004d3510804cb8c04f53353", "4c4c4544004d3510804cb8c04f53353"),
    ])
    func machineIDFormatting(_ raw: String, _ expected: String) {
        #expect(AgentIdentity.formatMachineID(raw) == expected)
    }

    @Test(arguments: ["", "   ", "abc", "1234567", "\n\n"])
    func tooShortMachineIDs(_ raw: String) {
        #expect(AgentIdentity.formatMachineID(raw) == nil)
    }

    @Test func macIdentifierPrefersStableInterfacesByName() {
        let interfaces: [(name: String, mac: String)] = [
            ("veth1a2b", "aa:aa:aa:aa:aa:01"), ("eth0", "52:54:00:AB:CD:EF"), ("docker0", "02:42:00:00:00:01"),
            ("enp3s0", "52:54:00:11:22:33"), ("lo", "00:00:00:00:00:00"),
        ]
        #expect(AgentIdentity.macIdentifier(interfaces: interfaces) == "mac-525400112233")
    }

    @Test func macIdentifierFallsBackToUnstableInterfaces() {
        let interfaces: [(name: String, mac: String)] = [
            ("veth9", "aa:aa:aa:aa:aa:02"), ("docker0", "02:42:AC:11:00:01"), ("wg0", ""),
            ("eth0", "00:00:00:00:00:00"), ("ib0", "80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:1f:a3:55"),
        ]
        #expect(AgentIdentity.macIdentifier(interfaces: interfaces) == "mac-0242ac110001")
        #expect(AgentIdentity.macIdentifier(interfaces: [("lo", "11:22:33:44:55:66")]) == nil)
        #expect(AgentIdentity.macIdentifier(interfaces: []) == nil)
    }

    @Test func resolvesFromTheFixtureTree() {
        let identity = AgentIdentity.resolve(agentIDOverride: nil, hostnameOverride: nil, fs: TestSupport.hostFS,
                                             system: TestSupport.system(hostname: "os-host"))
        #expect(identity == AgentIdentity(agentID: "4c4c4544-004d-3510-804c-b8c04f533532", hostname: "os-host",
                                          machineID: "4c4c4544-004d-3510-804c-b8c04f533532"))
    }

    @Test func overridesWin() {
        let identity = AgentIdentity.resolve(agentIDOverride: " custom-id ", hostnameOverride: "custom-host",
                                             fs: TestSupport.hostFS, system: TestSupport.system(hostname: "os-host"))
        #expect(identity.agentID == "custom-id")
        #expect(identity.hostname == "custom-host")
        #expect(identity.machineID == "4c4c4544-004d-3510-804c-b8c04f533532", "the machine id is still reported")
    }

    @Test func fallsBackToMACThenHostname() throws {
        // No machine-id: the sysfs interfaces of the fixture (all 01:01:01:01:01:01), first by name is bond0.
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let noEtc = HostFS(procfs: TestSupport.hostTree + "/proc", sysfs: TestSupport.hostTree + "/sys",
                           rootfs: directory)
        let byMAC = AgentIdentity.resolve(agentIDOverride: nil, hostnameOverride: nil, fs: noEtc,
                                          system: TestSupport.system(hostname: "os-host"))
        #expect(byMAC == AgentIdentity(agentID: "mac-010101010101", hostname: "os-host", machineID: nil))

        try TestSupport.write("short\n", to: directory + "/etc/machine-id")
        let nothing = HostFS(procfs: directory, sysfs: directory, rootfs: directory)
        let byHostname = AgentIdentity.resolve(agentIDOverride: "", hostnameOverride: "  ", fs: nothing,
                                               system: TestSupport.system(hostname: nil))
        #expect(byHostname == AgentIdentity(agentID: "unknown-host", hostname: "unknown-host", machineID: nil))
    }

    @Test func loopbackByTypeIsNeverTheIdentity() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        try TestSupport.write("11:22:33:44:55:66\n", to: directory + "/class/net/lo0/address")
        try TestSupport.write("772\n", to: directory + "/class/net/lo0/type")
        try TestSupport.write("66:55:44:33:22:11\n", to: directory + "/class/net/wan/address")
        let fs = HostFS(procfs: directory, sysfs: directory, rootfs: directory)
        let identity = AgentIdentity.resolve(agentIDOverride: nil, hostnameOverride: nil, fs: fs,
                                             system: TestSupport.system(hostname: "h"))
        #expect(identity.agentID == "mac-665544332211")
    }
}
