package cql

import (
	"strconv"
	"strings"
	"unicode/utf16"
)

// tokType is a token type of Cassandra's CQL lexer (src/antlr/Lexer.g).
type tokType int

const (
	tEOF tokType = iota
	tIDENT
	tQUOTED      // QUOTED_NAME
	tEMPTYQUOTED // EMPTY_QUOTED_NAME
	tSTRING      // STRING_LITERAL
	tINTEGER
	tFLOAT
	tBOOLEAN
	tDURATION
	tUUID
	tHEX // HEXNUMBER
	tQMARK
	tRANGE
	tWS
	tCOMMENT
	tMLCOMMENT

	tLPAREN
	tRPAREN
	tLBRACKET
	tRBRACKET
	tLBRACE
	tRBRACE
	tCOMMA
	tSEMI
	tDOT
	tCOLON
	tSTAR
	tSLASH
	tPERCENT
	tPLUS
	tMINUS
	tPLUSEQ
	tMINUSEQ
	tEQ
	tLT
	tLTE
	tGT
	tGTE
	tNEQ
	tEXPR // 'expr(' of custom index expressions

	kwFirst // keywords follow; see keywords below
)

// Keyword token types, in the order of the keywords table.
const (
	kSELECT tokType = kwFirst + iota
	kFROM
	kAS
	kWHERE
	kAND
	kKEY
	kKEYS
	kENTRIES
	kFULL
	kINSERT
	kUPDATE
	kWITH
	kLIMIT
	kPER
	kPARTITION
	kUSING
	kUSE
	kDISTINCT
	kCOUNT
	kSET
	kBEGIN
	kUNLOGGED
	kBATCH
	kAPPLY
	kTRUNCATE
	kDELETE
	kIN
	kCREATE
	kKEYSPACE
	kKEYSPACES
	kCOLUMNFAMILY
	kTABLES
	kMATERIALIZED
	kVIEW
	kINDEX
	kCUSTOM
	kON
	kTO
	kDROP
	kPRIMARY
	kINTO
	kVALUES
	kTIMESTAMP
	kTTL
	kCAST
	kALTER
	kRENAME
	kADD
	kTYPE
	kTYPES
	kCOMPACT
	kSTORAGE
	kORDER
	kBY
	kASC
	kDESC
	kALLOW
	kFILTERING
	kIF
	kIS
	kCONTAINS
	kGROUP
	kCLUSTER
	kINTERNALS
	kONLY
	kGRANT
	kALL
	kPERMISSION
	kPERMISSIONS
	kOF
	kREVOKE
	kMODIFY
	kAUTHORIZE
	kDESCRIBE
	kEXECUTE
	kNORECURSIVE
	kMBEAN
	kMBEANS
	kUSER
	kUSERS
	kROLE
	kROLES
	kSUPERUSER
	kNOSUPERUSER
	kPASSWORD
	kHASHED
	kLOGIN
	kNOLOGIN
	kOPTIONS
	kACCESS
	kDATACENTERS
	kCLUSTERING
	kASCII
	kBIGINT
	kBLOB
	kBOOLEAN
	kCOUNTER
	kDECIMAL
	kDOUBLE
	kDURATION
	kFLOAT
	kINET
	kINT
	kSMALLINT
	kTINYINT
	kTEXT
	kUUID
	kVARCHAR
	kVARINT
	kTIMEUUID
	kTOKEN
	kWRITETIME
	kDATE
	kTIME
	kNULL
	kNOT
	kEXISTS
	kMAP
	kLIST
	kPOSNAN
	kNEGNAN
	kPOSINF
	kNEGINF
	kTUPLE
	kTRIGGER
	kSTATIC
	kFROZEN
	kFUNCTION
	kFUNCTIONS
	kAGGREGATE
	kAGGREGATES
	kSFUNC
	kSTYPE
	kFINALFUNC
	kINITCOND
	kRETURNS
	kCALLED
	kINPUT
	kLANGUAGE
	kOR
	kREPLACE
	kJSON
	kDEFAULT
	kUNSET
	kLIKE
	kwEnd
)

