package cql

import (
	"strconv"
	"strings"
)

// Schema statements, and the statements the simulator recognises but does
// not execute (indexes, types, functions, views, triggers, roles,
// permissions, DESCRIBE), which parse to *Unsupported.

func (p *parser) createStatement() Statement {
	switch p.la(2) {
	case kKEYSPACE:
		p.consume()
		p.consume()
		ck := &CreateKeyspace{IfNotExists: p.ifNotExists()}
		ck.Name = p.keyspaceName()
		p.match(kWITH)
		ck.Properties = p.properties()
		return ck
	case kCOLUMNFAMILY:
		return p.createTable()
	case kCUSTOM, kINDEX:
		return p.createIndex()
	case kTRIGGER:
		p.consume()
		p.consume()
		p.ifNotExists()
		p.ident()
		p.match(kON)
		p.columnFamilyName()
		p.match(kUSING)
		p.match(tSTRING)
		return &Unsupported{Kind: "CREATE TRIGGER"}
	case kTYPE:
		p.consume()
		p.consume()
		p.ifNotExists()
		p.userTypeName()
		p.match(tLPAREN)
		p.typeColumn()
		for p.accept(tCOMMA) {
			if isIdent(p.la(1)) {
				p.typeColumn()
			}
		}
		p.match(tRPAREN)
		return &Unsupported{Kind: "CREATE TYPE"}
	case kOR:
		if p.la(3) != kREPLACE {
			p.noViable(3)
		}
		switch p.la(4) {
		case kFUNCTION:
			return p.createFunction()
		case kAGGREGATE:
			return p.createAggregate()
		}
		p.noViable(4)
	case kFUNCTION:
		return p.createFunction()
	case kAGGREGATE:
		return p.createAggregate()
	case kUSER:
		p.consume()
		p.consume()
		p.ifNotExists()
		p.username()
		if p.accept(kWITH) {
			p.userPassword()
		}
		if p.la(1) == kSUPERUSER || p.la(1) == kNOSUPERUSER {
			p.consume()
		}
		return &Unsupported{Kind: "CREATE USER"}
	case kROLE:
		p.consume()
		p.consume()
		p.ifNotExists()
		p.roleName()
		if p.accept(kWITH) {
			p.roleOptions()
		}
		return &Unsupported{Kind: "CREATE ROLE"}
	case kMATERIALIZED:
		return p.createView()
	}
	p.noViable(2)
	return nil
}

func (p *parser) typeColumn() {
	p.ident()
	p.comparatorType()
}

func qualified(ks, name string) string {
	if ks != "" {
		return ks + "." + name
	}
	return name
}

func (p *parser) createTable() *CreateTable {
	p.match(kCREATE)
	p.match(kCOLUMNFAMILY)
	ct := &CreateTable{IfNotExists: p.ifNotExists()}
	ct.Keyspace, ct.Table = p.columnFamilyName()
	name := qualified(ct.Keyspace, ct.Table)
	pkSet := false
	setPK := func(pk, clustering []string) {
		if pkSet {
			panic(invalidf("Multiple PRIMARY KEY specified for table '%s' (exactly one required)", name))
		}
		pkSet = true
		ct.PartitionKey, ct.Clustering = pk, clustering
	}
	seen := map[string]bool{}
	column := func() {
		switch t := p.la(1); {
		case t == kPRIMARY:
			p.consume()
			p.match(kKEY)
			p.match(tLPAREN)
			var pk []string
			switch t := p.la(1); {
			case t == tLPAREN:
				p.consume()
				pk = append(pk, p.ident())
				for p.accept(tCOMMA) {
					pk = append(pk, p.ident())
				}
				p.match(tRPAREN)
			case isIdent(t):
				pk = append(pk, p.ident())
			default:
				p.noViable(1)
			}
			var cl []string
			for p.accept(tCOMMA) {
				cl = append(cl, p.ident())
			}
			p.match(tRPAREN)
			setPK(pk, cl)
		case isIdent(t):
			c := ColumnDef{Name: p.ident(), Type: p.comparatorType()}
			c.Static = p.accept(kSTATIC)
			if seen[c.Name] {
				panic(invalidf("Duplicate column '%s' declaration for table '%s'", c.Name, name))
			}
			seen[c.Name] = true
			ct.Columns = append(ct.Columns, c)
			if p.accept(kPRIMARY) {
				p.match(kKEY)
				setPK([]string{c.Name}, nil)
			}
		default:
			p.noViable(1)
		}
	}
	p.match(tLPAREN)
	column()
	for p.accept(tCOMMA) {
		if t := p.la(1); t == kPRIMARY || isIdent(t) {
			column()
		}
	}
	p.match(tRPAREN)
	if p.accept(kWITH) {
		p.tableProperty(ct, name)
		for p.accept(kAND) {
			p.tableProperty(ct, name)
		}
	}
	if !pkSet && p.prepareErr == nil {
		p.prepareErr = invalidf("No PRIMARY KEY specifed for table '%s' (exactly one required)", name)
	}
	checkDuplicateProperties(p, ct.Properties)
	return ct
}

