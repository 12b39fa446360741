import Foundation
import Testing

/// Static checks of `installers/install.ps1`, which cannot run here (PowerShell is in neither Debian's archive nor
/// PyPI). `install.sh` is exercised end to end by the integration tests; this guards the Windows script's contract.
@Suite struct InstallerScriptTests {
    static var script: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("installers/install.ps1"), encoding: .utf8)) ?? ""
    }

    @Test func parametersMatchTheShellInstaller() {
        let text = Self.script
        for parameter in ["$Url", "$Token", "$Interval", "$AgentId", "$Hostname", "$EnableHost", "$DisableHost", "$EnableDocker",
                          "$DisableDocker", "$EnableKubernetes", "$DisableKubernetes", "$Kubeconfig", "$EnableCommands",
                          "$DisableAutoUpdate", "$Insecure", "$Fingerprint", "$DiskExclude", "$Tag", "$Uninstall",
                          "$InstallRoot", "$SkipService", "$Arch"] {
            #expect(text.contains("[switch]\(parameter)") || text.contains("[string]\(parameter)") || text.contains("[string[]]\(parameter)"),
                    "install.ps1 lacks \(parameter)")
        }
    }

    @Test func theChecksumIsMandatoryAndTheTokenStaysOffCommandLines() {
        let text = Self.script
        #expect(text.contains("X-Checksum-Sha256"))
        #expect(text.contains("did not send an X-Checksum-Sha256 header; refusing an unverified binary"))
        #expect(text.contains("Get-FileHash -Algorithm SHA256"))
        #expect(text.contains("checksum mismatch"))
        #expect(text.contains("0x4D") && text.contains("0x5A"), "the MZ magic check")
        #expect(text.contains("'--token-file', $tokenFile"))
        #expect(!text.contains("'--token', $Token"), "the token never goes into the service command line")
        #expect(text.contains("PulseDefaultAction"), "the uninstall variant the hub serves")
    }
}
