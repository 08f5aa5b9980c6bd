"""Container launcher: the first program of every container process and of every exec session.

It runs as `python -I -S launch.py SPEC_JSON STATUS_FD`, single-threaded (setns on a mount namespace
refuses multi-threaded callers), and only uses the standard library so its start-up stays cheap.

`sandbox` mode: the pod's init. Join the pod's network namespace, unshare a PID namespace and fork
its pid 1, which only reaps orphans (as the pause container does); every container of the pod joins
that PID namespace, so a pod sees (and `ray stop` kills) only its own processes.
`run` mode: join the container's cgroup, the pod's network and PID namespaces, fork; the child
unshares a private mount and UTS namespace, builds a root from bind mounts of the host's top-level
entries (so missing mount points can be created on tmpfs without touching the host), mounts a /proc
of the pod's PID namespace and the pod's volumes, chroots, then execs.
`enter` mode: join a running container's cgroup, namespaces and root, fork, exec (kubectl exec).

Joining a PID namespace only applies to children, hence the fork: the launcher stays behind as a
parent that ignores termination signals (the kubelet signals the whole cgroup, which includes the
child) and exits with its child's status, so the kubelet's process handle still tells the outcome.
Its first JSON line on STATUS_FD is `{"pid": N}`, the child's host pid. Anything that fails before
exec is written there as one JSON line `{"reason": ..., "message": ...}`; a successful exec closes
the fd (it is close-on-exec), so the kubelet reads EOF and knows the container started.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import stat
import sys
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
SYS_PIVOT_ROOT = 155  # x86_64; glibc has no wrapper everywhere
MS_NOEXEC = 8
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REMOUNT = 32
MS_BIND = 4096
MS_MOVE = 8192
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

_libc = ctypes.CDLL(None, use_errno=True)


class LaunchError(Exception):
    def __init__(self, reason: str, message: str, exit_code: int = 128) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.exit_code = exit_code


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    ret = _libc.mount(
        source.encode(),
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    _check(ret, f"mount {source} on {target}")


def _setns(path: str, nstype: int) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _check(_libc.setns(fd, nstype), f"setns {path}")
    finally:
        os.close(fd)


def _join_cgroup(cgroup: str | None, others: list[str] | None = None) -> None:
    """Join the freezer cgroup (process tracking) and the others (cpu and memory limits)."""
    for path in ([cgroup] if cgroup else []) + list(others or []):
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))


def _resolve_in_root(root: str, path: str) -> str:
    """Host path of `path` as seen from inside `root`, following symlinks without leaving root."""
    parts = [p for p in path.split("/") if p]
    current = root
    hops = 0
    while parts:
        name = parts.pop(0)
        if name == "..":
            current = os.path.dirname(current) if current != root else root
            continue
        candidate = os.path.join(current, name)
        if os.path.islink(candidate):
            hops += 1
            if hops > 40:
                raise OSError(f"too many symlinks resolving {path}")
            link = os.readlink(candidate)
            link_parts = [p for p in link.split("/") if p]
            if link.startswith("/"):
                current = root
            parts = link_parts + parts
            continue
        current = candidate
    return current


class RootBuilder:
    """Builds the container's root; tracks which directories are ours to write into (tmpfs or the
    pod's own directories) so creating a mount point never writes to the host's filesystem."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.owned: set[str] = set()
        self.counter = 0

    def _replicate(self, source_dir: str, dest: str) -> None:
        """Fill an (owned, empty) dest with bind mounts of each entry of source_dir."""
        for name in os.listdir(source_dir):
            src = os.path.join(source_dir, name)
            dst = os.path.join(dest, name)
            try:
                st = os.lstat(src)
                if stat.S_ISLNK(st.st_mode):
                    os.symlink(os.readlink(src), dst)
                elif stat.S_ISDIR(st.st_mode):
                    os.mkdir(dst, st.st_mode & 0o7777)
                    _mount(src, dst, None, MS_BIND | MS_REC)
                    self._drop_self_copy(src, dst)
                else:
                    with open(dst, "w"):
                        pass
                    _mount(src, dst, None, MS_BIND)
            except OSError:
                continue  # an entry we cannot mirror (vanished, odd type) is left out

    def _drop_self_copy(self, src: str, dst: str) -> None:
        """A recursive bind of an ancestor of our root also copies the root being built; detach it."""
        if self.root.startswith(src.rstrip("/") + "/"):
            copy = dst + self.root[len(src.rstrip("/")) :]
            _libc.umount2(copy.encode(), MNT_DETACH)

    def build_root(self) -> None:
        _mount("tmpfs", self.root, "tmpfs", MS_NOSUID, "mode=755")
        self._replicate("/", self.root)
        self.owned.add(self.root)

    def _shadow(self, directory: str) -> None:
        """Cover a host directory with a tmpfs that mirrors it, so new entries can be made in it."""
        self.counter += 1
        stage = os.path.join(self.root, f".lk-stage-{self.counter}")
        os.mkdir(stage)
        _mount("tmpfs", stage, "tmpfs", 0, "mode=755")
        st = os.stat(directory)
        self._replicate(directory, stage)
        os.chmod(stage, st.st_mode & 0o7777)
        os.chown(stage, st.st_uid, st.st_gid)
        _mount(stage, directory, None, MS_MOVE)
        os.rmdir(stage)
        self.owned.add(directory)

    def ensure(self, target: str, is_dir: bool) -> str:
        """Host path (inside root) of `target`, created as a directory or empty file if missing."""
        path = _resolve_in_root(self.root, target)
        if os.path.lexists(path):
            return path
        missing: list[str] = []
        ancestor = path
        while not os.path.exists(ancestor):
            missing.insert(0, os.path.basename(ancestor))
            ancestor = os.path.dirname(ancestor)
        if ancestor not in self.owned:
            self._shadow(ancestor)
        current = ancestor
        for i, name in enumerate(missing):
            current = os.path.join(current, name)
            last = i == len(missing) - 1
            # Another process of the pod (a second container, an earlier attempt's child) may
            # create the same path at the same moment in the pod's shared /tmp: never exclusive.
            if last and not is_dir:
                os.close(os.open(current, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))
            else:
                try:
                    os.mkdir(current, 0o755)
                except FileExistsError:
                    if not os.path.isdir(current):
                        raise
                self.owned.add(current)
        return path