func (p *parser) tableProperty(ct *CreateTable, name string) {
	switch t := p.la(1); {
	case t == kCOMPACT && p.la(2) == kSTORAGE:
		p.consume()
		p.consume()
		ct.CompactStorage = true
	case t == kCLUSTERING && p.la(2) == kORDER:
		p.consume()
		p.consume()
		p.match(kBY)
		p.match(tLPAREN)
		for {
			o := Ordering{Column: p.ident()}
			switch p.la(1) {
			case kASC:
				p.consume()
			case kDESC:
				p.consume()
				o.Desc = true
			default:
				p.noViable(1)
			}
			for _, prev := range ct.ClusteringOrder {
				if prev.Column == o.Column {
					panic(invalidf("Duplicate column '%s' in CLUSTERING ORDER BY clause for table '%s'", o.Column, name))
				}
			}
			ct.ClusteringOrder = append(ct.ClusteringOrder, o)
			if !p.accept(tCOMMA) {
				break
			}
		}
		p.match(tRPAREN)
	default:
		ct.Properties = append(ct.Properties, p.property())
	}
}

// properties parses property (K_AND property)*.
func (p *parser) properties() []Property {
	props := []Property{p.property()}
	for p.accept(kAND) {
		props = append(props, p.property())
	}
	checkDuplicateProperties(p, props)
	return props
}

func checkDuplicateProperties(p *parser, props []Property) {
	seen := map[string]bool{}
	for _, pr := range props {
		if seen[pr.Name] {
			p.recognitionError("Multiple definition for property %s", pr.Name)
		}
		seen[pr.Name] = true
	}
}

// property parses noncol_ident '=' (propertyValue | fullMapLiteral).
func (p *parser) property() Property {
	if !isIdent(p.la(1)) {
		p.noViable(1)
	}
	if p.la(2) != tEQ {
		p.noViable(2)
	}
	t3 := p.la(3)
	if t3 != tLBRACE && !isConstant(t3) && !isUnreservedKw(t3) {
		p.noViable(3)
	}
	pr := Property{Name: p.ident()}
	p.consume()
	switch {
	case t3 == tLBRACE:
		pr.Value = p.fullMapLiteral()
		p.checkPropertyMap(pr.Value)
	case isConstant(t3):
		pr.Value = p.constant()
	default:
		// An unreserved keyword stands for its own text.
		tk := p.consume()
		text := tk.text
		if n := nativeTypes[tk.typ]; n != "" {
			text = n
		}
		pr.Value = Term{Kind: TermString, Text: text}
	}
	return pr
}

// checkPropertyMap mirrors Parser.g's convertPropertyMap: keys and values
// of property maps must be constants.
func (p *parser) checkPropertyMap(m Term) {
	seen := map[string]bool{}
	for i, k := range m.Keys {
		v := m.Elems[i]
		if !k.isConstant() {
			msg := "Invalid property name: " + k.String()
			if k.Kind == TermBind {
				msg += " (bind variables are not supported in DDL queries)"
			}
			p.recognitionError("%s", msg)
			return
		}
		if !v.isConstant() {
			msg := "Invalid property value: " + v.String() + " for property: " + k.String()
			if v.Kind == TermBind {
				msg += " (bind variables are not supported in DDL queries)"
			}
			p.recognitionError("%s", msg)
			return
		}
		if seen[k.rawText()] {
			p.recognitionError("Multiple definition for property %s", k.rawText())
		}
		seen[k.rawText()] = true
	}
}

