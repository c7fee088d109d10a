package udkit

import "github.com/udkit/udkit/internal/budget"

// Budget bounds the work done on one document, whatever its shape: the
// bytes its gzip streams inflate to (the document, its parts, the gzip
// write_files content of its cloud-configs) and the YAML nodes and bytes
// its cloud-configs expand to once aliases are replaced by their anchors.
// One budget is shared by every stage and check that reads the document,
// and work done once (decoding one write_files content, linting one unit)
// is charged once, however many alias copies or checks ask for it. When it
// is spent, what is left unchecked is reported as an error.
//
// [Lint] makes one per call. Callers that decode, parse, validate and lint
// a document themselves pass one from [NewBudget] to
// userdata.Decode (Limits.Budget) and to cloudconfig's Parse, Validate,
// Lint and WriteFile.Data (cloudconfig.WithBudget).
type Budget = budget.Budget

// NewBudget returns the budget of one document with the default limits:
// 8 MiB of gzip output, 400,000 YAML nodes and 16 MiB of YAML text after
// alias expansion, for all its parts and checks together. That is more
// than any user data a cloud accepts needs, and keeps `udkit lint` of the
// worst 1 MiB input within a second or two and 128 MiB.
func NewBudget() *Budget { return budget.Default() }
