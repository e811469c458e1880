import Foundation

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
        try await write { tx in
            try tx.execute("""
                INSERT INTO pipeline (name, repository, branch, targets, definition, updated) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET repository = excluded.repository, branch = excluded.branch,
                    targets = excluded.targets, definition = excluded.definition, updated = excluded.updated
                """, [pipeline.name, pipeline.repository, pipeline.branch, targets,
                      String(decoding: pipeline.definition, as: UTF8.self), Date().timeIntervalSince1970])
        }
    }

    public func pipelines() async throws -> [PipelineRow] {
        try await read { tx in try tx.rows("SELECT * FROM pipeline ORDER BY name").map(Self.pipeline) }
    }

    public func pipeline(_ name: String) async throws -> PipelineRow? {
        try await read { tx in try tx.row("SELECT * FROM pipeline WHERE name = ?", [name]).map(Self.pipeline) }
    }

    private static func pipeline(_ row: SQLRow) -> PipelineRow {
        let targets = (row["targets"] as String?).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        return PipelineRow(name: row["name"], repository: row["repository"], branch: row["branch"], targets: targets,
                           definition: Data((row["definition"] as String).utf8))
    }
}

/// What removing a pipeline deleted.
public struct PipelineRemoval: Codable, Sendable, Equatable {
    public var pipeline: String
    /// Runs deleted with their stages, logs and approvals (0 unless purged).
    public var runs: Int
    /// Recorded releases deleted (0 unless purged).
    public var releases: Int
}

extension StateStore {
    /// Unregisters a pipeline. Its runs, logs and recorded releases stay (they are history,
    /// listed under its name) unless `purge`; the audit trail always stays, as does anything
    /// on the deploy targets themselves. nil when no such pipeline is registered.
    public func removePipeline(_ name: String, purge: Bool) async throws -> PipelineRemoval? {
        try await write { tx in
            guard try tx.execute("DELETE FROM pipeline WHERE name = ?", [name]) > 0 else { return nil }
            guard purge else { return PipelineRemoval(pipeline: name, runs: 0, releases: 0) }
            let releases = try tx.execute("DELETE FROM release WHERE pipeline = ?", [name])
            // Stages, log chunks and approvals go with their run (ON DELETE CASCADE).
            let runs = try tx.execute("DELETE FROM run WHERE pipeline = ?", [name])
            return PipelineRemoval(pipeline: name, runs: runs, releases: releases)
        }
    }

    /// Whether any run of `pipeline` is recorded (a removed pipeline keeps its history).
    public func hasRuns(pipeline: String) async throws -> Bool {
        try await read { tx in try tx.row("SELECT 1 FROM run WHERE pipeline = ? LIMIT 1", [pipeline]) != nil }
    }
}
