package main

// FerretDB 1.24's SQLite backend creates each collection's unique `_id` index on the expression
// `_ferretdb_sjson->"_id"`, but looks documents up by `_ferretdb_sjson->'$._id'`. SQLite only uses an
// index whose expression matches the query's, so every update and delete by `_id` (and every findOne
// of a late row) scanned the whole table: measured 53 updates/s on a 5,000-document collection against
// 352/s on a 10-document one (`npm run bench:load` prints the figure this fixes). keepIDIndexes adds the
// index FerretDB's own statements can use, for every collection table, as soon as it appears.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite"
)

const idIndexSuffix = "_greenlink_id"

// keepIDIndexes scans dir's databases every interval until ctx ends.
func keepIDIndexes(ctx context.Context, dir string, interval time.Duration, logger *slog.Logger) {
	open := map[string]*sql.DB{}
	defer func() {
		for _, db := range open {
			_ = db.Close()
		}
	}()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, file := range files {
			db, ok := open[file]
			if !ok {
				var err error
				// The same busy timeout FerretDB sets: our DDL waits for its writers instead of failing.
				db, err = sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
				if err != nil {
					continue
				}
				db.SetMaxOpenConns(1)
				open[file] = db
			}
			if err := ensureIDIndexes(ctx, db); err != nil && ctx.Err() == nil {
				logger.Warn("id index upkeep failed", "file", file, "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

func ensureIDIndexes(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\_ferretdb\_%' ESCAPE '\' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name NOT IN (SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name LIKE '%`+idIndexSuffix+`')`)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			_ = rows.Close()
			return err
		}
		tables = append(tables, name)
	}
	_ = rows.Close()
	for _, table := range tables {
		quoted := strings.ReplaceAll(table, `"`, `""`)
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS "%s%s" ON "%s" (_ferretdb_sjson->'$._id')`, quoted, idIndexSuffix, quoted)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}
