import SlipwayCore

/// The state schema's migrations, for both dialects: each runs once per database, in order;
/// never edit one that has shipped, add the next. A database's schema version is the number
/// of migrations applied to it.
///
/// The table definitions are one text with the column types as placeholders (`{int}`,
/// `{real}`, `{serial}`, `{rowid}`), so the two dialects cannot drift apart; only the
/// change-stamp triggers are written per dialect (SQLite's trigger bodies are statements,
/// PostgreSQL's a function).
enum StateSchema {
    struct Migration: Sendable {
        let identifier: String
        let statements: @Sendable (SQLDialect) -> [String]
    }

    static let migrations: [Migration] = [
        Migration(identifier: "v1") { dialect in
            [
                """
                CREATE TABLE pipeline (
                    name TEXT PRIMARY KEY,
                    repository TEXT NOT NULL,
                    branch TEXT NOT NULL,
                    targets TEXT NOT NULL,          -- JSON array
                    definition TEXT NOT NULL,       -- JSON of the parsed slipway.yml
                    updated {real} NOT NULL
                )
                """,
                """
                CREATE TABLE run (
                    id {serial},
                    pipeline TEXT NOT NULL,
                    status TEXT NOT NULL,
                    trigger_kind TEXT NOT NULL,
                    trigger_actor TEXT NOT NULL,
                    commit_id TEXT,
                    commit_author TEXT,
                    commit_time {real},
                    commit_message TEXT,
                    created {real} NOT NULL,
                    started {real},
                    finished {real},
                    artifact TEXT,
                    release TEXT,
                    retry_of {int},
                    owner TEXT,                     -- pid:starttime of the process running it
                    cancel_requested {int} NOT NULL DEFAULT 0
                )
                """,
                "CREATE INDEX run_by_pipeline ON run(pipeline, id DESC)",
                "CREATE INDEX run_by_commit ON run(pipeline, commit_id)",
                "CREATE INDEX run_in_flight ON run(status) WHERE status IN ('queued', 'running', 'waiting_approval')",
                """
                CREATE TABLE stage (
                    run {int} NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    position {int} NOT NULL,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    status TEXT NOT NULL,
                    started {real},
                    finished {real},
                    detail TEXT,
                    PRIMARY KEY (run, position)
                ){rowid}
                """,
                """
                CREATE TABLE log_chunk (
                    run {int} NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    "offset" {int} NOT NULL,
                    stage TEXT NOT NULL,
                    text TEXT NOT NULL,
                    size {int} NOT NULL,          -- UTF-8 bytes of text
                    PRIMARY KEY (run, "offset")
                ){rowid}
                """,
                """
                CREATE TABLE release (
                    id {serial},
                    pipeline TEXT NOT NULL,
                    target TEXT NOT NULL,
                    release TEXT NOT NULL,
                    artifact TEXT NOT NULL,
                    commit_id TEXT,
                    run {int},
                    time {real} NOT NULL
                )
                """,
                "CREATE INDEX release_by_target ON release(pipeline, target, id DESC)",
                """
                CREATE TABLE approval (
                    id {serial},
                    run {int} NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    stage TEXT NOT NULL,
                    approved {int} NOT NULL,
                    actor TEXT NOT NULL,
                    comment TEXT,
                    time {real} NOT NULL
                )
                """,
                "CREATE INDEX approval_by_run ON approval(run)",
                """
                CREATE TABLE audit (
                    id {serial},
                    time {real} NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    pipeline TEXT,
                    run {int},
                    detail TEXT
                )
                """,
                """
                CREATE TABLE push (
                    id {serial},
                    repository TEXT NOT NULL,
                    branch TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    time {real} NOT NULL,
                    handled {int} NOT NULL DEFAULT 0
                )
                """,
                "CREATE INDEX push_pending ON push(handled) WHERE handled = 0",
            ].map { types($0, dialect) }
        },
        // A change stamp per run: every write to a run or its stages, from any process or
        // connection, moves `version`, so a reader can tell an unchanged run by id and stamp
        // alone (RunRecordCache) without decoding it.
        Migration(identifier: "v2") { dialect in
            switch dialect {
            case .sqlite:
                return [
                    "ALTER TABLE run ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
                    """
                    CREATE TRIGGER run_version_on_update AFTER UPDATE ON run WHEN NEW.version IS OLD.version
                    BEGIN UPDATE run SET version = OLD.version + 1 WHERE id = NEW.id; END
                    """,
                    """
                    CREATE TRIGGER run_version_on_stage_insert AFTER INSERT ON stage
                    BEGIN UPDATE run SET version = version + 1 WHERE id = NEW.run; END
                    """,
                    """
                    CREATE TRIGGER run_version_on_stage_update AFTER UPDATE ON stage
                    BEGIN UPDATE run SET version = version + 1 WHERE id IN (OLD.run, NEW.run); END
                    """,
                    """
                    CREATE TRIGGER run_version_on_stage_delete AFTER DELETE ON stage
                    BEGIN UPDATE run SET version = version + 1 WHERE id = OLD.run; END
                    """,
                ]
            case .postgres:
                // The same rules: an update of a run that leaves `version` alone moves it (a
                // BEFORE trigger, so the row is written once); any change to a stage moves
                // its run's (an explicit `version = version + 1`, which the first leaves be).
                return [
                    "ALTER TABLE run ADD COLUMN version BIGINT NOT NULL DEFAULT 0",
                    """
                    CREATE FUNCTION run_version_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF NEW.version IS NOT DISTINCT FROM OLD.version THEN NEW.version := OLD.version + 1; END IF;
                        RETURN NEW;
                    END $$
                    """,
                    "CREATE TRIGGER run_version_on_update BEFORE UPDATE ON run FOR EACH ROW EXECUTE FUNCTION run_version_on_update()",
                    """
                    CREATE FUNCTION run_version_on_stage_change() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF TG_OP <> 'INSERT' THEN UPDATE run SET version = version + 1 WHERE id = OLD.run; END IF;
                        IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.run IS DISTINCT FROM OLD.run) THEN
                            UPDATE run SET version = version + 1 WHERE id = NEW.run;
                        END IF;
                        RETURN NULL;
                    END $$
                    """,
                    """
                    CREATE TRIGGER run_version_on_stage_change AFTER INSERT OR UPDATE OR DELETE ON stage
                    FOR EACH ROW EXECUTE FUNCTION run_version_on_stage_change()
                    """,
                ]
            }
        },
        // Where a run's log was cut at its size limit (the offset of the marker line), so any
        // process appending to that run later keeps only the lines that are always kept.
        Migration(identifier: "log-limit") { dialect in
            [types("""
                CREATE TABLE log_cut (
                    run {int} PRIMARY KEY REFERENCES run(id) ON DELETE CASCADE,
                    "offset" {int} NOT NULL
                )
                """, dialect)]
        },
        // A build stage's image and reproducibility check, as JSON (BuildFacts).
        Migration(identifier: "build-facts") { _ in
            ["ALTER TABLE stage ADD COLUMN build TEXT"]
        },
        // The job queue: a run's build and deploy work as rows that workers lease
        // (StateStore+Jobs), with the labels a worker must have to take one.
        Migration(identifier: "job-queue") { dialect in
            [
                """
                CREATE TABLE job (
                    id {serial},
                    kind TEXT NOT NULL,             -- build, deploy
                    run {int} NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    stage TEXT NOT NULL,
                    labels TEXT NOT NULL,           -- JSON array, sorted (job_label is what claims match)
                    state TEXT NOT NULL,            -- queued, leased, done, failed
                    attempts {int} NOT NULL DEFAULT 0,
                    max_attempts {int} NOT NULL,
                    lease_owner TEXT,
                    lease_epoch {int} NOT NULL DEFAULT 0,
                    lease_expiry {real},
                    result TEXT,
                    error TEXT,
                    created {real} NOT NULL,
                    finished {real}
                )
                """,
                "CREATE INDEX job_queued ON job(id) WHERE state = 'queued'",
                "CREATE INDEX job_leased ON job(lease_expiry) WHERE state = 'leased'",
                "CREATE INDEX job_by_run ON job(run)",
                """
                CREATE TABLE job_label (
                    job {int} NOT NULL REFERENCES job(id) ON DELETE CASCADE,
                    label TEXT NOT NULL,
                    PRIMARY KEY (job, label)
                ){rowid}
                """,
            ].map { types($0, dialect) }
        },
        // The `slipway worker` processes: what they take (labels, concurrency) and when each
        // last said it was alive (StateStore+Workers).
        Migration(identifier: "workers") { dialect in
            [types("""
                CREATE TABLE worker (
                    name TEXT PRIMARY KEY,
                    host TEXT NOT NULL,
                    labels TEXT NOT NULL,           -- JSON array, sorted
                    concurrency {int} NOT NULL,
                    lease {real} NOT NULL,              -- seconds a job stays its own without a heartbeat
                    started {real} NOT NULL,
                    heartbeat {real} NOT NULL,
                    stopped {real}
                )
                """, dialect)]
        },
        // The processes that own runs, each with its heartbeat (the database's clock), so a
        // service on another machine can tell a live owner from a dead one (StateStore+Instances).
        Migration(identifier: "instances") { dialect in
            [types("""
                CREATE TABLE instance (
                    identity TEXT PRIMARY KEY,      -- PID:STARTTIME@MACHINE, as run.owner holds it
                    host TEXT NOT NULL,
                    started {real} NOT NULL,
                    beat {real} NOT NULL            -- the database's clock at its last heartbeat
                )
                """, dialect)]
        },
    ]

