// Package budget bounds the work udkit does on one document, whatever its
// shape: how many bytes its gzip streams inflate to, and how many YAML
// nodes and bytes of scalar text its cloud-configs expand to once aliases
// are replaced by copies of their anchors. One [Budget] is made per
// document and handed to every stage and every check that reads it
// (userdata.Decode, cloudconfig.Parse, Validate and Lint, the root Lint),
// so that a document cannot multiply the work by splitting it over many
// parts, many aliases or many checks: work done once is charged once
// ([Memo]), and when the budget is spent every further charge fails.
//
// A nil *Budget sets no bound and counts nothing: every method works on
// it, so a stage called without a budget behaves as before.
//
// A Budget is not safe for concurrent use.
package budget

import "fmt"

// Defaults of [Limits]: enough for any user data a cloud accepts (at most
// a few hundred kilobytes; udkit reads at most 1 MiB, 2 MiB once inflated)
// with room for the aliases real cloud-configs use, and small enough that
// `udkit lint` of a spent budget finishes in well under a second and
// 128 MiB.
const (
	// DefaultInflate bounds the bytes all gzip streams of a document
	// inflate to together: the document itself, its gzip parts, and the
	// gzip content of write_files entries in all its cloud-configs
	// (userdata allows 2 MiB, each cloud-config's write_files 4 MiB).
	DefaultInflate = 8 << 20
	// DefaultNodes bounds the YAML nodes of all the cloud-configs of a
	// document together, aliases expanded.
	DefaultNodes = 400000
	// DefaultBytes bounds the scalar text of all the cloud-configs of a
	// document together, aliases expanded.
	DefaultBytes = 16 << 20
	// DefaultScan bounds the text searched for secrets. Each distinct
	// string is searched once, so a document needs at most its own size
	// plus what its gzip content inflates to.
	DefaultScan = 32 << 20
)

// Limits are the bounds of a [Budget]. A zero field takes its default.
type Limits struct {
	Inflate int64 // bytes of gzip output
	Nodes   int64 // YAML nodes after alias expansion
	Bytes   int64 // bytes of YAML scalars after alias expansion
	Scan    int64 // bytes of text searched for secrets
}

// Kind is a resource a [Budget] bounds.
type Kind int

// The resources.
const (
	Inflate Kind = iota // bytes of gzip output
	Nodes               // YAML nodes after alias expansion
	Bytes               // bytes of YAML scalars after alias expansion
	Scan                // bytes of text searched for secrets
	nkinds
)

var kindNames = [nkinds]string{"bytes of gzip output", "YAML nodes (aliases expanded)", "bytes of YAML text (aliases expanded)", "bytes of text searched for secrets"}

// String names the resource with its unit.
func (k Kind) String() string {
	if k < 0 || k >= nkinds {
		return fmt.Sprintf("budget.Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Budget is what is left of the work allowed on one document, and what was
// used (see [Budget.Used]).
type Budget struct {
	limit    [nkinds]int64
	used     [nkinds]int64
	memo     map[any]memoEntry
	memoHits int64 // calls of Memo that found their result
}

type memoEntry struct {
	v   any
	err error
}

// New returns a budget with the limits l (defaults for its zero fields).
func New(l Limits) *Budget {
	b := &Budget{}
	b.limit[Inflate] = pick(l.Inflate, DefaultInflate)
	b.limit[Nodes] = pick(l.Nodes, DefaultNodes)
	b.limit[Bytes] = pick(l.Bytes, DefaultBytes)
	b.limit[Scan] = pick(l.Scan, DefaultScan)
	return b
}

// Default returns a budget with the default limits.
func Default() *Budget { return New(Limits{}) }

func pick(v, def int64) int64 {
	if v > 0 {
		return v
	}
	return def
}

// ExceededError says that a document needs more of a resource than its
// budget allows.
type ExceededError struct {
	Kind  Kind
	Limit int64
}

func (e *ExceededError) Error() string {
	return fmt.Sprintf("the document needs more than %d %s, the limit for one document (all its parts and checks together); udkit stops there: make the document smaller, with fewer aliases or less gzip'd content", e.Limit, e.Kind)
}

// Charge takes n units of k from b. It fails with an *[ExceededError]
// when that would use more than the limit; then k is spent (its use is
// set to the limit plus one) and every later charge of k fails too, so
// [Budget.Used] never exceeds the limit by more than one. On a nil b it
// does nothing.
func (b *Budget) Charge(k Kind, n int) error {
	if b == nil {
		return nil
	}
	if b.used[k] > b.limit[k] || int64(n) > b.limit[k]-b.used[k] {
		b.used[k] = b.limit[k] + 1
		return &ExceededError{Kind: k, Limit: b.limit[k]}
	}
	b.used[k] += int64(n)
	return nil
}

// Left returns how many units of k b still allows, or -1 (no bound) on a
// nil b.
func (b *Budget) Left(k Kind) int64 {
	if b == nil {
		return -1
	}
	return max(b.limit[k]-b.used[k], 0)
}

// Limit returns the limit of k, or -1 (no bound) on a nil b.
func (b *Budget) Limit(k Kind) int64 {
	if b == nil {
		return -1
	}
	return b.limit[k]
}

// Used returns the units of k charged so far (the limit plus one once a
// charge failed), or 0 on a nil b. Tests use it as a work counter.
func (b *Budget) Used(k Kind) int64 {
	if b == nil {
		return 0
	}
	return b.used[k]
}

// MemoHits returns how many calls of [Memo] found their result already
// computed.
func (b *Budget) MemoHits() int64 {
	if b == nil {
		return 0
	}
	return b.memoHits
}

// Memo returns f's result for key, calling f only the first time key is
// seen in b: work done once on a document is charged once, however many
// checks or alias copies ask for it. Keys must be comparable; use a type
// of the caller's own so that packages do not collide. On a nil b, f is
// called every time.
func Memo[T any](b *Budget, key any, f func() (T, error)) (T, error) {
	if b == nil {
		return f()
	}
	if e, ok := b.memo[key]; ok {
		b.memoHits++
		v, _ := e.v.(T)
		return v, e.err
	}
	v, err := f()
	if b.memo == nil {
		b.memo = map[any]memoEntry{}
	}
	b.memo[key] = memoEntry{v, err}
	return v, err
}
