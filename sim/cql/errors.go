package cql

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// InvalidError is an error Cassandra reports as an InvalidRequest (0x2200):
// returned by Term.Eval, and by Parse for the few checks Cassandra makes
// while parsing that throw InvalidRequestException rather than a syntax error.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

func invalidf(format string, args ...any) *InvalidError {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

// InternalError reports a bug of the parser (a panic it recovered from);
// the fuzz test makes sure it never happens.
type InternalError struct{ Msg string }

func (e *InternalError) Error() string { return "internal parser error: " + e.Msg }

// tokenDisplay formats a token as ANTLR's BaseRecognizer.getTokenErrorDisplay.
func tokenDisplay(t token) string {
	s := t.text
	if t.typ == tEOF {
		s = "<EOF>"
	}
	s = strings.ReplaceAll(s, "\n", `\n`)
	s = strings.ReplaceAll(s, "\r", `\r`)
	s = strings.ReplaceAll(s, "\t", `\t`)
	return "'" + s + "'"
}

// javaSplitLines is query.split("\n") in Java: trailing empty strings are
// dropped, and a query without any line yields no lines at all.
func javaSplitLines(q string) [][]uint16 {
	parts := strings.Split(q, "\n")
	if len(parts) == 1 {
		return [][]uint16{utf16.Encode([]rune(q))}
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	lines := make([][]uint16, len(parts))
	for i, p := range parts {
		lines[i] = utf16.Encode([]rune(p))
	}
	return lines
}

func textLen16(s string) int {
	n := 0
	for _, r := range s {
		if utf16.RuneLen(r) == 2 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func clamp(i, lo, hi int) int {
	if i < lo {
		return lo
	}
	if i > hi {
		return hi
	}
	return i
}

// snippet builds the " (...)" context Cassandra's ErrorCollector appends to
// parser errors: tokens index-10 … index+2 of those the parser had fetched,
// hidden ones included, with the token at index in brackets.
func (p *parser) snippet(index int) string {
	size := p.fetched + 1
	from := p.toks[max(0, index-10)]
	to := p.toks[min(size-1, index+2)]
	off := p.toks[min(index, size-1)]
	for _, t := range []token{from, to, off} {
		if t.line <= 0 || t.col < 0 {
			return ""
		}
	}
	lines := javaSplitLines(p.q)
	if to.line > len(lines) || off.line > len(lines) || from.line > len(lines) {
		return ""
	}
	last := func(t token) int { return t.col + textLen16(t.text) }
	includeStart := from.line == 1 && from.col == 0
	includeEnd := to.line == len(lines) && last(to) == len(lines[len(lines)-1])
	var b strings.Builder
	b.WriteString(" (")
	if !includeStart {
		b.WriteString("...")
	}
	// Java would throw on out-of-range positions (tokens spanning lines);
	// clamping keeps the message useful instead.
	ti := to.line - 1
	if e := last(to); e < len(lines[ti]) {
		lines[ti] = lines[ti][:e]
	}
	oi := off.line - 1
	ol := lines[oi]
	e := clamp(last(off), 0, len(ol))
	s := clamp(off.col, 0, e)
	hl := make([]uint16, 0, len(ol)+2)
	hl = append(hl, ol[:s]...)
	hl = append(hl, '[')
	hl = append(hl, ol[s:e]...)
	hl = append(hl, ']')
	hl = append(hl, ol[e:]...)
	lines[oi] = hl
	fi := from.line - 1
	lines[fi] = lines[fi][clamp(from.col, 0, len(lines[fi])):]
	for i := fi; i <= ti; i++ {
		b.WriteString(string(utf16.Decode(lines[i])))
	}
	if !includeEnd {
		b.WriteString("...")
	}
	b.WriteString(")")
	return b.String()
}

func header(t token) string {
	return "line " + strconv.Itoa(t.line) + ":" + strconv.Itoa(t.col) + " "
}
