package cql

import (
	"strings"

	"github.com/ringside/ringside/sim/cqltype"
)

// Terms (Parser.g: term, termAddition, termMultiplication, termGroup,
// simpleTerm, value, constant, collection literals, function) and types
// (comparatorType).

func binOp(fn string, l, r Term) Term { return Term{Kind: TermFunc, Func: fn, Args: []Term{l, r}} }

func (p *parser) term() Term {
	p.enter()
	defer p.leave()
	t := p.termMultiplication()
	for {
		var fn string
		switch p.la(1) {
		case tPLUS:
			fn = "_add"
		case tMINUS:
			fn = "_substract"
		default:
			return t
		}
		// "c = [1] + c" ends the term before '+ c' (a prepend in UPDATE):
		// only continue when a term follows.
		if !p.termAhead(2) {
			return t
		}
		p.consume()
		t = binOp(fn, t, p.termMultiplication())
	}
}

// termAhead reports whether the k-th token starts a term, looking past a
// name for the '(' (or '.' name '(') that makes it a function call.
func (p *parser) termAhead(k int) bool {
	t := p.la(k)
	switch {
	case isConstant(t), t == kNULL, t == tLBRACKET, t == tLBRACE, t == tLPAREN, isMarker(t), t == tMINUS:
		return true
	case t == kCAST && p.la(k+1) == tLPAREN:
		return true
	case isKsName(t) || isAllowedFunctionName(t):
		switch p.la(k + 1) {
		case tLPAREN:
			return isAllowedFunctionName(t)
		case tDOT:
			return isKsName(t) && isAllowedFunctionName(p.la(k+2)) && p.la(k+3) == tLPAREN
		}
	}
	return false
}

// simpleTermAhead reports whether the current token can start a simpleTerm.
func (p *parser) simpleTermAhead() bool {
	return p.la(1) != tMINUS && p.termAhead(1)
}

func (p *parser) termMultiplication() Term {
	t := p.termGroup()
	for {
		var fn string
		switch p.la(1) {
		case tSTAR:
			fn = "_multiply"
		case tSLASH:
			fn = "_divide"
		case tPERCENT:
			fn = "_modulo"
		default:
			return t
		}
		p.consume()
		t = binOp(fn, t, p.termGroup())
	}
}

func (p *parser) termGroup() Term {
	p.enter()
	defer p.leave()
	if p.accept(tMINUS) {
		return Term{Kind: TermFunc, Func: "_negate", Args: []Term{p.simpleTerm()}}
	}
	return p.simpleTerm()
}

func (p *parser) simpleTerm() Term {
	switch t := p.la(1); {
	case t == tLPAREN:
		var typ cqltype.Type
		if p.speculate(func() {
			p.consume()
			p.comparatorType()
			p.match(tRPAREN)
			if !p.simpleTermAhead() {
				p.noViable(1)
			}
		}) {
			p.consume()
			typ = p.comparatorType()
			p.match(tRPAREN)
			inner := p.simpleTerm()
			return Term{Kind: TermCast, Type: typ, Elems: []Term{inner}}
		}
		return p.value()
	case isConstant(t), t == kNULL, t == tLBRACKET, t == tLBRACE, isMarker(t):
		return p.value()
	case t == kCAST:
		switch p.la(2) {
		case tLPAREN:
			p.consume()
			p.consume()
			inner := p.simpleTerm()
			p.match(kAS)
			typ := p.nativeType()
			p.match(tRPAREN)
			return Term{Kind: TermFunc, Func: "cast", Args: []Term{inner}, Type: typ}
		case tDOT:
			return p.function()
		}
		p.noViable(2)
	case isKsName(t) || isAllowedFunctionName(t):
		return p.function()
	}
	p.noViable(1)
	return Term{}
}

