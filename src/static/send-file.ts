// Answers GET/HEAD for a known file: picks the representation (Accept-Encoding), applies the
// conditional and range filters (http/filters), and sends the bytes — a prepared response, a slice of
// memory, or a stream from disk. Synchronous whenever the chosen bytes are in memory.
// Not here: finding the file (lookup.ts), keeping it (file-cache.ts), making compressed variants (compress.ts).

import { Buffer } from "node:buffer";
import { evaluateConditions, evaluateIfRange, NOT_MODIFIED, PRECONDITION_FAILED } from "../http/filters/conditional.ts";
import {
  type ByteRange,
  contentRange,
  multipartLayout,
  parseRange,
  RANGE_PARTIAL,
  RANGE_UNSATISFIABLE,
  unsatisfiedRange,
} from "../http/filters/range.ts";
import {
  F_ACCEPT_ENCODING,
  F_IF_MATCH,
  F_IF_MODIFIED_SINCE,
  F_IF_NONE_MATCH,
  F_IF_RANGE,
  F_IF_UNMODIFIED_SINCE,
  F_RANGE,
} from "../http/headers.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { sendStatus, statusForFsError } from "./errors.ts";
import type { FileEntry, Variant } from "./file-entry.ts";
import { acceptedEncodings } from "./negotiate.ts";
import { closeQuietly, openForReading, type Segment, streamSegments } from "./stream-file.ts";

export interface SendOptions {
  /** Separates the parts of multipart/byteranges bodies. */
  readonly boundary: string;
  /** Most ranges honoured in one request (more: the whole file). */
  readonly maxRanges: number;
  /** Makes the compressed variant `index` of a cached entry; resolves once it is settled. */
  readonly compress: (entry: FileEntry, index: number) => Promise<void>;
  /** A file that was found could not be opened (server fault, logged once by the owner). */
  readonly onError: (error: unknown) => void;
}

/** A descriptor the caller opened for the identity file; set `claimed` when taking it over. */
export interface OpenFile {
  readonly fd: number;
  claimed: boolean;
}

/** A response whose body is read from disk: what #sendFromDisk writes. */
interface DiskResponse {
  /** The file to open when no descriptor was lent. */
  readonly file: string;
  /** The descriptor a new cache entry was read through, lent to stream from, or null. */
  readonly open: OpenFile | null;
  readonly status: 200 | 206;
  readonly fields: readonly string[];
  /** Content-Length: what the segments add up to. */
  readonly length: number;
  /** Byte ranges of the file and literal parts (multipart heads), in order. */
  readonly segments: readonly Segment[];
}

export class FileSender {
  readonly #options: SendOptions;

  constructor(options: SendOptions) {
    this.#options = options;
  }

  /** Answers the request from `entry`; returns true, or a promise of true when bytes come from disk or zlib. */
  send(req: Request, res: Response, entry: FileEntry, open: OpenFile | null = null): boolean | Promise<boolean> {
    // One pass over the field ids tells which filters apply; most requests need none.
    const f = req.fields;
    let conditional = false;
    let ranged = false;
    let negotiate = false;
    for (let k = 4; k < f.length; k += 5) {
      const id = f[k]!;
      if (id === F_IF_MATCH || id === F_IF_NONE_MATCH || id === F_IF_MODIFIED_SINCE || id === F_IF_UNMODIFIED_SINCE)
        conditional = true;
      else if (id === F_RANGE) ranged = true;
      else if (id === F_ACCEPT_ENCODING) negotiate = true;
    }
    // Range is defined for GET (RFC 9110 §14.2); HEAD answers with the fields GET would get (§9.3.2), so
    // it sees the same 206 head, as with nginx. Ranges are answered from the identity representation.
    let variant = entry.identity;
    if (negotiate && entry.negotiable && !ranged) {
      const order = acceptedEncodings(req.getCombined(F_ACCEPT_ENCODING)!);
      for (let i = 0; i < order.length; i++) {
        const index = order[i]!;
        const candidate = entry.encoded[index];
        if (candidate === null) continue;
        if (candidate === undefined) return this.#compressThenSend(req, res, entry, index);
        variant = candidate;
        break;
      }
    }
    if (!conditional && !ranged && variant.ok !== null) {
      res.sendPrepared(variant.ok);
      return true;
    }
    return this.#sendVariant(req, res, entry, variant, conditional, ranged, variant === entry.identity ? open : null);
  }

