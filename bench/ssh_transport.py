"""The measurements behind bench/ssh-transport (run that script, not this file)."""
import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

MIB = 1 << 20


def sh(command, **kwargs):
    return subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL, **kwargs)


LISTENERS = []  # pids of the sandbox hosts' sshd listeners


def server_cpu():
    """CPU seconds of every finished session on the sandbox hosts: sshd reaps each session
    (and the session its commands), so it all adds up in the listeners' children times."""
    total = 0.0
    for pid in LISTENERS:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    return total


def timed(command):
    """Wall time and CPU time (client processes plus host sessions) of a shell command that
    must succeed. CPU time shows what a run costs even when other work shares the machine."""
    before = os.times()
    server_before = server_cpu()
    start = time.perf_counter()
    result = subprocess.run(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {command}\n{result.stderr.decode()}")
    time.sleep(0.2)  # let sshd reap the sessions that just ended
    after = os.times()
    client = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return elapsed, client + server_cpu() - server_before


def random_file(path, size):
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    with open(path, "wb") as f:
        for _ in range(size // MIB):
            f.write(os.urandom(MIB))


def read_hosts(sandbox):
    hosts = []
    with open(os.path.join(sandbox, "hosts.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, address, port, bk_home = line.rstrip("\n").split("\t")[:4]
            hosts.append({"name": name, "address": address, "port": int(port), "bk_home": bk_home})
    return hosts


def first_line(command):
    try:
        out = subprocess.run(command, shell=True, capture_output=True, text=True)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except Exception:
        return "?"


def machine():
    cpu = first_line("lscpu | sed -n 's/^Model name: *//p'")
    cores = os.cpu_count()
    memory = first_line("free -g | awk '/^Mem:/ {print $2}'")
    return {
        "machine": f"{cpu}, {cores} cores, {memory} GiB RAM, Linux {platform.release()}",
        "os": first_line("sed -n 's/^PRETTY_NAME=//p' /etc/os-release").strip('"'),
        "openssh": first_line("ssh -V 2>&1"),
        "libssh2": first_line("dpkg-query -W -f '${Version}' libssh2-1"),
        "swift": first_line("swift --version 2>&1"),
        "python": platform.python_version(),
        "parallel-ssh": first_line(f"{sys.executable} -c \"import importlib.metadata as m; print(m.version('parallel-ssh'))\""),
    }


PSSH_SCRIPT = r'''
import sys
from pssh.clients import ParallelSSHClient
from pssh.config import HostConfig
hosts = sys.argv[3:]
client = ParallelSSHClient(hosts, user=sys.argv[1], pkey=sys.argv[2], num_retries=1, timeout=30, pool_size=len(hosts))
output = client.run_command("true")
client.join(output)
bad = [o.host for o in output if o.exit_code != 0]
sys.exit(1 if bad else 0)
'''


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--jobfleet", required=True)
    parser.add_argument("--sandbox", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--update", action="store_true")
    args = parser.parse_args()

    sandbox, jobfleet, manifest = args.sandbox, args.jobfleet, args.manifest
    hosts = read_hosts(sandbox)
    if len(hosts) < 20:
        sys.exit("the sandbox needs 20 hosts")
    for host in hosts:
        with open(os.path.join(sandbox, "hosts", host["name"], "sshd.pid")) as f:
            LISTENERS.append(int(f.read().strip()))
    config = os.path.join(sandbox, "ssh_config")
    user = os.environ.get("USER") or ("root" if os.geteuid() == 0 else os.getlogin())
    data = os.path.join(sandbox, "bench-data")
    os.makedirs(os.path.join(data, "eleven"), exist_ok=True)
    one = os.path.join(data, "one-256MiB.bin")
    random_file(one, 256 * MIB)
    services = ["config", "manage", "backup", "logsvr", "ticket", "file-gateway", "execute", "crontab",
                "gateway", "file-worker", "analysis"]
    eleven = [os.path.join(data, "eleven", f"job-{s}.jar") for s in services]
    for path in eleven:
        random_file(path, 32 * MIB)
    sh(f"cat {one} {' '.join(eleven)} > /dev/null")  # page cache warm for every tool alike

    h1 = hosts[0]
    five = hosts[:5]
    twenty = hosts[:20]

    def clean(*paths):
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)
            os.makedirs(path, exist_ok=True)

    single_dirs = {h1["bk_home"] + "/bench/" + tool for tool in ("jobfleet", "scp", "cat")}
    push_dirs = [h["bk_home"] + "/bench/push" for h in five]

    def jobfleet_single():
        return timed(f"{jobfleet} copy -f {manifest} --hosts {h1['name']} {one} bench/jobfleet/")

    def scp_single():
        return timed(f"scp -q -F {config} {one} {h1['name']}:{h1['bk_home']}/bench/scp/")

    def cat_single():
        return timed(f"cat {one} | ssh -F {config} {h1['name']} 'cat > {h1['bk_home']}/bench/cat/one.bin'")

    def jobfleet_push():
        names = ",".join(h["name"] for h in five)
        return timed(f"{jobfleet} copy -f {manifest} --hosts {names} --forks 5 {' '.join(eleven)} bench/push/")

    def tar_push():
        files = " ".join(os.path.basename(p) for p in eleven)
        jobs = " & ".join(
            f"tar -C {data}/eleven -cf - {files} | ssh -F {config} {h['name']} 'tar -xf - -C {h['bk_home']}/bench/push'"
            for h in five)
        return timed(f"{jobs} & wait")

    def jobfleet_exec():
        return timed(f"{jobfleet} exec -f {manifest} --forks 20 -- true")

    def ssh_exec():
        # `wait` alone would not report failures: check every exit status.
        return timed(f"pids=''; for h in {' '.join(h['name'] for h in twenty)}; do ssh -F {config} $h true & pids=\"$pids $!\"; done; "
                     f"for p in $pids; do wait $p || exit 1; done")

    pssh_file = os.path.join(data, "pssh_exec.py")
    with open(pssh_file, "w") as f:
        f.write(PSSH_SCRIPT)
    identity = os.path.join(sandbox, "id_ed25519")

    def pssh_exec():
        addresses = " ".join(h["address"] for h in twenty)
        return timed(f"{sys.executable} {pssh_file} {user} {identity} {addresses}")

    scenarios = {
        "single": [("jobfleet", jobfleet_single), ("scp", scp_single), ("cat | ssh", cat_single)],
        "push": [("jobfleet", jobfleet_push), ("tar | ssh", tar_push)],
        "exec": [("jobfleet", jobfleet_exec), ("ssh", ssh_exec), ("parallel-ssh", pssh_exec)],
    }
    times = {key: {tool: [] for tool, _ in tools} for key, tools in scenarios.items()}
    cpu = {key: {tool: [] for tool, _ in tools} for key, tools in scenarios.items()}
    load_before = os.getloadavg()[0]
    # One warm-up round (not counted), then interleaved rounds.
    for round_index in range(args.rounds + 1):
        for key, tools in scenarios.items():
            for tool, run in tools:
                clean(*(single_dirs if key == "single" else push_dirs if key == "push" else []))
                elapsed, seconds = run()
                if round_index > 0:
                    times[key][tool].append(elapsed)
                    cpu[key][tool].append(seconds)
        print(f"round {round_index}{' (warm-up)' if round_index == 0 else ''} done", file=sys.stderr)
    clean(*single_dirs, *push_dirs)

    median = {key: {tool: statistics.median(values) for tool, values in tools.items()} for key, tools in times.items()}
    cpu_median = {key: {tool: statistics.median(values) for tool, values in tools.items()} for key, tools in cpu.items()}
    load = (load_before, os.getloadavg()[0])
    report = render(median, times, cpu_median, load, machine(), args.rounds)
    print(report)
    if args.update:
        update_benchmarks(report)


def render(median, times, cpu, load, facts, rounds):
    single, push, exec_ = median["single"], median["push"], median["exec"]
    rate = lambda seconds: 256 / seconds  # MiB/s of the single stream
    single_ratio_scp = single["scp"] / single["jobfleet"]
    single_ratio_cat = single["cat | ssh"] / single["jobfleet"]
    push_ratio = push["jobfleet"] / push["tar | ssh"]
    exec_ratio = exec_["jobfleet"] / exec_["ssh"]
    exec_ratio_pssh = exec_["jobfleet"] / exec_["parallel-ssh"]
    met = lambda ok: "**met**" if ok else "**missed**"
    spread = lambda key, tool: f"{min(times[key][tool]):.2f}–{max(times[key][tool]):.2f} s"
    lines = [
        f"`bench/ssh-transport` on {datetime.date.today().isoformat()}: medians of {rounds} interleaved rounds after one warm-up,",
        "on the local sandbox (real OpenSSH sshd hosts on loopback addresses, 20 hosts up), JobFleet as a release build,",
        "every tool run as a whole process the way an operator runs it (start-up and connection set-up included).",
        "",
        f"- Machine: {facts['machine']}; {facts['os']}",
        f"- {facts['openssh']}; libssh2 {facts['libssh2']}; {facts['swift']}; Python {facts['python']}, parallel-ssh {facts['parallel-ssh']}",
        f"- Load average (1 min) at the start and end of the run: {load[0]:.1f} and {load[1]:.1f} (the run's own client and hosts included)",
        "",
        "| scenario | JobFleet | peer | peer time | ratio | goal | |",
        "|---|---|---|---|---|---|---|",
        f"| 256 MiB to 1 host | {single['jobfleet']:.2f} s ({rate(single['jobfleet']):.0f} MiB/s; {spread('single', 'jobfleet')}) | OpenSSH `scp` | {single['scp']:.2f} s ({rate(single['scp']):.0f} MiB/s) | throughput {single_ratio_scp:.2f}× scp | ≥ 0.9× | {met(single_ratio_scp >= 0.9)} |",
        f"| 256 MiB to 1 host | | `cat \\| ssh 'cat > f'` | {single['cat | ssh']:.2f} s ({rate(single['cat | ssh']):.0f} MiB/s) | throughput {single_ratio_cat:.2f}× | | |",
        f"| 11 × 32 MiB to 5 hosts | {push['jobfleet']:.2f} s ({spread('push', 'jobfleet')}) | parallel `tar \\| ssh` | {push['tar | ssh']:.2f} s | time {push_ratio:.2f}× | ≤ 1.15× | {met(push_ratio <= 1.15)} |",
        f"| `exec true` on 20 hosts | {exec_['jobfleet']:.2f} s ({spread('exec', 'jobfleet')}) | 20 parallel `ssh` | {exec_['ssh']:.2f} s | time {exec_ratio:.2f}× | ≤ 0.5× | {met(exec_ratio <= 0.5)} |",
        f"| `exec true` on 20 hosts | | parallel-ssh | {exec_['parallel-ssh']:.2f} s | time {exec_ratio_pssh:.2f}× | | |",
        "",
        "CPU seconds per run (client processes plus the host sessions they caused, medians):",
        "",
        "| scenario | JobFleet | peers |",
        "|---|---|---|",
    ]
    for key, title in (("single", "256 MiB to 1 host"), ("push", "11 × 32 MiB to 5 hosts"), ("exec", "`exec true` on 20 hosts")):
        peers = ", ".join(f"{tool.replace('|', chr(92) + '|')} {value:.2f} s" for tool, value in cpu[key].items() if tool != "jobfleet")
        lines.append(f"| {title} | {cpu[key]['jobfleet']:.2f} s | {peers} |")
    return "\n".join(lines)


BEGIN, END = "<!-- bench/ssh-transport: results -->", "<!-- /bench/ssh-transport -->"


def update_benchmarks(results):
    """Replaces the results block of the "## SSH transport" section of BENCHMARKS.md, keeping
    the notes written around it; adds the section when it is missing."""
    path = "BENCHMARKS.md"
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    block = f"{BEGIN}\n{results}\n{END}"
    if BEGIN in text and END in text:
        start, end = text.index(BEGIN), text.index(END) + len(END)
        text = text[:start] + block + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n## SSH transport\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
