"""The container runtime: a pod sandbox (netns, cgroups, private /tmp and /dev/shm, hosts files)
and container processes started through the launcher. Knows nothing of the Kubernetes API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from localkube.kubelet import cgroup, logs, mounts, network

LAUNCHER = str(Path(__file__).with_name("launch.py"))
HOST_PROFILE = "/etc/profile"
# Host directories every pod gets a private copy of; whatever of the image lives below them
# must be mounted back in, or pods would not find their Python.
PRIVATE_DIRS = ("/tmp", "/dev/shm")


def image_dirs_under(
    private: tuple[str, ...] = PRIVATE_DIRS, image: tuple[str, ...] | None = None
) -> list[str]:
    """The parts of the "image" (this Python environment: its prefix and its import path, which
    holds an editable checkout's src/) that a pod's private /tmp or /dev/shm would hide.

    A checkout under /tmp (as CI may make) is the case this exists for.
    """
    if image is None:
        image = (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix, *sys.path)
    candidates = {os.path.realpath(p) for p in image if p}
    hidden = sorted(
        p for p in candidates if os.path.isdir(p) and any(p.startswith(d.rstrip("/") + "/") for d in private)
    )
    outermost: list[str] = []
    for path in hidden:
        if not any(path.startswith(kept + "/") for kept in outermost):
            outermost.append(path)
    return outermost
HOST_USER_RC_FILES = tuple(
    os.path.join(os.path.expanduser("~root"), f)
    for f in (".profile", ".bashrc", ".bash_profile", ".bash_login")
)


@dataclass(frozen=True)
class MountSpec:
    target: str
    source: str = ""
    kind: str = "bind"  # bind | tmpfs
    readonly: bool = False
    owned: bool = False  # the source is the pod's own: files may be created inside it
    options: str = ""
    rootfs: bool = False  # part of the root filesystem: read-only under readOnlyRootFilesystem

    def to_json(self) -> dict[str, object]:
        return {
            "target": self.target,
            "source": self.source,
            "kind": self.kind,
            "readonly": self.readonly,
            "owned": self.owned,
            "options": self.options,
            "rootfs": self.rootfs,
        }


@dataclass(frozen=True)
class LaunchSpec:
    argv: list[str]
    env: dict[str, str]
    workdir: str = "/"
    mounts: list[MountSpec] = field(default_factory=list)
    # user, capabilities, ... (security.Security.to_json()); empty: the node's full privileges
    security: dict[str, object] = field(default_factory=dict)
    cpu_limit: float | None = None  # cores
    memory_limit: int | None = None  # bytes
    stdin: bool = False  # the container's `stdin: true`: a pipe `kubectl attach -i` writes to


@dataclass
class StartFailure(Exception):
    reason: str
    message: str


def image_path() -> str:
    """PATH of every container: the bin dir of the Python running localkube comes first, so
    `python`, `python3` and `ray` are the host environment's ("the image")."""
    bindir = os.path.dirname(sys.executable)
    return f"{bindir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class LaunchReport:
    """What the launcher said before its child exec'd: the child's host pid, or why it failed."""

    pid: int = 0
    reason: str = ""
    message: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.reason)


def parse_report(raw: bytes) -> LaunchReport:
    pid = 0
    for line in raw.decode(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            info = json.loads(line)
            if "reason" in info:
                return LaunchReport(pid, str(info["reason"]), str(info.get("message", "")))
            pid = int(info.get("pid", pid))
    if not pid:
        return LaunchReport(0, "StartError", raw.decode(errors="replace") or "the launcher died")
    return LaunchReport(pid)


class ContainerProcess:
    """One started container (or exec session): its launcher process (which stays behind, outside
    the pod's PID namespace, and exits as the container's main process does), the main process's
    host pid, and the log copiers."""

    def __init__(
        self,
        proc: asyncio.subprocess.Process,
        cgroup_path: str,
        copiers: list[asyncio.Task[None]],
        main_pid: int = 0,
    ):
        self.proc = proc
        self.cgroup_path = cgroup_path
        self._copiers = copiers
        self.main_pid = main_pid or proc.pid
        self.security: dict[str, object] = {}

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def wait(self) -> int:
        code = await self.proc.wait()
        # The container is over when its main process exits: anything it left behind goes too.
        await asyncio.to_thread(cgroup.kill_all, self.cgroup_path)
        for t in self._copiers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(t, 5)
        return code

    def signal(self, sig: int) -> None:
        cgroup.signal_all(self.cgroup_path, sig)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)


async def _read_status(fd: int) -> bytes:
    loop = asyncio.get_running_loop()

    def read_all() -> bytes:
        chunks = []
        with os.fdopen(fd, "rb") as f:
            while True:
                b = f.read(4096)
                if not b:
                    break
                chunks.append(b)
        return b"".join(chunks)

    return await loop.run_in_executor(None, read_all)


