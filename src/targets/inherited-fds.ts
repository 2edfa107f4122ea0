/**
 * Open files every command we spawn inherits as fds 3, 4, …: the cell lock. A write child
 * (`iptables-restore`, `ip -batch`) then holds the lock too, so a holder killed while its child
 * still writes does not free the cell before that child is done (flock(2) lives as long as any
 * process holds the file open).
 */
const inherited = new Set<number>();

export function inheritInChildren(fd: number): void {
  inherited.add(fd);
}

export function stopInheriting(fd: number): void {
  inherited.delete(fd);
}

export function inheritedFds(): readonly number[] {
  return [...inherited];
}
