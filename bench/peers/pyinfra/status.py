# Status with pyinfra: each host runs the ops scripts' status for its services.
from pyinfra import host
from pyinfra.operations import server

server.shell(name="Ops script status", commands=[host.data.status_cmd])
