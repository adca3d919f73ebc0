// A migration file is sent a statement at a time (src/store/sql-script.ts): a `;` ends a statement only
// outside strings, quoted names, dollar-quoted bodies and comments.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { splitSqlScript } from '../src/store/sql-script.js'

t.test('statements are split at each top-level semicolon, trimmed, without empty ones', async (t) => {
  t.same(splitSqlScript('CREATE TABLE a (x int);\n\nALTER TABLE a ADD y int ;;\nSELECT 1'), ['CREATE TABLE a (x int)', 'ALTER TABLE a ADD y int', 'SELECT 1'])
  t.same(splitSqlScript(' \n'), [])
})

t.test('a semicolon inside a string, a quoted name or an escape string does not end the statement', async (t) => {
  t.same(splitSqlScript("SELECT 'a;b', 'it''s; here';SELECT \"odd;\"\"name\" FROM t;SELECT E'x\\';y'"),
    ["SELECT 'a;b', 'it''s; here'", 'SELECT "odd;""name" FROM t', "SELECT E'x\\';y'"])
  t.same(splitSqlScript("SELECT e'\\\\';SELECT 2"), ["SELECT e'\\\\'", 'SELECT 2'], 'an escaped backslash ends before the quote')
  t.same(splitSqlScript("SELECT 'x\\';SELECT 2"), ["SELECT 'x\\'", 'SELECT 2'], 'a backslash escapes nothing in a standard string')
})

t.test('a function body in dollar quotes stays whole, with or without a tag', async (t) => {
  const fn = `CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$
BEGIN
  PERFORM 1; RETURN $$inner;$$::text::int;
END;
$body$`
  t.same(splitSqlScript(`${fn};\nSELECT f();`), [fn, 'SELECT f()'])
  t.same(splitSqlScript('DO $$ BEGIN PERFORM 1; END $$;SELECT $1'), ['DO $$ BEGIN PERFORM 1; END $$', 'SELECT $1'], 'a parameter is no dollar quote')
})

t.test('comments: a semicolon in them ends nothing, and a script\'s trailing comment is no statement', async (t) => {
  t.same(splitSqlScript('-- first; still a comment\nSELECT 1; /* a; /* nested; */ still; */ SELECT 2;\n-- the end;\n'),
    ['-- first; still a comment\nSELECT 1', '/* a; /* nested; */ still; */ SELECT 2'])
})

t.test('unterminated text is refused, not sent cut', async (t) => {
  t.throws(() => splitSqlScript("SELECT 'open; SELECT 2"), /unterminated text quoted with '/)
  t.throws(() => splitSqlScript('DO $x$ BEGIN; END'), /unterminated dollar-quoted text starting with \$x\$/)
  t.throws(() => splitSqlScript('SELECT 1 /* /* */'), /unterminated \/\* comment/)
})

t.test('the block store migration splits into its statements, the partition function whole', async (t) => {
  const script = await readFile(new URL('../migrations/008.do.log-blocks.sql', import.meta.url), 'utf8')
  const statements = splitSqlScript(script)
  t.equal(statements.length, 7)
  const fn = statements.find((s) => s.includes('CREATE FUNCTION log_blocks_ensure_partition'))
  t.match(fn, /\nCREATE FUNCTION log_blocks_ensure_partition\(day date\)[\s\S]*EXCEPTION WHEN duplicate_table THEN\s+NULL;\s+END;\s+RETURN name;\s+END;\s+\$\$$/)
})
