import Foundation
import Testing

/// docs/architecture.md names targets, folders and files; each must exist, so the map cannot
/// drift from the code unnoticed.
@Suite("docs/architecture.md matches the code")
struct ArchitectureDocTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// Backticked names in `text` (`A`, `B` → [A, B]).
    static func ticked(_ text: Substring) -> [String] {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    @Test func everyTargetInTheModulesTableIsInPackageSwift() throws {
        let doc = try Self.read("docs/architecture.md"), package = try Self.read("Package.swift")
        let rows = doc.split(separator: "\n").filter { $0.hasPrefix("| `") }
        let names = rows.flatMap { Self.ticked($0.split(separator: "|")[0]) }
        #expect(names.count >= 10, "the modules table lists the targets")
        for name in names {
            #expect(package.contains("name: \"\(name)\""), "docs/architecture.md names target \(name), which Package.swift does not have")
        }
        // And the other way: every target of Package.swift is on the map.
        let declared = package.split(separator: "\n").filter { $0.contains(".target(") || $0.contains(".executableTarget(") || $0.contains(".systemLibrary(") }
            .compactMap { line -> String? in
                guard let r = line.range(of: "name: \"") else { return nil }
                return String(line[r.upperBound...].prefix { $0 != "\"" })
            }
        for name in declared { #expect(names.contains(name), "target \(name) is missing from docs/architecture.md") }
    }

    @Test func everyFolderAndFileTheDocNamesExists() throws {
        let doc = try Self.read("docs/architecture.md")
        let fm = FileManager.default
        for line in doc.split(separator: "\n") where line.hasPrefix("- `") {
            // The folder a bullet describes is its first name (later ones are its subfolders).
            for folder in Self.ticked(line).prefix(1) where folder.hasSuffix("/") && !folder.contains(" ") {
                #expect(fm.fileExists(atPath: Self.root.appendingPathComponent("Sources/DataflowCore/" + folder).path), "folder \(folder)")
            }
        }
        var files: [String] = []
        for path in ["Sources", "Tests"] {
            let walker = fm.enumerator(atPath: Self.root.appendingPathComponent(path).path)
            while let next = walker?.nextObject() as? String { files.append(path + "/" + next) }
        }
        let named = Self.ticked(doc[...]).filter { $0.hasSuffix(".swift") && !$0.contains(" ") && !$0.contains("<") }   // <Name> is a pattern
        #expect(named.count >= 10)
        for name in named {
            #expect(files.contains { $0.hasSuffix("/" + name) || $0 == name }, "docs/architecture.md names \(name), which does not exist")
        }
    }
}
