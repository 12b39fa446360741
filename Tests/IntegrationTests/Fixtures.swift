import Foundation
import PulseCommon

/// Host reports as a Pulse 5 unified agent sends them (agent-protocol section 2.1), as literal JSON text.
enum Fixture {
    static let hostID = "6f1d2c3b-4a5e-4f60-8a9b-0c1d2e3f4a5b"
    static let hostname = "web01.example.com"
    static let memoryTotal: Int64 = 34_359_738_368
    static let memoryUsed: Int64 = 12_884_901_888
    static let memoryFree: Int64 = 21_474_836_480
    static let swapTotal: Int64 = 4_294_967_296
    static let swapUsed: Int64 = 268_435_456
    /// The nanosecond fraction every fixture timestamp carries.
    static let fraction = 0.123456789

    /// A recent collection time on a whole second (the fixture appends `.123456789`).
    static func recentSecond(secondsAgo: Int = 2) -> Date {
        Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - Double(secondsAgo)).rounded(.down))
    }

    /// `2026-12-04T15:35:11.123456789Z` for a whole-second date.
    static func nanosecondTimestamp(_ wholeSecond: Date) -> String {
        var text = RFC3339.format(wholeSecond)
        text.removeLast()  // "Z"
        return text + ".123456789Z"
    }

    /// Unix milliseconds of a fixture timestamp built from `wholeSecond`.
    static func unixMilliseconds(_ wholeSecond: Date) -> Double {
        (wholeSecond.timeIntervalSince1970 * 1000).rounded() + 123
    }

    /// A complete report carrying every field of section 2.1, including a tmpfs `/run` mount the hub drops.
    static func report(hostID: String = hostID, hostname: String = hostname, agentID: String? = nil,
                       timestamp: Date = recentSecond(), sequenceId: String? = "1842", cpuUsage: Double = 23.5) -> String {
        let agentID = agentID ?? hostID
        let sequence = sequenceId.map { ",\n  \"sequenceId\": \"\($0)\"" } ?? ""
        return """
        {
          "agent": {
            "id": "\(agentID)",
            "version": "v5.0.12",
            "type": "unified",
            "intervalSeconds": 30,
            "hostname": "\(hostname)",
            "updatedFrom": "v5.0.11",
            "commandsEnabled": false
          },
          "host": {
            "id": "\(hostID)",
            "hostname": "\(hostname)",
            "displayName": "\(hostname)",
            "machineId": "\(hostID)",
            "platform": "debian",
            "osName": "Debian GNU/Linux",
            "osVersion": "12.8",
            "kernelVersion": "6.1.0-28-amd64",
            "architecture": "x86_64",
            "cpuModel": "Intel(R) Xeon(R) E-2288G CPU @ 3.70GHz",
            "cpuCount": 16,
            "uptimeSeconds": 1234567,
            "loadAverage": [0.42, 0.51, 0.6],
            "reportIp": "192.168.1.50"
          },
          "metrics": {
            "cpuUsagePercent": \(cpuUsage),
            "memory": {
              "totalBytes": \(memoryTotal),
              "usedBytes": \(memoryUsed),
              "freeBytes": \(memoryFree),
              "usage": 37.5,
              "swapTotalBytes": \(swapTotal),
              "swapUsedBytes": \(swapUsed)
            }
          },
          "disks": [
            {"device": "/dev/nvme0n1p2", "mountpoint": "/", "filesystem": "ext4", "type": "ext4",
             "totalBytes": 502384517120, "usedBytes": 125596129280, "freeBytes": 351219679232, "usage": 25.0},
            {"device": "tmpfs", "mountpoint": "/run", "filesystem": "tmpfs", "type": "tmpfs",
             "totalBytes": 3435970560, "usedBytes": 2097152, "freeBytes": 3433873408, "usage": 0.06},
            {"device": "/dev/md0", "mountpoint": "/srv/data", "filesystem": "xfs", "type": "xfs",
             "totalBytes": 3998614372352, "usedBytes": 1999307186176, "freeBytes": 1999307186176, "usage": 50.0}
          ],
          "diskIO": [
            {"device": "nvme0n1", "readBytes": 98765432100, "writeBytes": 123456789000, "readOps": 4567890,
             "writeOps": 7654321, "readTimeMs": 345678, "writeTimeMs": 876543, "ioTimeMs": 1234567},
            {"device": "sda", "readBytes": 1048576, "writeBytes": 2097152, "readOps": 256, "writeOps": 512,
             "readTimeMs": 100, "writeTimeMs": 200, "ioTimeMs": 300}
          ],
          "network": [
            {"name": "eth0", "mac": "52:54:00:12:34:56", "addresses": ["192.168.1.50/24", "fe80::5054:ff:fe12:3456/64"],
             "rxBytes": 987654321098, "txBytes": 123456789012, "speedMbps": 1000}
          ],
          "sensors": {
            "temperatureCelsius": {"cpu_package": 54.0, "cpu_core_0": 51.0, "cpu_core_1": 52.0, "nvme0": 42.85},
            "fanRpm": {"nct6798_fan1": 1180.0},
            "powerWatts": {"cpu_package": 35.2},
            "additional": {"acpitz_temp1": 27.8},
            "smart": [
              {"device": "nvme0n1", "model": "Samsung SSD 980 PRO 1TB", "serial": "S5GXNX0T123456",
               "wwn": "eui.002538b111b2c3d4", "type": "nvme", "temperature": 42, "health": "PASSED", "standby": false},
              {"device": "sda", "model": "WDC WD40EFRX-68N32N0", "serial": "WD-WCC7K1234567",
               "wwn": "5 0014ee 2b1234567", "type": "sata", "temperature": 0, "health": "PASSED", "standby": true}
            ]
          },
          "raid": [
            {"device": "/dev/md0", "name": "web01:0", "level": "raid1", "state": "clean, degraded, recovering",
             "totalDevices": 2, "activeDevices": 1, "workingDevices": 2, "failedDevices": 0, "spareDevices": 1,
             "uuid": "3a2b1c0d:4e5f6a7b:8c9d0e1f:2a3b4c5d",
             "devices": [{"device": "/dev/sdb1", "state": "active sync", "slot": 0},
                         {"device": "/dev/sdc1", "state": "spare rebuilding", "slot": -1}],
             "rebuildPercent": 42.5, "rebuildSpeed": "33440K/sec"}
          ],
          "ceph": {
            "fsid": "e4b7c8d2-1f3a-4b5c-9d8e-7f6a5b4c3d2e",
            "health": {"status": "HEALTH_WARN",
                       "checks": {"OSD_NEARFULL": {"severity": "HEALTH_WARN", "message": "1 nearfull osd(s)",
                                                   "detail": ["osd.3 is near full"]}},
                       "summary": []},
            "monMap": {"epoch": 3, "numMons": 3,
                       "monitors": [{"name": "a", "rank": 0, "addr": "192.168.1.50:6789/0", "status": "up"}]},
            "mgrMap": {"available": true, "numMgrs": 2, "activeMgr": "a", "standbys": 1},
            "osdMap": {"epoch": 120, "numOsds": 6, "numUp": 6, "numIn": 6, "numDown": 0, "numOut": 0},
            "pgMap": {"numPgs": 129, "bytesTotal": 6000000000000, "bytesUsed": 750000000000,
                      "bytesAvailable": 5250000000000, "dataBytes": 250000000000, "usagePercent": 12.5,
                      "degradedRatio": 0.0, "misplacedRatio": 0.0, "readBytesPerSec": 1024, "writeBytesPerSec": 2048,
                      "readOpsPerSec": 5, "writeOpsPerSec": 9},
            "pools": [{"id": 1, "name": "rbd", "bytesUsed": 250000000000, "bytesAvailable": 1750000000000,
                       "objects": 61234, "percentUsed": 12.5}],
            "services": [{"type": "mon", "running": 3, "total": 3}, {"type": "mgr", "running": 2, "total": 2},
                         {"type": "osd", "running": 6, "total": 6}],
            "collectedAt": "\(nanosecondTimestamp(timestamp))"
          },
          "tags": ["prod", "rack-7"],
          "timestamp": "\(nanosecondTimestamp(timestamp))"\(sequence)
        }
        """
    }
}
