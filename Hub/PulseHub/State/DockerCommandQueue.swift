import Foundation
import PulseCommon
import Synchronization

/// A command queued for a docker agent and its lifecycle: `queued` → `dispatched` (sent in a report response) →
/// `acknowledged` / `in_progress` → `completed` or `failed`.
public struct DockerCommandRecord: Sendable, Equatable {
    public var id: String
    public var hostID: String
    public var type: String
    public var payload: [String: JSONValue]?
    public var status: String
    public var message: String?
    public var createdAt: Date
    public var updatedAt: Date

    public static let queued = "queued"
    public static let dispatched = "dispatched"

    public var isFinished: Bool { status == DockerCommandAck.completed || status == DockerCommandAck.failed }

    /// The JSON the API shows (times in unix ms).
    public var view: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id), "hostId": .string(hostID), "type": .string(type), "status": .string(status),
            "createdAt": .number(Double(createdAt.unixMilliseconds)), "updatedAt": .number(Double(updatedAt.unixMilliseconds)),
        ]
        if let payload { object["payload"] = .object(payload) }
        if let message { object["message"] = .string(message) }
        return .object(object)
    }
}

/// Why an ack was refused.
public enum DockerCommandError: Error, Equatable {
    case unknownCommand
    case wrongHost
    case invalidStatus
}

/// Queued docker commands, persisted in `pulse.db`. One command goes out per report response, oldest first; a
/// dispatched command that is not acknowledged within 10 minutes is sent again.
public final class DockerCommandQueue: Sendable {
    static let redeliverAfter: TimeInterval = 600

    private let store: ControlStore
    private let commands: Mutex<[String: DockerCommandRecord]>

    public init(store: ControlStore) throws {
        self.store = store
        var loaded: [String: DockerCommandRecord] = [:]
        for stored in try store.allDockerCommands() {
            let payload = stored.payload.flatMap { try? JSONDecoder().decode([String: JSONValue].self, from: Data($0.utf8)) }
            loaded[stored.id] = DockerCommandRecord(id: stored.id, hostID: stored.hostID, type: stored.type,
                                                    payload: payload, status: stored.status, message: stored.message,
                                                    createdAt: stored.createdAt, updatedAt: stored.updatedAt)
        }
        commands = Mutex(loaded)
    }

    /// Queues a command. A host holds at most one unfinished command of each type: queuing it again returns the
    /// existing one.
    public func enqueue(hostID: String, type: String, payload: [String: JSONValue]?, now: Date) throws -> DockerCommandRecord {
        let record = commands.withLock { commands -> (DockerCommandRecord, Bool) in
            if let existing = commands.values.first(where: {
                $0.hostID == hostID && $0.type == type && !$0.isFinished && $0.payload == payload
            }) { return (existing, false) }
            let record = DockerCommandRecord(id: UUID().uuidString.lowercased(), hostID: hostID, type: type,
                                             payload: payload, status: DockerCommandRecord.queued, message: nil,
                                             createdAt: now, updatedAt: now)
            commands[record.id] = record
            return (record, true)
        }
        if record.1 { try save(record.0) }
        return record.0
    }

    /// The next command to send to a host (marked dispatched), oldest first.
    public func dispatch(hostID: String, now: Date) throws -> DockerCommandRecord? {
        let next = commands.withLock { commands -> DockerCommandRecord? in
            let candidates = commands.values.filter { command in
                guard command.hostID == hostID else { return false }
                if command.status == DockerCommandRecord.queued { return true }
                return command.status == DockerCommandRecord.dispatched
                    && now.timeIntervalSince(command.updatedAt) > Self.redeliverAfter
            }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            guard var command = candidates.first else { return nil }
            command.status = DockerCommandRecord.dispatched
            command.updatedAt = now
            commands[command.id] = command
            return command
        }
        if let next { try save(next) }
        return next
    }

    /// Records an ack. `hostMatches` checks the ack's `hostId` against the command's host.
    public func acknowledge(id: String, status raw: String?, message: String?, now: Date,
                            hostMatches: (String) -> Bool) throws -> DockerCommandRecord {
        guard let status = DockerCommandAck.canonicalStatus(raw) else { throw DockerCommandError.invalidStatus }
        let updated = try commands.withLock { commands throws(DockerCommandError) -> DockerCommandRecord in
            guard var command = commands[id] else { throw .unknownCommand }
            guard hostMatches(command.hostID) else { throw .wrongHost }
            command.status = status
            command.message = message.map { String($0.prefix(2048)) }
            command.updatedAt = now
            commands[id] = command
            return command
        }
        try save(updated)
        return updated
    }

    /// The newest command of a host.
    public func latest(hostID: String) -> DockerCommandRecord? {
        commands.withLock { commands in
            commands.values.filter { $0.hostID == hostID }.max { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    public func command(id: String) -> DockerCommandRecord? { commands.withLock { $0[id] } }

    /// Forgets a removed host's commands (the store deletes them with the host).
    public func forget(hostID: String) {
        commands.withLock { commands in commands = commands.filter { $0.value.hostID != hostID } }
    }

    private func save(_ record: DockerCommandRecord) throws {
        let payload = record.payload.flatMap { try? WireJSON.encoder(sorted: true).encode($0) }
            .map { String(decoding: $0, as: UTF8.self) }
        try store.saveDockerCommand(StoredDockerCommand(id: record.id, hostID: record.hostID, type: record.type,
                                                        payload: payload, status: record.status, message: record.message,
                                                        createdAt: record.createdAt, updatedAt: record.updatedAt))
    }
}
