import Foundation
import Hummingbird
@testable import Server
import SlipwayCore
import State
import Testing

/// The HTTP layer answers every Slipway error by the error's own classification.
@Suite(.tags(.small)) struct ErrorStatusTests {
    @Test func systemFailuresAreServerErrorsNotConflicts() throws {
        // A real database failure: SQLite cannot create its file in /proc.
        #expect { _ = try StateStore(path: "/proc/slipway-state.sqlite") } throws: { error in
            let error = error as! SlipwayError
            return error.status == .internalServerError && error.status != .conflict
                && error.description.hasPrefix("cannot open the state database /proc/slipway-state.sqlite: ")
        }
        let full = SlipwayError.wrapping(SlipwayError.write("/var/lib/slipway/state.sqlite", errno: ENOSPC), "could not record run 4")
        #expect(full.status == .serviceUnavailable)
        #expect(full.status.reasonPhrase == "Service Unavailable")
        #expect(SlipwayError.failed("approve run 3", cause: full).status == .serviceUnavailable)
    }

    @Test func requestFaultsKeepTheirStatuses() {
        #expect(SlipwayError.badInput("limit must be 1-1000").status == .badRequest)
        #expect(SlipwayError.notFound("no run 99").status == .notFound)
        #expect(SlipwayError.failed("run 1 is not waiting for approval").status == .conflict)
        #expect(SlipwayError.corrupt("pipeline 'web': its stored definition does not decode").status == .internalServerError)
    }
}
