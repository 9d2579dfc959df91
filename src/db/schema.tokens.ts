import type { TokenLimitsColumn } from './schema.resources.ts'

/** The api_tokens table: personal API access tokens (0001, 0029, 0033, 0034). */

export type TokenSource = 'console' | 'api' | 'cli'
export type TokenKind = 'canary'

export interface ApiTokensTable extends TokenLimitsColumn {
  /** The JWT's jti. */
  id: string
  user_id: string
  name: string
  source: TokenSource
  /** HMAC-SHA-256 of the whole token string under the key's pepper, base64url. */
  token_hash: string
  /** Which signing key (kid) minted it, so its hash can be recomputed after rotation. */
  kid: string
  created_at: string
  expires_at: string | null
  last_used_at: string | null
  last_used_ip: string | null
  revoked_at: string | null
  revoked_by: string | null
  /** The token this one was rotated into (0033); it may still live out a grace period. */
  rotated_to: string | null
  /** The first token of its rotation chain (0033); null: it starts one itself. */
  chain_id: string | null
  /** 'canary': it grants nothing and every use raises an alert (0034); null: ordinary. */
  kind: TokenKind | null
}

export type ReminderStatus = 'sending' | 'sent' | 'failed'

/** One reminder per token and threshold (0037): the primary key is the claim. */
export interface TokenRemindersTable {
  token_id: string
  /** '7d', '1d', or 'inactivity@<the last use it counts from>'. */
  threshold: string
  status: ReminderStatus
  attempts: number
  updated_at: string
}

/** A periodic job's lease (0037): one node holds it until expires_at. */
export interface LeasesTable {
  name: string
  holder: string
  expires_at: string
}
