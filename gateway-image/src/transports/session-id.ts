/**
 * Session identifiers: 256 bits from the CSPRNG, base64url (43 visible ASCII characters, as MCP requires of
 * Mcp-Session-Id). A session id is a bearer of the session for its principal; UUIDv4 carries only 122 random bits.
 */
import { randomBytes } from 'node:crypto';

/** Random bits in every session id. */
export const SESSION_ID_BITS = 256;

/** A new session identifier. */
export function newSessionId(): string {
  return randomBytes(SESSION_ID_BITS / 8).toString('base64url');
}
