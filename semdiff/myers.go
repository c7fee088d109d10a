package semdiff

// Line alignment: Myers' O(ND) difference algorithm in its linear-space
// form (E. W. Myers, "An O(ND) Difference Algorithm and Its Variations",
// Algorithmica 1986, section 4b): find the middle snake of a shortest edit
// script by searching from both ends, then recurse on the two halves. Time
// is O((N+M)·D) and memory O(N+M), so a two-line change in a 1 MiB script
// costs a few passes over it, where the table of a longest common
// subsequence took N·M cells and had to give up past a size.
//
// The work (diagonals visited plus matching lines followed) is taken from a
// budget shared by a whole diff; a sub-problem that would exceed it is shown
// as replaced (every line - then every line +), so the worst input (every
// line different, D = N+M) is bounded too.

type diffOp struct {
	sign string // " ", "-" or "+"
	i, j int    // index in a (for " " and "-"), in b (for "+")
	text string
}

// maxAlign bounds the work of one alignment when no budget is shared.
const maxAlign = 16 << 20

// lineDiff aligns xs and ys with a budget of its own.
func lineDiff(xs, ys []string) []diffOp {
	work := maxAlign
	return lineDiffWithin(xs, ys, &work)
}

// lineDiffWithin aligns xs and ys by a shortest edit script, taking its
// work from *work. Within each run of changes, removed lines come before
// added ones.
func lineDiffWithin(xs, ys []string, work *int) []diffOp {
	// Intern the lines, so that comparisons are of integers.
	ids := make(map[string]int32, len(xs))
	a := make([]int32, len(xs))
	for i, s := range xs {
		id, ok := ids[s]
		if !ok {
			id = int32(len(ids))
			ids[s] = id
		}
		a[i] = id
	}
	b := make([]int32, len(ys))
	for j, s := range ys {
		id, ok := ids[s]
		if !ok {
			id = int32(len(ids))
			ids[s] = id
		}
		b[j] = id
	}
	m := &myers{a: a, b: b, work: work}
	n := len(a) + len(b)
	// middleSnake uses 2·max+3 entries, max = (N+M+1)/2.
	m.vf = make([]int32, n+4)
	m.vb = make([]int32, n+4)
	m.delA = make([]bool, len(a))
	m.addB = make([]bool, len(b))
	m.compare(0, len(a), 0, len(b))

	// Walk both sequences, emitting each run of changes as its removals
	// then its additions.
	ops := make([]diffOp, 0, max(len(a), len(b)))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if i < len(a) && j < len(b) && !m.delA[i] && !m.addB[j] {
			ops = append(ops, diffOp{" ", i, j, xs[i]})
			i++
			j++
			continue
		}
		i0, j0 := i, j
		for i < len(a) && m.delA[i] {
			i++
		}
		for j < len(b) && m.addB[j] {
			j++
		}
		for k := i0; k < i; k++ {
			ops = append(ops, diffOp{"-", k, j0, xs[k]})
		}
		for k := j0; k < j; k++ {
			ops = append(ops, diffOp{"+", i, k, ys[k]})
		}
		if i == i0 && j == j0 { // unreachable: unmarked lines are equal in pairs
			break
		}
	}
	return ops
}

type myers struct {
	a, b       []int32
	vf, vb     []int32 // furthest x per diagonal, int32: half the memory
	delA, addB []bool
	work       *int
}

// compare marks the changes that turn a[a0:a1] into b[b0:b1].
func (m *myers) compare(a0, a1, b0, b1 int) {
	for a0 < a1 && b0 < b1 && m.a[a0] == m.b[b0] {
		a0++
		b0++
	}
	for a0 < a1 && b0 < b1 && m.a[a1-1] == m.b[b1-1] {
		a1--
		b1--
	}
	switch {
	case a0 == a1:
		for j := b0; j < b1; j++ {
			m.addB[j] = true
		}
	case b0 == b1:
		for i := a0; i < a1; i++ {
			m.delA[i] = true
		}
	default:
		x0, y0, x1, y1, ok := m.middleSnake(a0, a1, b0, b1)
		if !ok {
			for i := a0; i < a1; i++ {
				m.delA[i] = true
			}
			for j := b0; j < b1; j++ {
				m.addB[j] = true
			}
			return
		}
		m.compare(a0, x0, b0, y0)
		m.compare(x1, a1, y1, b1)
	}
}

// middleSnake finds the middle snake of a shortest edit script from
// a[a0:a1] to b[b0:b1] (both non-empty, first and last lines differing):
// the diagonal run from (x0, y0) to (x1, y1), absolute indexes. It reports
// false when the budget runs out first.
func (m *myers) middleSnake(a0, a1, b0, b1 int) (x0, y0, x1, y1 int, ok bool) {
	n, mm := a1-a0, b1-b0
	delta := n - mm
	odd := delta&1 != 0
	max := (n + mm + 1) / 2
	off := max + 1 // vf[off+k]: furthest x on forward diagonal k
	vf, vb := m.vf[:2*max+3], m.vb[:2*max+3]
	vf[off+1], vb[off+1] = 0, 0
	a, b := m.a, m.b
	for d := 0; d <= max; d++ {
		if *m.work < 4*d+2 {
			return 0, 0, 0, 0, false
		}
		*m.work -= 4*d + 2
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && vf[off+k-1] < vf[off+k+1] {
				x = int(vf[off+k+1])
			} else {
				x = int(vf[off+k-1]) + 1
			}
			y := x - k
			sx, sy := x, y
			for x < n && y < mm && a[a0+x] == b[b0+y] {
				x++
				y++
			}
			*m.work -= x - sx
			vf[off+k] = int32(x)
			if kr := delta - k; odd && kr >= -(d-1) && kr <= d-1 && x+int(vb[off+kr]) >= n {
				return a0 + sx, b0 + sy, a0 + x, b0 + y, true
			}
		}
		for kr := -d; kr <= d; kr += 2 {
			var x int
			if kr == -d || kr != d && vb[off+kr-1] < vb[off+kr+1] {
				x = int(vb[off+kr+1])
			} else {
				x = int(vb[off+kr-1]) + 1
			}
			y := x - kr
			sx, sy := x, y
			for x < n && y < mm && a[a1-1-x] == b[b1-1-y] {
				x++
				y++
			}
			*m.work -= x - sx
			vb[off+kr] = int32(x)
			if k := delta - kr; !odd && k >= -d && k <= d && x+int(vf[off+k]) >= n {
				return a1 - x, b1 - y, a1 - sx, b1 - sy, true
			}
		}
	}
	// Unreachable: a shortest edit script has at most n+mm edits.
	return 0, 0, 0, 0, false
}
