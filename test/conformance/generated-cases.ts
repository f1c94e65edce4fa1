// Portico's own request byte strings for the differential test, one rule per group: methods,
// targets, versions, field names and values byte by byte, line endings, Content-Length,
// Transfer-Encoding, chunked bodies, Host, pipelining and Expect. Each is valid or invalid on purpose.

export interface GeneratedCase {
  readonly id: string;
  readonly bytes: Buffer;
}

const HOST = "Host: example.com\r\n";

function req(head: string, body = ""): Buffer {
  return Buffer.from(head + body, "latin1");
}

export function generatedCases(): GeneratedCase[] {
  const out: GeneratedCase[] = [];
  const add = (id: string, text: string | Buffer): void => {
    out.push({ id: `gen/${id}`, bytes: typeof text === "string" ? Buffer.from(text, "latin1") : text });
  };

  // Methods (RFC 9110 §9.1; method = token).
  for (const m of ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"])
    add(`method/${m}`, `${m} / HTTP/1.1\r\n${HOST}\r\n`);
  for (const [name, m] of [
    ["lowercase", "get"],
    ["at-sign", "G@T"],
    ["paren", "GE(T"],
    ["empty", ""],
    ["tab", "GE\tT"],
    ["high-byte", "G\xc9T"],
  ]) {
    add(`method/${name}`, `${m} / HTTP/1.1\r\n${HOST}\r\n`);
  }

  // Request targets (RFC 9112 §3.2).
  const targets: Array<[string, string, string]> = [
    ["root", "GET", "/"],
    ["path", "GET", "/a/b/c.txt"],
    ["query", "GET", "/a?b=c&d"],
    ["percent", "GET", "/a%20b"],
    ["double-slash", "GET", "//a"],
    ["dot-segments", "GET", "/a/../b/./c"],
    ["subdelims", "GET", "/a;b=c,d!$&'()*+"],
    ["asterisk-options", "OPTIONS", "*"],
    ["absolute-http", "GET", "http://example.com/p?q=1"],
    ["absolute-https-port", "GET", "https://example.com:8443/"],
    ["authority-connect", "CONNECT", "example.com:443"],
    ["space-inside", "GET", "/a b"],
    ["del", "GET", "/a\x7f"],
    ["ctl", "GET", "/a\x01"],
    ["high-bytes", "GET", "/caf\xe9"],
    ["backslash", "GET", "/a\\b"],
    ["empty", "GET", ""],
  ];
  for (const [name, method, target] of targets) add(`target/${name}`, `${method} ${target} HTTP/1.1\r\n${HOST}\r\n`);
  add("target/two-spaces-before", `GET  / HTTP/1.1\r\n${HOST}\r\n`);
  add("target/two-spaces-after", `GET /  HTTP/1.1\r\n${HOST}\r\n`);
  add("target/tab-separator", `GET\t/ HTTP/1.1\r\n${HOST}\r\n`);

  // Versions (RFC 9112 §2.3).
  const versions: Array<[string, string]> = [
    ["1.0", "HTTP/1.0"],
    ["1.1", "HTTP/1.1"],
    ["lowercase", "http/1.1"],
    ["no-minor", "HTTP/1"],
    ["three-parts", "HTTP/1.1.1"],
    ["two-digit-major", "HTTP/11.1"],
    ["space-before-slash", "HTTP /1.1"],
    ["trailing-space", "HTTP/1.1 "],
    ["missing", ""],
    ["letters", "HTTP/a.b"],
    ["other-protocol", "HTTPS/1.1"],
  ];
  for (const [name, version] of versions) add(`version/${name}`, `GET / ${version}\r\n${HOST}\r\n`);
  add("version/1.0-no-host", "GET / HTTP/1.0\r\n\r\n");

  // Field names (RFC 9110 §5.1: token).
  for (const c of "!#$%&'*+-.^_`|~")
    add(`name/tchar-${c.charCodeAt(0).toString(16)}`, `GET / HTTP/1.1\r\n${HOST}X${c}Y: v\r\n\r\n`);
  for (const c of '(),/;<=>?@[\\]{}"')
    add(`name/separator-${c.charCodeAt(0).toString(16)}`, `GET / HTTP/1.1\r\n${HOST}X${c}Y: v\r\n\r\n`);
  for (const b of [0x00, 0x01, 0x7f, 0x80, 0xff])
    add(`name/byte-${b.toString(16)}`, req(`GET / HTTP/1.1\r\n${HOST}X${String.fromCharCode(b)}Y: v\r\n\r\n`));
  add("name/space-before-colon", `GET / HTTP/1.1\r\n${HOST}X-A : v\r\n\r\n`);
  add("name/tab-before-colon", `GET / HTTP/1.1\r\n${HOST}X-A\t: v\r\n\r\n`);
  add("name/empty", `GET / HTTP/1.1\r\n${HOST}: v\r\n\r\n`);
  add("name/no-colon", `GET / HTTP/1.1\r\n${HOST}X-A v\r\n\r\n`);
  add("name/leading-space-first-line", `GET / HTTP/1.1\r\n X-A: v\r\n${HOST}\r\n`);

  // Field values (RFC 9110 §5.5): every control byte, DEL, obs-text, whitespace.
  for (let b = 0; b < 0x20; b++) {
    if (b === 0x0a || b === 0x0d) continue;
    add(
      `value/byte-${b.toString(16).padStart(2, "0")}`,
      req(`GET / HTTP/1.1\r\n${HOST}X-A: a${String.fromCharCode(b)}b\r\n\r\n`),
    );
  }
  add("value/byte-7f", `GET / HTTP/1.1\r\n${HOST}X-A: a\x7fb\r\n\r\n`);
  add("value/byte-80", `GET / HTTP/1.1\r\n${HOST}X-A: a\x80b\r\n\r\n`);
  add("value/byte-ff", `GET / HTTP/1.1\r\n${HOST}X-A: a\xffb\r\n\r\n`);
  add("value/ows-around", `GET / HTTP/1.1\r\n${HOST}X-A: \t a b \t\r\n\r\n`);
  add("value/empty", `GET / HTTP/1.1\r\n${HOST}X-A:\r\n\r\n`);
  add("value/only-spaces", `GET / HTTP/1.1\r\n${HOST}X-A:    \r\n\r\n`);
  add("value/quoted", `GET / HTTP/1.1\r\n${HOST}X-A: "a, b" ; c=d\r\n\r\n`);
  add("value/repeated-field", `GET / HTTP/1.1\r\n${HOST}Accept: a\r\nAccept: b\r\n\r\n`);
  add("value/obs-fold-space", `GET / HTTP/1.1\r\n${HOST}X-A: a\r\n b\r\n\r\n`);
  add("value/obs-fold-tab", `GET / HTTP/1.1\r\n${HOST}X-A: a\r\n\tb\r\n\r\n`);
  add("value/long", `GET / HTTP/1.1\r\n${HOST}X-A: ${"v".repeat(4000)}\r\n\r\n`);
  add(
    "value/many-fields",
    `GET / HTTP/1.1\r\n${HOST}${Array.from({ length: 60 }, (_, i) => `X-${i}: ${i}\r\n`).join("")}\r\n`,
  );

  // Line endings (RFC 9112 §2.2).
  add("eol/bare-lf-request-line", `GET / HTTP/1.1\n${HOST}\r\n`);
  add("eol/bare-lf-field", `GET / HTTP/1.1\r\nHost: example.com\nX-A: b\r\n\r\n`);
  add("eol/bare-lf-final", `GET / HTTP/1.1\r\n${HOST}\n`);
  add("eol/all-bare-lf", "GET / HTTP/1.1\nHost: example.com\n\n");
  add("eol/bare-cr-request-line", `GET / HTTP/1.1\r${HOST}\r\n`);
  add("eol/bare-cr-field", `GET / HTTP/1.1\r\nHost: example.com\rX-A: b\r\n\r\n`);
  add("eol/bare-cr-final", `GET / HTTP/1.1\r\n${HOST}\rX`);
  add("eol/cr-cr-lf", `GET / HTTP/1.1\r\r\n${HOST}\r\n`);
  add("eol/leading-crlf", `\r\nGET / HTTP/1.1\r\n${HOST}\r\n`);
  add("eol/leading-two-crlf", `\r\n\r\nGET / HTTP/1.1\r\n${HOST}\r\n`);
  add("eol/leading-lf", `\nGET / HTTP/1.1\r\n${HOST}\r\n`);
  add("eol/leading-space", ` GET / HTTP/1.1\r\n${HOST}\r\n`);

  // Content-Length (RFC 9112 §6.2, RFC 9110 §8.6).
  const lengths: Array<[string, string, string]> = [
    ["zero", "0", ""],
    ["five", "5", "hello"],
    ["leading-zeros", "005", "hello"],
    ["ows", " 5 ", "hello"],
    ["list-equal", "5, 5", "hello"],
    ["list-equal-nospace", "5,5", "hello"],
    ["list-different", "5, 6", "hello!"],
    ["negative", "-1", ""],
    ["plus", "+5", "hello"],
    ["decimal", "5.0", "hello"],
    ["hex", "0x5", "hello"],
    ["exponent", "1e1", "0123456789"],
    ["empty", "", ""],
    ["letters", "five", "hello"],
    ["space-inside", "1 0", "0123456789"],
    ["huge", "99999999999999999999", ""],
    ["body-shorter", "10", "hello"],
  ];
  for (const [name, value, body] of lengths)
    add(`content-length/${name}`, req(`POST / HTTP/1.1\r\n${HOST}Content-Length: ${value}\r\n\r\n`, body));
  add(
    "content-length/duplicate-equal",
    req(`POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\nContent-Length: 5\r\n\r\n`, "hello"),
  );
  add(
    "content-length/duplicate-different",
    req(`POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\nContent-Length: 6\r\n\r\n`, "hello!"),
  );
  add("content-length/on-get", req(`GET / HTTP/1.1\r\n${HOST}Content-Length: 3\r\n\r\n`, "abc"));
  add("content-length/http10", req("POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n", "abc"));

  // Transfer-Encoding (RFC 9112 §6.1, §6.3).
  const chunk = "5\r\nhello\r\n0\r\n\r\n";
  const codings: Array<[string, string]> = [
    ["chunked", "chunked"],
    ["chunked-mixed-case", "ChUnKeD"],
    ["chunked-ows", " chunked \t"],
    ["gzip-chunked", "gzip, chunked"],
    ["chunked-gzip", "chunked, gzip"],
    ["gzip", "gzip"],
    ["identity", "identity"],
    ["chunked-twice", "chunked, chunked"],
    ["unknown", "pigeons"],
    ["empty", ""],
    ["parameter", "chunked;q=1"],
    ["leading-comma", ", chunked"],
    ["chunked-suffix", "xchunked"],
  ];
  for (const [name, value] of codings)
    add(`transfer-encoding/${name}`, `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: ${value}\r\n\r\n${chunk}`);
  add(
    "transfer-encoding/split-fields",
    `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`,
  );
  add(
    "transfer-encoding/with-content-length",
    `POST / HTTP/1.1\r\n${HOST}Content-Length: 15\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`,
  );
  add(
    "transfer-encoding/content-length-first",
    `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n${chunk}`,
  );
  add("transfer-encoding/http10", `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`);

  // Chunked bodies (RFC 9112 §7.1).
  const bodies: Array<[string, string]> = [
    ["two-chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"],
    ["uppercase-hex", "A\r\n0123456789\r\n0\r\n\r\n"],
    ["leading-zeros", "005\r\nhello\r\n000\r\n\r\n"],
    ["extension-token", "5;a=b\r\nhello\r\n0\r\n\r\n"],
    ["extension-name-only", "5;a\r\nhello\r\n0\r\n\r\n"],
    ["extension-quoted", '5;a="x y"\r\nhello\r\n0\r\n\r\n'],
    ["extension-quoted-escape", '5;a="x\\"y"\r\nhello\r\n0\r\n\r\n'],
    ["extension-bws", "5 ; a = b\r\nhello\r\n0\r\n\r\n"],
    ["extension-empty", "5;\r\nhello\r\n0\r\n\r\n"],
    ["extension-on-last", "5\r\nhello\r\n0;done\r\n\r\n"],
    ["trailer", "5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n"],
    ["trailers-two", "5\r\nhello\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\n"],
    ["trailer-bad-name", "5\r\nhello\r\n0\r\nX A: 1\r\n\r\n"],
    ["trailer-obs-fold", "5\r\nhello\r\n0\r\nX-A: 1\r\n 2\r\n\r\n"],
    ["trailer-no-colon", "5\r\nhello\r\n0\r\nXA\r\n\r\n"],
    ["size-space", "5 \r\nhello\r\n0\r\n\r\n"],
    ["size-bare-lf", "5\nhello\r\n0\r\n\r\n"],
    ["data-too-long", "5\r\nhello!\r\n0\r\n\r\n"],
    ["data-bare-lf", "5\r\nhello\n0\r\n\r\n"],
    ["missing-last-chunk", "5\r\nhello\r\n"],
    ["missing-final-crlf", "5\r\nhello\r\n0\r\n"],
    ["size-negative", "-5\r\nhello\r\n0\r\n\r\n"],
    ["size-0x", "0x5\r\nhello\r\n0\r\n\r\n"],
    ["size-huge", "ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"],
    ["size-missing", "\r\nhello\r\n0\r\n\r\n"],
    ["size-letters", "zz\r\nhello\r\n0\r\n\r\n"],
    ["binary-data", "4\r\n\x00\r\n\xff\r\n0\r\n\r\n"],
    ["many-small", `${"1\r\nx\r\n".repeat(50)}0\r\n\r\n`],
    ["many-leading-zeros", `${"0".repeat(20)}5\r\nhello\r\n0\r\n\r\n`],
    ["extension-quoted-crlf", '5;a="x\r\ny"\r\nhello\r\n0\r\n\r\n'],
  ];
  for (const [name, body] of bodies)
    add(`chunked/${name}`, `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n${body}`);

  // Host (RFC 9112 §3.2, RFC 9110 §7.2).
  const hosts: Array<[string, string]> = [
    ["missing", ""],
    ["empty", "Host:\r\n"],
    ["port", "Host: example.com:8080\r\n"],
    ["ipv4", "Host: 127.0.0.1\r\n"],
    ["ipv6", "Host: [::1]:80\r\n"],
    ["duplicate", "Host: a\r\nHost: a\r\n"],
    ["duplicate-different", "Host: a\r\nHost: b\r\n"],
    ["space-inside", "Host: a b\r\n"],
    ["slash", "Host: a/b\r\n"],
    ["bad-port", "Host: a:8x\r\n"],
    ["userinfo", "Host: u@a\r\n"],
    ["unclosed-ipv6", "Host: [::1\r\n"],
  ];
  for (const [name, field] of hosts) add(`host/${name}`, `GET / HTTP/1.1\r\n${field}\r\n`);
  add("host/absolute-form-without-host", "GET http://example.com/ HTTP/1.1\r\n\r\n");
  add("host/absolute-form-with-other-host", "GET http://example.com/p HTTP/1.1\r\nHost: other.example\r\n\r\n");
  add("target/connect-origin-form", `CONNECT /path HTTP/1.1\r\n${HOST}\r\n`);
  add("expect/100-continue-http10", req("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", "hi"));

  // Persistence and pipelining (RFC 9112 §9.3).
  add("pipeline/two-gets", `GET /1 HTTP/1.1\r\n${HOST}\r\nGET /2 HTTP/1.1\r\n${HOST}\r\n`);
  add(
    "pipeline/get-post-get",
    `GET /1 HTTP/1.1\r\n${HOST}\r\nPOST /2 HTTP/1.1\r\n${HOST}Content-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\n${HOST}\r\n`,
  );
  add(
    "pipeline/chunked-then-get",
    `POST /1 HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /2 HTTP/1.1\r\n${HOST}\r\n`,
  );
  add("pipeline/second-invalid", `GET /1 HTTP/1.1\r\n${HOST}\r\nGET /2 HTTP/1.1\r\n${HOST}X A: b\r\n\r\n`);
  add(
    "pipeline/keep-alive-10",
    "GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  );
  add(
    "pipeline/stray-crlf-between",
    `POST /1 HTTP/1.1\r\n${HOST}Content-Length: 1\r\n\r\na\r\nGET /2 HTTP/1.1\r\n${HOST}\r\n`,
  );
  add("connection/close-token-list", `GET / HTTP/1.1\r\n${HOST}Connection: foo, close\r\n\r\n`);
  add("connection/keep-alive-11", `GET / HTTP/1.1\r\n${HOST}Connection: keep-alive\r\n\r\n`);

  // Expect (RFC 9110 §10.1.1).
  add("expect/100-continue", req(`POST / HTTP/1.1\r\n${HOST}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n`, "hi"));
  add(
    "expect/100-continue-uppercase",
    req(`POST / HTTP/1.1\r\n${HOST}Expect: 100-CONTINUE\r\nContent-Length: 2\r\n\r\n`, "hi"),
  );
  add("expect/other", `GET / HTTP/1.1\r\n${HOST}Expect: 200-ok\r\n\r\n`);

  // Truncated inputs: the client stops mid-message.
  add("truncated/request-line", "GET / HT");
  add("truncated/field", `GET / HTTP/1.1\r\n${HOST}X-A: v`);
  add("truncated/body", req(`POST / HTTP/1.1\r\n${HOST}Content-Length: 10\r\n\r\n`, "abc"));

  return out;
}
