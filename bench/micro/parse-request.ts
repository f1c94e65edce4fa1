// Micro benchmark: scanning and parsing request heads (a wrk-like GET, a browser-like GET, a query).
// `node bench/micro/parse-request.ts`

import { DEFAULT_PARSE_LIMITS, type HeadScan, parseRequestHead, scanHead } from "../../src/http/parse-request.ts";
import { RequestHead } from "../../src/http/request-head.ts";
import { measure } from "./measure.ts";

const heads = {
  "wrk GET": "GET /1k.txt HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
  "browser GET (10 fields)":
    "GET /assets/app.js HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0\r\n" +
    "Accept: */*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\n" +
    'Referer: https://example.com/\r\nSec-Fetch-Dest: script\r\nSec-Fetch-Mode: no-cors\r\nIf-None-Match: "abc-123"\r\n\r\n',
  "GET with query": "GET /search?q=portico&page=2 HTTP/1.1\r\nHost: example.com\r\n\r\n",
};

for (const [name, text] of Object.entries(heads)) {
  const buf = Buffer.from(text, "latin1");
  const scan: HeadScan = { pos: -1, lineStart: 0, lines: 0 };
  measure(`scanHead: ${name}`, () => {
    scan.pos = 0;
    scan.lineStart = 0;
    scan.lines = 0;
    return scanHead(buf, 0, buf.length, scan, DEFAULT_PARSE_LIMITS);
  });
  measure(`parseRequestHead: ${name}`, () => {
    const head = new RequestHead();
    return parseRequestHead(buf, 0, buf.length, DEFAULT_PARSE_LIMITS, head);
  });
}
