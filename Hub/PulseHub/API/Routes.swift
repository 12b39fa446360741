import PulseCommon

/// The handler groups the route table points into.
public struct Handlers: Sendable {
    public let system: SystemHandlers
    public let tokens: TokenHandlers
    public let hosts: HostHandlers
    public let state: StateHandlers
    public let metrics: MetricsHandlers
    public let auth: AuthHandlers
    public let security: SecurityHandlers
    public let audit: AuditHandlers
    public let fleet: FleetHandlers
    public let downloads: DownloadHandlers
    public let reports: ReportHandlers
    public let web: WebAppHandlers
    public let docker: DockerHandlers
    public let kubernetes: KubernetesHandlers
}

/// Every route the hub serves, in one table. Access, scope and body limit live here and nowhere else;
/// `docs/API.md` mirrors this table and a test checks the invariants.
public enum Routes {
    /// Public routes allowed to change state (documented in docs/API.md): login, and checking a bootstrap token.
    public static let publicMutatingAllowlist: Set<String> = ["POST /api/login", "POST /api/security/validate-bootstrap-token"]

    /// The web dashboard: every GET/HEAD path no route above matches, except under `/api/` and `/download/`
    /// (those stay JSON 404s). Public, as the app's files hold no data; the app reads everything through the API
    /// with the user's own credentials. Documented in docs/API.md, "Web dashboard".
    public static func appFallback(_ h: Handlers) -> Route {
        Route("GET", "/*", .public, nil, h.web.serve)
    }

