// The layout of the session ticket key ring in shared memory (ticket-keys.ts writes and reads it):
// sizes only, so that runtime/shared-memory.ts can reserve the ring without loading node:crypto into
// threads that serve plain HTTP. Not here: the keys themselves, their rotation.

/** Key name (16), HMAC secret (16), AES-128 key (16): the layout Node's ticket callback takes. */
export const KEY_BYTES = 48;
/** Keys kept: the newest encrypts, all decrypt. */
export const KEY_SLOTS = 3;
/** Int32 header: [sequence (odd while a writer is inside), generation (keys written so far)]. */
export const HEADER_BYTES = 8;
/** What runtime/shared-memory.ts reserves for the ring. */
export const TICKET_RING_BYTES = HEADER_BYTES + KEY_SLOTS * KEY_BYTES;