func (p *parser) createIndex() Statement {
	p.match(kCREATE)
	p.accept(kCUSTOM)
	p.match(kINDEX)
	p.ifNotExists()
	if isKsName(p.la(1)) {
		p.ksName("index")
	}
	p.match(kON)
	p.columnFamilyName()
	p.match(tLPAREN)
	if p.la(1) != tRPAREN {
		p.indexIdent()
		for p.accept(tCOMMA) {
			p.indexIdent()
		}
	}
	p.match(tRPAREN)
	if p.accept(kUSING) {
		p.match(tSTRING)
	}
	if p.accept(kWITH) {
		p.properties()
	}
	return &Unsupported{Kind: "CREATE INDEX"}
}

func (p *parser) indexIdent() {
	switch p.la(1) {
	case kVALUES, kKEYS, kENTRIES, kFULL:
		if p.la(2) == tLPAREN {
			p.consume()
			p.consume()
			p.cident()
			p.match(tRPAREN)
			return
		}
	}
	p.cident()
}

func (p *parser) createFunction() Statement {
	p.match(kCREATE)
	if p.accept(kOR) {
		p.match(kREPLACE)
	}
	p.match(kFUNCTION)
	p.ifNotExists()
	p.functionName()
	p.match(tLPAREN)
	if p.la(1) != tRPAREN {
		p.typeColumn()
		for p.accept(tCOMMA) {
			p.typeColumn()
		}
	}
	p.match(tRPAREN)
	switch p.la(1) {
	case kRETURNS:
		p.consume()
		p.match(kNULL)
	case kCALLED:
		p.consume()
	default:
		p.noViable(1)
	}
	p.match(kON)
	p.match(kNULL)
	p.match(kINPUT)
	p.match(kRETURNS)
	p.comparatorType()
	p.match(kLANGUAGE)
	p.match(tIDENT)
	p.match(kAS)
	p.match(tSTRING)
	return &Unsupported{Kind: "CREATE FUNCTION"}
}

// argTypes parses '(' (comparatorType (',' comparatorType)*)? ')'.
func (p *parser) argTypes() {
	p.match(tLPAREN)
	if p.la(1) != tRPAREN {
		p.comparatorType()
		for p.accept(tCOMMA) {
			p.comparatorType()
		}
	}
	p.match(tRPAREN)
}

func (p *parser) createAggregate() Statement {
	p.match(kCREATE)
	if p.accept(kOR) {
		p.match(kREPLACE)
	}
	p.match(kAGGREGATE)
	p.ifNotExists()
	p.functionName()
	p.argTypes()
	p.match(kSFUNC)
	p.allowedFunctionName()
	p.match(kSTYPE)
	p.comparatorType()
	if p.accept(kFINALFUNC) {
		p.allowedFunctionName()
	}
	if p.accept(kINITCOND) {
		p.term()
	}
	return &Unsupported{Kind: "CREATE AGGREGATE"}
}

func (p *parser) allowedFunctionName() {
	if !isAllowedFunctionName(p.la(1)) {
		p.noViable(1)
	}
	p.consume()
}

func (p *parser) createView() Statement {
	p.match(kCREATE)
	p.match(kMATERIALIZED)
	p.match(kVIEW)
	p.ifNotExists()
	p.columnFamilyName()
	p.match(kAS)
	p.match(kSELECT)
	p.selectors(&Select{})
	p.match(kFROM)
	p.columnFamilyName()
	if p.accept(kWHERE) {
		p.whereClause()
	}
	p.match(kPRIMARY)
	p.match(kKEY)
	p.match(tLPAREN)
	switch t := p.la(1); {
	case t == tLPAREN:
		p.consume()
		p.ident()
		for p.accept(tCOMMA) {
			p.ident()
		}
		p.match(tRPAREN)
	case isIdent(t):
		p.ident()
	default:
		p.noViable(1)
	}
	for p.accept(tCOMMA) {
		p.ident()
	}
	p.match(tRPAREN)
	if p.accept(kWITH) {
		p.viewProperty()
		for p.accept(kAND) {
			p.viewProperty()
		}
	}
	return &Unsupported{Kind: "CREATE MATERIALIZED VIEW"}
}

