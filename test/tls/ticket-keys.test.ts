import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import tls from "node:tls";
import { rotateTicketKey, TicketKeys } from "../../src/tls/ticket-keys.ts";
import { KEY_SLOTS, TICKET_RING_BYTES } from "../../src/tls/ticket-ring.ts";

type Answer = [number, Buffer, Buffer, Buffer?, Buffer?];
interface Native {
  onticketkeycallback(name: Buffer, iv: Buffer, encrypt: boolean): Answer;
}

function attached(ring: SharedArrayBuffer): Native {
  const context = tls.createSecureContext({});
  new TicketKeys(ring).attach(context);
  return context.context as Native;
}

test("tickets are encrypted under the newest key; older keys still decrypt and ask for a renewal", () => {
  const ring = new SharedArrayBuffer(TICKET_RING_BYTES);
  rotateTicketKey(ring);
  const thread1 = attached(ring);
  const thread2 = attached(ring);
  const [found, hmac, aes, name, iv] = thread1.onticketkeycallback(Buffer.alloc(16), Buffer.alloc(16), true);
  assert.equal(found, 1);
  assert.equal(name!.length, 16);
  assert.equal(iv!.length, 16);
  // Another thread decrypts with the same key.
  const [same, hmac2, aes2] = thread2.onticketkeycallback(name!, iv!, false);
  assert.equal(same, 1);
  assert.deepEqual([hmac2, aes2], [hmac, aes]);
  // After a rotation the ticket still decrypts, with a new ticket asked for (2).
  rotateTicketKey(ring);
  assert.equal(thread2.onticketkeycallback(name!, iv!, false)[0], 2);
  const [, , , newName] = thread2.onticketkeycallback(Buffer.alloc(16), Buffer.alloc(16), true);
  assert.notDeepEqual(newName, name);
  // Once KEY_SLOTS newer keys exist the old one is gone: a full handshake (0).
  for (let i = 1; i < KEY_SLOTS; i++) rotateTicketKey(ring);
  assert.equal(thread1.onticketkeycallback(name!, iv!, false)[0], 0);
});
