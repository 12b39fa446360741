/// The flags given on a command line, checked against `FlagTable` but not yet interpreted.
///
/// Accepts `--name value`, `--name=value`, and Go's single-dash spellings (`-name`). Boolean flags take no
/// separate argument (`--once`, `--insecure=false`), as in Go. Parsing stops at `--`; positional arguments are
/// an error.
struct ParsedFlags {
    private var values: [String: [String]] = [:]
    /// Reference-agent flags that were given and are ignored.
    private(set) var ignored: [String] = []

    init(_ arguments: [String]) throws(ConfigurationError) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                if index < arguments.count { throw .usage("unexpected argument \"\(arguments[index])\"") }
                break
            }
            guard argument.hasPrefix("-"), argument.count > 1 else {
                throw .usage("unexpected argument \"\(argument)\"")
            }
            let body = argument.hasPrefix("--") ? argument.dropFirst(2) : argument.dropFirst()
            let name: String
            var inlineValue: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                inlineValue = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
            }
            guard !name.isEmpty, !name.hasPrefix("-"), let spec = FlagTable.spec(named: name) else {
                throw .usage("unknown flag: \(argument.prefix(while: { $0 != "=" }))")
            }
            let value: String
            if spec.isBoolean {
                if let inlineValue {
                    guard Self.parseBool(inlineValue) != nil else {
                        throw .usage("invalid boolean value \"\(inlineValue)\" for --\(spec.name)")
                    }
                    value = inlineValue
                } else {
                    value = "true"
                }
            } else if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count else { throw .usage("flag needs an argument: --\(spec.name)") }
                value = arguments[index]
                index += 1
            }
            if spec.ignored {
                if !ignored.contains(spec.name) { ignored.append(spec.name) }
                continue
            }
            values[spec.name, default: []].append(value)
        }
    }

    /// The last value of a flag.
    func value(_ name: String) -> String? { values[name]?.last }

    /// Every value of a repeatable flag, in order.
    func values(_ name: String) -> [String] { values[name] ?? [] }

    /// A boolean flag's value, `nil` when not given.
    func bool(_ name: String) -> Bool? { value(name).flatMap(Self.parseBool) }

    /// Whether a boolean flag was given and true.
    func isSet(_ name: String) -> Bool { bool(name) == true }

    /// Go's `strconv.ParseBool`: 1, t, true / 0, f, false, in any case.
    static func parseBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "t", "true": true
        case "0", "f", "false": false
        default: nil
        }
    }
}
