package cql

import (
	"fmt"
	"strings"
)

// The parser is a recursive-descent transcription of Cassandra 4.1's
// Parser.g. To report syntax errors the way the ANTLR-generated parser does,
// it keeps ANTLR's view of the token stream: hidden tokens (white space,
// comments) are in the stream, tokens are fetched lazily, and an error is
// either a failed match ("mismatched input") or a decision no alternative
// fits ("no viable alternative"), reported at the token where the lookahead
// failed. Cassandra reports only the first error, so parsing stops there.

type parser struct {
	q       string
	toks    []token
	lexErrs []lexError
	lexNext int // next lexer error to hand over when its token is fetched
	p       int // index of LT(1)
	fetched int // highest token index fetched, ANTLR's tokens.size()-1
	spec    int // > 0 while speculating (ANTLR syntactic predicates)
	nbind   int
	errs    []*SyntaxError
	// prepareErr is an error Cassandra raises when preparing the statement,
	// right after a successful parse.
	prepareErr *InvalidError
	depth      int
	// hints memoizes the type hint predicate of selectors by token index:
	// nested hints would otherwise take exponential time.
	hints map[int]bool
}

// maxDepth bounds the nesting of terms, selectors, relations and types,
// where Cassandra would overflow its stack.
const maxDepth = 500

// abort stops the parse after its first syntax error; specFail ends a failed
// speculation.
type (
	abort    struct{}
	specFail struct{}
)

// Parse parses one CQL statement (a trailing semicolon is allowed). Errors
// are *SyntaxError, formatted as Cassandra 4.1 reports them, or, for the few
// checks Cassandra makes while parsing, *InvalidError.
func Parse(query string) (st Statement, err error) {
	toks, lexErrs := lex(query)
	p := &parser{q: query, toks: toks, lexErrs: lexErrs, fetched: -1}
	defer func() {
		if r := recover(); r != nil {
			st = nil
			switch e := r.(type) {
			case abort:
				err = p.errs[0]
			case *InvalidError:
				err = e
			default:
				err = &InternalError{Msg: fmt.Sprint(r)}
			}
		}
	}()
	p.p = p.skipHidden(0)
	st = p.cqlStatement()
	for p.la(1) == tSEMI {
		p.consume()
	}
	p.match(tEOF)
	if len(p.errs) > 0 {
		return nil, p.errs[0]
	}
	if p.prepareErr != nil {
		return nil, p.prepareErr
	}
	return st, nil
}

func (p *parser) fetch(i int) {
	if i <= p.fetched {
		return
	}
	p.fetched = i
	for p.lexNext < len(p.lexErrs) && p.lexErrs[p.lexNext].tokIdx <= i {
		e := p.lexErrs[p.lexNext]
		p.errs = append(p.errs, &SyntaxError{Msg: e.msg, Line: e.line, Col: e.col})
		p.lexNext++
	}
}

func (p *parser) skipHidden(i int) int {
	if i >= len(p.toks) {
		i = len(p.toks) - 1
	}
	p.fetch(i)
	for p.toks[i].hidden {
		i++
		p.fetch(i)
	}
	return i
}

// lt returns the index of the k-th on-channel token from the current one.
func (p *parser) lt(k int) int {
	i := p.p
	p.fetch(i)
	for n := 1; n < k; n++ {
		i = p.skipHidden(i + 1)
	}
	return i
}

func (p *parser) la(k int) tokType { return p.toks[p.lt(k)].typ }
func (p *parser) tok(k int) token  { return p.toks[p.lt(k)] }

func (p *parser) consume() token {
	t := p.toks[p.p]
	if t.typ != tEOF {
		p.p = p.skipHidden(p.p + 1)
	}
	return t
}

func (p *parser) match(t tokType) token {
	if p.la(1) != t {
		p.mismatch(t)
	}
	return p.consume()
}

// accept consumes the current token if it has type t.
func (p *parser) accept(t tokType) bool {
	if p.la(1) == t {
		p.consume()
		return true
	}
	return false
}

func (p *parser) fail(t token, msg string) {
	if p.spec > 0 {
		panic(specFail{})
	}
	p.errs = append(p.errs, &SyntaxError{Line: t.line, Col: t.col, Msg: header(t) + msg + p.snippet(p.p)})
	panic(abort{})
}

func (p *parser) mismatch(expected tokType) {
	t := p.tok(1)
	p.fail(t, "mismatched input "+tokenDisplay(t)+" expecting "+expected.name())
}

