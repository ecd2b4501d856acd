import Testing
import Foundation
@testable import DataflowCore

@Suite("Envelope and page plan")
struct ExtractComponentTests {
    let envelope = EnvelopeChecker(EnvelopeConfig(successPath: ["code"], successValues: ["00"], messagePath: ["msg"],
                                                  errors: ["14": .resign, "11": .refreshToken, "18": .quota]))

    func body(_ s: String) throws -> JSONValue { try JSONParser.parse(Array(s.utf8)) }

    @Test func envelopeVerdicts() throws {
        #expect(envelope.check(try body(#"{"code":"00","datas":{}}"#)) == .success)
        #expect(envelope.check(try body(#"{"code":"14","msg":"签名错误"}"#)) == .failure(code: "14", message: "签名错误", action: .resign))
        #expect(envelope.check(try body(#"{"code":"11","msg":"expired"}"#)) == .failure(code: "11", message: "expired", action: .refreshToken))
        #expect(envelope.check(try body(#"{"code":"18","msg":"超出调用次数"}"#)) == .failure(code: "18", message: "超出调用次数", action: .quota))
        #expect(envelope.check(try body(#"{"code":"97","msg":"缺少参数"}"#)) == .failure(code: "97", message: "缺少参数", action: .fail))
        #expect(envelope.check(try body(#"{"msg":"no code"}"#)) == .failure(code: "(missing)", message: "no code", action: .fail))
        let numeric = EnvelopeChecker(EnvelopeConfig(successPath: ["errcode"], successValues: ["0"], messagePath: nil, errors: [:]))
        #expect(numeric.check(try body(#"{"errcode":0}"#)) == .success)
        #expect(EnvelopeChecker(nil).check(try body("[]")) == .success)
    }

    func step(_ plan: inout PagePlan, count: Int, total: Int?, maxCursor: Int?) -> Bool {
        plan.advance(count: count, total: total, maxCursor: maxCursor)
    }

    @Test func cursorWalkMovesTheBoundAndStepsPagesOnlyInsideOneValue() {
        var plan = PagePlan(from: nil, firstPage: 1, size: 100, byCursor: true)
        #expect(step(&plan, count: 100, total: 1000, maxCursor: 50))
        #expect(plan.from == 50 && plan.pageNumber == 1)
        // A full page all at cursor 50: stay on the value, next page number.
        #expect(step(&plan, count: 100, total: 700, maxCursor: 50))
        #expect(plan.from == 50 && plan.pageNumber == 2)
        #expect(step(&plan, count: 100, total: 700, maxCursor: 60))
        #expect(plan.from == 60 && plan.pageNumber == 1)
        // The last records under the bound end the walk.
        #expect(!step(&plan, count: 30, total: 30, maxCursor: 70))
    }