// keywordNames are the ANTLR token names (without K_) of the keywords, indexed
// by type-kwFirst; error messages print them as "K_" + name.
var keywordNames = [...]string{
	"SELECT", "FROM", "AS", "WHERE", "AND", "KEY", "KEYS", "ENTRIES", "FULL", "INSERT",
	"UPDATE", "WITH", "LIMIT", "PER", "PARTITION", "USING", "USE", "DISTINCT", "COUNT", "SET",
	"BEGIN", "UNLOGGED", "BATCH", "APPLY", "TRUNCATE", "DELETE", "IN", "CREATE", "KEYSPACE", "KEYSPACES",
	"COLUMNFAMILY", "TABLES", "MATERIALIZED", "VIEW", "INDEX", "CUSTOM", "ON", "TO", "DROP", "PRIMARY",
	"INTO", "VALUES", "TIMESTAMP", "TTL", "CAST", "ALTER", "RENAME", "ADD", "TYPE", "TYPES",
	"COMPACT", "STORAGE", "ORDER", "BY", "ASC", "DESC", "ALLOW", "FILTERING", "IF", "IS",
	"CONTAINS", "GROUP", "CLUSTER", "INTERNALS", "ONLY", "GRANT", "ALL", "PERMISSION", "PERMISSIONS", "OF",
	"REVOKE", "MODIFY", "AUTHORIZE", "DESCRIBE", "EXECUTE", "NORECURSIVE", "MBEAN", "MBEANS", "USER", "USERS",
	"ROLE", "ROLES", "SUPERUSER", "NOSUPERUSER", "PASSWORD", "HASHED", "LOGIN", "NOLOGIN", "OPTIONS", "ACCESS",
	"DATACENTERS", "CLUSTERING", "ASCII", "BIGINT", "BLOB", "BOOLEAN", "COUNTER", "DECIMAL", "DOUBLE", "DURATION",
	"FLOAT", "INET", "INT", "SMALLINT", "TINYINT", "TEXT", "UUID", "VARCHAR", "VARINT", "TIMEUUID",
	"TOKEN", "WRITETIME", "DATE", "TIME", "NULL", "NOT", "EXISTS", "MAP", "LIST", "POSITIVE_NAN",
	"NEGATIVE_NAN", "POSITIVE_INFINITY", "NEGATIVE_INFINITY", "TUPLE", "TRIGGER", "STATIC", "FROZEN", "FUNCTION", "FUNCTIONS", "AGGREGATE",
	"AGGREGATES", "SFUNC", "STYPE", "FINALFUNC", "INITCOND", "RETURNS", "CALLED", "INPUT", "LANGUAGE", "OR",
	"REPLACE", "JSON", "DEFAULT", "UNSET", "LIKE",
}

// keywords maps lower-cased words to keyword tokens. Lexer.g makes TABLE an
// alternative spelling of K_COLUMNFAMILY, TABLES of K_TABLES and SCHEMA of K_KEYSPACE.
var keywords = func() map[string]tokType {
	m := make(map[string]tokType, len(keywordNames)+4)
	for i, n := range keywordNames {
		m[strings.ToLower(n)] = kwFirst + tokType(i)
	}
	delete(m, "positive_nan")
	delete(m, "negative_nan")
	delete(m, "positive_infinity")
	delete(m, "negative_infinity")
	m["nan"] = kPOSNAN
	m["infinity"] = kPOSINF
	m["table"] = kCOLUMNFAMILY
	m["columnfamilies"] = kTABLES
	m["schema"] = kKEYSPACE
	return m
}()