// noViable reports that no alternative matches the k-th lookahead token.
func (p *parser) noViable(k int) {
	t := p.tok(k)
	p.fail(t, "no viable alternative at input "+tokenDisplay(t))
}

// recognitionError records an error Parser.g raises from an action
// (addRecognitionError): the parse goes on, and the message has no position.
func (p *parser) recognitionError(format string, args ...any) {
	if p.spec > 0 {
		return
	}
	p.errs = append(p.errs, &SyntaxError{Msg: fmt.Sprintf(format, args...)})
}

// enter and leave bracket the recursive rules.
func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.spec = 0 // not a failed alternative: the query is refused
		t := p.tok(1)
		p.fail(t, "query nesting too deep at input "+tokenDisplay(t))
	}
}

func (p *parser) leave() { p.depth-- }

// speculate runs f as an ANTLR syntactic predicate: it reports whether f
// parses, and always rewinds.
func (p *parser) speculate(f func()) (ok bool) {
	pos, nbind, depth := p.p, p.nbind, p.depth
	p.spec++
	defer func() {
		p.spec--
		p.p, p.nbind, p.depth = pos, nbind, depth
		if r := recover(); r != nil {
			if _, isFail := r.(specFail); !isFail {
				panic(r)
			}
			ok = false
		}
	}()
	f()
	return true
}

// Token classes of Parser.g.

func tokSet(ts ...tokType) map[tokType]bool {
	m := make(map[tokType]bool, len(ts))
	for _, t := range ts {
		m[t] = true
	}
	return m
}

var basicUnreserved = tokSet(kKEYS, kAS, kCLUSTER, kCLUSTERING, kCOMPACT, kSTORAGE, kTABLES, kTYPE, kTYPES,
	kVALUES, kMAP, kLIST, kFILTERING, kPERMISSION, kPERMISSIONS, kKEYSPACES, kALL, kUSER, kUSERS, kROLE,
	kROLES, kSUPERUSER, kNOSUPERUSER, kLOGIN, kNOLOGIN, kOPTIONS, kPASSWORD, kHASHED, kEXISTS, kCUSTOM,
	kTRIGGER, kCONTAINS, kINTERNALS, kONLY, kSTATIC, kFROZEN, kTUPLE, kFUNCTION, kFUNCTIONS, kAGGREGATE,
	kAGGREGATES, kSFUNC, kSTYPE, kFINALFUNC, kINITCOND, kRETURNS, kLANGUAGE, kCALLED, kINPUT, kLIKE, kPER,
	kPARTITION, kGROUP, kDATACENTERS, kACCESS, kDEFAULT, kMBEAN, kMBEANS, kREPLACE, kUNSET)

var nativeTypes = map[tokType]string{
	kASCII: "ascii", kBIGINT: "bigint", kBLOB: "blob", kBOOLEAN: "boolean", kCOUNTER: "counter",
	kDECIMAL: "decimal", kDOUBLE: "double", kDURATION: "duration", kFLOAT: "float", kINET: "inet",
	kINT: "int", kSMALLINT: "smallint", kTEXT: "text", kTIMESTAMP: "timestamp", kTINYINT: "tinyint",
	kUUID: "uuid", kVARCHAR: "varchar", kVARINT: "varint", kTIMEUUID: "timeuuid", kDATE: "date", kTIME: "time",
}

func isUnreservedFunctionKw(t tokType) bool { return basicUnreserved[t] || nativeTypes[t] != "" }

func isUnreservedKw(t tokType) bool {
	switch t {
	case kTTL, kCOUNT, kWRITETIME, kKEY, kCAST, kJSON, kDISTINCT:
		return true
	}
	return isUnreservedFunctionKw(t)
}

// isIdent: first set of ident, noncol_ident, fident, sident.
func isIdent(t tokType) bool { return t == tIDENT || t == tQUOTED || isUnreservedKw(t) }

// isCident: first set of cident (which also takes "").
func isCident(t tokType) bool { return isIdent(t) || t == tEMPTYQUOTED }

// isKsName: first set of ksName / cfName / idxName / roleName sans strings.
func isKsName(t tokType) bool { return isIdent(t) || t == tQMARK }

func isAllowedFunctionName(t tokType) bool {
	return t == tIDENT || t == tQUOTED || isUnreservedFunctionKw(t) || t == kTOKEN || t == kCOUNT
}

func isConstant(t tokType) bool {
	switch t {
	case tSTRING, tINTEGER, tFLOAT, tBOOLEAN, tDURATION, tUUID, tHEX, kPOSNAN, kNEGNAN, kPOSINF, kNEGINF:
		return true
	}
	return false
}

