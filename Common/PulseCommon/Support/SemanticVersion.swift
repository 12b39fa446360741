/// A semantic version (semver 2.0.0): `MAJOR.MINOR.PATCH[-prerelease][+build]`, with an optional leading `v`.
/// Precedence follows the spec: a prerelease sorts before its release (`5.0.0-rc.1 < 5.0.0`), numeric prerelease
/// identifiers compare as numbers and below alphanumeric ones, and build metadata is ignored.
public struct SemanticVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let patch: Int
    public let prerelease: [String]

    /// Parses a version; missing minor/patch parts are zero (`5` and `5.1` are accepted). Nil when malformed.
    public init?(_ text: String) {
        var body = Substring(text.trimmingWhitespace())
        if body.first == "v" || body.first == "V" { body = body.dropFirst() }
        if let plus = body.firstIndex(of: "+") { body = body[..<plus] }
        var pre: [String] = []
        if let dash = body.firstIndex(of: "-") {
            let identifiers = body[body.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false)
            guard !identifiers.isEmpty, identifiers.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0.isVersionIdentifierByte } }) else {
                return nil
            }
            pre = identifiers.map(String.init)
            body = body[..<dash]
        }
        let numbers = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(numbers.count), numbers.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 9 && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } })
        else { return nil }
        let values = numbers.map { Int($0)! }
        major = values[0]
        minor = values.count > 1 ? values[1] : 0
        patch = values.count > 2 ? values[2] : 0
        prerelease = pre
    }

    public var isPrerelease: Bool { !prerelease.isEmpty }

    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease.joined(separator: "."))
    }

    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if (lhs.major, lhs.minor, lhs.patch) != (rhs.major, rhs.minor, rhs.patch) {
            return (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, true), (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
            switch (Int(left), Int(right)) {
            case let (l?, r?): return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return left < right
            }
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }
}

extension UInt8 {
    fileprivate var isVersionIdentifierByte: Bool {
        (self >= 48 && self <= 57) || (self >= 65 && self <= 90) || (self >= 97 && self <= 122) || self == 45
    }
}
