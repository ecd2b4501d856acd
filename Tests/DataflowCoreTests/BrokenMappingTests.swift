import Foundation
import Testing
@testable import DataflowCore

/// Every file under the top-level Fixtures/broken is a broken mapping whose first line says what
/// `validate` must report: `# expect: LINE:COLUMN: message fragment`. `matters-*.yml` files replace
/// dictionaries/matters.yml; the others are dataset files.
@Suite("validate: broken mapping files give the expected message with position")
struct BrokenMappingTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/broken")
    static let repositoryCodes = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Mappings/codes")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []).filter { $0.hasSuffix(".yml") }.sorted()
    }

    @Test func thereAreBrokenFixtures() {
        #expect(BrokenMappingTests.files.count >= 15)
    }

    @Test(arguments: BrokenMappingTests.files)
    func brokenFileIsReported(_ file: String) throws {
        let text = try String(contentsOf: BrokenMappingTests.fixtures.appendingPathComponent(file), encoding: .utf8)
        let firstLine = text.prefix { $0 != "\n" }
        let expectPrefix = "# expect: "
        try #require(firstLine.hasPrefix(expectPrefix), "\(file) must start with '# expect: LINE:COLUMN: message'")
        let expectation = String(firstLine.dropFirst(expectPrefix.count))

        let isMatters = file.hasPrefix("matters-")
        let project = try TestProject(datasets: isMatters ? [:] : [file: text], matters: isMatters ? text : nil)
        try FileManager.default.copyItem(atPath: BrokenMappingTests.repositoryCodes.path, toPath: project.root + "/Mappings/codes")
        let where_ = isMatters ? "Mappings/dictionaries/matters.yml" : "Mappings/datasets/\(file)"
        do {
            _ = try project.load()
            Issue.record("\(file) loaded without an error; expected \(expectation)")
        } catch {
            let message = String(describing: error)
            #expect(message.contains("\(where_):\(expectation)"), "\(file): got «\(message)»")
        }
    }

    @Test func theExampleCountyIsValid() throws {
        let root = BrokenMappingTests.repositoryCodes.deletingLastPathComponent().deletingLastPathComponent()
        let project = try ProjectLoader(environment: ["SANDBOX_PORT": "1"]).load(root: root.path)
        #expect(project.dictionaries.matters.count >= 50)
        #expect(Set(project.dictionaries.matters.map(\.department)).count >= 10)
        #expect(Set(project.dictionaries.matters.map(\.type)) == Set(MatterType.allCases))
        let functions = Set(project.dictionaries.functions.map(\.code))
        for m in project.dictionaries.matters {
            #expect(!m.functions.isEmpty && m.functions.allSatisfy(functions.contains), "\(m.code)")
        }
        #expect(project.dictionaries.codes.divisions?.lookup("330782") == "义乌市")
        #expect(project.dictionaries.codes.divisions?.lookup("330104") == "江干区", "abolished codes stay for citizen IDs")
        #expect(project.dictionaries.codes["sex"]?.lookup("女") == "2")
    }
}