// keywordText is what Parser.g keeps of a keyword used as a name: its text,
// lower-cased by ColumnIdentifier for unquoted names.
func nameOf(t token) string {
	if t.typ == tQUOTED {
		return t.text
	}
	return strings.ToLower(t.text)
}

// ident parses ident / noncol_ident / fident / sident.
func (p *parser) ident() string {
	if !isIdent(p.la(1)) {
		p.noViable(1)
	}
	return nameOf(p.consume())
}

func (p *parser) cident() string {
	if p.la(1) == tEMPTYQUOTED {
		p.consume()
		return ""
	}
	return p.ident()
}

// ksName parses ksName / cfName / idxName.
func (p *parser) ksName(what string) string {
	switch t := p.la(1); {
	case t == tQMARK:
		p.consume()
		p.recognitionError("Bind variables cannot be used for %s names", what)
		return ""
	case isIdent(t):
		return nameOf(p.consume())
	}
	p.noViable(1)
	return ""
}

// followQualified is what may follow a columnFamilyName (or indexName)
// anywhere in Parser.g: the optional "ks." prefix is a two-token decision
// and ANTLR reports anything else at the second token.
var followQualified = tokSet(tEOF, tSEMI, kWHERE, kGROUP, kORDER, kPER, kLIMIT, kALLOW, tLPAREN, kJSON,
	kUSING, kSET, kAS, kPRIMARY, kALTER, kADD, kDROP, kRENAME, kWITH, kTO, kFROM, kOF, kNORECURSIVE)

// qualifiedName parses columnFamilyName / indexName: (ksName '.')? name.
func (p *parser) qualifiedName(what string) (ks, name string) {
	if isKsName(p.la(1)) {
		switch t2 := p.la(2); {
		case t2 == tDOT:
			ks = p.ksName("keyspace")
			p.consume()
		case !followQualified[t2]:
			p.noViable(2)
		}
	}
	return ks, p.ksName(what)
}

func (p *parser) columnFamilyName() (ks, name string) { return p.qualifiedName("table") }

func (p *parser) keyspaceName() string { return p.ksName("keyspace") }

func (p *parser) newBind(name string) Term {
	t := Term{Kind: TermBind, Bind: p.nbind, BindName: name}
	p.nbind++
	return t
}

// marker parses ':' noncol_ident | QMARK.
func (p *parser) marker() Term {
	if p.accept(tQMARK) {
		return p.newBind("")
	}
	p.match(tCOLON)
	return p.newBind(p.ident())
}

func isMarker(t tokType) bool { return t == tQMARK || t == tCOLON }

// intValue parses INTEGER | marker.
func (p *parser) intValue() *Term {
	switch t := p.la(1); {
	case t == tINTEGER:
		return &Term{Kind: TermInteger, Text: p.consume().text}
	case isMarker(t):
		m := p.marker()
		return &m
	}
	p.noViable(1)
	return nil
}

func (p *parser) ifNotExists() bool {
	if p.la(1) == kIF {
		p.consume()
		p.match(kNOT)
		p.match(kEXISTS)
		return true
	}
	return false
}

func (p *parser) ifExists() bool {
	if p.la(1) == kIF {
		p.consume()
		p.match(kEXISTS)
		return true
	}
	return false
}

// cqlStatement dispatches on the first tokens like Parser.g's cqlStatement.
func (p *parser) cqlStatement() Statement {
	switch p.la(1) {
	case kSELECT:
		return p.selectStatement()
	case kINSERT:
		return p.insertStatement()
	case kUPDATE:
		return p.updateStatement()
	case kBEGIN:
		return p.batchStatement()
	case kDELETE:
		return p.deleteStatement()
	case kUSE:
		p.consume()
		return &Use{Keyspace: p.keyspaceName()}
	case kTRUNCATE:
		p.consume()
		p.accept(kCOLUMNFAMILY)
		ks, t := p.columnFamilyName()
		return &Truncate{Keyspace: ks, Table: t}
	case kCREATE:
		return p.createStatement()
	case kDROP:
		return p.dropStatement()
	case kALTER:
		return p.alterStatement()
	case kGRANT, kREVOKE:
		return p.grantRevokeStatement()
	case kLIST:
		return p.listStatement()
	case kDESCRIBE, kDESC:
		return p.describeStatement()
	}
	p.noViable(1)
	return nil
}
