package postgres_test

// newestMigration is the number of the last file in migrations/.
const newestMigration = 6