    /// The newest schema version this Slipway knows.
    static var version: Int { migrations.count }

    /// The table that lists a database's applied migrations: GRDB's own on SQLite (which
    /// applied them before this runner), a plainly named one on PostgreSQL.
    static func migrationsTable(_ dialect: SQLDialect) -> String {
        dialect == .sqlite ? "grdb_migrations" : "schema_migrations"
    }

    /// The column types of a table definition in `dialect`.
    static func types(_ sql: String, _ dialect: SQLDialect) -> String {
        let types: [(String, String)] = switch dialect {
        case .sqlite: [("{serial}", "INTEGER PRIMARY KEY AUTOINCREMENT"), ("{int}", "INTEGER"), ("{real}", "REAL"),
                       ("{rowid}", " WITHOUT ROWID")]
        case .postgres: [("{serial}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"), ("{int}", "BIGINT"),
                         ("{real}", "DOUBLE PRECISION"), ("{rowid}", "")]
        }
        return types.reduce(sql) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
    }

    /// Brings the schema up to date in `transaction` (which holds the write lock); a database
    /// from a newer Slipway (a migration this one does not know) is refused, unchanged.
    static func migrate(_ transaction: any StateTransaction, database: String) throws {
        let table = migrationsTable(transaction.dialect)
        try transaction.execute("CREATE TABLE IF NOT EXISTS \(table) (identifier TEXT NOT NULL PRIMARY KEY)")
        let applied = Set(try transaction.values("SELECT identifier FROM \(table)") as [String])
        try refuseNewer(applied: applied, database: database)
        for migration in migrations where !applied.contains(migration.identifier) {
            for statement in migration.statements(transaction.dialect) { try transaction.execute(statement) }
            try transaction.execute("INSERT INTO \(table) (identifier) VALUES (?)", [migration.identifier])
        }
    }

