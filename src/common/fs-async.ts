// Promise forms of the few node:fs calls the server awaits, made over the callback API. node:fs/promises
// is not used in threads that serve: loading it brings readline and the REPL's history along (for
// FileHandle.readLines), ~0.35 MiB of resident memory per thread that nothing here needs.
// Not here: synchronous calls (node:fs directly), streaming a file to a socket (static/stream-file.ts).

import type { Buffer } from "node:buffer";
import fs from "node:fs";

type Done<T> = (error: NodeJS.ErrnoException | null, value: T) => void;

/** A promise settled by a node-style callback. */
function settle<T>(run: (done: Done<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, value) => (error === null ? resolve(value) : reject(error))));
}

/** A promise settled by a callback that carries no value. */
function settleVoid(run: (done: (error: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((error) => (error === null ? resolve() : reject(error))));
}

export const stat = (file: string): Promise<fs.Stats> => settle((done) => fs.stat(file, done));
export const lstat = (file: string): Promise<fs.Stats> => settle((done) => fs.lstat(file, done));
/** The kernel's realpath(3) (as fs/promises' realpath), not node:fs's JavaScript walk. */
export const realpath = (file: string): Promise<string> => settle((done) => fs.realpath.native(file, done));
export const readFile = (file: string): Promise<Buffer> => settle((done) => fs.readFile(file, done));
export const readTextFile = (file: string): Promise<string> => settle((done) => fs.readFile(file, "utf8", done));
export const readdirEntries = (dir: string): Promise<fs.Dirent[]> =>
  settle((done) => fs.readdir(dir, { withFileTypes: true }, done));
export const opendir = (dir: string): Promise<fs.Dir> => settle((done) => fs.opendir(dir, done));
export const unlink = (file: string): Promise<void> => settleVoid((done) => fs.unlink(file, done));
export const rename = (from: string, to: string): Promise<void> => settleVoid((done) => fs.rename(from, to, done));
export const mkdirp = (dir: string, mode: number): Promise<void> =>
  settleVoid((done) => fs.mkdir(dir, { recursive: true, mode }, (error) => done(error)));
/** Opens `file` and resolves its descriptor. */
export const open = (file: string, flags: string, mode?: number): Promise<number> =>
  settle((done) => fs.open(file, flags, mode, done));
export const fsync = (fd: number): Promise<void> => settleVoid((done) => fs.fsync(fd, done));
export const close = (fd: number): Promise<void> => settleVoid((done) => fs.close(fd, done));
/** Writes from `bytes[offset…offset+length)`; resolves how many bytes the file took (may be fewer). */
export const write = (fd: number, bytes: Buffer, offset: number, length: number): Promise<number> =>
  settle((done) => fs.write(fd, bytes, offset, length, null, (error, written) => done(error, written)));
