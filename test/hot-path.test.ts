import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely'
import { CompiledQuery, createQueryId } from 'kysely'
import { describe, expect, it } from 'vitest'
import { newTokenId } from '../src/identity/tokens/token-format.ts'
import { bearer, buildTestApp, dialects, makeUser, tokenFor } from './helpers.ts'

/**
 * The benchmark's `--tokens` check, made deterministic: what the Bearer hot path asks
 * the database must not depend on how many tokens exist. A cached token costs no query
 * at all; an uncached one costs the same few queries, each an index lookup, on an empty
 * table and on a filled one.
 */

/** Every query the app builds, as Kysely operation nodes. */
class QueryRecorder implements KyselyPlugin {
  nodes: RootOperationNode[] = []
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.nodes.push(args.node)
    return args.node
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

const FILL = 20_000
const HELLO = '/apiops/test/hello/John'

describe.each(dialects())('the Bearer hot path and the size of the token table (%s)', (dialect) => {
  it('asks nothing for a cached token, and the same index lookups for an uncached one, however many tokens exist', async () => {
    const recorder = new QueryRecorder()
    const ctx = await buildTestApp(dialect, { plugins: [recorder] })
    try {
      const { id: userId } = await makeUser(ctx, 'alice')
      const { token } = await tokenFor(ctx, userId)

      const uncached = async () => {
        ctx.events.publish({ type: 'cache.flush' })
        recorder.nodes = []
        expect((await ctx.app.inject({ url: HELLO, headers: bearer(token) })).statusCode).toBe(200)
        return recorder.nodes.filter((n) => n.kind === 'SelectQueryNode')
      }
      const empty = await uncached()
      expect(empty.length).toBeGreaterThan(0)

      recorder.nodes = []
      for (let i = 0; i < 50; i++) {
        expect((await ctx.app.inject({ url: HELLO, headers: bearer(token) })).statusCode).toBe(200)
      }
      expect(recorder.nodes).toEqual([])

      const now = new Date().toISOString()
      for (let start = 0; start < FILL; start += 500) {
        await ctx.store.db
          .insertInto('api_tokens')
          .values(
            Array.from({ length: 500 }, (_, i) => ({
              id: newTokenId(),
              user_id: userId,
              name: `filler ${start + i}`,
              source: 'cli' as const,
              token_hash: `filler-hash-${start + i}`,
              kid: ctx.keys.current.kid,
              created_at: now,
            })),
          )
          .execute()
      }
      if (dialect === 'postgres')
        await ctx.store.db.executeQuery(CompiledQuery.raw('ANALYZE api_tokens'))
      else await ctx.store.db.executeQuery(CompiledQuery.raw('ANALYZE'))

      const filled = await uncached()
      expect(filled.map((n) => n.kind)).toEqual(empty.map((n) => n.kind))

      // Each of those queries finds its rows through an index, never by reading the table.
      for (const node of filled) {
        const compiled = ctx.store.db.getExecutor().compileQuery(node, createQueryId())
        const explain = dialect === 'postgres' ? 'EXPLAIN ' : 'EXPLAIN QUERY PLAN '
        const plan = await ctx.store.db.executeQuery<Record<string, unknown>>(
          CompiledQuery.raw(`${explain}${compiled.sql}`, [...compiled.parameters]),
        )
        const text = plan.rows.map((row) => Object.values(row).join(' ')).join('\n')
        // PostgreSQL: "Index Scan using ..."; SQLite: "SEARCH ... USING INDEX ...". A read
        // of the whole table would be "Seq Scan" or a bare "SCAN <table>".
        expect(text, compiled.sql).toMatch(
          /Index (Only )?Scan using|SEARCH \w+ USING (COVERING )?INDEX/,
        )
        expect(text, compiled.sql).not.toMatch(/Seq Scan|\bSCAN \w+$/m)
      }
    } finally {
      await ctx.close()
    }
  }, 60_000)
})
