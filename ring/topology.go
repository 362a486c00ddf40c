package ring

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Endpoint is one token-owning node, as system.local / system.peers_v2
// describe it.
type Endpoint struct {
	// Name identifies the node, e.g. "127.0.0.1:7000" (peer:peer_port).
	Name string
	// DC and Rack as the snitch reports them (data_center, rack).
	DC, Rack string
	// Tokens owned by the node (num_tokens of them).
	Tokens []Token
}

// Topology is an immutable token ring: the endpoints that own tokens (the
// "normal" members of TokenMetadata), their tokens in ring order, and their
// DCs and racks. Endpoints are referred to by their index in the slice given
// to NewTopology. A Topology is safe for concurrent use.
type Topology struct {
	eps    []Endpoint
	tokens []Token // sorted ascending
	owner  []int32 // owner[i] owns tokens[i]

	dcNames []string // sorted
	dcIndex map[string]int
	epDC    []int32 // DC index per endpoint
	epRack  []int32 // global rack index per endpoint; racks are (dc, rack) pairs
	racks   []rackInfo
	dcNodes []int // endpoints per DC
	dcRacks []int // distinct racks per DC
	byName  map[string]int
	nameOrd []int32 // rank of each endpoint by Name, for deterministic tie-breaks

	mu    sync.Mutex
	cache map[string]*ReplicaMap
}

type rackInfo struct {
	dc   int
	name string
}

// NewTopology validates eps and builds the ring. It rejects inconsistent
// input: no endpoints, an empty or duplicate name, an empty DC or rack, an
// endpoint without tokens, and a token owned twice.
func NewTopology(eps []Endpoint) (*Topology, error) {
	if len(eps) == 0 {
		return nil, errors.New("ring: topology has no endpoints")
	}
	t := &Topology{
		eps:     make([]Endpoint, len(eps)),
		dcIndex: map[string]int{},
		epDC:    make([]int32, len(eps)),
		epRack:  make([]int32, len(eps)),
		byName:  make(map[string]int, len(eps)),
		cache:   map[string]*ReplicaMap{},
	}
	total := 0
	for i, e := range eps {
		switch {
		case e.Name == "":
			return nil, fmt.Errorf("ring: endpoint #%d has no name", i)
		case e.DC == "":
			return nil, fmt.Errorf("ring: endpoint %s has no data center", e.Name)
		case e.Rack == "":
			return nil, fmt.Errorf("ring: endpoint %s has no rack", e.Name)
		case len(e.Tokens) == 0:
			return nil, fmt.Errorf("ring: endpoint %s owns no tokens", e.Name)
		}
		if j, dup := t.byName[e.Name]; dup {
			return nil, fmt.Errorf("ring: endpoints #%d and #%d are both named %s", j, i, e.Name)
		}
		t.byName[e.Name] = i
		e.Tokens = append([]Token(nil), e.Tokens...)
		t.eps[i] = e
		total += len(e.Tokens)
		if _, ok := t.dcIndex[e.DC]; !ok {
			t.dcIndex[e.DC] = 0
			t.dcNames = append(t.dcNames, e.DC)
		}
	}
	sort.Strings(t.dcNames)
	for i, dc := range t.dcNames {
		t.dcIndex[dc] = i
	}
	t.dcNodes = make([]int, len(t.dcNames))
	t.dcRacks = make([]int, len(t.dcNames))

	// Racks are identified by (dc, rack), as NetworkTopologyStrategy does,
	// so that equal rack names in different DCs never clash.
	rackIdx := map[rackInfo]int{}
	for i, e := range t.eps {
		dc := t.dcIndex[e.DC]
		t.epDC[i] = int32(dc)
		t.dcNodes[dc]++
		key := rackInfo{dc, e.Rack}
		r, ok := rackIdx[key]
		if !ok {
			r = len(t.racks)
			rackIdx[key] = r
			t.racks = append(t.racks, key)
			t.dcRacks[dc]++
		}
		t.epRack[i] = int32(r)
	}

	type tokOwner struct {
		tok Token
		ep  int32
	}
	all := make([]tokOwner, 0, total)
	for i, e := range t.eps {
		for _, tk := range e.Tokens {
			all = append(all, tokOwner{tk, int32(i)})
		}
	}
	slices.SortFunc(all, func(a, b tokOwner) int { return cmp.Compare(a.tok, b.tok) })
	t.tokens = make([]Token, len(all))
	t.owner = make([]int32, len(all))
	for i, to := range all {
		if i > 0 && all[i-1].tok == to.tok {
			a, b := t.eps[all[i-1].ep].Name, t.eps[to.ep].Name
			if a == b {
				return nil, fmt.Errorf("ring: endpoint %s lists token %s twice", a, to.tok)
			}
			return nil, fmt.Errorf("ring: token %s is owned by both %s and %s", to.tok, a, b)
		}
		t.tokens[i] = to.tok
		t.owner[i] = to.ep
	}

	ord := make([]int, len(t.eps))
	for i := range ord {
		ord[i] = i
	}
	sort.Slice(ord, func(a, b int) bool { return t.eps[ord[a]].Name < t.eps[ord[b]].Name })
	t.nameOrd = make([]int32, len(t.eps))
	for rank, i := range ord {
		t.nameOrd[i] = int32(rank)
	}
	return t, nil
}

