import Foundation
import PulseCommon

/// Health and version endpoints.
public struct SystemHandlers: Sendable {
    let startedAt: Date
    let deploymentType: String

    public func health(_ context: RequestContext) throws -> HTTPResponse {
        .json(object: [
            "status": .string("healthy"),
            "timestamp": .number(Double(Int64(context.now.timeIntervalSince1970))),
            "uptime": .number((context.now.timeIntervalSince(startedAt) * 1000).rounded() / 1000),
            "proxyInstallScriptAvailable": .bool(false),
            "devModeSSH": .bool(false),
        ])
    }

    public func version(_ context: RequestContext) throws -> HTTPResponse {
        .json(object: [
            "version": .string(PulseVersion.current),
            "build": .string("release"),
            "runtime": .string("swift"),
            "channel": .string("stable"),
            "deploymentType": .string(deploymentType),
            "isDocker": .bool(deploymentType == "docker"),
            "isSourceBuild": .bool(false),
            "isDevelopment": .bool(false),
            "updateAvailable": .bool(false),
        ])
    }

    public func agentVersion(_ context: RequestContext) throws -> HTTPResponse {
        .json(object: ["version": .string(PulseVersion.current)])
    }

    public func serverInfo(_ context: RequestContext) throws -> HTTPResponse {
        .json(object: ["isDevelopment": .bool(false), "version": .string(PulseVersion.current)])
    }
}
