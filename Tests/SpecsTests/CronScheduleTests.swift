import Foundation
import SlipwayTestSupport
import Testing
@testable import Specs

@Suite(.tags(.small)) struct CronScheduleTests {
    func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    func iso(_ date: Date?) -> String? { date.map { ISO8601DateFormatter().string(from: $0) } }

    @Test func dailyInUTCAndInAZone() throws {
        let daily = try CronSchedule("0 3 * * *")
        #expect(iso(daily.next(after: date("2026-12-01T02:59:00Z"))) == "2026-12-01T03:00:00Z")
        #expect(iso(daily.next(after: date("2026-12-01T03:00:00Z"))) == "2026-12-02T03:00:00Z")
        let berlin = try CronSchedule("0 3 * * *", timeZone: "Europe/Berlin")
        #expect(iso(berlin.next(after: date("2026-12-01T00:00:00Z"))) == "2026-12-01T02:00:00Z")   // CET = UTC+1
        #expect(iso(berlin.next(after: date("2026-07-01T00:00:00Z"))) == "2026-07-01T01:00:00Z")   // CEST = UTC+2
    }

    @Test func listsRangesStepsNamesAndShorthands() throws {
        let s = try CronSchedule("*/15 9-17 * * mon-fri")
        // Saturday 2026-12-05 → Monday 09:00.
        #expect(iso(s.next(after: date("2026-12-04T17:50:00Z"))) == "2026-12-07T09:00:00Z")
        #expect(iso(s.next(after: date("2026-12-07T09:00:00Z"))) == "2026-12-07T09:15:00Z")
        #expect(iso(try CronSchedule("@hourly").next(after: date("2026-12-01T10:30:00Z"))) == "2026-12-01T11:00:00Z")
        #expect(iso(try CronSchedule("0 0 1 jan,jul *").next(after: date("2026-02-01T00:00:00Z"))) == "2026-07-01T00:00:00Z")
        // Sunday as 7.
        #expect(iso(try CronSchedule("0 12 * * 7").next(after: date("2026-12-01T00:00:00Z"))) == "2026-12-06T12:00:00Z")
    }

    @Test func bothDayFieldsRestrictedMeansEither() throws {
        // The 15th, or any Monday (Vixie cron).
        let s = try CronSchedule("0 0 15 * 1")
        #expect(iso(s.next(after: date("2026-12-01T00:00:00Z"))) == "2026-12-07T00:00:00Z")
        #expect(iso(s.next(after: date("2026-12-14T00:00:00Z"))) == "2026-12-15T00:00:00Z")
    }

    @Test func aTimeInTheSpringGapDoesNotRunThatDay() throws {
        // 2027-03-28 02:30 does not exist in Berlin.
        let s = try CronSchedule("30 2 * * *", timeZone: "Europe/Berlin")
        #expect(iso(s.next(after: date("2027-03-28T00:00:00Z"))) == "2027-03-29T00:30:00Z")
        #expect(try CronSchedule("0 0 30 2 *").next(after: date("2026-01-01T00:00:00Z")) == nil)
        #expect(iso(try CronSchedule("0 0 29 2 *").next(after: date("2026-01-01T00:00:00Z"))) == "2028-02-29T00:00:00Z")
    }

    @Test func badExpressionsSayWhichFieldAndWhy() {
        func message(_ text: String, zone: String = "UTC") -> String {
            do { _ = try CronSchedule(text, timeZone: zone); return "" } catch { return error.description }
        }
        #expect(message("0 3 * *").contains("has 4 fields; cron needs 5"))
        #expect(message("61 * * * *").contains("minute 61 is out of range 0-59"))
        #expect(message("0 3 * * fun").contains("'fun' is not a day of week"))
        #expect(message("0 5-3 * * *").contains("runs backwards"))
        #expect(message("*/0 * * * *").contains("not a step"))
        #expect(message("0 3 * * *", zone: "Mars/Olympus").contains("unknown time zone"))
    }

    @Test func storedSchedulesDecodeAndAreCheckedAgain() throws {
        let s = try CronSchedule("0 3 * * *", timeZone: "Asia/Tokyo")
        let data = try JSONEncoder().encode(s)
        #expect(String(decoding: data, as: UTF8.self).contains("\"expression\":\"0 3 * * *\""))
        #expect(try JSONDecoder().decode(CronSchedule.self, from: data) == s)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CronSchedule.self, from: Data(#"{"expression":"99 * * * *","timeZone":"UTC"}"#.utf8))
        }
    }

    @Test func pipelineScheduleNotifyAndStageEnvironmentParse() throws {
        let (spec, diagnostics) = PipelineSpec.parse(contents: """
            name: shop
            schedule: { cron: "0 3 * * *", timezone: Europe/Berlin }
            notify:
              - url: https://hooks.example/slipway
                secret: notify-key
                events: [ failed, waiting-approval ]
              - slack-secret: slack-url
            stages:
              - name: staging
                targets: [ /srv/staging ]
                environment: { MODE: staging }
            """, file: "/repo/slipway.yml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let s = try #require(spec)
        #expect(s.schedule == (try CronSchedule("0 3 * * *", timeZone: "Europe/Berlin")))
        #expect(s.notify.count == 2)
        #expect(s.notify[0].url == "https://hooks.example/slipway" && s.notify[0].signingSecret == "notify-key")
        #expect(s.notify[0].events == [.failed, .waitingApproval])
        #expect(s.notify[1].format == .slack && s.notify[1].urlSecret == "slack-url" && s.notify[1].events.count == 5)
        #expect(s.stages[0].environment == ["MODE": "staging"])
        // Stored before these keys existed: still decodes.
        var json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as? [String: Any])
        json["schedule"] = nil
        json["notify"] = nil
        var stages = try #require(json["stages"] as? [[String: Any]])
        stages[0]["environment"] = nil
        json["stages"] = stages
        let old = try JSONDecoder().decode(PipelineSpec.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.schedule == nil && old.notify.isEmpty && old.stages[0].environment.isEmpty)
    }

    @Test func badScheduleAndNotifyArePositioned() throws {
        let (_, diagnostics) = PipelineSpec.parse(contents: """
            name: shop
            schedule: "0 25 * * *"
            notify:
              - url: ftp://x
              - slack: https://hooks.example/x
                url: https://both
            """, file: "/repo/slipway.yml")
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.contains { $0.keyPath == "schedule" && $0.line == 2 && $0.message.contains("hour 25 is out of range") })
        #expect(errors.contains { $0.keyPath == "notify[0].url" && $0.line == 4 })
        #expect(errors.contains { $0.keyPath == "notify[1]" && $0.message.contains("exactly one of") })
    }
}