    @Test func aCursorWalkAsksAgainAfterAFullPageThatReachesTheTotal() {
        // The gateway says 100 records are left and sends a full page of 100: only the next
        // request, under the page's highest cursor, shows whether that was all.
        var plan = PagePlan(from: nil, firstPage: 1, size: 100, byCursor: true)
        #expect(step(&plan, count: 100, total: 100, maxCursor: 80))
        #expect(plan.from == 80 && plan.pageNumber == 1)
        // Only the record at the bound again, on a short page: the end.
        #expect(!step(&plan, count: 1, total: 1, maxCursor: 80))
        // A gateway that caps its pages at 40: a page as large as the largest before it is full.
        var capped = PagePlan(from: nil, firstPage: 1, size: 100, byCursor: true)
        #expect(step(&capped, count: 40, total: 80, maxCursor: 10))
        #expect(step(&capped, count: 40, total: 40, maxCursor: 20))
        #expect(!step(&capped, count: 3, total: 3, maxCursor: 20))
        // A first page shorter than asked that reaches the total: the end for an incremental walk,
        // confirmed by the next request when the pass tombstones (a reconcile: `confirmsFirstPage`).
        var incremental = PagePlan(from: nil, firstPage: 1, size: 100, byCursor: true)
        #expect(!step(&incremental, count: 40, total: 40, maxCursor: 9))
        var reconcile = PagePlan(from: nil, firstPage: 1, size: 100, byCursor: true)
        reconcile.confirmsFirstPage = true
        #expect(step(&reconcile, count: 40, total: 40, maxCursor: 9))
        #expect(!step(&reconcile, count: 2, total: 2, maxCursor: 9))
        // A page walk leaves the confirmation to its walker (PageWalker) and ends here, saying the
        // page may have been full — a short first page too, when the walk confirms first pages.
        var byPage = PagePlan(from: nil, firstPage: 1, size: 100, byCursor: false)
        #expect(!step(&byPage, count: 100, total: 100, maxCursor: nil) && byPage.lastPageFull)
        var shortFirst = PagePlan(from: nil, firstPage: 1, size: 100, byCursor: false)
        #expect(!step(&shortFirst, count: 40, total: 40, maxCursor: nil) && !shortFirst.lastPageFull)
        shortFirst = PagePlan(from: nil, firstPage: 1, size: 100, byCursor: false)
        shortFirst.confirmsFirstPage = true
        #expect(!step(&shortFirst, count: 40, total: 40, maxCursor: nil) && shortFirst.lastPageFull)
    }

    @Test func walkStopsOnEmptyOrShortPagesWithoutTotal() {
        var plan = PagePlan(from: 10, firstPage: 1, size: 100, byCursor: false)
        #expect(step(&plan, count: 100, total: nil, maxCursor: nil))
        #expect(plan.pageNumber == 2 && plan.from == 10)
        #expect(!step(&plan, count: 99, total: nil, maxCursor: nil))
        var empty = PagePlan(from: nil, firstPage: 0, size: 100, byCursor: true)
        #expect(!step(&empty, count: 0, total: 5, maxCursor: nil))
    }

    @Test func aServerThatCapsThePageSizeIsWalkedByItsTotal() {
        // Asked for 500, served 300 at a time: the total keeps the walk going past the short page.
        var plan = PagePlan(from: nil, firstPage: 1, size: 500, byCursor: false)
        #expect(step(&plan, count: 300, total: 700, maxCursor: nil))
        #expect(step(&plan, count: 300, total: 700, maxCursor: nil))
        #expect(!step(&plan, count: 100, total: 700, maxCursor: nil))
    }

    @Test func queryStringEncoding() {
        #expect(QueryString.build([("startTime", "2026-01-01 00:00:00"), ("name", "义乌"), ("a", "x&y=z")])
                == "startTime=2026-01-01%2000%3A00%3A00&name=%E4%B9%89%E4%B9%8C&a=x%26y%3Dz")
        #expect(RequestTemplate(county: County(code: "330782", name: "义乌市")).fill("${county.code}-${county.name}") == "330782-义乌市")
    }
}

@Suite("RateLimiter: the slot holds, and the wait does the caller's work")
struct RateLimiterTests {
    /// A cursor walk maps the page in hand while the rate limit holds its next request back
    /// (`SourceRequestPath`), and the request still leaves no earlier than its slot.
    @Test func workRunsInTheWaitAndTheRequestStillWaitsForItsSlot() {
        let limiter = RateLimiter(perSecond: 5)   // one request per 0.2 s
        var ran: [String] = []
        let started = Date()
        limiter.wait { ran.append("first") }     // the first slot is free: no wait, no work
        limiter.wait { ran.append("second"); Thread.sleep(forTimeInterval: 0.05) }
        #expect(ran == ["second"])
        #expect(Date().timeIntervalSince(started) >= 0.19, "the second slot is 0.2 s after the first")
        var unlimited = false
        RateLimiter(perSecond: nil).wait { unlimited = true }
        #expect(!unlimited, "no limit, no wait")
    }
}
