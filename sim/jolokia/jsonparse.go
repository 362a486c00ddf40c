package jolokia

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// parseJSON parses text the way json-simple 1.1.1's JSONParser (shaded into
// the Jolokia agent) does, which is more lenient than RFC 8259: commas are
// optional everywhere, a key's colon may be missing or repeated, numbers may
// have leading zeros and raw control characters are allowed inside strings.
// Objects become *Map (JSONObject), arrays jlist, integers int64 (Long),
// other numbers float64 (Double).
//
// Errors are Java exceptions as the agent sees them: a ParseException, a
// NumberFormatException for integers that overflow a long (Long.valueOf is
// called by the lexer), or java.lang.Error for an escape sequence the
// generated lexer cannot match.
func parseJSON(text string) (any, *jexc) {
	p := &jsonParser{lx: jsonLexer{src: text}}
	return p.parse()
}

type tokType int

const (
	tokValue tokType = iota
	tokLBrace
	tokRBrace
	tokLSquare
	tokRSquare
	tokComma
	tokColon
	tokEOF
)

type token struct {
	typ tokType
	val any
	pos int // UTF-16 offset of the token, as the lexer's yychar
}

// String is Yytoken.toString, quoted in ParseException messages.
func (t token) String() string {
	switch t.typ {
	case tokValue:
		return "VALUE(" + javaToString(t.val) + ")"
	case tokLBrace:
		return "LEFT BRACE({)"
	case tokRBrace:
		return "RIGHT BRACE(})"
	case tokLSquare:
		return "LEFT SQUARE([)"
	case tokRSquare:
		return "RIGHT SQUARE(])"
	case tokComma:
		return "COMMA(,)"
	case tokColon:
		return "COLON(:)"
	}
	return "END OF FILE"
}

type jsonLexer struct {
	src string
	off int // byte offset
	pos int // UTF-16 offset
}

func (l *jsonLexer) peek() (rune, int) {
	if l.off >= len(l.src) {
		return -1, 0
	}
	return utf8.DecodeRuneInString(l.src[l.off:])
}

// advance moves past r; an undecodable byte counts as the one U+FFFD the
// JVM's decoder turns it into.
func (l *jsonLexer) advance(r rune, n int) {
	l.off += n
	l.pos += utf16.RuneLen(r)
}

func parseException(pos int, unexpected string) *jexc {
	return newExc(parseExcClass, "Unexpected token "+unexpected+" at position "+strconv.Itoa(pos)+".")
}

func (l *jsonLexer) next() (token, *jexc) {
	for {
		r, n := l.peek()
		if r < 0 {
			return token{typ: tokEOF, pos: l.pos}, nil
		}
		start := l.pos
		switch r {
		case ' ', '\t', '\r', '\n':
			l.advance(r, n)
			continue
		case '{':
			l.advance(r, n)
			return token{typ: tokLBrace, pos: start}, nil
		case '}':
			l.advance(r, n)
			return token{typ: tokRBrace, pos: start}, nil
		case '[':
			l.advance(r, n)
			return token{typ: tokLSquare, pos: start}, nil
		case ']':
			l.advance(r, n)
			return token{typ: tokRSquare, pos: start}, nil
		case ',':
			l.advance(r, n)
			return token{typ: tokComma, pos: start}, nil
		case ':':
			l.advance(r, n)
			return token{typ: tokColon, pos: start}, nil
		case '"':
			l.advance(r, n)
			s, err := l.str()
			if err != nil {
				return token{}, err
			}
			if s == nil {
				// End of input inside a string: the lexer reports EOF.
				return token{typ: tokEOF, pos: l.pos}, nil
			}
			return token{typ: tokValue, val: *s, pos: start}, nil
		}
		for _, kw := range []struct {
			word string
			val  any
		}{{"true", true}, {"false", false}, {"null", nil}} {
			if len(l.src)-l.off >= len(kw.word) && l.src[l.off:l.off+len(kw.word)] == kw.word {
				l.off += len(kw.word)
				l.pos += len(kw.word)
				return token{typ: tokValue, val: kw.val, pos: start}, nil
			}
		}
		if r == '-' || (r >= '0' && r <= '9') {
			if v, ok, err := l.number(); ok || err != nil {
				if err != nil {
					return token{}, err
				}
				return token{typ: tokValue, val: v, pos: start}, nil
			}
		}
		return token{}, newExc(parseExcClass, "Unexpected character ("+string(r)+") at position "+strconv.Itoa(start)+".")
	}
}

// number matches INT = -?[0-9]+ and DOUBLE = INT(\.[0-9]+)?([eE][-+]?[0-9]+)?
// with the longest match; INT wins a tie and goes through Long.valueOf.
func (l *jsonLexer) number() (any, bool, *jexc) {
	s := l.src[l.off:]
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	d := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == d {
		return nil, false, nil
	}
	intEnd := i
	if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
		i += 2
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	text := s[:i]
	l.off += i
	l.pos += i
	if i == intEnd {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, false, numberFormat(text, 10)
		}
		return n, true, nil
	}
	f, _ := strconv.ParseFloat(text, 64) // overflow gives ±Inf, like Double.valueOf
	return f, true, nil
}

