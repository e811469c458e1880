import GRDB

extension StateStore {
    /// Each migration runs once per database, in order; never edit one that has shipped, add
    /// the next.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE pipeline (
                    name TEXT PRIMARY KEY,
                    repository TEXT NOT NULL,
                    branch TEXT NOT NULL,
                    targets TEXT NOT NULL,          -- JSON array
                    definition TEXT NOT NULL,       -- JSON of the parsed slipway.yml
                    updated REAL NOT NULL
                );
                CREATE TABLE run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    pipeline TEXT NOT NULL,
                    status TEXT NOT NULL,
                    trigger_kind TEXT NOT NULL,
                    trigger_actor TEXT NOT NULL,
                    commit_id TEXT,
                    commit_author TEXT,
                    commit_time REAL,
                    commit_message TEXT,
                    created REAL NOT NULL,
                    started REAL,
                    finished REAL,
                    artifact TEXT,
                    release TEXT,
                    retry_of INTEGER,
                    owner TEXT,                     -- pid:starttime of the process running it
                    cancel_requested INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX run_by_pipeline ON run(pipeline, id DESC);
                CREATE INDEX run_by_commit ON run(pipeline, commit_id);
                CREATE INDEX run_in_flight ON run(status) WHERE status IN ('queued', 'running', 'waiting_approval');
                CREATE TABLE stage (
                    run INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    status TEXT NOT NULL,
                    started REAL,
                    finished REAL,
                    detail TEXT,
                    PRIMARY KEY (run, position)
                ) WITHOUT ROWID;
                CREATE TABLE log_chunk (
                    run INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    offset INTEGER NOT NULL,
                    stage TEXT NOT NULL,
                    text TEXT NOT NULL,
                    size INTEGER NOT NULL,          -- UTF-8 bytes of text
                    PRIMARY KEY (run, offset)
                ) WITHOUT ROWID;
                CREATE TABLE release (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    pipeline TEXT NOT NULL,
                    target TEXT NOT NULL,
                    release TEXT NOT NULL,
                    artifact TEXT NOT NULL,
                    commit_id TEXT,
                    run INTEGER,
                    time REAL NOT NULL
                );
                CREATE INDEX release_by_target ON release(pipeline, target, id DESC);
                CREATE TABLE approval (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    stage TEXT NOT NULL,
                    approved INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    comment TEXT,
                    time REAL NOT NULL
                );
                CREATE INDEX approval_by_run ON approval(run);
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time REAL NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    pipeline TEXT,
                    run INTEGER,
                    detail TEXT
                );
                CREATE TABLE push (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    repository TEXT NOT NULL,
                    branch TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    time REAL NOT NULL,
                    handled INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX push_pending ON push(handled) WHERE handled = 0;
                """)
        }
        // A change stamp per run: every write to a run or its stages, from any process or
        // connection, moves `version`, so a reader can tell an unchanged run by id and stamp
        // alone (RunRecordCache) without decoding it.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE run ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
                CREATE TRIGGER run_version_on_update AFTER UPDATE ON run WHEN NEW.version IS OLD.version
                BEGIN UPDATE run SET version = OLD.version + 1 WHERE id = NEW.id; END;
                CREATE TRIGGER run_version_on_stage_insert AFTER INSERT ON stage
                BEGIN UPDATE run SET version = version + 1 WHERE id = NEW.run; END;
                CREATE TRIGGER run_version_on_stage_update AFTER UPDATE ON stage
                BEGIN UPDATE run SET version = version + 1 WHERE id IN (OLD.run, NEW.run); END;
                CREATE TRIGGER run_version_on_stage_delete AFTER DELETE ON stage
                BEGIN UPDATE run SET version = version + 1 WHERE id = OLD.run; END;
                """)
        }
        // Where a run's log was cut at its size limit (the offset of the marker line), so any
        // process appending to that run later keeps only the lines that are always kept.
        migrator.registerMigration("log-limit") { db in
            try db.execute(sql: """
                CREATE TABLE log_cut (
                    run INTEGER PRIMARY KEY REFERENCES run(id) ON DELETE CASCADE,
                    offset INTEGER NOT NULL
                );
                """)
        }
        // A build stage's image and reproducibility check, as JSON (BuildFacts).
        migrator.registerMigration("build-facts") { db in
            try db.execute(sql: "ALTER TABLE stage ADD COLUMN build TEXT")
        }
        return migrator
    }
}
