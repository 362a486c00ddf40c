// Package cql parses the subset of CQL 3.4 the simulator executes into the
// statement types below. Identifiers are already normalised: unquoted names
// are lower-cased, "quoted" names keep their case and lose the quotes.
package cql

import "github.com/ringside/ringside/sim/cqltype"

// Statement is one parsed CQL statement.
type Statement interface{ statement() }

// TermKind says what a Term is.
type TermKind int

const (
	TermNull     TermKind = iota
	TermString            // 'text' or $$text$$: Text holds the unescaped string
	TermInteger           // 123, -5: Text holds the digits as written
	TermFloat             // 1.5, -2e3, NaN, Infinity: Text holds it as written
	TermBoolean           // true/false: Text is "true" or "false"
	TermUUID              // an unquoted uuid: Text holds it
	TermBlob              // 0xCAFE: Text holds the hex digits without 0x
	TermDuration          // 1h30m, P1D …: Text holds it
	TermList              // [a, b]: Elems
	TermSet               // {a, b}: Elems
	TermMap               // {k: v, …} and the empty {}: Keys[i] maps to Elems[i]
	TermTuple             // (a, b): Elems
	TermBind              // ? or :name: Bind is the 0-based position among all markers of the statement
	TermFunc              // now(), uuid(), toTimestamp(now()), currentTimestamp() …: Func, Args; arithmetic uses Cassandra's operator function names _add _substract _multiply _divide _modulo _negate
	TermCast              // (type) term: Type, Elems[0]
	TermUDT               // {field: v, …}: Keys[i] (TermString holding the field name) maps to Elems[i]
)

// Term is a value expression.
type Term struct {
	Kind     TermKind
	Text     string
	Elems    []Term
	Keys     []Term
	Bind     int
	BindName string // set for :name markers
	Func     string // lower-cased function name ("ks.fn" when qualified by a keyspace other than system)
	Args     []Term
	Type     cqltype.Type // TermCast, and TermFunc "cast" (CAST(x AS type))
}

// Relation is one WHERE clause restriction.
type Relation struct {
	// Columns holds one column, or several for a multi-column relation
	// such as (c1, c2) > (1, 2). With Token set, they are the arguments of token(...).
	Columns []string
	Token   bool
	// Op is one of = < <= > >= != IN CONTAINS "CONTAINS KEY" LIKE, "IS NOT"
	// (IS NOT NULL, Value TermNull) or EXPR (a custom index expression
	// expr(index, term): Columns holds the index name).
	Op string
	// Value is the right-hand side; for IN it is a TermList (or TermTuple
	// elements for multi-column IN) or a single TermBind (IN ?).
	Value Term
	// Key is set for map-element relations: m['k'] = v.
	Key *Term
}

// SelectorKind says what a Selector is.
type SelectorKind int

const (
	SelColumn    SelectorKind = iota // a column
	SelFunc                          // f(args): ttl, writetime, token, count, now, toJson, …
	SelCountStar                     // count(*) or count(1)
	SelTerm                          // a literal term
	SelElement                       // Args[0][Term]: a map or set element
	SelSlice                         // Args[0][From..To]: a collection slice (nil bound: open)
	SelField                         // Args[0].Column: a UDT field
	SelCast                          // CAST(Args[0] AS Type)
	SelHint                          // (Type) Args[0]: a type hint
	SelList                          // [Args...]
	SelSet                           // {Args...}
	SelMap                           // {Args[0]: Args[1], …}
	SelTuple                         // (Args...)
)

// Selector is one expression of a SELECT clause.
type Selector struct {
	Kind   SelectorKind
	Column string
	Func   string // lower-cased
	Args   []Selector
	Term   Term
	Alias  string       // AS alias, "" if none
	Type   cqltype.Type // SelCast, SelHint
	From   *Term        // SelSlice
	To     *Term        // SelSlice
}

// Ordering is one ORDER BY / CLUSTERING ORDER BY entry.
type Ordering struct {
	Column string
	Desc   bool
}

// Using holds USING TTL / TIMESTAMP.
type Using struct {
	TTL       *Term
	Timestamp *Term
}

// Select is SELECT.
type Select struct {
	Keyspace, Table   string // Keyspace "" means the connection's keyspace
	JSON              bool
	Distinct          bool
	Star              bool
	Selectors         []Selector
	Where             []Relation
	GroupBy           []string
	OrderBy           []Ordering
	PerPartitionLimit *Term
	Limit             *Term
	AllowFiltering    bool
}

// Insert is INSERT.
type Insert struct {
	Keyspace, Table string
	Columns         []string
	Values          []Term
	JSON            *Term // INSERT … JSON '…': Columns/Values empty
	// JSONDefaultUnset is INSERT JSON … DEFAULT UNSET (omitted columns stay
	// untouched instead of being set to null).
	JSONDefaultUnset bool
	IfNotExists      bool
	Using            Using
}

// AssignOp is the kind of an UPDATE assignment.
type AssignOp int

const (
	AssignSet     AssignOp = iota // c = v
	AssignAdd                     // c = c + v (also counters)
	AssignPrepend                 // c = v + c (lists)
	AssignRemove                  // c = c - v
	AssignElement                 // c[k] = v (Key set)
	AssignField                   // c.f = v (Field set): UDT field
)

