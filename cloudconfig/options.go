package cloudconfig

import "github.com/udkit/udkit/internal/budget"

// Option changes how [Parse], [Config.Validate], [Lint] and
// [WriteFile.Data] work. The only one is [WithBudget].
type Option interface {
	apply(*options)
}

type options struct {
	budget *budget.Budget
}

type budgetOption struct{ b *budget.Budget }

func (o budgetOption) apply(opts *options) { opts.budget = o.b }

// WithBudget makes the call charge its work to b, the budget of the whole
// document the config came from (udkit.NewBudget makes one): the YAML
// nodes and scalar bytes Parse expands aliases to, and the bytes gzip
// write_files content inflates to in Validate, Lint and Data. Content that
// one call under b decoded is not decoded again by another (nor for the
// alias copies of the same content), so passing one budget to Parse,
// Validate and Lint charges each piece of work once. Once b is spent,
// Parse fails and Validate reports the entries that cannot be decoded.
//
// Without WithBudget each call takes a fresh budget of the default size,
// so the work of one call is bounded but the calls do not share it.
func WithBudget(b *budget.Budget) Option { return budgetOption{b} }

// collect applies opts; a call without a budget gets a fresh default one.
func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	if o.budget == nil {
		o.budget = budget.Default()
	}
	return o
}
