import CYaml

/// Bounds what YAML aliases may expand to, before anything is built from a document.
///
/// An alias repeats its anchor's node, and anchors may hold aliases: nine lines of
/// "billion laughs" expand to 10⁹ nodes. Composing that tree (or walking it) exhausts memory long
/// before an error could be raised, so this pass reads libyaml's *events* (which never expand) and
/// counts, for each anchor, the nodes it stands for; every alias adds its anchor's count to a
/// running total. Over `limit`, or nested deeper than `maxDepth`, the document is refused at the
/// alias (or node) that crossed the line. Linear in the size of the file, whatever the aliases.
///
/// ```swift
/// try YAMLAliasBudget.check(text, file: "dataflow.yml")   // throws ConfigError at file:line:column
/// ```
enum YAMLAliasBudget {
    /// Nodes aliases may add to one file: far above any mapping a county writes by hand, far below
    /// what would hurt (a few megabytes of nodes).
    static let limit = 100_000
    /// Collections nested deeper than this are refused (the composer recurses once per level).
    static let maxDepth = 200

    /// Throws when `text`'s aliases expand past `limit` nodes or it nests past `maxDepth`. A
    /// document libyaml cannot parse passes: the composer reports that error with its own words.
    static func check(_ text: String, file: String, limit: Int = limit, maxDepth: Int = maxDepth) throws(ConfigError) {
        let bytes = Array(text.utf8)
        let input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, bytes.count))
        defer { input.deallocate() }
        _ = input.initialize(from: bytes)

        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, input.baseAddress, bytes.count)

        var anchors: [String: Int] = [:]
        // Open collections: their anchor and the nodes counted so far (the collection itself = 1).
        var open: [(anchor: String?, nodes: Int)] = []
        var expanded = 0
        func add(_ nodes: Int) { if !open.isEmpty { open[open.count - 1].nodes += nodes } }
        func anchor(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        }

        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { return }
            defer { yaml_event_delete(&event) }
            let at = SourcePosition(file: file, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return
            case YAML_SCALAR_EVENT:
                if let name = anchor(event.data.scalar.anchor) { anchors[name] = 1 }
                add(1)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let name = event.type == YAML_SEQUENCE_START_EVENT ? anchor(event.data.sequence_start.anchor) : anchor(event.data.mapping_start.anchor)
                open.append((name, 1))
                if open.count > maxDepth {
                    throw ConfigError("YAML nested more than \(maxDepth) levels deep; flatten the document", at: at)
                }
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let closed = open.popLast() else { continue }
                if let name = closed.anchor { anchors[name] = closed.nodes }
                add(closed.nodes)
            case YAML_ALIAS_EVENT:
                let nodes = anchor(event.data.alias.anchor).flatMap { anchors[$0] } ?? 0
                expanded += nodes
                if expanded > limit {
                    throw ConfigError("YAML aliases expand to more than \(limit) nodes (an alias bomb?); write the values out instead of nesting aliases", at: at)
                }
                add(nodes)
            default:
                continue
            }
        }
    }
}
