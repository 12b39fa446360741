import CYAML

/// Why a YAML document could not be read.
public struct YAMLError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// YAML text → `JSONValue`, through libyaml's event API; the only file that imports libyaml.
///
/// Resolves plain scalars with the YAML 1.2 core schema (`null`/`~`/empty, `true`/`false`, integers, floats);
/// quoted and block scalars stay strings. Anchors and aliases are expanded, with limits against hostile input
/// ("billion laughs"): at most `maxNodes` nodes after expansion, `maxDepth` nesting, `maxBytes` of input.
/// Only the first document of a stream is read; mapping keys must be scalars.
public enum YAMLParser {
    public struct Limits: Sendable {
        public var maxBytes = 4 << 20
        public var maxNodes = 200_000
        public var maxDepth = 64
        public init() {}
    }

    public static func parse(_ text: String, limits: Limits = Limits()) throws(YAMLError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }

    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(YAMLError) -> JSONValue {
        guard bytes.count <= limits.maxBytes else {
            throw YAMLError("document larger than \(limits.maxBytes) bytes")
        }
        var builder = Builder(limits: limits)
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw YAMLError("cannot initialise the YAML parser") }
        defer { yaml_parser_delete(&parser) }
        let result: Result<JSONValue, YAMLError> = bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
                    return .failure(YAMLError("line \(parser.problem_mark.line + 1) column "
                                              + "\(parser.problem_mark.column + 1): \(problem)"))
                }
                defer { yaml_event_delete(&event) }
                do throws(YAMLError) {
                    if let done = try builder.handle(&event) { return .success(done) }
                } catch {
                    return .failure(error)
                }
            }
        }
        return try result.get()
    }

    /// Builds values from events.
    private struct Builder {
        enum Frame {
            case sequence([JSONValue], anchor: String?, nodes: Int)
            case mapping([String: JSONValue], pendingKey: String?, anchor: String?, nodes: Int)
        }

        let limits: Limits
        var stack: [Frame] = []
        var anchors: [String: (value: JSONValue, nodes: Int)] = [:]
        var totalNodes = 0
        var root: JSONValue?

        init(limits: Limits) { self.limits = limits }

        /// Returns the document once its root is complete (or the stream ends).
        mutating func handle(_ event: inout yaml_event_t) throws(YAMLError) -> JSONValue? {
            switch event.type {
            case YAML_STREAM_END_EVENT, YAML_DOCUMENT_END_EVENT:
                return root ?? .null
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length),
                                  as: UTF8.self)
                let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE && scalar.tag == nil
                let value = plain ? Self.resolve(text) : .string(text)
                if let anchor = scalar.anchor { anchors[String(cString: anchor)] = (value, 1) }
                try add(value, nodes: 1, keyText: text)
            case YAML_ALIAS_EVENT:
                let name = String(cString: event.data.alias.anchor)
                guard let anchored = anchors[name] else { throw YAMLError("unknown alias *\(name)") }
                try add(anchored.value, nodes: anchored.nodes, keyText: nil)
            case YAML_SEQUENCE_START_EVENT:
                try push(.sequence([], anchor: event.data.sequence_start.anchor.map { String(cString: $0) }, nodes: 1))
            case YAML_MAPPING_START_EVENT:
                try push(.mapping([:], pendingKey: nil,
                                  anchor: event.data.mapping_start.anchor.map { String(cString: $0) }, nodes: 1))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = stack.popLast() else { throw YAMLError("unbalanced collection end") }
                let value: JSONValue
                let nodes: Int
                let anchor: String?
                switch frame {
                case .sequence(let items, let name, let count):
                    (value, nodes, anchor) = (.array(items), count, name)
                case .mapping(let pairs, _, let name, let count):
                    (value, nodes, anchor) = (.object(pairs), count, name)
                }
                if let anchor { anchors[anchor] = (value, nodes) }
                // The collection's own nodes were counted as they arrived.
                try attach(value, nodes: nodes, keyText: nil, counted: true)
                if stack.isEmpty, root != nil { return nil }
            default:
                break
            }
            return nil
        }

        private mutating func push(_ frame: Frame) throws(YAMLError) {
            guard stack.count < limits.maxDepth else { throw YAMLError("nesting deeper than \(limits.maxDepth)") }
            try count(1)
            stack.append(frame)
        }

        private mutating func count(_ nodes: Int) throws(YAMLError) {
            totalNodes += nodes
            guard totalNodes <= limits.maxNodes else {
                throw YAMLError("more than \(limits.maxNodes) nodes (after expanding aliases)")
            }
        }

        private mutating func add(_ value: JSONValue, nodes: Int, keyText: String?) throws(YAMLError) {
            try count(nodes)
            try attach(value, nodes: nodes, keyText: keyText, counted: false)
        }

        /// Puts a finished value into the enclosing collection (or makes it the root).
        private mutating func attach(_ value: JSONValue, nodes: Int, keyText: String?,
                                     counted: Bool) throws(YAMLError) {
            guard let top = stack.popLast() else {
                if root == nil { root = value }
                return
            }
            switch top {
            case .sequence(var items, let anchor, let total):
                items.append(value)
                stack.append(.sequence(items, anchor: anchor, nodes: total + nodes))
            case .mapping(var pairs, let pendingKey, let anchor, let total):
                if let pendingKey {
                    pairs[pendingKey] = value
                    stack.append(.mapping(pairs, pendingKey: nil, anchor: anchor, nodes: total + nodes))
                } else {
                    guard let key = keyText ?? Self.keyText(value) else {
                        throw YAMLError("mapping keys must be scalars")
                    }
                    stack.append(.mapping(pairs, pendingKey: key, anchor: anchor, nodes: total + nodes))
                }
            }
            _ = counted
        }

        static func keyText(_ value: JSONValue) -> String? {
            switch value {
            case .string(let text): return text
            case .bool(let flag): return flag ? "true" : "false"
            case .number(let number): return JSONValue.number(number).scalarText
            case .null: return ""
            default: return nil
            }
        }

        /// The YAML 1.2 core schema for a plain scalar.
        static func resolve(_ text: String) -> JSONValue {
            switch text {
            case "", "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .number(.infinity)
            case "-.inf", "-.Inf", "-.INF": return .number(-.infinity)
            case ".nan", ".NaN", ".NAN": return .number(.nan)
            default: break
            }
            guard let first = text.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
                || first == UInt8(ascii: ".") || (first >= 48 && first <= 57) else { return .string(text) }
            if text.hasPrefix("0x"), let value = Int64(text.dropFirst(2), radix: 16) { return .number(Double(value)) }
            if text.hasPrefix("0o"), let value = Int64(text.dropFirst(2), radix: 8) { return .number(Double(value)) }
            // Integers and decimals only (no "1_000", dates or version strings such as "1.2.3").
            let allowed = text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 45 || $0 == 46 || $0 == 69 || $0 == 101 }
            if allowed, let value = Double(text), value.isFinite {
                // Keep integers exact only while a Double holds them; longer digit runs stay text (tokens).
                if !text.contains("."), !text.lowercased().contains("e"), text.count > 15 { return .string(text) }
                return .number(value)
            }
            return .string(text)
        }
    }
}
