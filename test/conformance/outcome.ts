// The common shape both sides of the differential test reduce a byte string to, and how two such
// outcomes are compared (field values without surrounding whitespace, RFC 9110 §5.5).

export interface Message {
  method: string;
  target: string;
  /** "1.0" or "1.1". */
  version: string;
  headers: Array<[string, string]>;
  /** latin1; undefined while not yet complete. */
  body: string | undefined;
}

export interface Outcome {
  /** ok: every message complete; error: rejected; incomplete: the input ended inside a message. */
  verdict: "ok" | "error" | "incomplete";
  /** Error code or status, for the report. */
  detail: string;
  messages: Message[];
}

function normalize(m: Message): string {
  const headers = m.headers.map(([n, v]) => `${n.toLowerCase()}: ${v.replace(/^[ \t]+|[ \t]+$/g, "")}`);
  return JSON.stringify([m.method, m.target, m.version, headers, m.body ?? ""]);
}

/** "" when the outcomes agree, else a one-line description of the first difference. */
export function compareOutcomes(portico: Outcome, node: Outcome): string {
  if (portico.verdict !== node.verdict)
    return `verdict: portico ${portico.verdict} (${portico.detail}) vs node ${node.verdict} (${node.detail})`;
  const count = Math.min(portico.messages.length, node.messages.length);
  if (portico.verdict === "ok" && portico.messages.length !== node.messages.length) {
    return `message count: portico ${portico.messages.length} vs node ${node.messages.length}`;
  }
  for (let i = 0; i < count; i++) {
    const a = normalize(portico.messages[i]!);
    const b = normalize(node.messages[i]!);
    if (a !== b) return `message ${i}: portico ${a} vs node ${b}`;
  }
  return "";
}