// Endpoints returns a copy of the endpoints, in the order given to NewTopology.
func (t *Topology) Endpoints() []Endpoint {
	out := make([]Endpoint, len(t.eps))
	for i, e := range t.eps {
		e.Tokens = append([]Token(nil), e.Tokens...)
		out[i] = e
	}
	return out
}

// Endpoint returns endpoint i (its Tokens slice must not be modified).
func (t *Topology) Endpoint(i int) Endpoint { return t.eps[i] }

// Len is the number of endpoints.
func (t *Topology) Len() int { return len(t.eps) }

// Index returns the index of the endpoint with the given name.
func (t *Topology) Index(name string) (int, bool) {
	i, ok := t.byName[name]
	return i, ok
}

// DCs returns the data center names, sorted.
func (t *Topology) DCs() []string { return append([]string(nil), t.dcNames...) }

// Racks returns the distinct rack names of a DC, sorted.
func (t *Topology) Racks(dc string) []string {
	d, ok := t.dcIndex[dc]
	if !ok {
		return nil
	}
	var out []string
	for _, r := range t.racks {
		if r.dc == d {
			out = append(out, r.name)
		}
	}
	sort.Strings(out)
	return out
}

// NodesInDC is the number of endpoints in dc (0 for an unknown DC).
func (t *Topology) NodesInDC(dc string) int {
	if d, ok := t.dcIndex[dc]; ok {
		return t.dcNodes[d]
	}
	return 0
}

// Tokens returns all tokens in ring order.
func (t *Topology) Tokens() []Token { return append([]Token(nil), t.tokens...) }

// NumRanges is the number of token ranges: one per token.
func (t *Topology) NumRanges() int { return len(t.tokens) }

// RangeAt returns range i, which ends at the i-th token in ring order:
// (tokens[i-1], tokens[i]], range 0 wrapping around from the last token.
// With a single token it is the whole ring.
func (t *Topology) RangeAt(i int) Range {
	prev := i - 1
	if prev < 0 {
		prev = len(t.tokens) - 1
	}
	return Range{Start: t.tokens[prev], End: t.tokens[i]}
}

// RangeIndex returns the index of the range containing tok: that of the
// first token >= tok, wrapping to 0 (TokenMetadata.firstTokenIndex).
func (t *Topology) RangeIndex(tok Token) int {
	i := sort.Search(len(t.tokens), func(i int) bool { return t.tokens[i] >= tok })
	if i == len(t.tokens) {
		return 0
	}
	return i
}

// Owner returns the endpoint owning the i-th token in ring order, which is
// the primary replica of range i under SimpleStrategy.
func (t *Topology) Owner(i int) int { return int(t.owner[i]) }

// String summarises the topology, e.g. "3 endpoints, 48 tokens, DCs dc1(2 nodes, 2 racks) dc2(1 nodes, 1 racks)".
func (t *Topology) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d endpoints, %d tokens, DCs", len(t.eps), len(t.tokens))
	for i, dc := range t.dcNames {
		fmt.Fprintf(&b, " %s(%d nodes, %d racks)", dc, t.dcNodes[i], t.dcRacks[i])
	}
	return b.String()
}
