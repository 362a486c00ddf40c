package cql

import (
	"strings"
)

// SELECT, INSERT, UPDATE, DELETE and BATCH (Parser.g's selectStatement,
// insertStatement, updateStatement, deleteStatement, batchStatement).

func (p *parser) selectStatement() *Select {
	p.match(kSELECT)
	s := &Select{}
	// JSON is also a valid column name: Parser.g resolves "SELECT json …" with
	// a syntactic predicate.
	if p.la(1) == kJSON && p.speculate(func() { p.consume(); p.selectClause(&Select{}) }) {
		p.consume()
		s.JSON = true
	}
	p.selectClause(s)
	p.match(kFROM)
	s.Keyspace, s.Table = p.columnFamilyName()
	if p.accept(kWHERE) {
		s.Where = p.whereClause()
	}
	if p.accept(kGROUP) {
		p.match(kBY)
		s.GroupBy = append(s.GroupBy, p.cident())
		for p.accept(tCOMMA) {
			s.GroupBy = append(s.GroupBy, p.cident())
		}
	}
	if p.accept(kORDER) {
		p.match(kBY)
		s.OrderBy = append(s.OrderBy, p.ordering())
		for p.accept(tCOMMA) {
			s.OrderBy = append(s.OrderBy, p.ordering())
		}
	}
	if p.accept(kPER) {
		p.match(kPARTITION)
		p.match(kLIMIT)
		s.PerPartitionLimit = p.intValue()
	}
	if p.accept(kLIMIT) {
		s.Limit = p.intValue()
	}
	if p.accept(kALLOW) {
		p.match(kFILTERING)
		s.AllowFiltering = true
	}
	return s
}

func (p *parser) ordering() Ordering {
	o := Ordering{Column: p.cident()}
	switch p.la(1) {
	case kASC:
		p.consume()
	case kDESC:
		p.consume()
		o.Desc = true
	}
	return o
}

func (p *parser) selectClause(s *Select) {
	if p.la(1) == kDISTINCT && p.speculate(func() { p.consume(); p.selectors(&Select{}) }) {
		p.consume()
		s.Distinct = true
	}
	p.selectors(s)
}

func (p *parser) selectors(s *Select) {
	if p.accept(tSTAR) {
		s.Star = true
		return
	}
	s.Selectors = append(s.Selectors, p.selector())
	for p.accept(tCOMMA) {
		s.Selectors = append(s.Selectors, p.selector())
	}
}

func (p *parser) selector() Selector {
	s := p.unaliasedSelector()
	if p.accept(kAS) {
		s.Alias = p.ident()
	}
	return s
}

func (p *parser) unaliasedSelector() Selector {
	p.enter()
	defer p.leave()
	s := p.selectionMultiplication()
	for {
		var fn string
		switch p.la(1) {
		case tPLUS:
			fn = "_add"
		case tMINUS:
			fn = "_substract"
		default:
			return s
		}
		p.consume()
		s = Selector{Kind: SelFunc, Func: fn, Args: []Selector{s, p.selectionMultiplication()}}
	}
}

func (p *parser) selectionMultiplication() Selector {
	s := p.selectionGroup()
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
			return s
		}
		p.consume()
		s = Selector{Kind: SelFunc, Func: fn, Args: []Selector{s, p.selectionGroup()}}
	}
}

func (p *parser) selectionGroup() Selector {
	p.enter()
	defer p.leave()
	if p.accept(tMINUS) {
		return Selector{Kind: SelFunc, Func: "_negate", Args: []Selector{p.selectionGroup()}}
	}
	return p.selectorModifier(p.selectionGroupWithoutField())
}

func (p *parser) selectorModifier(s Selector) Selector {
	for {
		switch p.la(1) {
		case tDOT:
			p.consume()
			s = Selector{Kind: SelField, Column: p.ident(), Args: []Selector{s}}
		case tLBRACKET:
			p.consume()
			s = p.collectionSubSelection(s)
			p.match(tRBRACKET)
		default:
			return s
		}
	}
}

