package sim

import (
	"fmt"
	"maps"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/ringside/ringside/ring"
	"github.com/ringside/ringside/sim/schema"
)

// status is Status.java (4.1.6): one table per datacenter, sharing column
// widths, nodes in the order of the ArrayListMultimap Status groups them
// in (a HashMap), loads as FileUtils.stringifyFileSize prints them, and
// ownership as StorageService.effectiveOwnershipWithPort computes it.
func (r *ntRun) status(args []string) int {
	_, pos, err := parseArgs(args, nil)
	if err != nil {
		return r.badUse(err.Error())
	}
	if len(pos) > 1 {
		return r.badUse(fmt.Sprintf("Found unexpected parameters: [%s]", strings.Join(pos[1:], ", ")))
	}
	keyspace := ""
	if len(pos) == 1 {
		keyspace = pos[0]
	}
	n, c := r.n, r.n.c
	live, down := c.liveView(n)
	state := map[*Node]string{}
	for _, p := range live {
		state[p] = "U"
	}
	for _, p := range down {
		state[p] = "D"
	}

	var errors strings.Builder
	owns, effective, note, bad := r.ownership(keyspace)
	if bad != "" {
		// Status catches IllegalArgumentException: "%nError: %s%n", exit 1.
		fmt.Fprintf(&r.out, "\nError: %s\n", bad)
		return 1
	}
	if note != "" {
		errors.WriteString("Note: " + note + "\n")
	}

	// tokensToEndpoints, in token order (StorageService.getTokenToEndpointMap).
	type tokenEP struct {
		tok int64
		n   *Node
	}
	var toks []tokenEP
	for _, p := range c.nodes {
		for _, t := range p.Tokens {
			toks = append(toks, tokenEP{t, p})
		}
	}
	sort.Slice(toks, func(i, j int) bool { return toks[i].tok < toks[j].tok })
	byDC := map[string][]tokenEP{}
	for _, te := range toks {
		byDC[te.n.DC] = append(byDC[te.n.DC], te)
	}
	dcs := make([]string, 0, len(byDC))
	for dc := range byDC {
		dcs = append(dcs, dc)
	}
	sort.Strings(dcs) // a TreeMap
	tokenPerNode := len(dcs) >= len(toks)

	ownsTitle := "Owns"
	if effective {
		ownsTitle = "Owns (effective)"
	}
	header := []string{"--", "Address", "Load", "Tokens", ownsTitle, "Host ID", "Rack"}
	if tokenPerNode {
		header = []string{"--", "Address", "Load", ownsTitle, "Host ID", "Token", "Rack"}
	}
	tables := make([][][]string, len(dcs))
	for i, dc := range dcs {
		rows := [][]string{header}
		// hostToTokens: endpoint → its tokens of this DC, keys in HashMap order.
		count := map[string]int{}
		first := map[string]tokenEP{}
		var keys []string
		for _, te := range byDC[dc] {
			ep := te.n.Endpoint()
			if count[ep] == 0 {
				keys = append(keys, ep)
				first[ep] = te
			}
			count[ep]++
		}
		for _, ep := range javaHashMapOrder(keys, 32) { // Maps.newHashMapWithExpectedSize(12)
			te := first[ep]
			p := te.n
			st := state[p]
			if st == "" {
				st = "?"
			}
			addr := p.Addr.String()
			if r.printPort {
				addr = ep
			}
			o := "?"
			if f, ok := owns[ep]; ok && effective {
				o = percent(f)
			}
			load := stringifyFileSize(float64(p.load()))
			if tokenPerNode {
				rows = append(rows, []string{st + "N", addr, load, o, p.HostID.String(), fmt.Sprint(te.tok), p.Rack})
			} else {
				rows = append(rows, []string{st + "N", addr, load, strconv.Itoa(count[ep]), o, p.HostID.String(), p.Rack})
			}
		}
		tables[i] = rows
	}
	// TableBuilder.SharedTable("  "): every column as wide as its widest cell in any DC.
	width := make([]int, len(header))
	for _, t := range tables {
		for _, row := range t {
			for j, cell := range row {
				width[j] = max(width[j], len(cell))
			}
		}
	}
	for i, dc := range dcs {
		if i > 0 {
			r.out.WriteString("\n")
		}
		h := "Datacenter: " + dc
		r.out.WriteString(h + "\n" + strings.Repeat("=", len(h)) + "\n")
		r.out.WriteString("Status=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n")
		for _, row := range tables[i] {
			for j, cell := range row {
				r.out.WriteString(cell + strings.Repeat(" ", width[j]-len(cell)))
				if j < len(row)-1 {
					r.out.WriteString("  ")
				}
			}
			r.out.WriteString("\n")
		}
	}
	r.out.WriteString("\n" + errors.String())
	return 0
}

