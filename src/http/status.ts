// Reason phrases (RFC 9110 §15) and the precomputed status lines the response writer starts with.

export const REASON: Readonly<Record<number, string>> = {
  100: "Continue",
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  204: "No Content",
  205: "Reset Content",
  206: "Partial Content",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  421: "Misdirected Request",
  422: "Unprocessable Content",
  426: "Upgrade Required",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

const STATUS_LINES = new Map<number, string>();
for (const [code, reason] of Object.entries(REASON)) {
  STATUS_LINES.set(Number(code), `HTTP/1.1 ${code} ${reason}\r\n`);
}

/** `HTTP/1.1 <code> <reason>\r\n`; unknown codes get an empty reason (RFC 9112 §4 allows it). */
export function statusLine(status: number): string {
  return STATUS_LINES.get(status) ?? `HTTP/1.1 ${status} \r\n`;
}

/** REASON as a dense array by code: a lookup per proxied response, no hashing. */
const REASON_BY_CODE: string[] = new Array<string>(600).fill("");
for (const [code, reason] of Object.entries(REASON)) REASON_BY_CODE[Number(code)] = reason;

export function reasonPhrase(status: number): string {
  return status >= 0 && status < REASON_BY_CODE.length ? REASON_BY_CODE[status]! : "";
}

/** RFC 9110 §6.4.1: 1xx, 204 and 304 never carry content. */
export function isBodilessStatus(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}