func (p *parser) collectionSubSelection(s Selector) Selector {
	if p.accept(tRANGE) {
		to := p.term()
		return Selector{Kind: SelSlice, Args: []Selector{s}, To: &to}
	}
	from := p.term()
	if p.accept(tRANGE) {
		sl := Selector{Kind: SelSlice, Args: []Selector{s}, From: &from}
		if p.la(1) != tRBRACKET {
			to := p.term()
			sl.To = &to
		}
		return sl
	}
	return Selector{Kind: SelElement, Args: []Selector{s}, Term: from}
}

func (p *parser) selectionGroupWithoutField() Selector {
	p.enter()
	defer p.leave()
	switch p.la(1) {
	case tLPAREN:
		if p.typeHintAhead() {
			p.consume()
			typ := p.comparatorType()
			p.match(tRPAREN)
			inner := p.selectionGroupWithoutField()
			if inner.Kind == SelTerm {
				return Selector{Kind: SelTerm, Term: Term{Kind: TermCast, Type: typ, Elems: []Term{inner.Term}}}
			}
			return Selector{Kind: SelHint, Type: typ, Args: []Selector{inner}}
		}
		p.consume()
		elems := []Selector{p.unaliasedSelector()}
		for p.accept(tCOMMA) {
			elems = append(elems, p.unaliasedSelector())
		}
		p.match(tRPAREN)
		if len(elems) == 1 {
			return elems[0] // parentheses only
		}
		return Selector{Kind: SelTuple, Args: elems}
	case tLBRACKET:
		p.consume()
		l := Selector{Kind: SelList}
		if p.la(1) != tRBRACKET {
			l.Args = append(l.Args, p.unaliasedSelector())
			for p.accept(tCOMMA) {
				l.Args = append(l.Args, p.unaliasedSelector())
			}
		}
		p.match(tRBRACKET)
		return l
	case tLBRACE:
		p.consume()
		if p.accept(tRBRACE) {
			return Selector{Kind: SelSet}
		}
		first := p.unaliasedSelector()
		if p.accept(tCOLON) {
			m := Selector{Kind: SelMap, Args: []Selector{first, p.unaliasedSelector()}}
			for p.accept(tCOMMA) {
				k := p.unaliasedSelector()
				p.match(tCOLON)
				m.Args = append(m.Args, k, p.unaliasedSelector())
			}
			p.match(tRBRACE)
			return m
		}
		s := Selector{Kind: SelSet, Args: []Selector{first}}
		for p.accept(tCOMMA) {
			s.Args = append(s.Args, p.unaliasedSelector())
		}
		p.match(tRBRACE)
		return s
	}
	return p.simpleUnaliasedSelector()
}

// typeHintAhead is Parser.g's (selectionTypeHint)=> predicate.
func (p *parser) typeHintAhead() bool {
	if ok, seen := p.hints[p.p]; seen {
		return ok
	}
	pos := p.p
	ok := p.speculate(func() {
		p.consume()
		p.comparatorType()
		p.match(tRPAREN)
		p.selectionGroupWithoutField()
	})
	if p.hints == nil {
		p.hints = map[int]bool{}
	}
	p.hints[pos] = ok
	return ok
}

// functionAhead reports whether a function call starts here.
func (p *parser) functionAhead() bool {
	t := p.la(1)
	if t == kTOKEN {
		return true
	}
	if !isAllowedFunctionName(t) && !isKsName(t) {
		return false
	}
	switch p.la(2) {
	case tLPAREN:
		return isAllowedFunctionName(t)
	case tDOT:
		return isKsName(t) && isAllowedFunctionName(p.la(3)) && p.la(4) == tLPAREN
	}
	return false
}

