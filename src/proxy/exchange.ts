// One proxied request from choice to finish: pick an upstream, send the rewritten head, stream the
// request body with backpressure, relay the response (or a 101 into a tunnel), retry safely on
// failure, count active requests for the balancer and report health. Never throws into the engine.
// Not here: parsing (http/), header rules (forward.ts), socket handling (upstream-connection.ts).

import type { BodySink, Request } from "../http/request.ts";
import type { HttpError } from "../http/errors.ts";
import type { Response } from "../http/response.ts";
import { loopNow, monotonicNow } from "../common/clock.ts";
import { BODY_LENGTH, BODY_NONE, type ResponseHead } from "../http/parse-response.ts";
import { reasonPhrase } from "../http/status.ts";
import { affinityKey } from "./affinity.ts";
import { FAIL_CONNECT, FAIL_LOCAL, FAIL_NO_RESPONSE, type FailureKind, ProxyError } from "./errors.ts";
import { CLIENT_GONE, upstreamAttemptChannel, upstreamErrorChannel, upstreamStartChannel } from "./events.ts";
import {
  buildRequestHead,
  copiedResponseFields,
  type ForwardPlan,
  isForwardableTrailer,
  switchingProtocolsHead,
} from "./forward.ts";
import type { UpstreamGroup } from "./group.ts";
import { tunnel } from "./tunnel.ts";
import type { Upstream } from "./upstream.ts";
import { UpstreamConnection } from "./upstream-connection.ts";
import type { UpstreamListener } from "./upstream-listener.ts";

export interface ExchangeSettings {
  /** Total tries per request, first one included. */
  readonly maxAttempts: number;
  /** Send the upstream's authority as Host instead of the client's. */
  readonly rewriteHost: boolean;
  readonly proto: string;
  /**
   * Error bodies name the upstream and the failure (development). Off by default: an address or an
   * errno tells clients about the inside; the log, the upstream notices and the status page have it.
   */
  readonly errorDetail?: boolean;
}

/** RFC 9110 §9.2.2: methods whose repetition has the same intended effect. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
const TEXT = ["Content-Type", "text/plain; charset=utf-8"];
/** A 503 (no upstream available, no descriptor left) says when to come back (RFC 9110 §10.2.3). */
const TEXT_RETRY = [...TEXT, "Retry-After", "1"];

export class ProxyExchange implements UpstreamListener, BodySink {
  readonly #req: Request;
  readonly #res: Response;
  readonly #group: UpstreamGroup;
  readonly #settings: ExchangeSettings;
  #upstream: Upstream<UpstreamConnection> | null = null;
  #conn: UpstreamConnection | null = null;
  #tried: number[] | null = null;
  #attempts = 0;
  #requestComplete = false;
  #bodyPaused = false;
  #finished = false;
  #lastError: ProxyError | null = null;
  #responsePaused = false;
  #freshOnly = false;
  /** A small response that arrived whole: sent (head and body in one write) at onResponseEnd. */
  #wholeBodyEnd = -1;
  #wholeHead: ResponseHead | null = null;
  /** Made on the first backpressure only: most responses never need it. */
  #resumeUpstream: (() => void) | null = null;
  /** When the current try began (monotonic ms), and the status its upstream answered (0: none yet). */
  #attemptAt = 0;
  #upstreamStatus = 0;

  constructor(req: Request, res: Response, group: UpstreamGroup, settings: ExchangeSettings) {
    this.#req = req;
    this.#res = res;
    this.#group = group;
    this.#settings = settings;
  }

  start(): void {
    this.#req.onAbort(this);
    this.#attempt();
  }