func (p *parser) value() Term {
	switch t := p.la(1); {
	case isConstant(t):
		return p.constant()
	case t == kNULL:
		p.consume()
		return Term{Kind: TermNull}
	case isMarker(t):
		return p.marker()
	case t == tLBRACKET:
		p.consume()
		l := Term{Kind: TermList}
		if p.la(1) != tRBRACKET {
			l.Elems = append(l.Elems, p.term())
			for p.accept(tCOMMA) {
				l.Elems = append(l.Elems, p.term())
			}
		}
		p.match(tRBRACKET)
		return l
	case t == tLBRACE:
		return p.braceLiteral()
	case t == tLPAREN:
		return p.tupleLiteral()
	}
	p.noViable(1)
	return Term{}
}

// braceLiteral parses set, map and user type literals, and {} (kept as an
// empty TermMap; Eval makes it an empty set for set columns).
func (p *parser) braceLiteral() Term {
	// usertypeLiteral: '{' fident ':' …; a name is never a term unless it
	// calls a function.
	if isIdent(p.la(2)) && p.la(3) == tCOLON {
		p.consume()
		u := Term{Kind: TermUDT}
		for {
			f := p.ident()
			p.match(tCOLON)
			u.Keys = append(u.Keys, Term{Kind: TermString, Text: f})
			u.Elems = append(u.Elems, p.term())
			if !p.accept(tCOMMA) {
				break
			}
		}
		p.match(tRBRACE)
		return u
	}
	p.match(tLBRACE)
	if p.accept(tRBRACE) {
		return Term{Kind: TermMap}
	}
	first := p.term()
	if p.accept(tCOLON) {
		m := Term{Kind: TermMap, Keys: []Term{first}, Elems: []Term{p.term()}}
		for p.accept(tCOMMA) {
			m.Keys = append(m.Keys, p.term())
			p.match(tCOLON)
			m.Elems = append(m.Elems, p.term())
		}
		p.match(tRBRACE)
		return m
	}
	s := Term{Kind: TermSet, Elems: []Term{first}}
	for p.accept(tCOMMA) {
		s.Elems = append(s.Elems, p.term())
	}
	p.match(tRBRACE)
	return s
}

func (p *parser) tupleLiteral() Term {
	p.match(tLPAREN)
	t := Term{Kind: TermTuple, Elems: []Term{p.term()}}
	for p.accept(tCOMMA) {
		t.Elems = append(t.Elems, p.term())
	}
	p.match(tRPAREN)
	return t
}

// fullMapLiteral parses '{' (term ':' term (',' term ':' term)*)? '}'.
func (p *parser) fullMapLiteral() Term {
	p.match(tLBRACE)
	m := Term{Kind: TermMap}
	if p.la(1) != tRBRACE {
		for {
			m.Keys = append(m.Keys, p.term())
			p.match(tCOLON)
			m.Elems = append(m.Elems, p.term())
			if !p.accept(tCOMMA) {
				break
			}
		}
	}
	p.match(tRBRACE)
	return m
}

func (p *parser) constant() Term {
	t := p.consume()
	switch t.typ {
	case tSTRING:
		return Term{Kind: TermString, Text: t.text}
	case tINTEGER:
		return Term{Kind: TermInteger, Text: t.text}
	case tFLOAT:
		return Term{Kind: TermFloat, Text: t.text}
	case tBOOLEAN:
		return Term{Kind: TermBoolean, Text: strings.ToLower(t.text)}
	case tDURATION:
		return Term{Kind: TermDuration, Text: t.text}
	case tUUID:
		return Term{Kind: TermUUID, Text: t.text}
	case tHEX:
		return Term{Kind: TermBlob, Text: t.text[2:]}
	case kPOSNAN, kNEGNAN:
		// Parser.g makes both NaN.
		return Term{Kind: TermFloat, Text: "NaN"}
	case kPOSINF:
		return Term{Kind: TermFloat, Text: "Infinity"}
	case kNEGINF:
		return Term{Kind: TermFloat, Text: "-Infinity"}
	}
	p.noViable(1)
	return Term{}
}

// followFunctionName is what may follow a functionName in Parser.g.
var followFunctionName = tokSet(tLPAREN, tEOF, tSEMI, kWITH)