func (p *parser) simpleUnaliasedSelector() Selector {
	t := p.la(1)
	switch {
	case isConstant(t):
		return Selector{Kind: SelTerm, Term: p.constant()}
	case t == kNULL:
		p.consume()
		return Selector{Kind: SelTerm, Term: Term{Kind: TermNull}}
	case isMarker(t):
		return Selector{Kind: SelTerm, Term: p.marker()}
	case t == kCOUNT && p.la(2) == tLPAREN && p.la(3) == tSTAR:
		p.consume()
		p.consume()
		p.consume()
		p.match(tRPAREN)
		return Selector{Kind: SelCountStar}
	case (t == kWRITETIME || t == kTTL) && p.la(2) == tLPAREN:
		fn := nameOf(p.consume())
		p.consume()
		c := p.selectorModifier(Selector{Kind: SelColumn, Column: p.ident()})
		p.match(tRPAREN)
		return Selector{Kind: SelFunc, Func: fn, Args: []Selector{c}}
	case t == kCAST && p.la(2) == tLPAREN:
		p.consume()
		p.consume()
		arg := p.unaliasedSelector()
		p.match(kAS)
		typ := p.nativeType()
		p.match(tRPAREN)
		return Selector{Kind: SelCast, Type: typ, Args: []Selector{arg}}
	case p.functionAhead():
		f := Selector{Kind: SelFunc, Func: p.functionName()}
		p.match(tLPAREN)
		if p.la(1) != tRPAREN {
			f.Args = append(f.Args, p.unaliasedSelector())
			for p.accept(tCOMMA) {
				f.Args = append(f.Args, p.unaliasedSelector())
			}
		}
		p.match(tRPAREN)
		if f.Func == "count" && len(f.Args) == 1 && f.Args[0].Kind == SelTerm &&
			f.Args[0].Term.Kind == TermInteger && f.Args[0].Term.Text == "1" {
			return Selector{Kind: SelCountStar}
		}
		return f
	case isIdent(t):
		return Selector{Kind: SelColumn, Column: p.ident()}
	}
	p.noViable(1)
	return Selector{}
}

func (p *parser) whereClause() []Relation {
	rels := []Relation{p.relationOrExpression()}
	for p.accept(kAND) {
		rels = append(rels, p.relationOrExpression())
	}
	return rels
}

func (p *parser) relationOrExpression() Relation {
	if p.accept(tEXPR) {
		idx := p.ksName("index")
		p.match(tCOMMA)
		v := p.term()
		p.match(tRPAREN)
		return Relation{Columns: []string{idx}, Op: "EXPR", Value: v}
	}
	return p.relation()
}

func isRelationType(t tokType) bool {
	switch t {
	case tEQ, tLT, tLTE, tGT, tGTE, tNEQ:
		return true
	}
	return false
}

func (p *parser) relationType() string {
	if !isRelationType(p.la(1)) {
		p.noViable(1)
	}
	return p.consume().text
}

func (p *parser) relation() Relation {
	p.enter()
	defer p.leave()
	t := p.la(1)
	switch {
	case t == kTOKEN:
		p.consume()
		cols := p.tupleOfIdentifiers()
		op := p.relationType()
		return Relation{Columns: cols, Token: true, Op: op, Value: p.term()}
	case t == tLPAREN:
		if isCident(p.la(2)) && (p.la(3) == tCOMMA || p.la(3) == tRPAREN) {
			return p.multiColumnRelation()
		}
		p.consume()
		r := p.relation()
		p.match(tRPAREN)
		return r
	case isCident(t):
		switch t2 := p.la(2); {
		case isRelationType(t2):
			col := p.cident()
			op := p.relationType()
			return Relation{Columns: []string{col}, Op: op, Value: p.term()}
		case t2 == kLIKE:
			col := p.cident()
			p.consume()
			return Relation{Columns: []string{col}, Op: "LIKE", Value: p.term()}
		case t2 == kIS:
			col := p.cident()
			p.consume()
			p.match(kNOT)
			p.match(kNULL)
			return Relation{Columns: []string{col}, Op: "IS NOT", Value: Term{Kind: TermNull}}
		case t2 == kIN:
			switch t3 := p.la(3); {
			case t3 == tLPAREN, isMarker(t3):
				col := p.cident()
				p.consume()
				return Relation{Columns: []string{col}, Op: "IN", Value: p.inValues()}
			}
			p.noViable(3)
		case t2 == kCONTAINS:
			col := p.cident()
			p.consume()
			op := "CONTAINS"
			if p.accept(kKEY) {
				op = "CONTAINS KEY"
			}
			return Relation{Columns: []string{col}, Op: op, Value: p.term()}
		case t2 == tLBRACKET:
			col := p.cident()
			p.consume()
			key := p.term()
			p.match(tRBRACKET)
			op := p.relationType()
			return Relation{Columns: []string{col}, Op: op, Key: &key, Value: p.term()}
		}
		p.noViable(2)
	}
	p.noViable(1)
	return Relation{}
}