    public static func table(_ h: Handlers) -> [Route] {
        [
            //    method    path                                   access          scope
            Route("GET",    "/api/health",                         .public,        nil, h.system.health),
            Route("GET",    "/api/version",                        .public,        nil, h.system.version),
            Route("GET",    "/api/agent/version",                  .public,        nil, h.system.agentVersion),
            Route("GET",    "/api/server/info",                    .public,        nil, h.system.serverInfo),
            Route("GET",    "/api/state",                          .authenticated, .monitoringRead, h.state.state),
            Route("GET",    "/api/charts",                         .authenticated, .monitoringRead, h.metrics.charts),
            Route("GET",    "/api/storage-charts",                 .authenticated, .monitoringRead, h.metrics.storageCharts),
            Route("GET",    "/api/metrics-store/stats",            .authenticated, .monitoringRead, h.metrics.stats),
            Route("GET",    "/api/metrics-store/history",          .authenticated, .monitoringRead, h.metrics.history),
            Route("GET",    "/metrics",                            .authenticated, .monitoringRead, h.metrics.prometheus),

            Route("POST",   "/api/login",                          .public,        nil,
                  bodyLimit: .kibibytes(16), h.auth.login),
            Route("POST",   "/api/logout",                         .session,       nil,
                  bodyLimit: .kibibytes(16), h.auth.logout),
            Route("POST",   "/api/security/change-password",       .session,       nil,
                  bodyLimit: .kibibytes(16), h.auth.changePassword),
            Route("POST",   "/api/security/reset-lockout",         .admin,         .settingsWrite,
                  bodyLimit: .kibibytes(16), h.auth.resetLockout),

            Route("GET",    "/api/security/status",                .public,        nil, h.security.status),
            Route("POST",   "/api/security/validate-bootstrap-token", .public,     nil,
                  bodyLimit: .kibibytes(4), h.security.validateBootstrapToken),
            Route("POST",   "/api/security/quick-setup",           .setup,         .settingsWrite,
                  bodyLimit: .kibibytes(16), h.security.quickSetup),
            Route("GET",    "/api/security/recovery",              .recovery,      .settingsRead, h.security.recoveryStatus),
            Route("POST",   "/api/security/recovery",              .recovery,      .settingsWrite,
                  bodyLimit: .kibibytes(4), h.security.recoveryAction),
            Route("POST",   "/api/security/apply-restart",         .admin,         .settingsWrite,
                  bodyLimit: .kibibytes(4), h.security.applyRestart),
            Route("POST",   "/api/security/regenerate-token",      .admin,         .settingsWrite,
                  bodyLimit: .kibibytes(4), h.security.regenerateToken),

            Route("GET",    "/api/audit",                          .admin,         .settingsRead, h.audit.list),
            Route("GET",    "/api/audit/{id}/verify",              .admin,         .settingsRead, h.audit.verify),
            Route("GET",    "/api/admin/webhooks/audit",           .admin,         .settingsRead, h.audit.webhooks),
            Route("POST",   "/api/admin/webhooks/audit",           .admin,         .settingsWrite,
                  bodyLimit: .kibibytes(32), h.audit.setWebhooks),
            Route("PUT",    "/api/admin/webhooks/audit",           .admin,         .settingsWrite,
                  bodyLimit: .kibibytes(32), h.audit.setWebhooks),
            Route("GET",    "/api/admin/webhooks/audit/deliveries", .admin,        .settingsRead, h.audit.deliveries),

            Route("GET",    "/api/security/tokens",                .admin,         .settingsRead, h.tokens.list),
            Route("POST",   "/api/security/tokens",                .admin,         .settingsWrite,
                  bodyLimit: .kibibytes(16), h.tokens.create),
            Route("DELETE", "/api/security/tokens/{id}",           .admin,         .settingsWrite, h.tokens.revoke),
            Route("POST",   "/api/security/validate-token",        .admin,         .settingsWrite,
                  bodyLimit: .kibibytes(16), h.security.validateToken),

            Route("POST",   "/api/agents/host/report",             .authenticated, .hostAgentReport,
                  bodyLimit: .kibibytes(256), h.hosts.report),
            Route("GET",    "/api/agents/host/lookup",             .authenticated, .hostAgentReport, h.hosts.lookup),
            Route("POST",   "/api/agents/host/uninstall",          .authenticated, .hostAgentReport,
                  bodyLimit: .kibibytes(16), h.hosts.uninstall),
            Route("DELETE", "/api/agents/host/{id}",               .admin,         .hostAgentManage, h.hosts.delete),
            Route("GET",    "/api/agents/host/{id}/config",        .authenticated, .hostAgentReport, h.fleet.hostConfig),
            Route("PATCH",  "/api/agents/host/{id}/config",        .admin,         .hostAgentManage,
                  bodyLimit: .kibibytes(16), h.fleet.patchHostConfig),
            Route("POST",   "/api/agents/host/unlink",             .admin,         .hostAgentManage,
                  bodyLimit: .kibibytes(16), h.fleet.unlink),
            Route("POST",   "/api/agent-install-command",          .admin,         .settingsWrite,
                  bodyLimit: .kibibytes(4), h.fleet.installCommand),

            // Profiles: the router ignores a trailing slash, so `/api/admin/profiles/` matches too.
            Route("GET",    "/api/admin/profiles",                 .admin,         .settingsRead, h.fleet.listProfiles),
            Route("POST",   "/api/admin/profiles",                 .admin,         .settingsWrite,
                  bodyLimit: .kibibytes(64), h.fleet.createProfile),
            Route("GET",    "/api/admin/profiles/assignments",     .admin,         .settingsRead, h.fleet.listAssignments),
            Route("POST",   "/api/admin/profiles/assignments",     .admin,         .settingsWrite,
                  bodyLimit: .kibibytes(4), h.fleet.assign),
            Route("DELETE", "/api/admin/profiles/assignments/{agent_id}", .admin,  .settingsWrite, h.fleet.unassign),
            Route("PUT",    "/api/admin/profiles/{id}",            .admin,         .settingsWrite,
                  bodyLimit: .kibibytes(64), h.fleet.updateProfile),
            Route("DELETE", "/api/admin/profiles/{id}",            .admin,         .settingsWrite, h.fleet.deleteProfile),

            // Installers and agent binaries: public, rate limited per address, served from local files only.
            Route("GET",    "/install.sh",                         .public,        nil, h.downloads.script("install.sh")),
            Route("GET",    "/install.ps1",                        .public,        nil, h.downloads.script("install.ps1")),
            Route("GET",    "/api/install/install.sh",             .public,        nil, h.downloads.script("install.sh")),
            Route("GET",    "/api/install/install.ps1",            .public,        nil, h.downloads.script("install.ps1")),
            Route("GET",    "/install-host-agent.sh",              .public,        nil, h.downloads.script("install.sh")),
            Route("GET",    "/install-host-agent.ps1",             .public,        nil, h.downloads.script("install.ps1")),
            Route("GET",    "/install-docker-agent.sh",            .public,        nil, h.downloads.script("install.sh")),
            Route("GET",    "/install-container-agent.sh",         .public,        nil, h.downloads.script("install.sh")),
            Route("GET",    "/uninstall-host-agent.sh",            .public,        nil, h.downloads.script("install.sh", uninstall: true)),
            Route("GET",    "/uninstall-host-agent.ps1",           .public,        nil, h.downloads.script("install.ps1", uninstall: true)),
            Route("GET",    "/download/pulse-agent",               .public,        nil, h.downloads.agentBinary()),
            Route("GET",    "/download/pulse-agent.sha256",        .public,        nil, h.downloads.agentBinary(checksumOnly: true)),
            Route("GET",    "/download/pulse-host-agent",          .public,        nil, h.downloads.agentBinary()),
            Route("GET",    "/download/pulse-host-agent.sha256",   .public,        nil, h.downloads.agentBinary(checksumOnly: true)),
            Route("GET",    "/download/pulse-docker-agent",        .public,        nil, h.downloads.agentBinary()),

            Route("GET",    "/api/admin/reports/generate",         .admin,         .settingsRead, h.reports.generate),

            Route("POST",   "/api/agents/docker/report",           .authenticated, .dockerReport,
                  bodyLimit: .kibibytes(512), h.docker.report),
            Route("POST",   "/api/agents/docker/commands/{id}/ack", .authenticated, .dockerReport,
                  bodyLimit: .kibibytes(8), h.docker.ack),
            Route("DELETE", "/api/agents/docker/hosts/{id}",       .admin,         .dockerManage, h.docker.deleteHost),
            Route("POST",   "/api/agents/docker/hosts/{id}/allow-reenroll", .admin, .dockerManage,
                  bodyLimit: .kibibytes(4), h.docker.allowReenroll),
            Route("PUT",    "/api/agents/docker/hosts/{id}/unhide", .admin,        .dockerManage,
                  bodyLimit: .kibibytes(4), h.docker.unhide),
            Route("PUT",    "/api/agents/docker/hosts/{id}/pending-uninstall", .admin, .dockerManage,
                  bodyLimit: .kibibytes(4), h.docker.pendingUninstall),
            Route("PUT",    "/api/agents/docker/hosts/{id}/display-name", .admin,  .dockerManage,
                  bodyLimit: .kibibytes(4), h.docker.displayName),
            Route("POST",   "/api/agents/docker/hosts/{id}/check-updates", .admin, .dockerManage,
                  bodyLimit: .kibibytes(4), h.docker.checkUpdates),
            Route("POST",   "/api/agents/docker/containers/update", .admin,        .dockerManage,
                  bodyLimit: .kibibytes(16), h.docker.updateContainer),

            Route("POST",   "/api/agents/kubernetes/report",       .authenticated, .kubernetesReport,
                  bodyLimit: .mebibytes(2), h.kubernetes.report),
            Route("DELETE", "/api/agents/kubernetes/clusters/{id}", .admin,        .kubernetesManage,
                  h.kubernetes.deleteCluster),
            Route("POST",   "/api/agents/kubernetes/clusters/{id}/allow-reenroll", .admin, .kubernetesManage,
                  bodyLimit: .kibibytes(4), h.kubernetes.allowReenroll),
            Route("PUT",    "/api/agents/kubernetes/clusters/{id}/unhide", .admin, .kubernetesManage,
                  bodyLimit: .kibibytes(4), h.kubernetes.unhide),
            Route("PUT",    "/api/agents/kubernetes/clusters/{id}/pending-uninstall", .admin, .kubernetesManage,
                  bodyLimit: .kibibytes(4), h.kubernetes.pendingUninstall),
            Route("PUT",    "/api/agents/kubernetes/clusters/{id}/display-name", .admin, .kubernetesManage,
                  bodyLimit: .kibibytes(4), h.kubernetes.displayName),
        ]
    }
}
