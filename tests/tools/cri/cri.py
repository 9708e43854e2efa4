#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A small CRI client for capguard's tests (crictl is not packaged in Debian 12).

Talks runtime.v1 to a CRI runtime's socket, as the kubelet does, with messages built from JSON
documents in crictl's format (proto field names, camelCase or snake_case).  Debian's python3-grpcio
carries the calls; the messages come from runtime.proto beside this file, compiled with Debian's
protoc into $CRI_GEN (default: a directory under /tmp) on first use.

  cri.py -s SOCK version
  cri.py -s SOCK runp POD.json                   prints the sandbox id
  cri.py -s SOCK create POD-ID CTR.json POD.json prints the container id
  cri.py -s SOCK start ID
  cri.py -s SOCK exec ID CMD...                  ExecSync: the command's stdout/stderr, its exit code
  cri.py -s SOCK inspect ID                      ContainerStatus (verbose) as JSON
  cri.py -s SOCK ps [POD-ID] | pods              ids, one a line
  cri.py -s SOCK stop ID | rm ID | stopp ID | rmp ID

A failed call prints the gRPC status and its message on stderr and exits 1.
"""
import argparse
import hashlib
import importlib
import json
import os
import subprocess
import sys

import grpc
from google.protobuf import json_format

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "runtime.proto")


def load_messages():
    with open(PROTO, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    gen = os.environ.get("CRI_GEN") or f"/tmp/capguard-cri-{digest}"
    if not os.path.exists(os.path.join(gen, "runtime_pb2.py")):
        os.makedirs(gen, exist_ok=True)
        tmp = f"{gen}/.tmp-{os.getpid()}"
        os.makedirs(tmp)
        subprocess.run(["protoc", f"-I{HERE}", f"--python_out={tmp}", PROTO], check=True)
        os.rename(f"{tmp}/runtime_pb2.py", f"{gen}/runtime_pb2.py")
        os.rmdir(tmp)
    sys.path.insert(0, gen)
    return importlib.import_module("runtime_pb2")


pb = load_messages()


class Client:
    def __init__(self, socket, timeout):
        self.channel = grpc.insecure_channel(f"unix://{socket}")
        self.timeout = timeout

    def call(self, name, request, reply):
        method = self.channel.unary_unary(
            f"/runtime.v1.RuntimeService/{name}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=reply.FromString,
        )
        return method(request, timeout=self.timeout)


def from_file(path, message):
    with open(path) as f:
        return json_format.ParseDict(json.load(f), message())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-s", "--socket", required=True)
    ap.add_argument("-t", "--timeout", type=float, default=120)
    ap.add_argument("--handler", default="", help="runtime handler for runp (RuntimeClass)")
    ap.add_argument("command")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    c = Client(a.socket, a.timeout)
    cmd, args = a.command, a.args

    if cmd == "version":
        r = c.call("Version", pb.VersionRequest(version="v1"), pb.VersionResponse)
        print(r.runtime_name, r.runtime_version, r.runtime_api_version)
    elif cmd == "runp":
        req = pb.RunPodSandboxRequest(config=from_file(args[0], pb.PodSandboxConfig), runtime_handler=a.handler)
        print(c.call("RunPodSandbox", req, pb.RunPodSandboxResponse).pod_sandbox_id)
    elif cmd == "create":
        req = pb.CreateContainerRequest(pod_sandbox_id=args[0], config=from_file(args[1], pb.ContainerConfig),
                                        sandbox_config=from_file(args[2], pb.PodSandboxConfig))
        print(c.call("CreateContainer", req, pb.CreateContainerResponse).container_id)
    elif cmd == "start":
        c.call("StartContainer", pb.StartContainerRequest(container_id=args[0]), pb.StartContainerResponse)
    elif cmd == "exec":
        r = c.call("ExecSync", pb.ExecSyncRequest(container_id=args[0], cmd=args[1:], timeout=60), pb.ExecSyncResponse)
        sys.stdout.buffer.write(r.stdout)
        sys.stderr.buffer.write(r.stderr)
        return r.exit_code
    elif cmd == "inspect":
        r = c.call("ContainerStatus", pb.ContainerStatusRequest(container_id=args[0], verbose=True),
                   pb.ContainerStatusResponse)
        doc = json_format.MessageToDict(r.status, preserving_proto_field_name=True)
        doc["info"] = {k: json.loads(v) for k, v in r.info.items()}
        print(json.dumps(doc))
    elif cmd == "ps":
        flt = pb.ContainerFilter(pod_sandbox_id=args[0] if args else "")
        r = c.call("ListContainers", pb.ListContainersRequest(filter=flt), pb.ListContainersResponse)
        for ctr in r.containers:
            print(ctr.id)
    elif cmd == "pods":
        r = c.call("ListPodSandbox", pb.ListPodSandboxRequest(), pb.ListPodSandboxResponse)
        for p in r.items:
            print(p.id)
    elif cmd == "stop":
        c.call("StopContainer", pb.StopContainerRequest(container_id=args[0], timeout=0), pb.StopContainerResponse)
    elif cmd == "rm":
        c.call("RemoveContainer", pb.RemoveContainerRequest(container_id=args[0]), pb.RemoveContainerResponse)
    elif cmd == "stopp":
        c.call("StopPodSandbox", pb.StopPodSandboxRequest(pod_sandbox_id=args[0]), pb.StopPodSandboxResponse)
    elif cmd == "rmp":
        c.call("RemovePodSandbox", pb.RemovePodSandboxRequest(pod_sandbox_id=args[0]), pb.RemovePodSandboxResponse)
    else:
        print(f"cri.py: unknown command `{cmd}`", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except grpc.RpcError as e:
        print(f"cri.py: {e.code().name}: {e.details()}", file=sys.stderr)
        sys.exit(1)