// inValues parses singleColumnInValues or inMarker: '(' terms ')' | marker.
func (p *parser) inValues() Term {
	if isMarker(p.la(1)) {
		return p.marker()
	}
	p.match(tLPAREN)
	l := Term{Kind: TermList}
	if p.la(1) != tRPAREN {
		l.Elems = append(l.Elems, p.term())
		for p.accept(tCOMMA) {
			l.Elems = append(l.Elems, p.term())
		}
	}
	p.match(tRPAREN)
	return l
}

func (p *parser) tupleOfIdentifiers() []string {
	p.match(tLPAREN)
	ids := []string{p.cident()}
	for p.accept(tCOMMA) {
		ids = append(ids, p.cident())
	}
	p.match(tRPAREN)
	return ids
}

func (p *parser) multiColumnRelation() Relation {
	r := Relation{Columns: p.tupleOfIdentifiers()}
	switch t := p.la(1); {
	case t == kIN:
		p.consume()
		r.Op = "IN"
		switch t := p.la(1); {
		case isMarker(t):
			r.Value = p.marker()
		case t == tLPAREN:
			l := Term{Kind: TermList}
			switch t2 := p.la(2); {
			case t2 == tRPAREN:
				p.consume()
				p.consume()
			case t2 == tLPAREN:
				p.consume()
				l.Elems = append(l.Elems, p.tupleLiteral())
				for p.accept(tCOMMA) {
					l.Elems = append(l.Elems, p.tupleLiteral())
				}
				p.match(tRPAREN)
			case isMarker(t2):
				p.consume()
				l.Elems = append(l.Elems, p.marker())
				for p.accept(tCOMMA) {
					l.Elems = append(l.Elems, p.marker())
				}
				p.match(tRPAREN)
			default:
				p.noViable(2)
			}
			r.Value = l
		default:
			p.noViable(1)
		}
	case isRelationType(t):
		r.Op = p.relationType()
		switch t := p.la(1); {
		case t == tLPAREN:
			r.Value = p.tupleLiteral()
		case isMarker(t):
			r.Value = p.marker()
		default:
			p.noViable(1)
		}
	default:
		p.noViable(1)
	}
	return r
}

func (p *parser) insertStatement() *Insert {
	p.match(kINSERT)
	p.match(kINTO)
	ins := &Insert{}
	ins.Keyspace, ins.Table = p.columnFamilyName()
	switch p.la(1) {
	case tLPAREN:
		p.consume()
		ins.Columns = append(ins.Columns, p.cident())
		for p.accept(tCOMMA) {
			ins.Columns = append(ins.Columns, p.cident())
		}
		p.match(tRPAREN)
		p.match(kVALUES)
		p.match(tLPAREN)
		ins.Values = append(ins.Values, p.term())
		for p.accept(tCOMMA) {
			ins.Values = append(ins.Values, p.term())
		}
		p.match(tRPAREN)
	case kJSON:
		p.consume()
		var v Term
		switch t := p.la(1); {
		case t == tSTRING:
			v = Term{Kind: TermString, Text: p.consume().text}
		case isMarker(t):
			v = p.marker()
		default:
			p.noViable(1)
		}
		ins.JSON = &v
		if p.accept(kDEFAULT) {
			switch p.la(1) {
			case kNULL:
				p.consume()
			case kUNSET:
				p.consume()
				ins.JSONDefaultUnset = true
			default:
				p.noViable(1)
			}
		}
	default:
		p.noViable(1)
	}
	ins.IfNotExists = p.ifNotExists()
	if p.la(1) == kUSING {
		p.usingClause(&ins.Using)
	}
	return ins
}

