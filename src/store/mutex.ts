/**
 * Install-root lock: `ROOT/.lock`, created with O_EXCL, holding the owner's pid.
 * A lock whose pid no longer runs (kill(pid, 0) → ESRCH) is stale and is broken
 * under a second exclusive file so that two breakers cannot both take over.
 */
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { AextError, toAextError } from '../errors.js';

/** Held root lock; call {@link RootLock.release}. */
export interface RootLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(file: string): Promise<{ pid: number; host: string } | undefined> {
  try {
    const v = JSON.parse(await fsp.readFile(file, 'utf8')) as { pid: number; host: string };
    return v;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Acquires the lock of `root`, waiting up to `timeoutMs` (ms) for another
 * process to finish. `AEXT_LOCK_TIMEOUT_MS` overrides the default of 30,000 ms.
 * @throws AextError E_ROOT_LOCKED on timeout (details name the holder pid); E_IO.
 */
export async function acquireRootLock(root: string, timeoutMs = Number(process.env.AEXT_LOCK_TIMEOUT_MS ?? 30_000)): Promise<RootLock> {
  const file = path.join(root, '.lock');
  const breaker = file + '.break';
  const deadline = Date.now() + timeoutMs;
  const me = JSON.stringify({ pid: process.pid, host: os.hostname(), created: new Date().toISOString() });
  for (;;) {
    try {
      const fh = await fsp.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      await fh.writeFile(me);
      await fh.close();
      return {
        release: async () => {
          const o = await readOwner(file);
          if (o?.pid === process.pid) await fsp.rm(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw toAextError(e, { file });
    }
    const owner = await readOwner(file);
    const stale = owner === undefined ? await olderThan(file, 5_000) : owner.host === os.hostname() && !alive(owner.pid);
    if (stale) {
      try {
        const b = await fsp.open(breaker, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
        await b.close();
        try {
          const again = await readOwner(file);
          if (again === undefined ? await olderThan(file, 5_000) : again.pid === owner?.pid) await fsp.rm(file, { force: true });
        } finally {
          await fsp.rm(breaker, { force: true });
        }
        continue;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw toAextError(e, { file });
        if (await olderThan(breaker, 10_000)) await fsp.rm(breaker, { force: true });
      }
    }
    if (Date.now() >= deadline) {
      throw new AextError('E_ROOT_LOCKED', `install root ${root} is locked by another aext process${owner ? ` (pid ${owner.pid})` : ''}`, { file, holder: owner?.pid });
    }
    await sleep(50 + Math.random() * 50);
  }
}

async function olderThan(file: string, ms: number): Promise<boolean> {
  try {
    const st = await fsp.lstat(file);
    return Date.now() - st.mtimeMs > ms;
  } catch {
    return false;
  }
}
