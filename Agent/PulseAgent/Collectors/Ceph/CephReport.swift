#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// Builds the report's `ceph` object (agent-protocol 3.5) from `ceph status --format json` and
/// `ceph df --format json`.
///
/// Reads today's schema (Quincy, Reef, Squid): `monmap.num_mons`, `mgrmap.available` + `num_standbys`, a flat
/// `osdmap`, health checks with `summary.message`. Older layouts still work where they differ: `monmap.mons[]`,
/// `mgrmap.active_name` / `standbys[]`, the nested `osdmap.osdmap`, `health.overall_status` and the
/// pre-Luminous `health.summary[]`. Monitors are listed from `monmap.mons[]` when present, else from the quorum
/// (`quorum_names` with their ranks). Pool `percentUsed` is 0–100 (Ceph reports a 0–1 ratio).
enum CephReport {
    static func build(status: JSONCursor, df: JSONCursor?, collectedAt: Date) -> JSONValue {
        let monMap = monMap(status)
        let mgrMap = mgrMap(status)
        let osdMap = osdMap(status)
        var report: [String: JSONValue] = [
            "health": health(status["health"]),
            "monMap": .object(monMap.fields),
            "mgrMap": .object(mgrMap.fields),
            "osdMap": .object(osdMap.fields),
            "pgMap": .object(pgMap(status["pgmap"], df: df)),
            "services": .array([
                service("mon", running: monMap.inQuorum, total: monMap.count),
                service("mgr", running: mgrMap.count, total: mgrMap.count),
                service("osd", running: osdMap.up, total: osdMap.count),
            ]),
            "collectedAt": .string(RFC3339.format(collectedAt)),
        ]
        report["fsid"] = status["fsid"].string.map(JSONValue.string)
        if let pools = df.map(pools), !pools.isEmpty { report["pools"] = .array(pools) }
        return .object(report)
    }

    // MARK: Sections

    static func health(_ health: JSONCursor) -> JSONValue {
        var fields: [String: JSONValue] = [
            "status": .string(health["status"].string ?? health["overall_status"].string ?? "HEALTH_UNKNOWN"),
        ]
        var checks: [String: JSONValue] = [:]
        for (name, check) in health["checks"].members {
            var entry: [String: JSONValue] = ["severity": .string(check["severity"].string ?? "HEALTH_WARN")]
            if let message = check["summary"]["message"].string ?? check["message"].string {
                entry["message"] = .string(message)
            }
            let detail = check["detail"].array.compactMap { $0["message"].string ?? $0.string }
            if !detail.isEmpty { entry["detail"] = .array(detail.map(JSONValue.string)) }
            checks[name] = .object(entry)
        }
        if !checks.isEmpty { fields["checks"] = .object(checks) }
        let summary: [JSONValue] = health["summary"].array.compactMap { item in
            guard let message = item["summary"].string ?? item["message"].string else { return nil }
            return .object(["severity": .string(item["severity"].string ?? "HEALTH_WARN"), "message": .string(message)])
        }
        if !summary.isEmpty { fields["summary"] = .array(summary) }
        return .object(fields)
    }

    static func monMap(_ status: JSONCursor) -> (fields: [String: JSONValue], count: Int, inQuorum: Int) {
        let monmap = status["monmap"]
        let quorumNames = status["quorum_names"].array.compactMap(\.string)
        let quorumRanks = status["quorum"].array.compactMap(\.int)
        var monitors: [JSONValue] = []
        let listed = monmap["mons"].array
        if !listed.isEmpty {
            for mon in listed {
                let name = mon["name"].string ?? ""
                var entry: [String: JSONValue] = ["name": .string(name)]
                if let rank = mon["rank"].int { entry["rank"] = .number(Double(rank)) }
                if let address = mon["public_addr"].string ?? mon["addr"].string { entry["addr"] = .string(address) }
                entry["status"] = .string(quorumNames.contains(name) ? "quorum" : "out of quorum")
                monitors.append(.object(entry))
            }
        } else {
            for (index, name) in quorumNames.enumerated() {
                var entry: [String: JSONValue] = ["name": .string(name), "status": .string("quorum")]
                if index < quorumRanks.count { entry["rank"] = .number(Double(quorumRanks[index])) }
                monitors.append(.object(entry))
            }
        }
        let count = monmap["num_mons"].int ?? (listed.isEmpty ? quorumNames.count : listed.count)
        var fields: [String: JSONValue] = ["epoch": number(monmap["epoch"]), "numMons": .number(Double(count))]
        if !monitors.isEmpty { fields["monitors"] = .array(monitors) }
        return (fields, count, quorumNames.count)
    }