func (p *parser) viewProperty() {
	switch t := p.la(1); {
	case t == kCOMPACT && p.la(2) == kSTORAGE:
		// Parser.g throws this SyntaxException straight from its action.
		p.errs = append([]*SyntaxError{{Msg: "COMPACT STORAGE tables are not allowed starting with version 4.0"}}, p.errs...)
		panic(abort{})
	case t == kCLUSTERING && p.la(2) == kORDER:
		p.consume()
		p.consume()
		p.match(kBY)
		p.match(tLPAREN)
		for {
			p.ident()
			if p.la(1) != kASC && p.la(1) != kDESC {
				p.noViable(1)
			}
			p.consume()
			if !p.accept(tCOMMA) {
				break
			}
		}
		p.match(tRPAREN)
	default:
		p.property()
	}
}

func (p *parser) dropStatement() Statement {
	switch p.la(2) {
	case kKEYSPACE:
		p.consume()
		p.consume()
		d := &DropKeyspace{IfExists: p.ifExists()}
		d.Name = p.keyspaceName()
		return d
	case kCOLUMNFAMILY:
		p.consume()
		p.consume()
		d := &DropTable{IfExists: p.ifExists()}
		d.Keyspace, d.Table = p.columnFamilyName()
		return d
	case kINDEX:
		p.consume()
		p.consume()
		p.ifExists()
		p.qualifiedName("index")
		return &Unsupported{Kind: "DROP INDEX"}
	case kTRIGGER:
		p.consume()
		p.consume()
		p.ifExists()
		p.ident()
		p.match(kON)
		p.columnFamilyName()
		return &Unsupported{Kind: "DROP TRIGGER"}
	case kTYPE:
		p.consume()
		p.consume()
		p.ifExists()
		p.userTypeName()
		return &Unsupported{Kind: "DROP TYPE"}
	case kFUNCTION, kAGGREGATE:
		p.consume()
		kind := "DROP " + strings.ToUpper(p.consume().text)
		p.ifExists()
		p.functionName()
		if p.la(1) == tLPAREN {
			p.argTypes()
		}
		return &Unsupported{Kind: kind}
	case kUSER:
		p.consume()
		p.consume()
		p.ifExists()
		p.username()
		return &Unsupported{Kind: "DROP USER"}
	case kROLE:
		p.consume()
		p.consume()
		p.ifExists()
		p.roleName()
		return &Unsupported{Kind: "DROP ROLE"}
	case kMATERIALIZED:
		p.consume()
		p.consume()
		p.match(kVIEW)
		p.ifExists()
		p.columnFamilyName()
		return &Unsupported{Kind: "DROP MATERIALIZED VIEW"}
	}
	p.noViable(2)
	return nil
}

func (p *parser) alterStatement() Statement {
	switch p.la(2) {
	case kCOLUMNFAMILY:
		return p.alterTable()
	case kKEYSPACE:
		p.consume()
		p.consume()
		a := &AlterKeyspace{IfExists: p.ifExists()}
		a.Name = p.keyspaceName()
		p.match(kWITH)
		a.Properties = p.properties()
		return a
	case kTYPE:
		p.consume()
		p.consume()
		p.ifExists()
		p.userTypeName()
		switch p.la(1) {
		case kALTER:
			p.consume()
			p.ident()
			p.match(kTYPE)
			p.comparatorType()
		case kADD:
			p.consume()
			p.ifNotExists()
			p.typeColumn()
		case kRENAME:
			p.consume()
			p.ifExists()
			p.renames(nil)
		default:
			p.noViable(1)
		}
		return &Unsupported{Kind: "ALTER TYPE"}
	case kUSER:
		p.consume()
		p.consume()
		p.ifExists()
		p.username()
		if p.accept(kWITH) {
			p.userPassword()
		}
		if p.la(1) == kSUPERUSER || p.la(1) == kNOSUPERUSER {
			p.consume()
		}
		return &Unsupported{Kind: "ALTER USER"}
	case kROLE:
		p.consume()
		p.consume()
		p.ifExists()
		p.roleName()
		if p.accept(kWITH) {
			p.roleOptions()
		}
		return &Unsupported{Kind: "ALTER ROLE"}
	case kMATERIALIZED:
		p.consume()
		p.consume()
		p.match(kVIEW)
		p.ifExists()
		p.columnFamilyName()
		p.match(kWITH)
		p.properties()
		return &Unsupported{Kind: "ALTER MATERIALIZED VIEW"}
	}
	p.noViable(2)
	return nil
}

// renames parses ident K_TO ident (K_AND ident K_TO ident)*.
func (p *parser) renames(m map[string]string) {
	for {
		from := p.ident()
		p.match(kTO)
		to := p.ident()
		if m != nil {
			m[from] = to
		}
		if !p.accept(kAND) {
			return
		}
	}
}

