/**
 * The file operations the audit log makes, on node:fs's callback API. Not fs.promises: the audit log opens its file
 * at start-up, and loading fs.promises loads ten more built-in modules (directory handles, file watchers, readline)
 * into every gateway (0.2-0.4 MiB of idle RSS, measured in the image) for what these few wrappers do.
 */
import { close, fdatasync, fstat, ftruncate, mkdir, open, read, readdir, stat, unlink, write } from 'node:fs';
import { dirname } from 'node:path';

type Callback<T> = (err: NodeJS.ErrnoException | null, value: T) => void;

function call<T>(start: (cb: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value))));
}

/** An open file: its descriptor and the calls the audit log makes on it. */
export interface AuditFile {
  /** For writeSync on the event loop's thread (audit-log.ts says why). */
  readonly fd: number;
  size(): Promise<number>;
  /** Reads into `buf` from `position`; resolves the bytes read. */
  read(buf: Buffer, position: number): Promise<number>;
  /** Writes all of `buf` at `position`. */
  write(buf: Buffer, position: number): Promise<void>;
  truncate(length: number): Promise<void>;
  datasync(): Promise<void>;
  /** Closes once; later calls resolve at once (a descriptor number closed twice could be another file's by then). */
  close(): Promise<void>;
}

/** Opens `path` with `flags` ('r', 'a', 'w') and, for a new file, `mode`. */
export async function openFile(path: string, flags: string, mode?: number): Promise<AuditFile> {
  const fd = await call<number>((cb) => open(path, flags, mode, cb));
  let closing: Promise<void> | undefined;
  return {
    fd,
    size: async () => (await call<{ size: number }>((cb) => fstat(fd, cb))).size,
    read: (buf, position) => call<number>((cb) => read(fd, buf, 0, buf.length, position, cb)),
    async write(buf, position) {
      for (let off = 0; off < buf.length;) off += await call<number>((cb) => write(fd, buf, off, buf.length - off, position + off, cb));
    },
    truncate: (length) => call<void>((cb) => ftruncate(fd, length, cb)),
    datasync: () => call<void>((cb) => fdatasync(fd, cb)),
    close: () => (closing ??= call<void>((cb) => close(fd, cb))),
  };
}

/** The entries of a directory. */
export const readDir = (dir: string): Promise<string[]> => call<string[]>((cb) => readdir(dir, cb));
/** Removes a file. */
export const removeFile = (path: string): Promise<void> => call<void>((cb) => unlink(path, cb));
/**
 * Creates a directory and its parents (no error when it exists). Not `mkdir(dir, { recursive: true })`: under a
 * path where mkdir answers ENOENT although the parent exists (/proc; /sys answers EPERM), Node's recursive mkdir
 * retries forever at full CPU (Node 20 and 22, measured), and a gateway with such an audit path never started nor
 * stopped. Here each level is tried at most twice, so the walk is bounded by the path's depth and such a path fails
 * with ENOENT.
 */
export async function makeDir(dir: string): Promise<void> {
  const mkdirOnce = (d: string) => call<void>((cb) => mkdir(d, (err) => cb(err, undefined)));
  try {
    await mkdirOnce(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!(await call<{ isDirectory(): boolean }>((cb) => stat(dir, cb))).isDirectory()) throw err;
      return;
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    await makeDir(parent);
    await mkdirOnce(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}
