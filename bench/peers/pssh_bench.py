"""parallel-ssh side of bench/fleet.

  pssh_bench.py push   PLAN.json   every host gets its files (copy_file over SFTP), hosts at once
  pssh_bench.py status PLAN.json   every host runs its status command (run_command), output collected

PLAN.json is written by bench/fleet: {"key": ..., "hosts": [{"name", "address", "port", "user",
"files": [{"src", "dest", "mode"}], "status_cmd"}]}.
"""
import json
import sys

from gevent import joinall, spawn
from pssh.clients import ParallelSSHClient, SSHClient
from pssh.config import HostConfig


def push(plan):
    def one(host):
        client = SSHClient(host["address"], user=host["user"], port=host["port"],
                           pkey=plan["key"], num_retries=1, allow_agent=False)
        for item in host["files"]:
            client.copy_file(item["src"], item["dest"])
        executable = [item["dest"] for item in host["files"] if item["mode"] == "0755"]
        if executable:
            out = client.run_command("chmod 0755 " + " ".join(executable))
            client.wait_finished(out)
            if out.exit_code != 0:
                raise RuntimeError(f"{host['name']}: chmod exited {out.exit_code}")
        client.disconnect()
        return len(host["files"])

    jobs = [spawn(one, host) for host in plan["hosts"]]
    joinall(jobs, raise_error=True)
    print(f"pushed {sum(job.value for job in jobs)} file(s) to {len(jobs)} host(s)")


def status(plan):
    hosts = plan["hosts"]
    client = ParallelSSHClient(
        [h["address"] for h in hosts],
        host_config=[HostConfig(user=h["user"], port=h["port"], private_key=plan["key"]) for h in hosts],
        pool_size=len(hosts), num_retries=1, allow_agent=False)
    output = client.run_command("%s", host_args=[h["status_cmd"] for h in hosts], stop_on_errors=True)
    client.join(output)
    lines = 0
    for host, out in zip(hosts, output):
        for line in out.stdout:
            print(f"{host['name']}: {line}")
            lines += 1
    print(f"{lines} status line(s) from {len(hosts)} host(s)")


if __name__ == "__main__":
    with open(sys.argv[2]) as f:
        plan = json.load(f)
    {"push": push, "status": status}[sys.argv[1]](plan)
