package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/portolan-dev/portolan/postgres/pgtest"
)

// BenchmarkCompactFleetEvents folds a fleet's history of 1,000,000
// events (1,000 hosts x 50 listeners, each up and down ten times, then up,
// over 200 days) at 90 days: what serve --fleet-history's hourly fold costs
// the first time on a large, never-folded log. Later folds find little to
// remove; the second figure (b.N > 1) is theirs.
func BenchmarkCompactFleetEvents(b *testing.B) {
	dsn := pgtest.New(b)
	db := open(b, dsn)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	now := time.Unix(1.8e9, 0).UTC()
	if _, err := conn.Exec(ctx, `INSERT INTO fleet_events (time, host_id, kind, proto, addr, port, program)
		SELECT $1::timestamptz - (200 - i * 200 / 20) * interval '1 day' + (h * 50 + l) * interval '1 ms',
			'host-' || h, CASE WHEN i % 2 = 0 THEN 'listener-up' ELSE 'listener-down' END, 'tcp', '0.0.0.0', 10000 + l, 'app'
		FROM generate_series(0, 999) h, generate_series(0, 49) l, generate_series(0, 19) i
		ORDER BY i, h, l`, now); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := db.CompactFleetEvents(ctx, now.Add(-90*24*time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
}