func (p *parser) usingClause(u *Using) {
	p.match(kUSING)
	p.usingObjective(u)
	for p.accept(kAND) {
		p.usingObjective(u)
	}
}

func (p *parser) usingObjective(u *Using) {
	switch p.la(1) {
	case kTIMESTAMP:
		p.consume()
		u.Timestamp = p.intValue()
	case kTTL:
		p.consume()
		u.TTL = p.intValue()
	default:
		p.noViable(1)
	}
}

func (p *parser) updateStatement() *Update {
	p.match(kUPDATE)
	u := &Update{}
	u.Keyspace, u.Table = p.columnFamilyName()
	if p.la(1) == kUSING {
		p.usingClause(&u.Using)
	}
	p.match(kSET)
	u.Set = append(u.Set, p.columnOperation(u.Set))
	for p.accept(tCOMMA) {
		u.Set = append(u.Set, p.columnOperation(u.Set))
	}
	p.match(kWHERE)
	u.Where = p.whereClause()
	u.IfExists, u.If = p.ifClause()
	return u
}

// ifClause parses ( K_IF ( K_EXISTS | updateConditions ) )?.
func (p *parser) ifClause() (exists bool, conds []Condition) {
	if !p.accept(kIF) {
		return false, nil
	}
	// EXISTS is also a valid column name.
	if p.la(1) == kEXISTS {
		switch t2 := p.la(2); {
		case isRelationType(t2), t2 == kIN, t2 == tLBRACKET, t2 == tDOT:
		default:
			p.consume()
			return true, nil
		}
	}
	conds = append(conds, p.columnCondition())
	for p.accept(kAND) {
		conds = append(conds, p.columnCondition())
	}
	return false, conds
}

func (p *parser) columnCondition() Condition {
	c := Condition{Column: p.cident()}
	switch p.la(1) {
	case tLBRACKET:
		p.consume()
		k := p.term()
		p.match(tRBRACKET)
		c.Key = &k
	case tDOT:
		p.consume()
		c.Field = p.ident()
	}
	switch t := p.la(1); {
	case isRelationType(t):
		c.Op = p.relationType()
		c.Value = p.term()
	case t == kIN:
		p.consume()
		c.Op = "IN"
		c.Value = p.inValues()
	default:
		p.noViable(1)
	}
	return c
}

// columnOperation parses one SET assignment; prev are the assignments
// before it, which Parser.g checks for conflicting updates of a column.
func (p *parser) columnOperation(prev []Assignment) Assignment {
	a := Assignment{Column: p.cident()}
	switch p.la(1) {
	case tEQ:
		p.consume()
		p.normalColumnOperation(&a)
	case tPLUSEQ, tMINUSEQ:
		a.Op = AssignAdd
		if p.consume().typ == tMINUSEQ {
			a.Op = AssignRemove
		}
		a.Value = p.term()
	case tLBRACKET:
		p.consume()
		k := p.term()
		p.match(tRBRACKET)
		p.match(tEQ)
		a.Op, a.Key, a.Value = AssignElement, &k, p.term()
	case tDOT:
		p.consume()
		a.Op, a.Field = AssignField, p.ident()
		p.match(tEQ)
		a.Value = p.term()
	default:
		p.noViable(1)
	}
	for _, o := range prev {
		if o.Column == a.Column && !compatible(o, a) {
			p.recognitionError("Multiple incompatible setting of column %s", a.Column)
		}
	}
	return a
}