    /// Whether the schema is complete, for a reader that must not migrate: throws when the
    /// database is older (a writer upgrades it) or newer than this Slipway.
    static func check(_ transaction: any StateTransaction, database: String) throws {
        let table = migrationsTable(transaction.dialect)
        let applied = Set(try transaction.values("SELECT identifier FROM \(table)") as [String])
        try refuseNewer(applied: applied, database: database)
        guard migrations.allSatisfy({ applied.contains($0.identifier) }) else {
            throw SlipwayError.failed("the state database \(database) is from an older Slipway (schema version \(applied.count), "
                                      + "this one uses \(version)): run a command that writes (slipway run, slipway serve) once to upgrade it")
        }
    }

    static func refuseNewer(applied: Set<String>, database: String) throws {
        let known = Set(migrations.map(\.identifier))
        let unknown = applied.subtracting(known).sorted()
        guard unknown.isEmpty else {
            throw SlipwayError.failed("the state database \(database) has schema version \(applied.count), newer than this Slipway's "
                                      + "\(version) (it has migrations this one does not know: \(unknown.joined(separator: ", "))); "
                                      + "use the Slipway that upgraded it, or a newer one")
        }
    }
}

extension StateSchema {
    /// After rows were inserted with their ids: PostgreSQL's identity sequences start past the
    /// highest id (SQLite's AUTOINCREMENT keeps track by itself).
    static func afterCopy(_ dialect: SQLDialect, tables: [String]) -> [String] {
        guard dialect == .postgres else { return [] }
        return ["run", "release", "approval", "audit", "push", "job"].filter(tables.contains).map { table in
            "SELECT setval(pg_get_serial_sequence('\(table)', 'id'), COALESCE((SELECT MAX(id) FROM \(table)), 0) + 1, false)"
        }
    }
}