async def spawn_launcher(
    spec: Mapping[str, object],
    *,
    stdin: int | None = asyncio.subprocess.DEVNULL,
    stdout: int | None = asyncio.subprocess.PIPE,
    stderr: int | None = asyncio.subprocess.PIPE,
) -> tuple[asyncio.subprocess.Process, LaunchReport]:
    """Start the launcher; returns the process and its report (the child's pid, or a failure)."""
    r, w = os.pipe()
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-S",
            LAUNCHER,
            json.dumps(spec),
            str(w),
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            pass_fds=(w,),
            start_new_session=True,
        )
    except BaseException:
        os.close(r)
        os.close(w)
        raise
    os.close(w)
    report = parse_report(await _read_status(r))
    return proc, report


class PodSandbox:
    """Everything a pod's containers share: IP, netns, /tmp, /dev/shm, /etc/hosts, cgroup."""

    def __init__(self, uid: str, name: str, pod_dir: Path, cidr: str, hidden: tuple[str, ...] = ()):
        self.uid = uid
        # host directories no container may see (localkube's state: PKI, kubeconfig, other pods)
        self.hidden = hidden
        self.name = name
        self.dir = pod_dir
        self.cidr = cidr
        self.ip = ""
        self.netns_path = ""
        self.cgroup_root = cgroup.path_for(uid, "")[:-1]
        self.init_cgroup = cgroup.sandbox_path_for(uid)
        self.init: ContainerProcess | None = None

    @property
    def pidns_path(self) -> str:
        """The pod's PID namespace, held by its init."""
        return f"/proc/{self.init.main_pid}/ns/pid" if self.init else ""

    @property
    def hosts_path(self) -> Path:
        return self.dir / "etc" / "hosts"

    @property
    def resolv_path(self) -> Path:
        return self.dir / "etc" / "resolv.conf"

    async def setup(self, ip: str) -> None:
        self.ip = ip
        for sub in ("tmp", "shm", "etc", "logs", "volumes", "roots"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir / "tmp", 0o1777)
        if not mounts.is_mountpoint(self.dir / "shm"):
            await asyncio.to_thread(mounts.mount_tmpfs, self.dir / "shm", "mode=1777")
        for p in (self.hosts_path, self.resolv_path, self.dir / "etc" / "hostname"):
            p.touch()
        self._write_login_files()
        (self.dir / "etc" / "hostname").write_text(self.name + "\n")
        cgroup.create(self.cgroup_root)
        self.netns_path = await asyncio.to_thread(network.create_pod_network, self.uid, ip, self.cidr)
        await self._start_init()

    async def _start_init(self) -> None:
        """The pod's init: pid 1 of the pod's PID namespace, in a cgroup beside the containers' so
        waiting for the containers to end never waits for it."""
        await asyncio.to_thread(cgroup.remove, self.init_cgroup)
        cgroup.create(self.init_cgroup)
        spec = {"mode": "sandbox", "cgroup": self.init_cgroup, "netns": self.netns_path}
        proc, report = await spawn_launcher(
            spec, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        if report.failed:
            await proc.wait()
            raise StartFailure(report.reason, f"starting the pod's init: {report.message}")
        self.init = ContainerProcess(proc, self.init_cgroup, [], report.pid)

    def _write_login_files(self) -> None:
        """Login shells (KubeRay runs `bash -lc`) reset PATH from /etc/profile and read the host
        user's dotfiles (pyenv shims, ...). In the container, /etc/profile ends by putting the
        image's bin dir first again, and the host user's shell start-up files read as empty."""
        etc = self.dir / "etc"
        if Path(HOST_PROFILE).is_file():
            original = Path(HOST_PROFILE).read_text(errors="replace")
            bindir = os.path.dirname(sys.executable)
            (etc / "profile").write_text(
                f"{original}\n# localkube: the image's Python environment comes first\n"
                f'export PATH="{bindir}:$PATH"\n'
            )
        (etc / "empty-rc").write_text(
            "# localkube: the host user's shell start-up files are not part of the image\n"
        )

    def base_mounts(self, private_home: bool = False) -> list[MountSpec]:
        mounts = [
            MountSpec("/tmp", str(self.dir / "tmp"), owned=True, rootfs=True),
            MountSpec("/dev/shm", str(self.dir / "shm"), owned=True),
            MountSpec("/etc/hosts", str(self.hosts_path)),
            MountSpec("/etc/resolv.conf", str(self.resolv_path)),
            MountSpec("/etc/hostname", str(self.dir / "etc" / "hostname")),
        ]
        private: tuple[str, ...] = PRIVATE_DIRS
        if private_home:
            # A non-root user cannot pass the host's /root (mode 700), where the image's Python
            # may live (pyenv): such a container gets a /root of its pod's own instead, with the
            # image's directories below it mounted back.
            home = self.dir / "home"
            home.mkdir(exist_ok=True)
            home.chmod(0o1777)
            mounts.append(MountSpec("/root", str(home), owned=True, rootfs=True))
            private = (*PRIVATE_DIRS, "/root")
        # After the private directories: the image's own directories below them, read-only.
        mounts += [MountSpec(d, d, readonly=True) for d in image_dirs_under(private)]
        if (self.dir / "etc" / "profile").exists():
            mounts.append(MountSpec(HOST_PROFILE, str(self.dir / "etc" / "profile"), readonly=True))
        for rc in HOST_USER_RC_FILES:
            if os.path.isfile(rc):
                mounts.append(MountSpec(rc, str(self.dir / "etc" / "empty-rc"), readonly=True))
        return mounts

    @staticmethod
    def _cgroup_mounts(cg: str) -> list[MountSpec]:
        """The container's own cgroups where programs look for their limits (Ray reads
        cpu.cfs_quota_us and memory.limit_in_bytes on v1, cpu.max and memory.max on v2), read-only."""
        return [MountSpec(target, source, readonly=True) for target, source in cgroup.mounts_for(cg)]

    def oom_killed(self, name: str) -> bool:
        return cgroup.oom_killed(cgroup.path_for(self.uid, name))

    async def start_container(self, name: str, restart: int, launch: LaunchSpec) -> ContainerProcess:
        """Start a container; raises StartFailure with a Kubernetes reason when it cannot exec."""
        cg = cgroup.path_for(self.uid, name)
        await asyncio.to_thread(cgroup.remove, cg)
        cgroup.create(cg)
        try:
            cgroup.set_limits(cg, launch.cpu_limit, launch.memory_limit)
        except OSError as e:
            raise StartFailure("RunContainerError", f"setting the container's limits: {e}") from e
        root = self.dir / "roots" / name
        root.mkdir(parents=True, exist_ok=True)
        logdir = logs.log_dir(self.dir, name)
        logdir.mkdir(parents=True, exist_ok=True)
        log_file = logs.log_path(self.dir, name, restart)
        log_file.unlink(missing_ok=True)
        log_file.touch()
        spec = {
            "mode": "run",
            "cgroup": cg,
            "netns": self.netns_path,
            "pidns": self.pidns_path,
            "hostname": self.name,
            "root": str(root),
            "cgroups": cgroup.all_paths(cg)[1:],
            "mounts": [
                m.to_json()
                for m in self.base_mounts(private_home=bool(launch.security.get("uid")))
                + self._cgroup_mounts(cg)
                + launch.mounts
            ],
            "workdir": launch.workdir,
            "argv": launch.argv,
            "env": launch.env,
            "masked": list(self.hidden),
            "security": launch.security,
        }
        stdin = asyncio.subprocess.PIPE if launch.stdin else asyncio.subprocess.DEVNULL
        proc, report = await spawn_launcher(spec, stdin=stdin)
        assert proc.stdout is not None and proc.stderr is not None
        copiers = [
            asyncio.create_task(logs.copy_stream(proc.stdout, "stdout", log_file)),
            asyncio.create_task(logs.copy_stream(proc.stderr, "stderr", log_file)),
        ]
        cp = ContainerProcess(proc, cg, copiers, report.pid)
        cp.security = launch.security
        if report.failed:
            await cp.wait()
            raise StartFailure(report.reason, report.message)
        return cp

    async def stop_all(self, grace: float) -> None:
        """SIGTERM every process of the pod, wait up to `grace` seconds, then SIGKILL the rest."""
        cgroup.signal_all(self.cgroup_root, signal.SIGTERM)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        # cgroup v1 gives no "became empty" notification short of a release agent: poll.
        while cgroup.pids(self.cgroup_root) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await asyncio.to_thread(cgroup.remove, self.cgroup_root)

    async def teardown(self) -> None:
        await asyncio.to_thread(cgroup.remove, self.cgroup_root)
        await asyncio.to_thread(cgroup.remove, self.init_cgroup)
        if self.init is not None:
            await self.init.proc.wait()
            self.init = None
        await asyncio.to_thread(network.delete_pod_network, self.uid)
        await asyncio.to_thread(mounts.unmount_under, self.dir)
        await asyncio.to_thread(shutil.rmtree, self.dir, True)


def enter_spec(
    target: ContainerProcess, argv: list[str], env: dict[str, str], workdir: str
) -> dict[str, object]:
    """Launcher spec for a process inside a running container's namespaces, root and cgroup."""
    return {
        "mode": "enter",
        "cgroup": target.cgroup_path,
        "cgroups": cgroup.all_paths(target.cgroup_path)[1:],
        "target_pid": target.main_pid,
        "security": target.security,
        "workdir": workdir,
        "argv": argv,
        "env": env,
    }


async def exec_capture(
    target: ContainerProcess, argv: list[str], env: dict[str, str], workdir: str, timeout: float
) -> tuple[int, bytes]:
    """Run a command in the container (probes, hooks); exit code and combined output.

    A command that outlives the timeout is killed; its result is then (-1, b"timeout")."""
    proc, report = await spawn_launcher(
        enter_spec(target, argv, env, workdir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    if report.failed:
        await proc.wait()
        return 126 if report.reason != "StartError" else 127, report.message.encode()
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        return -1, b"timeout"
    return proc.returncode or 0, out or b""
