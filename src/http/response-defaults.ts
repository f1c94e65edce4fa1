// The fields every response carries whatever its protocol, after the status and before the handler's
// own: one list per listener kind, so a new default field (HSTS on TLS listeners, Alt-Svc) is one edit.
// Date (RFC 9110 §6.6.1) is added by each protocol's serializer once a second and is not listed here.
// Each serializer precomputes its own form of the list (HTTP/1.1 lines, HPACK bytes) once.

import { checkField, type HeaderList } from "./response.ts";

/** How many PreparedResponse encoding slots each defaults object reserves (HTTP/1.1 three, HTTP/2 one). */
const SLOTS_PER_DEFAULTS = 4;
/** Slot offsets within a defaults object's range. */
export const SLOT_H1 = 0;
export const SLOT_H2 = 3;

let nextId = 0;

export class ResponseDefaults {
  readonly fields: HeaderList;
  /** Field lines as HTTP/1.1 sends them (each ending in CRLF). */
  readonly h1Lines: string;
  /** Whether every value is ASCII (h1-writer.ts may then write a head as a string). */
  readonly ascii: boolean;
  /** The first PreparedResponse encoding slot of this defaults object (response.ts). */
  readonly slotBase: number;

  constructor(fields: HeaderList) {
    let lines = "";
    let ascii = true;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (!checkField(fields[i]!, fields[i + 1]!)) ascii = false;
      lines += `${fields[i]}: ${fields[i + 1]}\r\n`;
    }
    this.fields = fields;
    this.h1Lines = lines;
    this.ascii = ascii;
    this.slotBase = nextId++ * SLOTS_PER_DEFAULTS;
  }
}

/** What every listener sends today. */
export const STANDARD_DEFAULTS = new ResponseDefaults(["Server", "portico"]);