  async #compressThenSend(req: Request, res: Response, entry: FileEntry, index: number): Promise<boolean> {
    await this.#options.compress(entry, index);
    return this.send(req, res, entry);
  }

  #sendVariant(
    req: Request,
    res: Response,
    entry: FileEntry,
    variant: Variant,
    conditional: boolean,
    ranged: boolean,
    open: OpenFile | null,
  ): boolean | Promise<boolean> {
    if (conditional) {
      // RFC 9110 §13.2.2: preconditions before Range, evaluated against the selected representation.
      const verdict = evaluateConditions(
        true,
        req.getCombined(F_IF_MATCH),
        req.getCombined(F_IF_NONE_MATCH),
        req.get(F_IF_MODIFIED_SINCE),
        req.get(F_IF_UNMODIFIED_SINCE),
        variant.etag,
        entry.lastModifiedMs,
      );
      if (verdict === NOT_MODIFIED) {
        if (variant.notModified !== null) res.sendPrepared(variant.notModified);
        else res.send(304, variant.notModifiedFields);
        return true;
      }
      if (verdict === PRECONDITION_FAILED) {
        sendStatus(res, 412);
        return true;
      }
    }
    if (ranged) {
      const ifRange = req.get(F_IF_RANGE);
      if (ifRange === undefined || evaluateIfRange(ifRange, variant.etag, entry.lastModifiedMs)) {
        const result = parseRange(req.get(F_RANGE)!, variant.size, this.#options.maxRanges);
        if (result.kind === RANGE_UNSATISFIABLE) {
          sendStatus(res, 416, ["Content-Range", unsatisfiedRange(variant.size)]);
          return true;
        }
        if (result.kind === RANGE_PARTIAL) return this.#sendRanges(req, res, entry, variant, result.ranges, open);
      }
    }
    if (variant.ok !== null) {
      res.sendPrepared(variant.ok);
      return true;
    }
    return this.#sendFromDisk(req, res, {
      file: variant.path,
      open,
      status: 200,
      fields: variant.fields,
      length: variant.size,
      segments: [{ start: 0, end: variant.size - 1 }],
    });
  }

  #sendRanges(
    req: Request,
    res: Response,
    entry: FileEntry,
    variant: Variant,
    ranges: readonly ByteRange[],
    open: OpenFile | null,
  ): boolean | Promise<boolean> {
    const body = variant.body;
    if (ranges.length === 1) {
      const r = ranges[0]!;
      const fields = [
        "Content-Type",
        entry.mime.contentType,
        "Content-Range",
        contentRange(r, variant.size),
        ...variant.notModifiedFields,
        "Accept-Ranges",
        "bytes",
        "X-Content-Type-Options",
        "nosniff",
      ];
      if (body !== null) {
        res.send(206, fields, body.subarray(r.start, r.end + 1));
        return true;
      }
      return this.#sendFromDisk(req, res, {
        file: variant.path,
        open,
        status: 206,
        fields,
        length: r.end - r.start + 1,
        segments: ranges,
      });
    }
    // Several ranges: multipart/byteranges (RFC 9110 §14.6).
    const layout = multipartLayout(ranges, variant.size, entry.mime.contentType, this.#options.boundary);
    const fields = [
      "Content-Type",
      layout.contentType,
      ...variant.notModifiedFields,
      "Accept-Ranges",
      "bytes",
      "X-Content-Type-Options",
      "nosniff",
    ];
    if (body !== null) {
      const pieces: Buffer[] = [];
      for (const part of layout.parts)
        pieces.push(Buffer.from(part.head, "latin1"), body.subarray(part.start, part.end + 1));
      pieces.push(Buffer.from(layout.tail, "latin1"));
      res.send(206, fields, Buffer.concat(pieces, layout.length));
      return true;
    }
    const segments: Segment[] = [];
    for (const part of layout.parts) segments.push(part.head, { start: part.start, end: part.end });
    segments.push(layout.tail);
    return this.#sendFromDisk(req, res, {
      file: variant.path,
      open,
      status: 206,
      fields,
      length: layout.length,
      segments,
    });
  }

  /**
   * Streams from `open` when the caller lent a descriptor, else opens the file before the head goes out,
   * so a permission or race failure still gets a status.
   */
  async #sendFromDisk(req: Request, res: Response, plan: DiskResponse): Promise<boolean> {
    const { file, open, status, fields, length, segments } = plan;
    let fd: number;
    try {
      if (open !== null) {
        open.claimed = true;
        fd = open.fd;
      } else {
        fd = await openForReading(file);
      }
    } catch (error) {
      const code = statusForFsError(error);
      if (code >= 500) this.#options.onError(error);
      sendStatus(res, code);
      return true;
    }
    if (req.aborted) {
      closeQuietly(fd);
      return true;
    }
    res.writeHead(status, fields, length);
    if (req.method === "HEAD" || length === 0) {
      streamSegments(req, res, fd, []);
      return true;
    }
    streamSegments(req, res, fd, segments);
    return true;
  }
}
