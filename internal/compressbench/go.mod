// Module compressbench compares udkit's DEFLATE encoder with other
// compressors. It is a module of its own so that the comparison's
// dependencies (klauspost/compress) never become dependencies of udkit.
module github.com/udkit/udkit/internal/compressbench

go 1.25

replace github.com/udkit/udkit => ../..

require (
	github.com/klauspost/compress v1.20.4
	github.com/udkit/udkit v0.0.0-00010101000000-000000000000
)

require gopkg.in/yaml.v3 v3.0.1 // indirect
