/// An API-token scope (hub-api section 2.2). A token holding `*` has every scope.
public enum Scope: String, CaseIterable, Codable, Sendable, Comparable {
    case all = "*"
    case monitoringRead = "monitoring:read"
    case monitoringWrite = "monitoring:write"
    case dockerReport = "docker:report"
    case dockerManage = "docker:manage"
    case kubernetesReport = "kubernetes:report"
    case kubernetesManage = "kubernetes:manage"
    case hostAgentReport = "host-agent:report"
    case hostAgentManage = "host-agent:manage"
    case settingsRead = "settings:read"
    case settingsWrite = "settings:write"

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Why a requested scope list is not acceptable, with the reference's wording.
    public enum ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case blank
        case unknown(String)
        case wildcardMixed

        public var description: String {
            switch self {
            case .empty: return "select at least one scope or omit the field for full access"
            case .blank: return "scope entries must not be blank"
            case .unknown(let name): return "unknown scope \"\(name)\""
            case .wildcardMixed: return "the \"*\" scope cannot be combined with other scopes"
            }
        }
    }

    /// Validates a requested scope list: `nil` means full access; otherwise de-duplicated and sorted.
    public static func normalize(_ requested: [String]?) throws(ValidationError) -> [Scope] {
        guard let requested else { return [.all] }
        if requested.isEmpty { throw .empty }
        var scopes = Set<Scope>()
        for entry in requested {
            let trimmed = entry.trimmingWhitespace()
            if trimmed.isEmpty { throw .blank }
            guard let scope = Scope(rawValue: trimmed) else { throw .unknown(String(trimmed.prefix(64))) }
            scopes.insert(scope)
        }
        if scopes.contains(.all), scopes.count > 1 { throw .wildcardMixed }
        return scopes.sorted()
    }
}

extension Array where Element == Scope {
    /// Whether a token holding these scopes may act with `scope`. An empty list means full access.
    public func grants(_ scope: Scope) -> Bool {
        isEmpty || contains(.all) || contains(scope)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, carriage returns and newlines (compared by Unicode
    /// scalar, so a `\r\n` pair is trimmed too).
    public func trimmingWhitespace() -> String {
        let scalars = String(self).unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
