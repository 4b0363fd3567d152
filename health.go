package portolan

import "context"

// HealthChecker is a store that can say whether it can serve writes now,
// which answering a query does not prove: a SQLite file deleted under a
// running server or a PostgreSQL standby still answers reads. The server's
// /healthz asks it.
type HealthChecker interface {
	// Health returns nil when a write would be taken now, else why not.
	Health(ctx context.Context) error
}
