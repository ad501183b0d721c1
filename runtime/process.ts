// Whether a process of this machine is still running: the liveness test behind every lock and
// leftover that a crashed process can leave (study claims, run folders, interrupted saves).

/** True while `pid` names a running process (EPERM: it runs, as another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
