import DataflowCore
import Foundation
import Testing

/// The run's "rejected" counts distinct records quarantined for the first time; a record that an
/// earlier run already quarantined and this run read again is reported apart.
@Suite("Reject counts: distinct new rejects, re-seen ones apart")
struct RejectCounterTests {
    @Test func aReReadRejectIsNotCountedAgain() throws {
        let sandbox = try Sandbox(rows: 10, caseRows: 600)
        let project = try CountyProject(sandbox: sandbox)
        let first = try project.dataflow("sync", "service_cases")
        #expect(first.status == 0, "\(first.output)")
        let db = try project.database()
        let quarantined = try #require(try db.scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE dataset = 'service_cases'"))
        #expect(quarantined == 6, "1 % of 600")
        #expect(try db.scalarInt("SELECT rejected FROM _dataflow_run_datasets WHERE run_id = 1") == quarantined)

        // A reconciling pass reads every record again: the same six bad records, none of them new.
        let again = try project.dataflow("sync", "--reconcile", "--log-format", "json", "service_cases")
        #expect(again.status == 0, "\(again.output)")
        #expect(try db.scalarInt("SELECT rejected FROM _dataflow_run_datasets WHERE run_id = 2") == 0)
        #expect(again.stderr.contains("\"rejected\":0") && again.stderr.contains("\"rejects_seen_again\":6"), "\(again.stderr)")
        let text = try project.dataflow("sync", "--reconcile", "service_cases")
        #expect(text.stderr.contains("0 rejected (+6 already quarantined, read again)"), "\(text.stderr)")
    }
}
