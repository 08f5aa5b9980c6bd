"""The container runtime on its own (no API server): sandboxes, mounts, start failures, Ray."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from localkube.kubelet import logs, names, network, runtime
from localkube.kubelet.runtime import image_dirs_under

CIDR = "10.244.0.0/16"
HEAD_COMMAND = [
    "ray", "start", "--head", "--block", "--port=6379", "--num-cpus=1", "--include-dashboard=false",
]  # fmt: skip


def _out(sb: runtime.PodSandbox, container: str) -> str:
    return "".join(ln.text.decode() + "\n" for ln in logs.read_lines(logs.log_path(sb.dir, container, 0)))


async def _with_sandboxes(data: Path, n: int) -> list[runtime.PodSandbox]:
    await asyncio.to_thread(network.ensure_bridge, CIDR)
    sbs = []
    for i in range(n):
        sb = runtime.PodSandbox(f"{i:04d}e2e0-0000-0000-0000-000000000000", f"pod-{i}", data / f"p{i}", CIDR)
        await sb.setup(f"10.244.0.{i + 2}")
        sb.hosts_path.write_text("".join(f"10.244.0.{j + 2} pod-{j}\n" for j in range(n)))
        sbs.append(sb)
    return sbs


async def _teardown(sbs: list[runtime.PodSandbox]) -> None:
    for sb in sbs:
        await sb.stop_all(2)
        await sb.teardown()
    await asyncio.to_thread(network.remove_all)


async def test_container_sees_private_tmp_volumes_and_own_ip(host_clean: Path) -> None:
    vol = host_clean / "vol"
    vol.mkdir()
    (vol / "greeting").write_text("hello")
    sbs = await _with_sandboxes(host_clean, 1)
    try:
        env = {"PATH": runtime.image_path()}
        script = (
            "hostname; ip -4 -o addr show eth0 | awk '{print $4}'; ls -A /tmp; touch /tmp/mine; "
            "cat /mnt-does-not-exist/v/greeting; echo; touch /mnt-does-not-exist/v/x 2>/dev/null || "
            "echo readonly; ls /var/run/secrets/kubernetes.io/serviceaccount; pwd; command -v python"
        )
        launch = runtime.LaunchSpec(
            ["sh", "-c", script],
            env,
            "/no/such/workdir",
            [
                runtime.MountSpec("/mnt-does-not-exist/v", str(vol), readonly=True),
                runtime.MountSpec("/var/run/secrets/kubernetes.io/serviceaccount", str(vol)),
            ],
        )
        c = await sbs[0].start_container("main", 0, launch)
        assert await c.wait() == 0
        out = _out(sbs[0], "main").splitlines()
        assert out[0] == "pod-0"
        assert out[1] == "10.244.0.2/16"
        # A fresh /tmp holds nothing but the image's own directories (a checkout under /tmp).
        image_tops = sorted(
            {Path(d).relative_to("/tmp").parts[0] for d in image_dirs_under() if d.startswith("/tmp/")}
        )
        n = len(image_tops)
        assert out[2 : 2 + n] == image_tops
        out = out[:2] + out[2 + n :]
        assert out[2:5] == ["hello", "readonly", "greeting"]
        assert out[5] == "/no/such/workdir"
        assert out[6] == os.path.join(os.path.dirname(sys.executable), "python")
        # the private /tmp is the pod's; the host's filesystem did not change
        assert (sbs[0].dir / "tmp" / "mine").exists()
        for host_path in ("/mnt-does-not-exist", "/no", "/var/run/secrets/kubernetes.io"):
            assert not Path(host_path).exists()  # noqa: ASYNC240
    finally:
        await _teardown(sbs)


async def test_missing_command_is_a_start_error(host_clean: Path) -> None:
    sbs = await _with_sandboxes(host_clean, 1)
    try:
        try:
            await sbs[0].start_container("bad", 0, runtime.LaunchSpec(["no-such-binary"], {"PATH": "/bin"}))
        except runtime.StartFailure as e:
            assert e.reason == "StartError"
            assert 'exec: "no-such-binary": executable file not found in $PATH' in e.message
        else:
            raise AssertionError("container with a missing command started")
    finally:
        await _teardown(sbs)


async def test_stop_all_kills_daemonized_children(host_clean: Path) -> None:
    sbs = await _with_sandboxes(host_clean, 1)
    try:
        # the child escapes the session and ignores SIGTERM: only the cgroup still knows it
        script = "setsid sh -c 'trap \"\" TERM; sleep 300' & sleep 300"
        await sbs[0].start_container("main", 0, runtime.LaunchSpec(["sh", "-c", script], {"PATH": "/bin"}))
        await asyncio.sleep(0.3)
        await sbs[0].stop_all(0.5)
    finally:
        await _teardown(sbs)


async def test_ray_head_in_one_pod_is_joined_from_another(host_clean: Path) -> None:
    sbs = await _with_sandboxes(host_clean, 2)
    head, worker = sbs
    env = {"PATH": runtime.image_path(), "HOME": "/root", "RAY_USAGE_STATS_ENABLED": "0"}
    try:
        await head.start_container(
            "ray-head",
            0,
            runtime.LaunchSpec(
                HEAD_COMMAND,
                env,
            ),
        )
        await worker.start_container(
            "ray-worker",
            0,
            runtime.LaunchSpec(
                ["sh", "-c", "sleep 3; ray start --address=pod-0:6379 --block --num-cpus=1"], env
            ),
        )
        # a driver in the worker pod uses that pod's raylet (same netns and /tmp, like containers of a pod)
        join = (
            "import ray, time\n"
            "ray.init(address='pod-0:6379')\n"
            "while len([n for n in ray.nodes() if n['Alive']]) < 2: time.sleep(0.5)\n"
            "ips = sorted({n['NodeManagerAddress'] for n in ray.nodes() if n['Alive']})\n"
            "print('NODES', ' '.join(ips))\n"
        )
        check = await worker.start_container(
            "check", 0, runtime.LaunchSpec(["sh", "-c", f'sleep 12; python -c "{join}"'], env)
        )
        code = await asyncio.wait_for(check.wait(), 120)
        out = _out(worker, "check")
        assert code == 0, out
        assert "NODES 10.244.0.2 10.244.0.3" in out
        # Ray's session files went to the head pod's private /tmp, not the host's
        assert (head.dir / "tmp" / "ray").is_dir()
    finally:
        await _teardown(sbs)


async def test_login_shell_keeps_the_image_python_first(host_clean: Path) -> None:
    # KubeRay wraps `ray start` in `bash -lc`; a login shell must still find the image's ray/python
    sbs = await _with_sandboxes(host_clean, 1)
    try:
        env = {"PATH": runtime.image_path(), "HOME": "/root"}
        script = "command -v ray python; python -c 'import ray; print(ray.__version__)'"
        c = await sbs[0].start_container("main", 0, runtime.LaunchSpec(["bash", "-lc", script], env))
        assert await c.wait() == 0, _out(sbs[0], "main")
        bindir = os.path.dirname(sys.executable)
        import ray

        assert _out(sbs[0], "main").splitlines() == [f"{bindir}/ray", f"{bindir}/python", ray.__version__]
    finally:
        await _teardown(sbs)


async def test_a_pod_keeps_reaching_the_host_when_a_pod_with_a_lower_mac_joins(host_clean: Path) -> None:
    # Pods reach Service IPs and the API server through the bridge's gateway address. A Linux
    # bridge whose MAC was never set takes its lowest port's MAC, so a new pod could change it, and
    # the host would drop every other pod's frames to the old one until their ARP entries expired
    # (a RayService upgrade under load lost its requests for 40 s that way).
    sbs = await _with_sandboxes(host_clean, 2)
    accepted = 0

    def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        writer.close()

    async def set_mac(sb: runtime.PodSandbox, mac: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            "ip", "link", "set", "dev", names.veth_name(sb.uid), "address", mac
        )
        assert await proc.wait() == 0

    server = await asyncio.start_server(on_connect, "10.244.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    env = {"PATH": runtime.image_path()}
    connect = ["python", "-c", f"import socket; socket.create_connection(('10.244.0.1', {port}), timeout=3)"]
    try:
        # pod-0 learns the gateway's MAC while pod-1's port has the lowest MAC
        await set_mac(sbs[1], "02:00:00:00:00:02")
        first = await sbs[0].start_container("first", 0, runtime.LaunchSpec(connect, env))
        assert await first.wait() == 0, _out(sbs[0], "first")
        joined = runtime.PodSandbox("0002e2e0-0000-0000-0000-000000000000", "pod-2", host_clean / "p2", CIDR)
        sbs.append(joined)
        await joined.setup("10.244.0.4")
        await set_mac(joined, "02:00:00:00:00:01")
        again = await sbs[0].start_container("again", 0, runtime.LaunchSpec(connect, env))
        assert await again.wait() == 0, _out(sbs[0], "again")
        assert accepted == 2
    finally:
        server.close()
        await _teardown(sbs)