func (p *parser) alterTable() Statement {
	p.match(kALTER)
	p.match(kCOLUMNFAMILY)
	a := &AlterTable{IfExists: p.ifExists()}
	a.Keyspace, a.Table = p.columnFamilyName()
	switch p.la(1) {
	case kALTER:
		p.consume()
		p.cident()
		p.match(kTYPE)
		p.comparatorType()
		return &Unsupported{Kind: "ALTER TABLE ALTER"}
	case kADD:
		p.consume()
		a.IfColumnNotExists = p.ifNotExists()
		def := func() {
			c := ColumnDef{Name: p.ident(), Type: p.comparatorType()}
			c.Static = p.accept(kSTATIC)
			a.Add = append(a.Add, c)
		}
		switch t := p.la(1); {
		case t == tLPAREN:
			p.consume()
			def()
			for p.accept(tCOMMA) {
				def()
			}
			p.match(tRPAREN)
		case isIdent(t):
			def()
		default:
			p.noViable(1)
		}
	case kDROP:
		if p.la(2) == kCOMPACT && p.la(3) == kSTORAGE {
			p.consume()
			p.consume()
			p.consume()
			return &Unsupported{Kind: "ALTER TABLE DROP COMPACT STORAGE"}
		}
		p.consume()
		a.IfColumnExists = p.ifExists()
		switch t := p.la(1); {
		case t == tLPAREN:
			p.consume()
			a.Drop = append(a.Drop, p.ident())
			for p.accept(tCOMMA) {
				a.Drop = append(a.Drop, p.ident())
			}
			p.match(tRPAREN)
		case isIdent(t):
			a.Drop = append(a.Drop, p.ident())
		default:
			p.noViable(1)
		}
		if p.accept(kUSING) {
			p.match(kTIMESTAMP)
			t := p.match(tINTEGER)
			ts, err := strconv.ParseInt(t.text, 10, 64)
			if err != nil {
				panic(invalidf("For input string: \"%s\"", t.text))
			}
			a.DropTimestamp = &ts
		}
	case kRENAME:
		p.consume()
		a.IfColumnExists = p.ifExists()
		a.Rename = map[string]string{}
		p.renames(a.Rename)
	case kWITH:
		p.consume()
		a.Properties = p.properties()
	default:
		p.noViable(1)
	}
	return a
}

// Roles, users and permissions.

func (p *parser) username() {
	switch p.la(1) {
	case tIDENT, tSTRING:
		p.consume()
	case tQUOTED:
		p.consume()
		p.recognitionError("Quoted strings are are not supported for user names and USER is deprecated, please use ROLE")
	default:
		p.noViable(1)
	}
}

func (p *parser) userPassword() {
	switch p.la(1) {
	case kPASSWORD:
		p.consume()
	case kHASHED:
		p.consume()
		p.match(kPASSWORD)
	default:
		p.noViable(1)
	}
	p.match(tSTRING)
}

// roleName parses roleName / userOrRoleName.
func (p *parser) roleName() {
	switch t := p.la(1); {
	case t == tSTRING:
		p.consume()
	case t == tQMARK:
		p.consume()
		p.recognitionError("Bind variables cannot be used for role names")
	case isIdent(t):
		p.consume()
	default:
		p.noViable(1)
	}
}

func (p *parser) roleOptions() {
	for {
		switch p.la(1) {
		case kPASSWORD:
			p.consume()
			p.match(tEQ)
			p.match(tSTRING)
		case kHASHED:
			p.consume()
			p.match(kPASSWORD)
			p.match(tEQ)
			p.match(tSTRING)
		case kOPTIONS:
			p.consume()
			p.match(tEQ)
			p.checkPropertyMap(p.fullMapLiteral())
		case kSUPERUSER, kLOGIN:
			p.consume()
			p.match(tEQ)
			p.match(tBOOLEAN)
		case kACCESS:
			p.consume()
			p.match(kTO)
			switch p.la(1) {
			case kALL:
				p.consume()
				p.match(kDATACENTERS)
			case kDATACENTERS:
				p.consume()
				p.match(tLBRACE)
				p.match(tSTRING)
				for p.accept(tCOMMA) {
					p.match(tSTRING)
				}
				p.match(tRBRACE)
			default:
				p.noViable(1)
			}
		default:
			p.noViable(1)
		}
		if !p.accept(kAND) {
			return
		}
	}
}