var literalNames = map[tokType]string{
	tEOF: "EOF", tIDENT: "IDENT", tQUOTED: "QUOTED_NAME", tEMPTYQUOTED: "EMPTY_QUOTED_NAME",
	tSTRING: "STRING_LITERAL", tINTEGER: "INTEGER", tFLOAT: "FLOAT", tBOOLEAN: "BOOLEAN",
	tDURATION: "DURATION", tUUID: "UUID", tHEX: "HEXNUMBER", tQMARK: "QMARK", tRANGE: "RANGE",
	tWS: "WS", tCOMMENT: "COMMENT", tMLCOMMENT: "MULTILINE_COMMENT",
	tLPAREN: "'('", tRPAREN: "')'", tLBRACKET: "'['", tRBRACKET: "']'", tLBRACE: "'{'", tRBRACE: "'}'",
	tCOMMA: "','", tSEMI: "';'", tDOT: "'.'", tCOLON: "':'", tSTAR: `'\*'`, tSLASH: "'/'",
	tPERCENT: "'%'", tPLUS: "'+'", tMINUS: "'-'", tPLUSEQ: "'+='", tMINUSEQ: "'-='", tEQ: "'='",
	tLT: "'<'", tLTE: "'<='", tGT: "'>'", tGTE: "'>='", tNEQ: "'!='", tEXPR: "'expr('",
}

// name is the ANTLR token name used in "expecting X" messages.
func (t tokType) name() string {
	if t >= kwFirst && t < kwEnd {
		return "K_" + keywordNames[t-kwFirst]
	}
	if n, ok := literalNames[t]; ok {
		return n
	}
	return "<invalid>"
}

func (t tokType) isKeyword() bool { return t >= kwFirst && t < kwEnd }

// token is one lexed token. Text is what ANTLR keeps as the token text: the
// unescaped content for string literals and quoted names, the source
// otherwise. Line is 1-based and Col counts UTF-16 units, as Java does.
type token struct {
	typ    tokType
	text   string
	line   int
	col    int
	hidden bool
}

// lexError is an error of the lexer. tokIdx is the index of the token the
// lexer was producing, which decides when the parser sees the error.
type lexError struct {
	msg       string
	line, col int
	tokIdx    int
}

type lexer struct {
	src  []rune
	i    int
	line int
	col  int
	toks []token
	errs []lexError
}

// lex splits q into tokens, hidden ones (white space, comments) included,
// ending with an EOF token that, like the one Cassandra's lexer makes, has
// no position (line 0, column -1).
func lex(q string) ([]token, []lexError) {
	lx := &lexer{src: []rune(q), line: 1}
	for lx.i < len(lx.src) {
		lx.next()
	}
	lx.toks = append(lx.toks, token{typ: tEOF, line: 0, col: -1})
	return lx.toks, lx.errs
}

func (lx *lexer) peek(k int) rune {
	if lx.i+k < len(lx.src) {
		return lx.src[lx.i+k]
	}
	return -1
}

// advance moves past n runes keeping line and UTF-16 column.
func (lx *lexer) advance(n int) {
	for ; n > 0 && lx.i < len(lx.src); n-- {
		c := lx.src[lx.i]
		lx.i++
		if c == '\n' {
			lx.line++
			lx.col = 0
		} else {
			w := utf16.RuneLen(c)
			if w < 1 {
				w = 1
			}
			lx.col += w
		}
	}
}

func (lx *lexer) emit(typ tokType, text string, line, col int, hidden bool) {
	lx.toks = append(lx.toks, token{typ: typ, text: text, line: line, col: col, hidden: hidden})
}

func (lx *lexer) errorf(line, col int, msg string) {
	lx.errs = append(lx.errs, lexError{msg: "line " + strconv.Itoa(line) + ":" + strconv.Itoa(col) + " " + msg,
		line: line, col: col, tokIdx: len(lx.toks)})
}

// charDisplay formats a character as ANTLR's Lexer.getCharErrorDisplay does.
func charDisplay(c rune) string {
	switch c {
	case -1:
		return "'<EOF>'"
	case '\n':
		return `'\n'`
	case '\t':
		return `'\t'`
	case '\r':
		return `'\r'`
	}
	return "'" + string(c) + "'"
}

// mismatch reports the current character as not the expected one and, like
// ANTLR's Lexer.recover, skips it.
func (lx *lexer) mismatch(expected string) {
	lx.errorf(lx.line, lx.col, "mismatched character "+charDisplay(lx.peek(0))+" expecting "+expected)
	lx.advance(1)
}

