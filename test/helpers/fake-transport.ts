// A Transport that records what its owner asks of it, for unit tests of the engine's connection parts
// (reader, body pump, ending) without a socket. Not a transport contract check (http/transport-cases.ts).

import { Buffer } from "node:buffer";
import type net from "node:net";
import type { Transport, TransportOwner } from "../../src/http/transport.ts";

export class FakeTransport implements Transport {
  error = "";
  destroyed = false;
  needDrain = false;
  flushed = true;
  settledButHeld = true;
  remoteAddress = "127.0.0.1";
  remotePort = 40000;
  localPort = 8080;
  /** Every call, in order: "pause", "resume", "end", "closeAfterWrites", "destroy", "toSocket". */
  readonly calls: string[] = [];
  readonly written: Buffer[] = [];
  /** The callback of the last end(), for the test to run when "the kernel has the FIN". */
  endCallback: (() => void) | undefined;
  owner: TransportOwner | null = null;

  start(owner: TransportOwner): void {
    this.owner = owner;
  }
  outputBuffer(n: number): Buffer {
    return Buffer.allocUnsafe(n);
  }
  write(data: Buffer | string): boolean {
    this.written.push(typeof data === "string" ? Buffer.from(data) : Buffer.from(data));
    return true;
  }
  cork(): void {}
  uncork(): void {}
  end(callback?: () => void): void {
    this.calls.push("end");
    this.endCallback = callback;
  }
  closeAfterWrites(): void {
    this.calls.push("closeAfterWrites");
  }
  pause(): void {
    this.calls.push("pause");
  }
  resume(): void {
    this.calls.push("resume");
  }
  destroy(): void {
    this.calls.push("destroy");
    this.destroyed = true;
  }
  toSocket(): net.Socket {
    this.calls.push("toSocket");
    return {} as net.Socket;
  }
}
