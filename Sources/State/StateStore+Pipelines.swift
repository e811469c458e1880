import Foundation
import GRDB

/// A pipeline as registered: its summary fields and its definition (the parsed slipway.yml as
/// JSON, which the Pipeline module owns).
public struct PipelineRow: Sendable, Equatable {
    public var name: String
    public var repository: String
    public var branch: String
    public var targets: [String]
    public var definition: Data

    public init(name: String, repository: String, branch: String, targets: [String], definition: Data) {
        self.name = name
        self.repository = repository
        self.branch = branch
        self.targets = targets
        self.definition = definition
    }
}

extension StateStore {
    public func savePipeline(_ pipeline: PipelineRow) async throws {
        let targets = String(decoding: try JSONEncoder().encode(pipeline.targets), as: UTF8.self)
        try await write { db in
            try db.execute(sql: """
                INSERT INTO pipeline (name, repository, branch, targets, definition, updated) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET repository = excluded.repository, branch = excluded.branch,
                    targets = excluded.targets, definition = excluded.definition, updated = excluded.updated
                """, arguments: [pipeline.name, pipeline.repository, pipeline.branch, targets,
                                 String(decoding: pipeline.definition, as: UTF8.self), Date().timeIntervalSince1970])
        }
    }

    public func pipelines() async throws -> [PipelineRow] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM pipeline ORDER BY name").map(Self.pipeline) }
    }

    public func pipeline(_ name: String) async throws -> PipelineRow? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM pipeline WHERE name = ?", arguments: [name]).map(Self.pipeline) }
    }

    private static func pipeline(_ row: Row) -> PipelineRow {
        let targets = (row["targets"] as String?).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        return PipelineRow(name: row["name"], repository: row["repository"], branch: row["branch"], targets: targets,
                           definition: Data((row["definition"] as String).utf8))
    }
}
