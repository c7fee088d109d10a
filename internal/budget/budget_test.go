package budget

import (
	"errors"
	"testing"
)

func TestCharge(t *testing.T) {
	b := New(Limits{Nodes: 10})
	if err := b.Charge(Nodes, 10); err != nil {
		t.Fatalf("charge to the limit: %v", err)
	}
	if b.Left(Nodes) != 0 || b.Used(Nodes) != 10 {
		t.Errorf("left %d used %d, want 0 and 10", b.Left(Nodes), b.Used(Nodes))
	}
	err := b.Charge(Nodes, 1)
	var ee *ExceededError
	if !errors.As(err, &ee) || ee.Kind != Nodes || ee.Limit != 10 {
		t.Fatalf("charge past the limit: %v", err)
	}
	if err := b.Charge(Nodes, 0); err == nil {
		t.Error("a spent budget accepted a charge")
	}
	if b.Used(Nodes) != 11 {
		t.Errorf("used %d after the budget is spent, want the limit plus one", b.Used(Nodes))
	}
	if b.Limit(Bytes) != DefaultBytes || b.Left(Inflate) != DefaultInflate {
		t.Error("zero limits do not take the defaults")
	}
	// A huge charge does not overflow into acceptance.
	if err := New(Limits{}).Charge(Bytes, int(^uint(0)>>1)); err == nil {
		t.Error("a charge of MaxInt was accepted")
	}
}

func TestNilBudget(t *testing.T) {
	var b *Budget
	if err := b.Charge(Inflate, 1<<40); err != nil || b.Left(Inflate) != -1 || b.Used(Inflate) != 0 || b.Limit(Inflate) != -1 {
		t.Error("a nil budget bounds or counts something")
	}
	calls := 0
	for i := 0; i < 2; i++ {
		Memo(b, "k", func() (int, error) { calls++; return 1, nil })
	}
	if calls != 2 {
		t.Errorf("Memo on a nil budget called f %d times, want every time", calls)
	}
}

func TestMemo(t *testing.T) {
	b := Default()
	calls := 0
	f := func() (string, error) { calls++; return "v", errors.New("e") }
	for i := 0; i < 3; i++ {
		v, err := Memo(b, struct{ k string }{"a"}, f)
		if v != "v" || err == nil {
			t.Fatalf("Memo = %q, %v", v, err)
		}
	}
	if calls != 1 || b.MemoHits() != 2 {
		t.Errorf("f called %d times, %d hits; want 1 and 2", calls, b.MemoHits())
	}
}