// str reads a string body after the opening quote; nil means end of input.
func (l *jsonLexer) str() (*string, *jexc) {
	var units []uint16
	for {
		r, n := l.peek()
		if r < 0 {
			return nil, nil
		}
		if r == '"' {
			l.advance(r, n)
			s := decodeUnits(units)
			return &s, nil
		}
		if r != '\\' {
			l.advance(r, n)
			units = utf16.AppendRune(units, r)
			continue
		}
		rest := l.src[l.off+1:]
		if len(rest) == 0 {
			return nil, scanError()
		}
		var c uint16
		switch rest[0] {
		case '"':
			c = '"'
		case '\\':
			c = '\\'
		case '/':
			c = '/'
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'u':
			if len(rest) < 5 || !isHex4(rest[1:5]) {
				return nil, scanError()
			}
			v, _ := strconv.ParseUint(rest[1:5], 16, 16)
			units = append(units, uint16(v))
			l.off += 6
			l.pos += 6
			continue
		default:
			return nil, scanError()
		}
		units = append(units, c)
		l.off += 2
		l.pos += 2
	}
}

// scanError is what the JFlex-generated lexer throws when no rule matches
// (an unknown escape sequence): a java.lang.Error, not a ParseException.
func scanError() *jexc { return newExc("java.lang.Error", "Error: could not match input") }

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// decodeUnits turns UTF-16 units into a Go string. An unpaired surrogate
// becomes '?', which is what the JVM's UTF-8 encoder writes for it.
func decodeUnits(us []uint16) string {
	rs := make([]rune, 0, len(us))
	for i := 0; i < len(us); i++ {
		u := us[i]
		switch {
		case u >= 0xD800 && u < 0xDC00 && i+1 < len(us) && us[i+1] >= 0xDC00 && us[i+1] < 0xE000:
			rs = append(rs, utf16.DecodeRune(rune(u), rune(us[i+1])))
			i++
		case u >= 0xD800 && u < 0xE000:
			rs = append(rs, '?')
		default:
			rs = append(rs, rune(u))
		}
	}
	return string(rs)
}

type jsonParser struct {
	lx  jsonLexer
	tok token
}

const (
	sInit = iota
	sInFinishedValue
	sInObject
	sInArray
	sPassedPairKey
	sInError
)

// parse is JSONParser.parse's state machine, including its tolerance of
// missing or extra commas and colons.
func (p *jsonParser) parse() (any, *jexc) {
	var statusStack []int
	var valueStack []any
	status := sInit
	push := func(s int, v any) {
		statusStack = append(statusStack, s)
		valueStack = append(valueStack, v)
	}
	peekStatus := func() int {
		if len(statusStack) == 0 {
			return sInError
		}
		return statusStack[len(statusStack)-1]
	}
	fail := func() *jexc { return parseException(p.tok.pos, p.tok.String()) }
	for {
		t, err := p.lx.next()
		if err != nil {
			return nil, err
		}
		p.tok = t
		switch status {
		case sInit:
			switch t.typ {
			case tokValue:
				status = sInFinishedValue
				push(status, t.val)
			case tokLBrace:
				status = sInObject
				push(status, newJSONMap())
			case tokLSquare:
				status = sInArray
				push(status, &jlist{})
			default:
				status = sInError
			}
		case sInFinishedValue:
			if t.typ == tokEOF {
				return finishJSON(valueStack[len(valueStack)-1]), nil
			}
			return nil, fail()
		case sInObject:
			switch t.typ {
			case tokComma:
			case tokValue:
				if k, ok := t.val.(string); ok {
					status = sPassedPairKey
					statusStack = append(statusStack, status)
					valueStack = append(valueStack, k)
				} else {
					status = sInError
				}
			case tokRBrace:
				if len(valueStack) > 1 {
					statusStack = statusStack[:len(statusStack)-1]
					valueStack = valueStack[:len(valueStack)-1]
					status = peekStatus()
				} else {
					status = sInFinishedValue
				}
			default:
				status = sInError
			}
		case sPassedPairKey:
			switch t.typ {
			case tokColon:
			case tokValue, tokLSquare, tokLBrace:
				statusStack = statusStack[:len(statusStack)-1]
				key := valueStack[len(valueStack)-1].(string)
				valueStack = valueStack[:len(valueStack)-1]
				parent := valueStack[len(valueStack)-1].(*Map)
				switch t.typ {
				case tokValue:
					parent.Put(key, t.val)
					status = peekStatus()
				case tokLSquare:
					l := &jlist{}
					parent.Put(key, l)
					status = sInArray
					push(status, l)
				case tokLBrace:
					m := newJSONMap()
					parent.Put(key, m)
					status = sInObject
					push(status, m)
				}
			default:
				status = sInError
			}
		case sInArray:
			switch t.typ {
			case tokComma:
			case tokValue:
				l := valueStack[len(valueStack)-1].(*jlist)
				*l = append(*l, t.val)
			case tokRSquare:
				if len(valueStack) > 1 {
					statusStack = statusStack[:len(statusStack)-1]
					valueStack = valueStack[:len(valueStack)-1]
					status = peekStatus()
				} else {
					status = sInFinishedValue
				}
			case tokLBrace, tokLSquare:
				l := valueStack[len(valueStack)-1].(*jlist)
				var child any
				if t.typ == tokLBrace {
					child = newJSONMap()
					status = sInObject
				} else {
					child = &jlist{}
					status = sInArray
				}
				*l = append(*l, child)
				push(status, child)
			default:
				status = sInError
			}
		case sInError:
			return nil, fail()
		}
		if status == sInError {
			return nil, fail()
		}
		if t.typ == tokEOF {
			return nil, fail()
		}
	}
}

// finishJSON replaces the *jlist placeholders used while parsing (so that
// nested arrays can grow in place) by jlist values.
func finishJSON(v any) any {
	switch x := v.(type) {
	case *jlist:
		out := make(jlist, len(*x))
		for i, e := range *x {
			out[i] = finishJSON(e)
		}
		return out
	case *Map:
		for _, e := range x.entries {
			e.val = finishJSON(e.val)
		}
		return x
	}
	return v
}
