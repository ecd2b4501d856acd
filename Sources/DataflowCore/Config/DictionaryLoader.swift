import Foundation

/// Loads `dictionaries/matters.yml` and `dictionaries/functions.yml`, checking every reference.
struct DictionaryLoader {
    let interpolator: Interpolator

    func load(mappingsPath: String, displayPrefix: String) throws(ConfigError) -> Dictionaries {
        let dir = mappingsPath + "/dictionaries"
        let functionsFile = dir + "/functions.yml", mattersFile = dir + "/matters.yml"
        let functionsName = displayPrefix + "/dictionaries/functions.yml"
        let mattersName = displayPrefix + "/dictionaries/matters.yml"
        var digestInput: [UInt8] = []

        var functions: [DepartmentFunction] = []
        if FileManager.default.fileExists(atPath: functionsFile) {
            digestInput += Array(FileManager.default.contents(atPath: functionsFile) ?? Data())
            let node = try YAMLDocument.load(path: functionsFile, displayName: functionsName)
            var root = try MappingReader(node, what: functionsName, interpolator: interpolator)
            var seen: Set<String> = []
            if let list = root.node("functions") {
                guard case .sequence(let items, _) = list else { throw ConfigError("'functions' must be a list", at: list.position) }
                for item in items {
                    var f = try MappingReader(item, what: "a function", interpolator: interpolator)
                    let fn = DepartmentFunction(code: try f.requiredString("code"), department: try f.requiredString("department"),
                                                name: try f.requiredString("name"))
                    try f.finish()
                    guard seen.insert(fn.code).inserted else { throw ConfigError("duplicate function code '\(fn.code)'", at: item.position) }
                    functions.append(fn)
                }
            }
            try root.finish()
        }

        var matters: [Matter] = []
        if FileManager.default.fileExists(atPath: mattersFile) {
            digestInput += Array(FileManager.default.contents(atPath: mattersFile) ?? Data())
            let node = try YAMLDocument.load(path: mattersFile, displayName: mattersName)
            var root = try MappingReader(node, what: mattersName, interpolator: interpolator)
            let functionCodes = Set(functions.map(\.code))
            var codes: [String: SourcePosition] = [:]
            if let list = root.node("matters") {
                guard case .sequence(let items, _) = list else { throw ConfigError("'matters' must be a list", at: list.position) }
                for item in items {
                    var r = try MappingReader(item, what: "a matter", interpolator: interpolator)
                    let code = try r.requiredString("code")
                    let name = try r.requiredString("name")
                    let typeText = try r.requiredString("type")
                    guard let type = MatterType(rawValue: typeText) else {
                        let options = MatterType.allCases.map(\.rawValue)
                        throw ConfigError("unknown matter type '\(typeText)'\(MappingReader.suggestion(typeText, options)) (expected one of: \(options.joined(separator: " ")))", at: r.keyPosition("type"))
                    }
                    let department = try r.requiredString("department")
                    let fns = try r.stringList("functions") ?? []
                    for fn in fns where !functionCodes.contains(fn) {
                        throw ConfigError("matter \(code) names unknown function '\(fn)'\(MappingReader.suggestion(fn, Array(functionCodes))) (functions come from \(functionsName))", at: r.keyPosition("functions"))
                    }
                    let aliases = try r.stringList("aliases") ?? []
                    // 实施编码: the first 18 characters are the implementing body's credit code.
                    for alias in aliases where alias.count == Dictionaries.implementationCodeLength {
                        let body = String(alias.prefix(18))
                        if let problem = CreditCodeCheck.validate(body) {
                            throw ConfigError("matter \(code): implementation code '\(alias)' must start with the implementing body's credit code, but '\(body)' is not one (\(problem))", at: r.keyPosition("aliases"))
                        }
                    }
                    try r.finish()
                    for c in [code] + aliases {
                        if let first = codes[c] {
                            throw ConfigError("code '\(c)' is used twice (first at line \(first.line))", at: item.position)
                        }
                        codes[c] = item.position
                    }
                    matters.append(Matter(code: code, name: name, type: type, department: department, functions: fns, aliases: aliases))
                }
            }
            try root.finish()
        }
        let version = Digest.hex(Digest.hash(.sha256, digestInput).prefix(8))
        let codes = try CodeTableLoader(interpolator: interpolator).load(mappingsPath: mappingsPath, displayPrefix: displayPrefix)
        return Dictionaries(matters: matters, functions: functions, version: version, codes: codes)
    }
}
