package jolokia

import "strings"

// Jolokia's escape characters: '!' in paths ("a!/b" is the single part "a/b",
// "!!" a literal '!'), backslash in attribute lists ("a\,b").
const (
	pathEscape = '!'
	csvEscape  = '\\'
)

// splitEscaped is EscapeUtil.split. Jolokia implements it with the regex
//
//	(.*?)(?:(?<!E)((?:E.)*)D|$)   (DOTALL)
//
// applied with find() while the match does not start at the end of the
// input, then un-escaping each part with E(.) -> $1. The effects reproduced
// here: an escaped delimiter does not split, a trailing empty part is
// dropped, "" gives no part at all, and '$' also matches just before a final
// line terminator.
func splitEscaped(s string, esc, del rune) []string {
	rs := []rune(s)
	n := len(rs)
	var out []string
	from := 0
	lastEmpty := false
	for {
		if lastEmpty {
			from++ // find() moves on after an empty match
		}
		if from > n {
			break
		}
		start, groupEnd, matchEnd, ok := findSplit(rs, from, esc, del)
		if !ok || start == n {
			break
		}
		out = append(out, unescapeRunes(rs[start:groupEnd], esc))
		lastEmpty = matchEnd == start
		from = matchEnd
	}
	return out
}

// findSplit finds the next match at or after from: the part runs from start
// to groupEnd (escape pairs before the delimiter included), the match ends
// at matchEnd.
func findSplit(rs []rune, from int, esc, del rune) (start, groupEnd, matchEnd int, ok bool) {
	n := len(rs)
	for e := from; e <= n; e++ {
		// First alternative: escape pairs not preceded by an escape, then the delimiter.
		if e == 0 || rs[e-1] != esc {
			pairs := 0
			for p := e; p+1 < n && rs[p] == esc; p += 2 {
				pairs++
			}
			for k := pairs; k >= 0; k-- {
				d := e + 2*k
				if d < n && rs[d] == del {
					return from, d, d + 1, true
				}
			}
		}
		// Second alternative: end of input, or before a final line terminator.
		if e == n || isFinalTerminator(rs, e) {
			return from, e, e, true
		}
	}
	return 0, 0, 0, false
}

func isFinalTerminator(rs []rune, e int) bool {
	n := len(rs)
	switch {
	case e == n-1:
		switch rs[e] {
		case '\n', '\r', '\u0085', '\u2028', '\u2029':
			return true
		}
	case e == n-2:
		return rs[e] == '\r' && rs[e+1] == '\n'
	}
	return false
}

func unescapeRunes(rs []rune, esc rune) string {
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		if rs[i] == esc && i+1 < len(rs) {
			b.WriteRune(rs[i+1])
			i++
			continue
		}
		b.WriteRune(rs[i])
	}
	return b.String()
}

// parsePath is EscapeUtil.parsePath: nil for no path, and "*" parts become
// nil (wildcards).
func parsePath(p string) []*string {
	if p == "" || p == "/" {
		return nil
	}
	parts := splitEscaped(p, pathEscape, '/')
	out := make([]*string, len(parts))
	for i, s := range parts {
		if s != "*" {
			s := s
			out[i] = &s
		}
	}
	return out
}

// combineToPath is EscapeUtil.combineToPath.
func combineToPath(parts []*string) string {
	ss := make([]string, len(parts))
	for i, p := range parts {
		s := "*"
		if p != nil {
			s = *p
		}
		s = strings.ReplaceAll(s, "!", "!!")
		ss[i] = strings.ReplaceAll(s, "/", "!/")
	}
	return strings.Join(ss, "/")
}
