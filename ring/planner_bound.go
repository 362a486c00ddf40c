package ring

import (
	"math/bits"
	"sort"
)

// alphaBudget bounds the branch-and-bound steps of each independence
// search (a step colours one candidate set); counting steps, not time,
// keeps the plan deterministic.
const alphaBudget = 200_000

// independenceBound is a lower bound from wave size: in each DC, a wave
// holds at most α of its candidates, α being the largest set of them with
// no pairwise conflict (counted groups only shrink waves further, so
// ignoring them keeps the bound valid). Then every DC needs
// ceil(|candidates| / α) waves. α is found exactly as a maximum clique of
// the complement (Tomita and Seki's MCQ: greedy colouring bounds); a DC
// whose search exceeds its budget contributes nothing.
func (p *planner) independenceBound() int {
	t := p.t
	byDC := map[int32][]int{}
	for v, e := range p.nodes {
		byDC[t.epDC[e]] = append(byDC[t.epDC[e]], v)
	}
	dcs := make([]int32, 0, len(byDC))
	for d := range byDC {
		dcs = append(dcs, d)
	}
	sort.Slice(dcs, func(a, b int) bool { return dcs[a] < dcs[b] })
	lb := 0
	for _, d := range dcs {
		vs := byDC[d]
		if a := p.maxIndependent(vs); a > 0 {
			lb = max(lb, (len(vs)+a-1)/a)
		}
	}
	return lb
}

// maxIndependent returns the size of a largest conflict-free subset of vs,
// or 0 when the search runs out of budget.
func (p *planner) maxIndependent(vs []int) int {
	n, words := len(vs), (len(vs)+63)/64
	// comp[i]: the members of vs that i does not conflict with.
	comp := make([]uint64, n*words)
	for i, v := range vs {
		row := p.row(v)
		for j, w := range vs {
			if i != j && row[w/64]&(1<<(uint(w)%64)) == 0 {
				comp[i*words+j/64] |= 1 << (uint(j) % 64)
			}
		}
	}
	best, steps := 0, 0
	order := make([]int, 0, n)
	color := make([]int, 0, n)
	var expand func(P []uint64, size int) bool
	expand = func(P []uint64, size int) bool {
		steps++
		if steps > alphaBudget {
			return false
		}
		// Greedy colouring of P: colour classes are sets of pairwise
		// non-adjacent vertices, so a clique takes at most one of each.
		order, color = order[:0], color[:0]
		left := append([]uint64(nil), P...)
		for c := 1; ; c++ {
			q := append([]uint64(nil), left...)
			any := false
			for k := 0; k < words; k++ {
				for q[k] != 0 {
					i := k*64 + bits.TrailingZeros64(q[k])
					any = true
					q[k] &^= 1 << (uint(i) % 64)
					left[k] &^= 1 << (uint(i) % 64)
					row := comp[i*words : (i+1)*words]
					for j := range q {
						q[j] &^= row[j]
					}
					order = append(order, i)
					color = append(color, c)
				}
			}
			if !any {
				break
			}
		}
		ord, col := append([]int(nil), order...), append([]int(nil), color...)
		for x := len(ord) - 1; x >= 0; x-- {
			if size+col[x] <= best {
				return true
			}
			i := ord[x]
			row := comp[i*words : (i+1)*words]
			np := make([]uint64, words)
			empty := true
			for k := range np {
				np[k] = P[k] & row[k]
				empty = empty && np[k] == 0
			}
			if empty {
				best = max(best, size+1)
			} else if !expand(np, size+1) {
				return false
			}
			P[i/64] &^= 1 << (uint(i) % 64)
		}
		return true
	}
	all := make([]uint64, words)
	for i := 0; i < n; i++ {
		all[i/64] |= 1 << (uint(i) % 64)
	}
	if !expand(all, 0) {
		return 0
	}
	return best
}
