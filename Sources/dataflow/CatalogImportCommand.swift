import ArgumentParser
import DataflowCore
import DataflowWarehouses
import Foundation

/// `dataflow catalog import FILE` — load the provincial resource catalogue into the warehouse.
struct CatalogImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import the provincial resource catalogue (资源目录) from .xlsx, CSV or a catalogue API's JSON.",
        discussion: """
        Reads the catalogue as the province publishes it: Excel .xlsx (first sheet; a header over two rows \
        with merged cells is fine; dates may be Excel serial numbers), CSV (UTF-8, UTF-8 with BOM, or \
        GB18030) or JSON (a list of resources, or the first such list in the answer). Column labels are \
        mapped to the 2017 catalogue guide's fields (资源名称, 资源代码, 提供方, 信息项, 共享类型, 共享条件, \
        共享方式, 开放属性, 更新周期, 发布日期, 关联事项编码 …) by Mappings/catalogue.yml; other columns are \
        kept. Re-importing a newer catalogue replaces it and reports what was added, changed and withdrawn \
        (withdrawn resources are kept, marked). A bad file changes nothing and names the row and column.

        Then `dataflow catalog` lists, for each uncovered matter, the resources that could carry it, and \
        `dataflow catalog --format csv --csv-table demand` writes the county's 需求清单.

        Examples:
          dataflow catalog import 省资源目录.xlsx
          dataflow catalog import catalogue.csv
          curl -s https://gateway.example.gov.cn/catalogue/api > catalogue.json && dataflow catalog import catalogue.json
        """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The catalogue file (.xlsx, .csv or .json).", valueName: "file"))
    var file: String

    func run() throws {
        let project = try global.loadProject(allowRequestOnly: true)
        let resources: [CatalogueResource]
        do {
            let map = try CatalogueColumnMap.load(mappingsPath: project.mappingsPath, displayPrefix: (project.mappingsPath as NSString).lastPathComponent,
                                                  environment: ProcessInfo.processInfo.environment)
            resources = try CatalogueImporter(columns: map).read(path: file)
        } catch {
            Console.error("\(error)")
            Console.error("nothing was imported")
            throw ExitCode(ExitCodes.badConfig)
        }
        let report: CatalogueStore.ImportReport
        do {
            let warehouse = try WarehouseFactory.standard.open(project.warehouse, purpose: .sync)
            report = try CatalogueStore(db: warehouse).replace(with: resources, file: (file as NSString).lastPathComponent)
            withExtendedLifetime(warehouse) {}
        } catch let held as WarehouseLock.Held {
            Console.error("\(held)")
            throw ExitCode(ExitCodes.locked)
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitCodes.datasetsFailed)
        }
        guard !global.quiet else { return }
        var out = "imported \((file as NSString).lastPathComponent): \(report.resources) resources (import \(report.importID))\n"
        // The catalogue's own text, with its control characters escaped: a cell holding `ESC ] 0;…`
        // would retitle or repaint the terminal.
        func line(_ r: CatalogueResource) -> String { Redactor.escapingControls("    \(r.code) \(r.name)" + (r.provider.isEmpty ? "" : " — \(r.provider)")) }
        out += "  added \(report.added.count)\n" + report.added.prefix(20).map { line($0) + "\n" }.joined()
        if report.added.count > 20 { out += "    … \(report.added.count - 20) more\n" }
        out += "  changed \(report.changed.count)\n" + report.changed.map { line($0.0) + ": " + Redactor.escapingControls($0.1.joined(separator: "; ")) + "\n" }.joined()
        out += "  withdrawn \(report.withdrawn.count)\n" + report.withdrawn.map { line($0) + "\n" }.joined()
        out += "  unchanged \(report.unchanged)\n"
        Console.out(out)
    }
}