// functionName parses (keyspaceName '.')? allowedFunctionName and returns
// the name as Term.Func keeps it.
func (p *parser) functionName() string {
	ks := ""
	t := p.la(1)
	switch {
	case isKsName(t) && isAllowedFunctionName(t):
		switch t2 := p.la(2); {
		case t2 == tDOT:
			ks = p.keyspaceName()
			p.consume()
		case !followFunctionName[t2]:
			p.noViable(2)
		}
	case isKsName(t):
		ks = p.keyspaceName()
		p.match(tDOT)
	}
	if !isAllowedFunctionName(p.la(1)) {
		p.noViable(1)
	}
	name := nameOf(p.consume())
	if ks != "" && ks != "system" {
		return ks + "." + name
	}
	return name
}

func (p *parser) function() Term {
	f := Term{Kind: TermFunc, Func: p.functionName()}
	p.match(tLPAREN)
	if p.la(1) != tRPAREN {
		f.Args = append(f.Args, p.term())
		for p.accept(tCOMMA) {
			f.Args = append(f.Args, p.term())
		}
	}
	p.match(tRPAREN)
	return f
}

func nativeTypeOf(t tokType) cqltype.Type {
	typ, _ := cqltype.Parse(nativeTypes[t])
	return typ
}

func (p *parser) nativeType() cqltype.Type {
	if nativeTypes[p.la(1)] == "" {
		p.noViable(1)
	}
	return nativeTypeOf(p.consume().typ)
}

// reservedTypeNames are the names Parser.g refuses for user types.
var reservedTypeNames = map[string]bool{"byte": true, "complex": true, "enum": true, "date": true,
	"interval": true, "macaddr": true, "bitstring": true}

// comparatorType parses a CQL type. A user type name becomes a UDT type
// whose Class holds the (possibly keyspace-qualified) name; a quoted custom
// class a Custom type.
func (p *parser) comparatorType() cqltype.Type {
	p.enter()
	defer p.leave()
	t := p.la(1)
	switch {
	case nativeTypes[t] != "" && p.la(2) != tDOT:
		return p.nativeType()
	case (t == kMAP || t == kLIST || t == kTUPLE || t == kFROZEN) && p.la(2) == tLT, t == kSET:
		p.consume()
		p.match(tLT)
		var typ cqltype.Type
		switch t {
		case kMAP:
			k := p.comparatorType()
			p.match(tCOMMA)
			typ = cqltype.MapOf(k, p.comparatorType())
		case kLIST:
			typ = cqltype.ListOf(p.comparatorType())
		case kSET:
			typ = cqltype.SetOf(p.comparatorType())
		case kTUPLE:
			elems := []cqltype.Type{p.comparatorType()}
			for p.accept(tCOMMA) {
				elems = append(elems, p.comparatorType())
			}
			typ = cqltype.TupleOf(elems...)
		case kFROZEN:
			typ = p.comparatorType()
			if !typ.IsCollection() && typ.ID != cqltype.Tuple && typ.ID != cqltype.UDT {
				p.recognitionError("frozen<> is only allowed on collections, tuples, and user-defined types (got %s)", typ)
			}
			typ.Frozen = true
		}
		p.match(tGT)
		return typ
	case t == tSTRING:
		return cqltype.Type{ID: cqltype.Custom, Class: p.consume().text}
	case isIdent(t):
		return cqltype.Type{ID: cqltype.UDT, Class: p.userTypeName()}
	}
	p.noViable(1)
	return cqltype.Type{}
}

// userTypeName parses (noncol_ident '.')? non_type_ident.
func (p *parser) userTypeName() string {
	ks := ""
	if p.la(2) == tDOT {
		ks = p.ident() + "."
		p.consume()
	}
	t := p.la(1)
	switch {
	case t == tIDENT:
		raw := p.consume().text
		if reservedTypeNames[raw] {
			p.recognitionError("Invalid (reserved) user type name %s", raw)
		}
		return ks + strings.ToLower(raw)
	case t == tQUOTED, basicUnreserved[t], t == kKEY:
		return ks + nameOf(p.consume())
	}
	p.noViable(1)
	return ""
}
