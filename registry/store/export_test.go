package store

// Migrations exposes the schema steps to the migration tests.
var Migrations = migrations

// HashToken exposes how tokens are stored to the migration tests.
var HashToken = hashToken
