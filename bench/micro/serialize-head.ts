// Micro benchmark: building response heads — a prepared response's bytes (the cached-file path),
// and a head serialized from a field list (the dynamic path).
// `node bench/micro/serialize-head.ts`

import { serializeFields } from "../../src/http/h1-writer.ts";
import { PreparedResponse } from "../../src/http/response.ts";
import { statusLine } from "../../src/http/status.ts";
import { dateHeaderLine } from "../../src/common/clock.ts";
import { measure } from "./measure.ts";

const fields = [
  "Content-Type",
  "text/plain; charset=utf-8",
  "ETag",
  '"1a0en-sg-mwr24o41"',
  "Last-Modified",
  "Sat, 21 Nov 2026 23:46:48 GMT",
  "Accept-Ranges",
  "bytes",
  "X-Content-Type-Options",
  "nosniff",
];
const prepared = new PreparedResponse(200, fields, Buffer.alloc(1024, 97));
prepared.encoded(0);
prepared.keepEncoded(0, Buffer.alloc(1200));

measure("PreparedResponse.encoded (cached second)", () => prepared.encoded(0));
measure("serializeFields (5 fields)", () => serializeFields(fields));
measure(
  "full head string (status+date+fields)",
  () =>
    statusLine(200) +
    "Server: portico\r\n" +
    dateHeaderLine() +
    serializeFields(fields) +
    "Content-Length: 1024\r\n\r\n",
);
measure("full head to Buffer (latin1)", () =>
  Buffer.from(statusLine(200) + dateHeaderLine() + serializeFields(fields) + "\r\n", "latin1"),
);