  #attempt(): void {
    const group = this.#group;
    const now = loopNow();
    const key = group.affinity.kind === "ip" ? this.#req.remoteAddress : affinityKey(this.#req, group.affinity);
    const index = group.select(key, this.#tried ?? NONE, now);
    if (index === -1) {
      const error =
        this.#lastError ??
        new ProxyError(
          503,
          "NO_UPSTREAM",
          `No upstream is available for ${group.prefix} (${group.unavailableCount(now)} of ${group.upstreams.length} out of rotation)`,
        );
      this.#respondError(error);
      return;
    }
    this.#attempts++;
    this.#upstreamStatus = 0;
    if (upstreamAttemptChannel.hasSubscribers) this.#attemptAt = monotonicNow();
    const upstream = group.upstreams[index]!;
    upstream.passive.chosen();
    this.#upstream = upstream;
    if (upstreamStartChannel.hasSubscribers)
      upstreamStartChannel.publish({ request: this.#req, upstream: upstream.authority, attempt: this.#attempts });
    group.counts.add(index);
    // After a stale keep-alive race the retry gets a new socket: its pool mates may be stale too.
    let conn = this.#freshOnly ? null : upstream.pool.take();
    while (conn !== null && !conn.usable) conn = upstream.pool.take();
    if (conn !== null) conn.reuse();
    else conn = new UpstreamConnection(upstream, group.sweeper, group.timeouts);
    this.#conn = conn;
    const req = this.#req;
    // One plan object per thread, refilled for each request: buildRequestHead reads it and returns.
    const plan = PLAN;
    plan.clientAddress = clientAddress(req.remoteAddress);
    plan.proto = this.#settings.proto;
    plan.prefix = group.prefix;
    plan.basePath = group.basePath;
    plan.host = this.#settings.rewriteHost ? upstream.authority : null;
    plan.upstreamAuthority = upstream.authority;
    plan.upgrade = req.upgrade !== "";
    conn.begin(this, req.method, buildRequestHead(req, plan, conn), req.chunked, req.hasBody);
  }

  // ── request body (BodySink) ──────────────────────────────────────────────────────────────────

  onUpstreamConnected(): void {
    const req = this.#req;
    if (!req.hasBody) {
      this.#requestComplete = true;
      return;
    }
    if (req.bodyStarted) return;
    req.readBody(this);
  }

  data(chunk: Buffer): boolean {
    const conn = this.#conn;
    if (conn === null || this.#finished) return true;
    if (conn.writeBody(chunk)) return true;
    this.#bodyPaused = true;
    return false;
  }

  end(trailers: readonly string[]): void {
    this.#requestComplete = true;
    this.#conn?.endBody(trailers);
  }

  error(_error: HttpError | Error): void {
    // The client's body failed (the engine answers the client); the upstream exchange is void.
    if (this.#finished) return;
    if (this.#upstream !== null) this.#attemptEnded(this.#upstream, CLIENT_GONE);
    this.#upstream?.passive.releaseTrial();
    this.#conn?.destroy();
    this.#conn = null;
    this.#finish(false);
  }

  onUpstreamDrain(): void {
    if (!this.#bodyPaused) return;
    this.#bodyPaused = false;
    this.#req.resumeBody();
  }

  // ── response ─────────────────────────────────────────────────────────────────────────────────

  onResponseHead(head: ResponseHead, bodyKind: number, wholeBodyEnd: number): void {
    const res = this.#res;
    this.#upstreamStatus = head.status;
    if (head.status === 101) {
      this.#switchProtocols(head);
      return;
    }
    if (wholeBodyEnd !== -1) {
      // Small response, all here: the engine sends head and body in one write; onResponseEnd follows.
      this.#wholeBodyEnd = wholeBodyEnd;
      this.#wholeHead = head;
      return;
    }
    let length: number | undefined;
    if (bodyKind === BODY_LENGTH) length = head.contentLength;
    else if (bodyKind === BODY_NONE)
      length = head.contentLength >= 0 ? head.contentLength : this.#req.method === "HEAD" ? undefined : 0;
    res.writeHeadCopied(head.status, copiedResponseFields(head), length);
  }

  onResponseData(chunk: Buffer): void {
    if (this.#finished) return;
    if (!this.#res.write(chunk) && !this.#responsePaused) {
      this.#responsePaused = true;
      this.#conn?.pause();
      this.#res.onDrain(
        (this.#resumeUpstream ??= (): void => {
          this.#responsePaused = false;
          this.#conn?.resume();
        }),
      );
    }
  }

  onResponseEnd(trailers: readonly string[]): void {
    if (this.#finished) return;
    const upstream = this.#upstream;
    if (upstream !== null) this.#attemptEnded(upstream, "");
    // Finish first: ending the response may make the engine abandon an unread request body, which
    // must then find this exchange already complete.
    this.#finish(true);
    upstream?.succeeded();
    const head = this.#wholeHead;
    if (head !== null) {
      this.#wholeHead = null;
      // The head is the connection's and is reused by its next response: used here, not kept.
      this.#res.sendCopied(head.status, copiedResponseFields(head), head.raw, head.headEnd, this.#wholeBodyEnd);
    } else {
      // Trailers go on when the client's framing has room for them (chunked), minus those that
      // must never travel as trailers (RFC 9110 §6.5.1).
      this.#res.end(undefined, trailers.length === 0 ? trailers : trailers.filter(isForwardableTrailer));
    }
  }

  onUpstreamError(error: ProxyError, kind: FailureKind): void {
    if (this.#finished) return;
    const upstream = this.#upstream!;
    const conn = this.#conn;
    this.#conn = null;
    this.#attemptEnded(upstream, error.code);
    if (upstreamErrorChannel.hasSubscribers)
      upstreamErrorChannel.publish({ upstream: upstream.authority, code: error.code, message: error.message });
    // A reset on a reused keep-alive socket is usually the upstream closing an idle connection as we
    // sent: not a sign of ill health, and worth one more try on a fresh socket.
    const staleRace =
      conn?.reused === true && error.code === "UPSTREAM_RESET" && kind === FAIL_NO_RESPONSE && !this.#freshOnly;
    // Out of descriptors is this process's trouble: the upstream keeps its standing.
    if (staleRace || kind === FAIL_LOCAL) upstream.passive.releaseTrial();
    else upstream.failed(loopNow(), error.message);
    this.#release();
    const req = this.#req;
    // Another try only when nothing of this response reached the client and the upstream cannot have
    // acted on the request: nothing reached it, or the request is idempotent and its body (if any)
    // was never read from the client (RFC 9110 §9.2.2). A response that could not be parsed, or a
    // small one cut short, had reached nobody (the connection holds those: FAIL_PARTIAL).
    const replayable = kind === FAIL_CONNECT || (kind !== FAIL_LOCAL && IDEMPOTENT.has(req.method) && !req.bodyStarted);
    if (!this.#res.headersSent && replayable && this.#attempts < this.#settings.maxAttempts) {
      this.#lastError = error;
      if (staleRace) this.#freshOnly = true;
      else (this.#tried ??= []).push(upstream.index);
      this.#attempt();
      return;
    }
    this.#respondError(error);
  }

  #attemptEnded(upstream: Upstream<UpstreamConnection>, error: string): void {
    if (!upstreamAttemptChannel.hasSubscribers) return;
    upstreamAttemptChannel.publish({
      request: this.#req,
      upstream: upstream.authority,
      status: this.#upstreamStatus,
      durationMs: monotonicNow() - this.#attemptAt,
      error,
    });
  }

  #switchProtocols(head: ResponseHead): void {
    const conn = this.#conn!;
    const req = this.#req;
    if (req.upgrade === "") {
      if (this.#upstream !== null) this.#attemptEnded(this.#upstream, "UPGRADE_REFUSED");
      conn.destroy();
      this.#conn = null;
      this.#upstream?.failed(loopNow(), "unrequested 101");
      this.#respondError(
        new ProxyError(
          502,
          "UPGRADE_REFUSED",
          `Upstream ${conn.upstream.authority} switched protocols without being asked`,
        ),
      );
      return;
    }
    this.#upstream?.succeeded();
    if (this.#upstream !== null) this.#attemptEnded(this.#upstream, "");
    const upstreamSide = conn.detach();
    this.#conn = null;
    const clientSide = this.#res.detach(101);
    clientSide.socket.write(switchingProtocolsHead(head));
    const counts = this.#group.counts;
    const index = this.#upstream!.index;
    this.#upstream = null;
    this.#finished = true;
    // The tunnel keeps its upstream counted as active until both sides close.
    tunnel(clientSide, upstreamSide, this.#group.timeouts.idleMs, () => counts.sub(index));
  }

  #respondError(error: ProxyError): void {
    const res = this.#res;
    // A head still waiting for its first body byte has not reached the client: the error replaces it.
    if (!res.finished && (!res.headersSent || res.retractHead())) {
      res.send(
        error.status,
        error.status === 503 ? TEXT_RETRY : TEXT,
        this.#settings.errorDetail === true
          ? `${reasonPhrase(error.status)}: ${error.message}\n`
          : `${reasonPhrase(error.status)}\n`,
      );
    } else {
      res.abort();
    }
    this.#finish(false);
  }

  /** The client went away (Request.onAbort): the upstream side is cut too. */
  requestAborted(): void {
    if (this.#finished) return;
    if (this.#upstream !== null) this.#attemptEnded(this.#upstream, CLIENT_GONE);
    this.#upstream?.passive.releaseTrial();
    const conn = this.#conn;
    this.#conn = null;
    conn?.destroy();
    this.#finish(false);
  }

  /** Gives the active count back and the socket to the pool (or closes it). */
  #release(): void {
    const upstream = this.#upstream;
    if (upstream === null) return;
    this.#upstream = null;
    this.#group.counts.sub(upstream.index);
  }

  #finish(success: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    const conn = this.#conn;
    this.#conn = null;
    if (conn !== null) {
      if (success) conn.release(this.#requestComplete);
      else conn.destroy();
    }
    this.#release();
  }
}

const NONE: readonly number[] = [];
const PLAN: { -readonly [K in keyof ForwardPlan]: ForwardPlan[K] } = {
  clientAddress: "",
  proto: "http",
  prefix: "/",
  basePath: null,
  host: null,
  upstreamAuthority: "",
  upgrade: false,
};

/** An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; forward the plain IPv4 form. */
function clientAddress(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
