# Cold push and no-op re-run with pyinfra: files.put for every jar, ops script and rendered
# config of the host's placement (it skips a file whose sha1 already matches).
# Inventory (with each host's push_files): written by bench/fleet.
from pyinfra import host
from pyinfra.operations import files

for item in host.data.push_files:
    files.put(
        name="Put " + item["dest"].rsplit("/", 1)[-1],
        src=item["src"],
        dest=item["dest"],
        mode=item["mode"],
    )
