
/// Versioned schema of the queue tables. Migrations are append-only: a deployed store is
/// only ever moved forward.
package enum QueueSchema: StoreSchema {
    /// Every queue migration, oldest first, in the order a new store applies them. Each
    /// store records the identifiers it has applied, so an identifier and its SQL never
    /// change once released: a change is a new migration at the end of this list.
    package static let migrations: [StoreMigration] = [
        StoreMigration("queue-v1", createTables),
        StoreMigration("queue-v2-lane-watermark", addLaneWatermarks),
        StoreMigration("queue-v3-carousel", countCarouselCopies),
        StoreMigration("queue-v4-retries", addRetriesAndDeadLetters),
        StoreMigration("queue-v5-resend", rememberLastResend),
        StoreMigration("queue-v6-outcomes", keepDeliveryOutcomes),
        StoreMigration("queue-v7-lane-holds", addLaneHolds),
        StoreMigration("queue-v8-outbox-rowid", rebuildOutboxWithRowids),
        StoreMigration("queue-v9-ship-retries", addShipRetries),
        StoreMigration("queue-v10-field-provenance", FieldProvenance.createTable),
        StoreMigration("queue-v10-content-digests", keepContentDigests),
        // A node keeps every bundle it sent or received, and looked up the unfinished ones on
        // every pass by scanning them all: after a year of a bundle a minute, half a million
        // rows a pass. With these each lookup reads only the unfinished bundles' index range
        // (`BundleLedger`'s repeated statements).
        StoreMigration("queue-v11-bundle-state-indexes", script: """
            CREATE INDEX bundles_out_state ON bundles_out(state, lane, sequence);
            CREATE INDEX bundles_in_unreceipted ON bundles_in(lane, sequence) WHERE receipted_at IS NULL;
            """),
    ]


    /// The tables of the first release: cursors, outbox, lanes, bundles both ways, inbox, applied
    /// versions and quarantine.
    static func createTables(_ db: any StoreConnection) throws {
        try db.executeScript(db.dialect.render(firstReleaseTables))
    }

    /// The SQL of "queue-v1", as it shipped: a constant rather than inline only because it is long.
    static let firstReleaseTables = """
        CREATE TABLE cursors (
            flow TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            flow TEXT NOT NULL,
            lane TEXT NOT NULL,
            entity TEXT NOT NULL,
            record_key TEXT NOT NULL,
            version TEXT NOT NULL,
            line BLOB NOT NULL,
            enqueued_at TEXT NOT NULL,
            bundle_id TEXT
        );
        CREATE INDEX outbox_pending ON outbox(lane, id) WHERE bundle_id IS NULL;
        CREATE INDEX outbox_bundle ON outbox(bundle_id);
        CREATE TABLE lanes (
            lane TEXT PRIMARY KEY,
            next_sequence INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE bundles_out (
            id TEXT PRIMARY KEY,
            lane TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            records INTEGER NOT NULL,
            file TEXT,
            content_hash TEXT,
            merkle_root TEXT,
            created_at TEXT NOT NULL,
            shipped_at TEXT,
            delivered_at TEXT,
            outcome TEXT,
            UNIQUE(lane, sequence)
        );
        CREATE TABLE bundles_in (
            id TEXT PRIMARY KEY,
            lane TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            kind TEXT NOT NULL,
            sender TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            records INTEGER NOT NULL,
            received_at TEXT NOT NULL,
            state TEXT NOT NULL,
            receipted_at TEXT,
            UNIQUE(lane, sequence)
        );
        CREATE TABLE inbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            bundle_id TEXT NOT NULL REFERENCES bundles_in(id),
            flow TEXT NOT NULL,
            entity TEXT NOT NULL,
            record_key TEXT NOT NULL,
            version TEXT NOT NULL,
            line BLOB NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            detail TEXT
        );
        CREATE INDEX inbox_pending ON inbox(state, id);
        CREATE INDEX inbox_bundle ON inbox(bundle_id);
        CREATE TABLE applied_versions (
            target TEXT NOT NULL,
            entity TEXT NOT NULL,
            record_key TEXT NOT NULL,
            version TEXT NOT NULL,
            PRIMARY KEY (target, entity, record_key)
        );
        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            flow TEXT NOT NULL,
            stage TEXT NOT NULL,
            masked_key TEXT NOT NULL,
            issues TEXT NOT NULL,
            source_position TEXT,
            payload BLOB,
            at TEXT NOT NULL
        );
        """

    /// The highest sequence below which every bundle of a lane has arrived: anything at or below it is
    /// a replay, whatever its bundle id.
    static func addLaneWatermarks(_ db: any StoreConnection) throws {
        try db.executeScript(db.dialect.render("""
            CREATE TABLE lanes_in (
                lane TEXT PRIMARY KEY,
                watermark INTEGER NOT NULL DEFAULT 0
            );
            INSERT INTO lanes_in(lane, watermark) SELECT lane, 0 FROM bundles_in GROUP BY lane;
            """))
    }

    /// How many times a bundle was dropped: one-way lanes drop each bundle several times.
    static func countCarouselCopies(_ db: any StoreConnection) throws {
        try db.executeScript(db.dialect.render("ALTER TABLE bundles_out ADD COLUMN copies INTEGER NOT NULL DEFAULT 0"))
    }

    /// Inbox items retried with back-off, and dead letters for those out of attempts.
    static func addRetriesAndDeadLetters(_ db: any StoreConnection) throws {
        try db.executeScript(db.dialect.render("""
            ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE inbox ADD COLUMN next_attempt_at TEXT;
            CREATE TABLE dead_letters (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                stage TEXT NOT NULL,
                flow TEXT,
                bundle_id TEXT,
                inbox_id INTEGER,
                subject TEXT NOT NULL,
                reason TEXT NOT NULL,
                position TEXT,
                attempts INTEGER NOT NULL,
                at TEXT NOT NULL,
                redriven_at TEXT
            );
            """))
    }

    /// When a receiver last asked for a lane's missing bundles, so it does not ask on every pass.
    static func rememberLastResend(_ db: any StoreConnection) throws {
        try db.executeScript(db.dialect.render("ALTER TABLE lanes_in ADD COLUMN last_resend_at TEXT"))
    }

    /// What the far side did with each record of a delivered bundle, from its receipt.
    static func keepDeliveryOutcomes(_ db: any StoreConnection) throws {
        try db.executeScript(db.dialect.render("""
            CREATE TABLE delivery_outcomes (
                ROWID_COLUMN
                bundle_id TEXT NOT NULL,
                record_key TEXT NOT NULL,
                version TEXT NOT NULL,
                outcome TEXT NOT NULL,
                detail TEXT
            );
            CREATE INDEX delivery_outcomes_bundle ON delivery_outcomes(bundle_id, outcome);
            """))
    }

    /// A lane whose transfer area refused a bundle, and when to try it again.
    static func addLaneHolds(_ db: any StoreConnection) throws {
        try db.executeScript(db.dialect.render("""
            CREATE TABLE lane_holds (
                lane TEXT PRIMARY KEY,
                attempts INTEGER NOT NULL,
                since TEXT NOT NULL,
                next_attempt_at TEXT NOT NULL,
                reason TEXT NOT NULL
            );
            """))
    }

    /// Plain rowids (ids only grow while the newest row is kept, and outbox rows are never deleted) and
    /// no index entries for unsealed rows' NULL bundle: together about a third more enqueues per
    /// second.
    static func rebuildOutboxWithRowids(_ db: any StoreConnection) throws {
        try db.executeScript(db.dialect.render("""
            CREATE TABLE outbox_v8 (
                id INTEGER PRIMARY KEY,
                flow TEXT NOT NULL,
                lane TEXT NOT NULL,
                entity TEXT NOT NULL,
                record_key TEXT NOT NULL,
                version TEXT NOT NULL,
                line BLOB NOT NULL,
                enqueued_at TEXT NOT NULL,
                bundle_id TEXT
            );
            INSERT INTO outbox_v8 SELECT id, flow, lane, entity, record_key, version, line, enqueued_at, bundle_id FROM outbox;
            DROP TABLE outbox;
            ALTER TABLE outbox_v8 RENAME TO outbox;
            CREATE INDEX outbox_pending ON outbox(lane, id) WHERE bundle_id IS NULL;
            CREATE INDEX outbox_bundle ON outbox(bundle_id) WHERE bundle_id IS NOT NULL;
            """))
    }

    /// A bundle the far side refuses (not a full or missing transfer area, which holds the lane) is
    /// retried on its own and, out of attempts, dead-lettered.
    static func addShipRetries(_ db: any StoreConnection) throws {
        try db.executeScript(db.dialect.render("""
            ALTER TABLE bundles_out ADD COLUMN ship_attempts INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE bundles_out ADD COLUMN next_ship_at TEXT;
            ALTER TABLE bundles_out ADD COLUMN last_error TEXT;
            """))
    }

    /// Sources re-read rows (look-back windows, ties on the cursor, NULL cursors): what a flow last
    /// sent per key tells a changed row from one already sent. Targets keep the digest of the record
    /// they applied, so a same-version change is told from a duplicate instead of being skipped as one,
    /// and where in its lane that record came (bundle sequence, inbox position), so a change that
    /// arrives late never overwrites a later one of the same version. Quarantined rows keep the rules
    /// that stopped them, a keyed digest of their raw input (a row read again is not kept twice), and
    /// when they were re-driven; a send records the quarantine it came after, so a re-drive never
    /// sends a row the source has moved past. A flow's targets are remembered, so adding one sends
    /// every record again.
    static func keepContentDigests(_ db: any StoreConnection) throws {
        try db.executeScript(db.dialect.render("""
            CREATE TABLE sent_digests (
                flow TEXT NOT NULL,
                record_key TEXT NOT NULL,
                digest BLOB NOT NULL,
                after_quarantine INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (flow, record_key)
            ) WITHOUT ROWID;
            ALTER TABLE applied_versions ADD COLUMN digest BLOB;
            ALTER TABLE applied_versions ADD COLUMN lane TEXT;
            ALTER TABLE applied_versions ADD COLUMN sequence INTEGER;
            ALTER TABLE applied_versions ADD COLUMN position INTEGER;
            ALTER TABLE quarantine ADD COLUMN raw_digest BLOB;
            CREATE TABLE flow_routes (flow TEXT PRIMARY KEY, targets TEXT NOT NULL) WITHOUT ROWID;
            ALTER TABLE quarantine ADD COLUMN rules TEXT;
            ALTER TABLE quarantine ADD COLUMN requeued_at TEXT;
            CREATE INDEX quarantine_raw ON quarantine(flow, raw_digest) WHERE requeued_at IS NULL;
            """))
    }
}