// compatible mirrors Operation.RawUpdate.isCompatibleWith: a column may be
// updated twice unless one of the updates sets it whole (or the same field).
func compatible(a, b Assignment) bool {
	if a.Op == AssignSet || b.Op == AssignSet {
		return false
	}
	if a.Op == AssignField && b.Op == AssignField {
		return a.Field != b.Field
	}
	return true
}

func (p *parser) normalColumnOperation(a *Assignment) {
	if isCident(p.la(1)) && !p.termAhead(1) {
		// c = c + v, c = c - v, and c = c <integer> (X = X - 3 lexes as X, -3).
		switch p.la(2) {
		case tPLUS, tMINUS:
			c := p.cident()
			sig := p.consume().text
			if c != a.Column {
				p.recognitionError("Only expressions of the form X = X %s<value> are supported.", sig)
			}
			a.Op = AssignAdd
			if sig == "-" {
				a.Op = AssignRemove
			}
			a.Value = p.term()
			return
		case tINTEGER:
			c := p.cident()
			i := p.consume().text
			if c != a.Column {
				sig := "+"
				if strings.HasPrefix(i, "-") {
					sig = "-"
				}
				p.recognitionError("Only expressions of the form X = X %s <value> are supported.", sig)
			}
			a.Op, a.Value = AssignAdd, Term{Kind: TermInteger, Text: i}
			return
		}
		p.noViable(2)
	}
	a.Value = p.term()
	if p.accept(tPLUS) {
		if c := p.cident(); c != a.Column {
			p.recognitionError("Only expressions of the form X = <value> + X are supported.")
		}
		a.Op = AssignPrepend
	}
}

func (p *parser) deleteStatement() *Delete {
	p.match(kDELETE)
	d := &Delete{}
	if isCident(p.la(1)) {
		d.Columns = append(d.Columns, p.deleteOp())
		for p.accept(tCOMMA) {
			d.Columns = append(d.Columns, p.deleteOp())
		}
	}
	p.match(kFROM)
	d.Keyspace, d.Table = p.columnFamilyName()
	if p.accept(kUSING) {
		p.match(kTIMESTAMP)
		d.Using.Timestamp = p.intValue()
	}
	p.match(kWHERE)
	d.Where = p.whereClause()
	d.IfExists, d.If = p.ifClause()
	return d
}

func (p *parser) deleteOp() DeleteTarget {
	switch p.la(2) {
	case tLBRACKET, tDOT, tCOMMA, kFROM:
	default:
		p.noViable(2)
	}
	t := DeleteTarget{Column: p.cident()}
	switch p.la(1) {
	case tLBRACKET:
		p.consume()
		k := p.term()
		p.match(tRBRACKET)
		t.Key = &k
	case tDOT:
		p.consume()
		t.Field = p.ident()
	}
	return t
}

func (p *parser) batchStatement() *Batch {
	p.match(kBEGIN)
	b := &Batch{}
	switch p.la(1) {
	case kUNLOGGED:
		p.consume()
		b.Type = BatchUnlogged
	case kCOUNTER:
		p.consume()
		b.Type = BatchCounter
	}
	p.match(kBATCH)
	if p.la(1) == kUSING {
		p.usingClause(&b.Using)
	}
	for {
		switch p.la(1) {
		case kINSERT:
			b.Statements = append(b.Statements, p.insertStatement())
		case kUPDATE:
			b.Statements = append(b.Statements, p.updateStatement())
		case kDELETE:
			b.Statements = append(b.Statements, p.deleteStatement())
		default:
			p.match(kAPPLY)
			p.match(kBATCH)
			return b
		}
		p.accept(tSEMI)
	}
}