def _report(status_fd: int, message: dict[str, Any]) -> None:
    os.write(status_fd, (json.dumps(message) + "\n").encode())


def _fork_into_pid_namespace(pidns_fd: int | None, status_fd: int, forward: str = "") -> None:
    """Join the pod's PID namespace, fork, and in the parent wait for the child and exit as it did.
    Returns only in the child, which is then inside the pod's PID namespace."""
    if pidns_fd is not None:
        try:
            _check(_libc.setns(pidns_fd, CLONE_NEWPID), "setns pid namespace")
        finally:
            os.close(pidns_fd)
    child = os.fork()
    if child == 0:
        # The child must not outlive its launcher: the kubelet's handle is the launcher.
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        return
    _report(status_fd, {"pid": child})
    os.close(status_fd)
    _wait_like(child, forward)


def _wait_like(child: int, forward: str) -> None:
    """Wait for the child, then exit with its status. Termination signals are the kubelet's to send
    to the whole cgroup (the child included): ignored here; a terminal exec session, which leads its
    own process group, gets them passed on (the client hung up: SIGHUP)."""

    def pass_on(sig: int, _frame: object) -> None:
        try:
            os.killpg(child, sig)
        except ProcessLookupError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, sig)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, pass_on if forward else signal.SIG_IGN)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        died_of = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL and SIGSTOP have no handler to reset
            signal.signal(died_of, signal.SIG_DFL)
        os.kill(os.getpid(), died_of)
        os._exit(128 + died_of)
    os._exit(os.waitstatus_to_exitcode(status))