// ownership is StorageService.getEffectiveOwnership as Status calls it:
// for the keyspace given, or the user keyspaces if they all replicate
// alike (else the note, and no effective ownership), or system_traces.
// bad is an IllegalArgumentException's message.
func (r *ntRun) ownership(keyspace string) (owns map[string]float32, effective bool, note, bad string) {
	c := r.n.c
	var ks *schema.Keyspace
	if keyspace != "" {
		if ks = c.schema.keyspace(keyspace); ks == nil || ks.Virtual {
			return nil, false, "", "The keyspace " + keyspace + ", does not exist"
		}
		if ks.Replication["class"] == classLocal {
			return nil, false, "Ownership values for keyspaces with LocalStrategy are meaningless", ""
		}
	} else {
		var user []*schema.Keyspace
		for _, k := range c.schema.keyspaces() {
			if !k.Virtual && !isSystemKeyspace(k.Name) {
				user = append(user, k)
			}
		}
		if len(user) > 0 {
			ks = user[0]
			for _, k := range user[1:] {
				if !maps.Equal(k.Replication, ks.Replication) { // AbstractReplicationStrategy.hasSameSettings
					return nil, false, "Non-system keyspaces don't have the same replication settings, effective ownership information is meaningless", ""
				}
			}
		} else if ks = c.schema.keyspace("system_traces"); ks == nil {
			return nil, false, "The node does not have system_traces yet, probably still bootstrapping. Effective ownership information is meaningless.", ""
		}
	}
	m, err := c.schema.replicaMap(ks)
	if err != nil || m == nil {
		return nil, false, "", ""
	}
	frac := describeOwnership(m.Topology())
	owns = map[string]float32{}
	for i := range m.NumRanges() {
		for _, ep := range m.ForRange(i) {
			e := c.nodes[ep].Endpoint()
			owns[e] += frac[i]
		}
	}
	return owns, true, "", ""
}

// describeOwnership is Murmur3Partitioner.describeOwnership: each range's
// share of the ring, ((T(i) - T(i-1) + R) % R) / R with R = 2^64 - 2,
// rounded half-even to 6 decimals, as a float; index i is the range that
// ends at the i-th token.
func describeOwnership(t *ring.Topology) []float32 {
	toks := t.Tokens()
	out := make([]float32, len(toks))
	if len(toks) == 1 {
		out[0] = 1
		return out
	}
	ri := new(big.Int).Sub(big.NewInt(math.MaxInt64), big.NewInt(math.MinInt64+1))
	million := big.NewInt(1_000_000)
	for i := range toks {
		prev := toks[(i+len(toks)-1)%len(toks)]
		d := new(big.Int).Sub(big.NewInt(int64(toks[i])), big.NewInt(int64(prev)))
		d.Add(d, ri).Mod(d, ri)
		// round(d * 10^6 / ri), half even
		q, rem := new(big.Int).QuoRem(new(big.Int).Mul(d, million), ri, new(big.Int))
		switch new(big.Int).Mul(rem, big.NewInt(2)).Cmp(ri) {
		case 1:
			q.Add(q, big.NewInt(1))
		case 0:
			if q.Bit(0) == 1 {
				q.Add(q, big.NewInt(1))
			}
		}
		f, _ := strconv.ParseFloat(fmt.Sprintf("%s.%06d", new(big.Int).Quo(q, million), new(big.Int).Rem(q, million)), 32)
		out[i] = float32(f)
	}
	return out
}

// percent is new DecimalFormat("##0.0%").format(f).
func percent(f float32) string {
	return strconv.FormatFloat(float64(f)*100, 'f', 1, 64) + "%"
}

// stringifyFileSize is FileUtils.stringifyFileSize: DecimalFormat("#.##")
// of the size in the largest binary unit it reaches.
func stringifyFileSize(v float64) string {
	units := []struct {
		name string
		size float64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}
	for _, u := range units {
		if v >= u.size {
			return decimal2(v/u.size) + " " + u.name
		}
	}
	return decimal2(v) + " bytes"
}

// decimal2 is DecimalFormat("#.##"): at most two decimals (half-even),
// without trailing zeros.
func decimal2(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// javaDoubleString is Double.toString for the values nodetool prints.
func javaDoubleString(v float64) string {
	if a := math.Abs(v); a != 0 && (a < 1e-3 || a >= 1e7) {
		s := strconv.FormatFloat(v, 'E', -1, 64)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		e, _ := strconv.Atoi(exp)
		return mant + "E" + strconv.Itoa(e)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// javaHashMapOrder is the iteration order of a java.util.HashMap created
// with the given table size, keys inserted in the order given: by bucket
// (String.hashCode spread as HashMap.hash does), then insertion; the
// table doubles past a load of 0.75.
func javaHashMapOrder(keys []string, table int) []string {
	for float64(len(keys)) > 0.75*float64(table) {
		table *= 2
	}
	bucket := func(s string) uint32 {
		var h uint32
		for _, u := range s { // ASCII addresses: one UTF-16 unit per rune
			h = 31*h + uint32(u)
		}
		return (h ^ h>>16) & uint32(table-1)
	}
	out := append([]string(nil), keys...)
	sort.SliceStable(out, func(i, j int) bool { return bucket(out[i]) < bucket(out[j]) })
	return out
}