var permissions = tokSet(kCREATE, kALTER, kDROP, kSELECT, kMODIFY, kAUTHORIZE, kDESCRIBE, kEXECUTE)

func (p *parser) permissionOrAll() {
	if p.accept(kALL) {
		p.accept(kPERMISSIONS)
		return
	}
	for {
		if !permissions[p.la(1)] {
			p.noViable(1)
		}
		p.consume()
		p.accept(kPERMISSION)
		if !p.accept(tCOMMA) {
			return
		}
	}
}

// resource parses dataResource | roleResource | functionResource | jmxResource.
func (p *parser) resource() {
	t, t2 := p.la(1), p.la(2)
	switch {
	case t == kALL && (t2 == kKEYSPACES || t2 == kROLES || t2 == kMBEANS):
		p.consume()
		p.consume()
		return
	case t == kALL && t2 == kFUNCTIONS:
		p.consume()
		p.consume()
		if p.accept(kIN) {
			p.match(kKEYSPACE)
			p.keyspaceName()
		}
		return
	case t == kKEYSPACE:
		p.consume()
		p.keyspaceName()
		return
	case t == kROLE && (t2 == tSTRING || t2 == tQUOTED || t2 == tIDENT || isUnreservedKw(t2)):
		p.consume()
		p.roleName()
		return
	case t == kFUNCTION && t2 != tDOT && !followQualified[t2]:
		p.consume()
		p.functionName()
		p.argTypes()
		return
	case (t == kMBEAN || t == kMBEANS) && t2 == tSTRING:
		p.consume()
		p.consume()
		return
	}
	p.accept(kCOLUMNFAMILY)
	p.columnFamilyName()
}

// grantRevokeStatement parses GRANT/REVOKE of permissions or of roles.
func (p *parser) grantRevokeStatement() Statement {
	verb := strings.ToUpper(p.consume().text)
	to := kTO
	if verb == "REVOKE" {
		to = kFROM
	}
	t := p.la(1)
	if permissions[t] || t == kALL && (p.la(2) == kON || p.la(2) == kPERMISSIONS) {
		p.permissionOrAll()
		p.match(kON)
		p.resource()
		p.match(to)
		p.roleName()
		return &Unsupported{Kind: verb + " PERMISSIONS"}
	}
	p.roleName()
	p.match(to)
	p.roleName()
	return &Unsupported{Kind: verb + " ROLE"}
}

func (p *parser) listStatement() Statement {
	p.match(kLIST)
	switch p.la(1) {
	case kUSERS:
		p.consume()
		return &Unsupported{Kind: "LIST USERS"}
	case kROLES:
		p.consume()
		if p.accept(kOF) {
			p.roleName()
		}
		p.accept(kNORECURSIVE)
		return &Unsupported{Kind: "LIST ROLES"}
	}
	p.permissionOrAll()
	if p.accept(kON) {
		p.resource()
	}
	if p.accept(kOF) {
		p.roleName()
	}
	p.accept(kNORECURSIVE)
	return &Unsupported{Kind: "LIST PERMISSIONS"}
}

func (p *parser) describeStatement() Statement {
	p.consume()
	switch t := p.la(1); t {
	case kCLUSTER, kKEYSPACES, kTABLES, kTYPES, kFUNCTIONS, kAGGREGATES:
		p.consume()
	case kFULL:
		p.consume()
		p.match(kKEYSPACE) // SCHEMA lexes as K_KEYSPACE
	case kONLY, kKEYSPACE:
		p.consume()
		if t == kONLY {
			p.match(kKEYSPACE)
		}
		if isKsName(p.la(1)) {
			p.keyspaceName()
		}
	case kCOLUMNFAMILY, kINDEX:
		p.consume()
		p.columnFamilyName()
	case kMATERIALIZED:
		p.consume()
		p.match(kVIEW)
		p.columnFamilyName()
	case kTYPE:
		p.consume()
		p.userTypeName()
	case kFUNCTION, kAGGREGATE:
		p.consume()
		p.functionName()
	default:
		p.qualifiedName("table")
	}
	if p.accept(kWITH) {
		p.match(kINTERNALS)
	}
	return &Unsupported{Kind: "DESCRIBE"}
}