def _sandbox_mode(spec: dict[str, Any], status_fd: int) -> None:
    """The pod's init: pid 1 of a new PID namespace, reaping whatever is orphaned to it."""
    _join_cgroup(spec.get("cgroup"))
    if spec.get("netns"):
        _setns(spec["netns"], CLONE_NEWNET)
    _check(_libc.unshare(CLONE_NEWPID), "unshare pid namespace")
    child = os.fork()
    if child != 0:
        _report(status_fd, {"pid": child})
        os.close(status_fd)
        _wait_like(child, "")
    os.close(status_fd)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The init stays in the host's mount namespace: not dumpable, so a container (without
    # CAP_SYS_PTRACE) cannot reach the host's files through /proc/1/root.
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    # SIGCHLD stays blocked and is collected with sigwait: no wake-up can be missed between a
    # wait that found no child and the next sleep.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        signal.sigwait({signal.SIGCHLD})


def _mount_proc(root: str) -> None:
    """A /proc of the pod's PID namespace in place of the host's."""
    proc = os.path.join(root, "proc")
    _libc.umount2(proc.encode(), MNT_DETACH)
    _mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _run_mode(spec: dict[str, Any], status_fd: int) -> None:
    _join_cgroup(spec.get("cgroup"), spec.get("cgroups"))
    mounts: list[dict[str, Any]] = spec.get("mounts", [])
    root = os.path.realpath(spec["root"])
    if spec.get("netns"):
        _setns(spec["netns"], CLONE_NEWNET)
    pidns = spec.get("pidns")
    _fork_into_pid_namespace(os.open(pidns, os.O_RDONLY | os.O_CLOEXEC) if pidns else None, status_fd)
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWUTS), "unshare")
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    hostname = spec.get("hostname", "")[:64].encode()
    _check(_libc.sethostname(hostname, len(hostname)), "sethostname")
    builder = RootBuilder(root)
    builder.build_root()
    if spec.get("pidns"):
        _mount_proc(root)
    # Host paths stay valid until the chroot: nothing is ever mounted over them, only inside root.
    for m in mounts:
        try:
            if m["kind"] == "bind":
                is_dir = os.path.isdir(m["source"])
                target = builder.ensure(m["target"], is_dir)
                _mount(m["source"], target, None, MS_BIND | MS_REC)
                if m.get("readonly"):
                    _mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
                if m.get("owned"):
                    builder.owned.add(target)
            else:  # tmpfs
                target = builder.ensure(m["target"], True)
                _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, m.get("options") or None)
                builder.owned.add(target)
        except OSError as e:
            raise LaunchError("RunContainerError", f"mounting {m['target']}: {e}") from e
    workdir = spec.get("workdir") or "/"
    try:
        builder.ensure(workdir, True)
    except OSError as e:
        raise LaunchError("RunContainerError", f"creating workingDir {workdir}: {e}") from e
    for hidden in spec.get("masked") or []:
        _mask(root, hidden)
    security = spec.get("security") or {}
    if security.get("readonly_root"):
        writable = {m["target"] for m in mounts if not m.get("readonly") and not m.get("rootfs")}
        _make_root_readonly(root, writable)
    last_cap = _last_cap()
    os.chdir(root)
    # pivot_root, not chroot: the host's root is detached, so no chroot escape leads back to it
    _check(_libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detaching the host's root")
    os.chdir("/")
    os.chdir(workdir)
    _apply_security(security, last_cap)


def _mask(root: str, path: str) -> None:
    """Cover a host directory (localkube's state: PKI, kubeconfig, other pods' files) with an empty,
    read-only tmpfs; pivot_root then leaves no way around it."""
    target = _resolve_in_root(root, path)
    if os.path.isdir(target) and not os.path.islink(target):
        _mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")


def _mount_points_under(root: str) -> list[str]:
    prefix = root.rstrip("/")
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if mp == prefix or mp.startswith(prefix + "/"):
                out.append(mp)
    return out


def _make_root_readonly(root: str, writable: set[str]) -> None:
    """readOnlyRootFilesystem: every mount of the root read-only but the writable volumes (and
    what is below them) and /proc, /dev/shm."""
    keep = [os.path.join(root, t.lstrip("/")) for t in writable | {"/proc", "/dev/shm"}]
    for mp in _mount_points_under(root):
        if any(mp == k or mp.startswith(k.rstrip("/") + "/") for k in keep):
            continue
        with contextlib.suppress(OSError):
            _mount("none", mp, None, MS_BIND | MS_REMOUNT | MS_RDONLY)


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 40


def _apply_security(security: dict[str, Any], last_cap: int) -> None:
    """Capabilities (the bounding set: what root keeps across exec), no_new_privs, then the user.
    Without a security spec (the node's own use) nothing changes."""
    if not security:
        return
    allowed = set(security.get("caps") or [])
    for cap in range(last_cap + 1):
        if cap not in allowed:
            _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"dropping capability {cap}")
    if security.get("no_new_privs"):
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    uid, gid = int(security.get("uid") or 0), int(security.get("gid") or 0)
    os.setgroups([int(g) for g in security.get("groups") or []])
    os.setgid(gid)
    os.setuid(uid)