func isDigit(c rune) bool  { return c >= '0' && c <= '9' }
func isLetter(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isHex(c rune) bool    { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func (lx *lexer) next() {
	line, col, start := lx.line, lx.col, lx.i
	c := lx.peek(0)
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		for c := lx.peek(0); c == ' ' || c == '\t' || c == '\n' || c == '\r'; c = lx.peek(0) {
			lx.advance(1)
		}
		lx.emit(tWS, string(lx.src[start:lx.i]), line, col, true)
		return
	case c == '-' && lx.peek(1) == '-' || c == '/' && lx.peek(1) == '/':
		// COMMENT needs its line end: a comment ending the query is an error in Cassandra.
		lx.advance(2)
		for c := lx.peek(0); c != '\n' && c != '\r'; c = lx.peek(0) {
			if c < 0 {
				lx.errorf(lx.line, lx.col, "mismatched character '<EOF>' expecting set null")
				return
			}
			lx.advance(1)
		}
		lx.advance(1)
		lx.emit(tCOMMENT, string(lx.src[start:lx.i]), line, col, true)
		return
	case c == '/' && lx.peek(1) == '*':
		lx.advance(2)
		for !(lx.peek(0) == '*' && lx.peek(1) == '/') {
			if lx.peek(0) < 0 {
				lx.mismatch("'*'")
				return
			}
			lx.advance(1)
		}
		lx.advance(2)
		lx.emit(tMLCOMMENT, string(lx.src[start:lx.i]), line, col, true)
		return
	case c == '\'':
		lx.stringLiteral(line, col)
		return
	case c == '$':
		lx.pgString(line, col)
		return
	case c == '"':
		lx.quotedName(line, col)
		return
	}
	if typ, n := lx.word(); n > 0 {
		lx.advance(n)
		lx.emit(typ, string(lx.src[start:lx.i]), line, col, false)
		return
	}
	typ, n := tEOF, 1
	switch c {
	case '(':
		typ = tLPAREN
	case ')':
		typ = tRPAREN
	case '[':
		typ = tLBRACKET
	case ']':
		typ = tRBRACKET
	case '{':
		typ = tLBRACE
	case '}':
		typ = tRBRACE
	case ',':
		typ = tCOMMA
	case ';':
		typ = tSEMI
	case '.':
		typ = tDOT
		if lx.peek(1) == '.' {
			typ, n = tRANGE, 2
		}
	case ':':
		typ = tCOLON
	case '?':
		typ = tQMARK
	case '*':
		typ = tSTAR
	case '/':
		typ = tSLASH
	case '%':
		typ = tPERCENT
	case '+':
		typ = tPLUS
		if lx.peek(1) == '=' {
			typ, n = tPLUSEQ, 2
		}
	case '-':
		typ = tMINUS
		if lx.peek(1) == '=' {
			typ, n = tMINUSEQ, 2
		}
	case '=':
		typ = tEQ
	case '<':
		typ = tLT
		if lx.peek(1) == '=' {
			typ, n = tLTE, 2
		}
	case '>':
		typ = tGT
		if lx.peek(1) == '=' {
			typ, n = tGTE, 2
		}
	case '!':
		if lx.peek(1) != '=' {
			// The lexer committed to '!=' and fails on the next character.
			lx.advance(1)
			lx.mismatch("'='")
			return
		}
		typ, n = tNEQ, 2
	default:
		lx.errorf(line, col, "no viable alternative at character "+charDisplay(c))
		lx.advance(1)
		return
	}
	lx.advance(n)
	lx.emit(typ, string(lx.src[start:lx.i]), line, col, false)
}

func (lx *lexer) stringLiteral(line, col int) {
	lx.advance(1)
	var b strings.Builder
	for {
		c := lx.peek(0)
		switch {
		case c < 0:
			lx.mismatch("'''")
			return
		case c == '\'' && lx.peek(1) == '\'':
			b.WriteRune('\'')
			lx.advance(2)
		case c == '\'':
			lx.advance(1)
			lx.emit(tSTRING, b.String(), line, col, false)
			return
		default:
			b.WriteRune(c)
			lx.advance(1)
		}
	}
}

// pgString lexes $$…$$. Like Lexer.g, the body stops one character before
// the end of input, so an unterminated literal fails on its last character.
func (lx *lexer) pgString(line, col int) {
	lx.advance(1)
	if lx.peek(0) != '$' {
		lx.mismatch("'$'")
		return
	}
	lx.advance(1)
	var b strings.Builder
	for len(lx.src)-lx.i > 1 && !(lx.peek(0) == '$' && lx.peek(1) == '$') {
		b.WriteRune(lx.peek(0))
		lx.advance(1)
	}
	for k := 0; k < 2; k++ {
		if lx.peek(0) != '$' {
			lx.mismatch("'$'")
			return
		}
		lx.advance(1)
	}
	lx.emit(tSTRING, b.String(), line, col, false)
}

func (lx *lexer) quotedName(line, col int) {
	lx.advance(1)
	if lx.peek(0) == '"' && lx.peek(1) != '"' {
		lx.advance(1)
		lx.emit(tEMPTYQUOTED, `""`, line, col, false)
		return
	}
	var b strings.Builder
	n := 0
	for {
		c := lx.peek(0)
		switch {
		case c < 0:
			if n == 0 {
				lx.errorf(lx.line, lx.col, "required (...)+ loop did not match anything at character '<EOF>'")
				return
			}
			lx.mismatch(`'"'`)
			return
		case c == '"' && lx.peek(1) == '"':
			b.WriteRune('"')
			lx.advance(2)
		case c == '"':
			lx.advance(1)
			lx.emit(tQUOTED, b.String(), line, col, false)
			return
		default:
			b.WriteRune(c)
			lx.advance(1)
		}
		n++
	}
}

// word lexes the tokens that can start with a letter, a digit or '-'
// (identifiers, keywords, numbers, durations, uuids, blobs) by longest
// match; ties go to the rule Lexer.g lists first, as in ANTLR.
func (lx *lexer) word() (tokType, int) {
	c := lx.peek(0)
	if !isLetter(c) && !isDigit(c) && c != '-' {
		return tEOF, 0
	}
	best, bestN := tEOF, 0
	try := func(t tokType, n int) {
		if n > bestN {
			best, bestN = t, n
		}
	}
	neg := 0
	if c == '-' {
		neg = 1
	}
	// Keywords and identifiers.
	if isLetter(c) {
		n := 1
		for isLetter(lx.peek(n)) || isDigit(lx.peek(n)) || lx.peek(n) == '_' {
			n++
		}
		w := strings.ToLower(string(lx.src[lx.i : lx.i+n]))
		if string(lx.src[lx.i:lx.i+n]) == "expr" && lx.peek(n) == '(' {
			try(tEXPR, n+1)
		}
		if kw, ok := keywords[w]; ok {
			try(kw, n)
		} else if w == "true" || w == "false" {
			try(tBOOLEAN, n)
		} else {
			try(tIDENT, n)
		}
	} else if neg == 1 && isLetter(lx.peek(1)) {
		for _, k := range []struct {
			w string
			t tokType
		}{{"nan", kNEGNAN}, {"infinity", kNEGINF}} {
			if lx.matchFold(1, k.w) {
				try(k.t, 1+len(k.w))
			}
		}
	}
	// Numbers.
	if isDigit(lx.peek(neg)) {
		n := neg
		for isDigit(lx.peek(n)) {
			n++
		}
		typ := tINTEGER
		switch {
		case lx.peek(n) == '.' && lx.peek(n+1) == '.' && lx.peek(n+2) == '.':
			typ, n = tFLOAT, n+1 // "1..." is FLOAT "1." then RANGE
		case lx.peek(n) == '.' && lx.peek(n+1) == '.':
			// INTEGER followed by RANGE
		default:
			if lx.peek(n) == '.' {
				typ, n = tFLOAT, n+1
				for isDigit(lx.peek(n)) {
					n++
				}
			}
			if e := lx.peek(n); e == 'e' || e == 'E' {
				m := n + 1
				if s := lx.peek(m); s == '+' || s == '-' {
					m++
				}
				if isDigit(lx.peek(m)) {
					for isDigit(lx.peek(m)) {
						m++
					}
					typ, n = tFLOAT, m
				}
			}
		}
		if typ == tINTEGER {
			try(tINTEGER, n)
		} else {
			try(tFLOAT, n)
		}
		if d := lx.durationUnits(neg); d > 0 {
			try(tDURATION, d)
		}
	}
	if lx.peek(neg) == 'P' {
		if d := lx.isoDuration(neg + 1); d > 0 {
			// DURATION precedes IDENT in Lexer.g, so it wins a tie ("P1D").
			if d >= bestN {
				best, bestN = tDURATION, d
			}
		}
	}
	if c == '0' && (lx.peek(1) == 'x' || lx.peek(1) == 'X') {
		n := 2
		for isHex(lx.peek(n)) {
			n++
		}
		try(tHEX, n)
	}
	if neg == 0 && lx.isUUID() {
		try(tUUID, 36)
	}
	return best, bestN
}

func (lx *lexer) matchFold(off int, w string) bool {
	for k, r := range w {
		c := lx.peek(off + k)
		if c < 0 || (c|0x20) != r {
			return false
		}
	}
	return true
}

func (lx *lexer) isUUID() bool {
	for k := 0; k < 36; k++ {
		c := lx.peek(k)
		if k == 8 || k == 13 || k == 18 || k == 23 {
			if c != '-' {
				return false
			}
		} else if !isHex(c) {
			return false
		}
	}
	return true
}

// durationUnits matches '-'? (DIGIT+ DURATION_UNIT)+ starting at off and
// returns the length of the longest match, 0 if none.
func (lx *lexer) durationUnits(off int) int {
	n, best := off, 0
	for isDigit(lx.peek(n)) {
		m := n
		for isDigit(lx.peek(m)) {
			m++
		}
		u := lx.unitLen(m)
		if u == 0 {
			break
		}
		n = m + u
		best = n
	}
	return best
}

func (lx *lexer) unitLen(at int) int {
	c, d := lx.peek(at)|0x20, lx.peek(at+1)|0x20
	if lx.peek(at) < 0 {
		return 0
	}
	switch {
	case c == 'm' && (d == 'o' || d == 's'), c == 'u' && d == 's', c == 'n' && d == 's':
		return 2
	case lx.peek(at) == 'µ' && d == 's':
		return 2
	case c == 'y' || c == 'w' || c == 'd' || c == 'h' || c == 'm' || c == 's':
		return 1
	}
	return 0
}

// isoDuration matches the ISO 8601 forms of Lexer.g's DURATION after the
// 'P' at at-1 and returns the total length (from the token start), 0 if none.
func (lx *lexer) isoDuration(at int) int {
	digits := func(i int) int {
		j := i
		for isDigit(lx.peek(j)) {
			j++
		}
		return j - i
	}
	best := 0
	// Alternative format PYYYY-MM-DDThh:mm:ss.
	pat := "dddd-dd-ddTdd:dd:dd"
	ok := true
	for k, p := range pat {
		c := lx.peek(at + k)
		if p == 'd' && !isDigit(c) || p != 'd' && c != p {
			ok = false
			break
		}
	}
	if ok {
		best = at + len(pat)
	}
	// Designators: each item is DIGIT+ followed by one letter of the
	// allowed sequence; the time part starts with 'T'.
	designators := func(i int, letters string) int {
		end := 0
		for len(letters) > 0 {
			d := digits(i)
			if d == 0 {
				break
			}
			k := strings.IndexRune(letters, lx.peek(i+d))
			if k < 0 {
				break
			}
			i += d + 1
			end = i
			letters = letters[k+1:]
		}
		return end
	}
	timePart := func(i int) int {
		if lx.peek(i) != 'T' {
			return 0
		}
		return designators(i+1, "HMS")
	}
	if e := timePart(at); e > best {
		best = e
	}
	if d := digits(at); d > 0 && lx.peek(at+d) == 'W' {
		if e := at + d + 1; e > best {
			best = e
		}
	}
	if e := designators(at, "YMD"); e > 0 {
		if t := timePart(e); t > 0 {
			e = t
		}
		if e > best {
			best = e
		}
	}
	return best
}
