package roster

import (
	"context"
	"database/sql/driver"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Every domain writes its SQL once, with SQLite's "?" placeholders, and
// binds Go bools to columns that are BOOLEAN in one place and INTEGER in
// another. On PostgreSQL the store's connections come from pgConnector, a
// thin wrapper around pgx's database/sql connector that rewrites "?" to
// "$1", "$2", … and passes a bool as the text "1" or "0", which
// PostgreSQL reads as a boolean or as an integer, whichever the column is.

// pgConnector is a driver.Connector for PostgreSQL speaking dutybot's
// portable SQL.
type pgConnector struct {
	pgx driver.Connector
}

func newPGConnector(cfg pgx.ConnConfig) *pgConnector {
	return &pgConnector{pgx: stdlib.GetConnector(cfg)}
}

// Connect opens one connection.
func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.pgx.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: conn.(*stdlib.Conn)}, nil
}

// Driver returns pgx's driver.
func (c *pgConnector) Driver() driver.Driver { return c.pgx.Driver() }

// pgConn is a pgx connection whose queries are rewritten by placeholders.
// Everything else (transactions, pings, session reset) is pgx's.
type pgConn struct {
	*stdlib.Conn
}

// Prepare prepares query with its placeholders rewritten.
func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(placeholders(query))
}

// PrepareContext prepares query with its placeholders rewritten.
func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, placeholders(query))
}

// ExecContext runs query with its placeholders rewritten.
func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, placeholders(query), args)
}

// QueryContext runs query with its placeholders rewritten.
func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, placeholders(query), args)
}

// CheckNamedValue passes a bool as "1" or "0" (pgx sends a string in text
// format, and PostgreSQL's input functions for both boolean and integer
// accept these), and everything else as it is, for pgx to encode.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if b, ok := nv.Value.(bool); ok {
		nv.Value = "0"
		if b {
			nv.Value = "1"
		}
	}
	return nil
}

// placeholders rewrites each "?" of query to PostgreSQL's "$n", numbering
// them from 1, except inside string literals, quoted identifiers and
// comments. A query without "?" is returned as it is.
func placeholders(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		case c == '\'' || c == '"':
			// Copy up to the closing quote; a doubled quote is an
			// escaped one and simply closes and reopens.
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
			continue
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+1])
			i += end
			continue
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+4])
			i += end + 3
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
