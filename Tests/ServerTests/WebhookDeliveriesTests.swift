import Foundation
import SlipwayTestSupport
import Testing
@testable import Server

/// The remembered delivery ids: the newest `capacity` are kept, in memory and across a restart.
@Suite(.tags(.small)) struct WebhookDeliveriesTests {
    @Test func theNewestDeliveriesAreKeptInMemoryAndAfterARestart() throws {
        let scratch = try TemporaryDirectory("slipway-deliveries")
        let deliveries = WebhookDeliveries(home: scratch.home, capacity: 2)
        for id in ["a", "b", "c"] {
            #expect(deliveries.claim(id) == .fresh)
            try deliveries.settle(id, acted: true)
        }
        #expect(deliveries.claim("b") == .duplicate && deliveries.claim("c") == .duplicate)
        #expect(deliveries.claim("a") == .fresh, "the oldest is forgotten past the capacity")
        try deliveries.settle("a", acted: false)

        let restarted = WebhookDeliveries(home: scratch.home, capacity: 2)
        #expect(restarted.claim("b") == .duplicate && restarted.claim("c") == .duplicate)
        #expect(restarted.claim("a") == .fresh)
    }

    @Test func aDeliveryNotActedOnCanBeTriedAgain() throws {
        let scratch = try TemporaryDirectory("slipway-deliveries")
        let deliveries = WebhookDeliveries(home: scratch.home)
        #expect(deliveries.claim("x") == .fresh)
        #expect(deliveries.claim("x") == .duplicate, "held by the first request")
        try deliveries.settle("x", acted: false)
        #expect(deliveries.claim("x") == .fresh)
    }
}