def _enter_mode(spec: dict[str, Any], status_fd: int) -> None:
    _join_cgroup(spec.get("cgroup"), spec.get("cgroups"))
    pid = int(spec["target_pid"])
    root_fd = os.open(f"/proc/{pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    _setns(f"/proc/{pid}/ns/net", CLONE_NEWNET)
    _setns(f"/proc/{pid}/ns/uts", CLONE_NEWUTS)
    pidns_fd = os.open(f"/proc/{pid}/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    _setns(f"/proc/{pid}/ns/mnt", CLONE_NEWNS)
    os.fchdir(root_fd)
    os.chroot(".")
    os.close(root_fd)
    try:
        os.chdir(spec.get("workdir") or "/")
    except OSError:
        os.chdir("/")
    last_cap = _last_cap()
    _fork_into_pid_namespace(pidns_fd, status_fd, forward="group" if spec.get("tty") else "")
    _apply_security(spec.get("security") or {}, last_cap)
    if spec.get("tty"):
        import fcntl  # only tty sessions need these: keep the common start-up lean
        import termios

        # The pty on stdin becomes the controlling terminal of the session's own new session.
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _exec(spec: dict[str, Any]) -> None:
    argv: list[str] = spec["argv"]
    env: dict[str, str] = spec["env"]
    if not argv:
        raise LaunchError("RunContainerError", "no command specified")
    # A container starts with default signal dispositions and nothing blocked, as under a container
    # runtime, whatever the kubelet inherited (a shell's background job ignores SIGINT, nohup
    # SIGHUP; Python ignores SIGPIPE): else an exec session's hang-up or a Ctrl-C does nothing.
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGPIPE,
                signal.SIGUSR1, signal.SIGUSR2, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    try:
        os.execvpe(argv[0], argv, env)
    except FileNotFoundError as e:
        raise LaunchError(
            "StartError",
            f'exec: "{argv[0]}": executable file not found in $PATH',
            128,
        ) from e
    except PermissionError as e:
        raise LaunchError("StartError", f'exec: "{argv[0]}": permission denied', 128) from e


def main() -> None:
    spec = json.loads(sys.argv[1])
    status_fd = int(sys.argv[2])
    os.set_inheritable(status_fd, False)
    try:
        try:
            if spec["mode"] == "sandbox":
                _sandbox_mode(spec, status_fd)
            elif spec["mode"] == "enter":
                _enter_mode(spec, status_fd)
            else:
                _run_mode(spec, status_fd)
        except LaunchError:
            raise
        except OSError as e:
            raise LaunchError("RunContainerError", str(e)) from e
        _exec(spec)
    except LaunchError as e:
        _report(status_fd, {"reason": e.reason, "message": e.message})
        os._exit(e.exit_code)


if __name__ == "__main__":
    main()