    static func mgrMap(_ status: JSONCursor) -> (fields: [String: JSONValue], count: Int) {
        let mgrmap = status["mgrmap"]
        let available = mgrmap["available"].bool ?? false
        let standbys = mgrmap["num_standbys"].int ?? mgrmap["standbys"].array.count
        let count = (available ? 1 : 0) + standbys
        var fields: [String: JSONValue] = ["available": .bool(available), "numMgrs": .number(Double(count)),
                                           "standbys": .number(Double(standbys))]
        if let active = mgrmap["active_name"].string, !active.isEmpty { fields["activeMgr"] = .string(active) }
        return (fields, count)
    }

    static func osdMap(_ status: JSONCursor) -> (fields: [String: JSONValue], count: Int, up: Int) {
        let nested = status["osdmap"]["osdmap"]
        let osdmap = nested.exists ? nested : status["osdmap"]
        let total = osdmap["num_osds"].int ?? 0
        let up = osdmap["num_up_osds"].int ?? 0
        let inCluster = osdmap["num_in_osds"].int ?? 0
        let fields: [String: JSONValue] = [
            "epoch": number(osdmap["epoch"]), "numOsds": .number(Double(total)), "numUp": .number(Double(up)),
            "numIn": .number(Double(inCluster)), "numDown": .number(Double(max(0, total - up))),
            "numOut": .number(Double(max(0, total - inCluster))),
        ]
        return (fields, total, up)
    }

    static func pgMap(_ pgmap: JSONCursor, df: JSONCursor?) -> [String: JSONValue] {
        let stats = df?["stats"] ?? JSONCursor(nil)
        let total = pgmap["bytes_total"].double ?? stats["total_bytes"].double ?? 0
        let used = pgmap["bytes_used"].double ?? stats["total_used_raw_bytes"].double
            ?? stats["total_used_bytes"].double ?? 0
        let available = pgmap["bytes_avail"].double ?? stats["total_avail_bytes"].double ?? 0
        var fields: [String: JSONValue] = [
            "numPgs": number(pgmap["num_pgs"]), "bytesTotal": .number(total), "bytesUsed": .number(used),
            "bytesAvailable": .number(available),
            "usagePercent": .number(total > 0 ? (used / total * 10_000).rounded() / 100 : 0),
        ]
        for (source, key) in [("data_bytes", "dataBytes"), ("degraded_ratio", "degradedRatio"),
                              ("misplaced_ratio", "misplacedRatio"), ("read_bytes_sec", "readBytesPerSec"),
                              ("write_bytes_sec", "writeBytesPerSec"), ("read_op_per_sec", "readOpsPerSec"),
                              ("write_op_per_sec", "writeOpsPerSec")] {
            if let value = pgmap[source].double { fields[key] = .number(value) }
        }
        return fields
    }

    static func pools(_ df: JSONCursor) -> [JSONValue] {
        df["pools"].array.compactMap { pool -> (id: Int, value: JSONValue)? in
            guard let id = pool["id"].int, let name = pool["name"].string else { return nil }
            let stats = pool["stats"]
            let used = stats["bytes_used"].double ?? stats["kb_used"].double.map { $0 * 1024 } ?? 0
            let ratio = stats["percent_used"].double ?? 0
            return (id, .object([
                "id": .number(Double(id)), "name": .string(name), "bytesUsed": .number(used),
                "bytesAvailable": .number(stats["max_avail"].double ?? 0),
                "objects": .number(stats["objects"].double ?? 0),
                "percentUsed": .number((min(1, max(0, ratio)) * 10_000).rounded() / 100),
            ]))
        }.sorted { $0.id < $1.id }.map(\.value)
    }

    private static func service(_ type: String, running: Int, total: Int) -> JSONValue {
        .object(["type": .string(type), "running": .number(Double(running)), "total": .number(Double(total))])
    }

    private static func number(_ cursor: JSONCursor) -> JSONValue {
        .number(cursor.double ?? 0)
    }
}