// Assignment is one SET entry of UPDATE.
type Assignment struct {
	Column string
	Op     AssignOp
	Key    *Term
	Value  Term
	Field  string
}

// Condition is one IF condition of a lightweight transaction.
type Condition struct {
	Column string
	Key    *Term  // c[k] = v
	Op     string // = != < <= > >= IN
	Value  Term   // for IN: a TermList, or a TermBind for IN ?
	Field  string // c.f = v (UDT field)
}

// Update is UPDATE.
type Update struct {
	Keyspace, Table string
	Using           Using
	Set             []Assignment
	Where           []Relation
	IfExists        bool
	If              []Condition
}

// DeleteTarget is a column (optionally an element c[k]) named by DELETE.
type DeleteTarget struct {
	Column string
	Key    *Term
	Field  string // c.f (UDT field)
}

// Delete is DELETE.
type Delete struct {
	Keyspace, Table string
	Columns         []DeleteTarget // empty: the whole row / partition
	Using           Using
	Where           []Relation
	IfExists        bool
	If              []Condition
}

// BatchType is LOGGED (default), UNLOGGED or COUNTER.
type BatchType int

const (
	BatchLogged BatchType = iota
	BatchUnlogged
	BatchCounter
)

// Batch is BEGIN … BATCH … APPLY BATCH. Statements are *Insert, *Update or *Delete.
type Batch struct {
	Type       BatchType
	Using      Using
	Statements []Statement
}

// Use is USE keyspace.
type Use struct{ Keyspace string }

// Property is one WITH option: name = value (Value is a TermMap for
// replication, compaction, caching …). Names are lower-cased.
type Property struct {
	Name  string
	Value Term
}

// CreateKeyspace is CREATE KEYSPACE.
type CreateKeyspace struct {
	Name        string
	IfNotExists bool
	Properties  []Property
}

// AlterKeyspace is ALTER KEYSPACE.
type AlterKeyspace struct {
	Name       string
	IfExists   bool
	Properties []Property
}

// DropKeyspace is DROP KEYSPACE.
type DropKeyspace struct {
	Name     string
	IfExists bool
}

// ColumnDef is one column of CREATE TABLE / ALTER TABLE ADD. A user type
// is Type{ID: cqltype.UDT, Class: "name" or "ks.name"}; a quoted custom
// class is Type{ID: cqltype.Custom, Class: class}.
type ColumnDef struct {
	Name   string
	Type   cqltype.Type
	Static bool
}

// CreateTable is CREATE TABLE (or COLUMNFAMILY).
type CreateTable struct {
	Keyspace, Table string
	IfNotExists     bool
	Columns         []ColumnDef
	PartitionKey    []string
	Clustering      []string
	ClusteringOrder []Ordering
	CompactStorage  bool
	Properties      []Property
}

// AlterTable is ALTER TABLE: exactly one of Add, Drop, Rename, Properties is set.
type AlterTable struct {
	Keyspace, Table string
	IfExists        bool
	Add             []ColumnDef
	Drop            []string
	Rename          map[string]string
	Properties      []Property
	// IfColumnExists is DROP/RENAME IF EXISTS, IfColumnNotExists ADD IF NOT EXISTS.
	IfColumnExists    bool
	IfColumnNotExists bool
	// DropTimestamp is DROP … USING TIMESTAMP n.
	DropTimestamp *int64
}

// DropTable is DROP TABLE.
type DropTable struct {
	Keyspace, Table string
	IfExists        bool
}

// Truncate is TRUNCATE [TABLE].
type Truncate struct {
	Keyspace, Table string
}

// Unsupported is a statement the parser recognises as valid CQL that the
// simulator does not execute (CREATE INDEX, CREATE TYPE, CREATE ROLE, GRANT …).
// Kind is a short description such as "CREATE INDEX".
type Unsupported struct {
	Kind string
}

func (*Select) statement()         {}
func (*Insert) statement()         {}
func (*Update) statement()         {}
func (*Delete) statement()         {}
func (*Batch) statement()          {}
func (*Use) statement()            {}
func (*CreateKeyspace) statement() {}
func (*AlterKeyspace) statement()  {}
func (*DropKeyspace) statement()   {}
func (*CreateTable) statement()    {}
func (*AlterTable) statement()     {}
func (*DropTable) statement()      {}
func (*Truncate) statement()       {}
func (*Unsupported) statement()    {}

// SyntaxError is a parse failure, formatted as Cassandra's ANTLR-based parser
// reports it, e.g. "line 1:0 no viable alternative at input 'SELEKT' ([SELEKT]...)"
// (see ../shared reference cql-errors-and-lwt.txt). The server returns it
// as a SyntaxException (0x2000).
type SyntaxError struct {
	Line, Col int
	Msg       string // the full message, including the "line L:C " prefix
}

func (e *SyntaxError) Error() string { return e.Msg }

// Binder supplies bind-marker values to Term.Eval, already decoded to typ
// (the type of the column the marker stands for). It returns Unset for an
// unset value (protocol v4) and nil for null.
type Binder interface {
	Bind(index int, name string, typ cqltype.Type) (any, error)
}

// Unset is the value of a bind marker the client left unset.
var Unset = &struct{ unset bool }{true}
