// Gzip of rotated access log files (--access-log-gzip), streamed through node:zlib off the request
// path. A rotated file is compressed only once no thread can still be appending to it (every thread
// between reading the rotation generation and finishing its write has finished), into NAME's
// inode-named ".gz.part" file; when that is complete and flushed it takes the place of the file under the
// rotation lock — found again by inode, as numbered rotation may have moved it meanwhile, or dropped it.
// A process stopped mid-compression leaves the rotated file whole and a .part file, which the next
// start removes before compressing what is left. Not here: when and how files rotate (log-rotation.ts).

import fs from "node:fs";
import path from "node:path";
import type { RotatedFiles } from "./log-rotation.ts";

const PART = ".gz.part";
/** How soon to look again while a thread is mid-write or another holds the rotation lock. */
const RETRY_MS = 2;

interface FileId {
  readonly dev: number;
  readonly ino: number;
}

export class LogCompressor {
  readonly #file: string;
  readonly #files: RotatedFiles;

  constructor(file: string, files: RotatedFiles) {
    this.#file = file;
    this.#files = files;
  }

  /** A file just rotated: compressed once no thread can still append to it. */
  add(name: string): void {
    const id = idOf(name);
    if (id === null) return;
    const check = (): void => {
      if (this.#files.isQuiet()) this.#compress(id);
      else setTimeout(check, RETRY_MS);
    };
    check();
  }

  /** At start: removes half-written .gz files, then compresses the rotated files left uncompressed. */
  recover(): void {
    const dir = path.dirname(this.#file);
    const base = `${path.basename(this.#file)}.`;
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const entry of entries)
      if (entry.startsWith(base) && entry.endsWith(PART)) removeQuietly(path.join(dir, entry));
    for (const name of this.#files.list()) {
      if (!fs.existsSync(name)) continue;
      // Stopped between the .gz taking its place and the original's removal: the .gz is whole.
      if (fs.existsSync(`${name}.gz`)) removeQuietly(name);
      else this.add(name);
    }
  }

  #compress(id: FileId): void {
    const name = this.#find(id);
    if (name === null) return;
    let fd: number;
    try {
      fd = fs.openSync(name, "r");
    } catch {
      return;
    }
    const part = `${this.#file}.${id.ino}${PART}`;
    // node:zlib and node:stream load with the first file to compress: every thread that logs has this
    // module, and most never rotate.
    const zlib = process.getBuiltinModule("node:zlib");
    process.getBuiltinModule("node:stream").pipeline(
      fs.createReadStream("", { fd }),
      zlib.createGzip(),
      // flush: fsync before close, so the .gz that replaces the file is on disk before the file goes.
      fs.createWriteStream(part, { flush: true }),
      (error) => {
        if (error) removeQuietly(part);
        else this.#place(id, part);
      },
    );
  }

  /** NAME.part → NAME.gz and NAME removed, under the rotation lock; dropped if NAME was rotated out. */
  #place(id: FileId, part: string): void {
    const files = this.#files;
    if (!files.tryLock()) {
      setTimeout(() => this.#place(id, part), RETRY_MS);
      return;
    }
    try {
      const name = this.#find(id);
      if (name === null) {
        removeQuietly(part);
        return;
      }
      fs.renameSync(part, `${name}.gz`);
      removeQuietly(name);
    } catch {
      removeQuietly(part);
    } finally {
      files.unlock();
    }
  }

  /** The rotated file's name now (numbered rotation renames it), or null once it is gone. */
  #find(id: FileId): string | null {
    for (const name of this.#files.list()) {
      const other = idOf(name);
      if (other !== null && other.dev === id.dev && other.ino === id.ino) return name;
    }
    return null;
  }
}

function idOf(name: string): FileId | null {
  try {
    const st = fs.statSync(name);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Not there.
  }
}
