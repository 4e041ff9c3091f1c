"""Lab start time, and per-call latency of the lab gateway against moto's server alone on the same calls.

    .venv/bin/python benchmarks/bench_lab.py [--calls 200]

The gateway authenticates (SigV4 recomputed with botocore's signer), recognises the operation, authorizes
role sessions with labkit.policy and then hands the request to the same moto application; the ratio is the
price of that. Goal: at most 1.5x for a role session.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3

from labkit import netguard
from labkit.sim import Lab

TABLE, PARAMETER = "bench-table", "/bench/value"  # buckets differ: their names are global


def prepare(bucket: str, s3: Any, ddb: Any, ssm: Any) -> None:
    """Create the resources every measured call reads."""
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="object.txt", Body=b"x" * 1024)
    ddb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName=TABLE, Item={"id": {"S": "1"}})
    ssm.put_parameter(Name=PARAMETER, Value="v", Type="String")


def workload(bucket: str, s3: Any, ddb: Any, ssm: Any) -> dict[str, Callable[[], Any]]:
    """The measured calls."""
    return {
        "s3:GetObject": lambda: s3.get_object(Bucket=bucket, Key="object.txt")["Body"].read(),
        "dynamodb:GetItem": lambda: ddb.get_item(TableName=TABLE, Key={"id": {"S": "1"}}),
        "ssm:GetParameter": lambda: ssm.get_parameter(Name=PARAMETER),
    }


def interleaved(sides: dict[str, dict[str, Callable[[], Any]]], count: int) -> dict[str, dict[str, float]]:
    """Median milliseconds per call for each side, the sides taking turns call by call.

    Taking turns keeps the comparison fair on a shared machine: a burst of load from elsewhere slows every
    side alike instead of whichever happened to be running.
    """
    samples: dict[str, dict[str, list[float]]] = {side: {name: [] for name in calls} for side, calls in sides.items()}
    names = list(next(iter(sides.values())))
    for round_number in range(count + 10):
        for name in names:
            for side, calls in sides.items():
                start = time.perf_counter()
                calls[name]()
                if round_number >= 10:  # the first rounds warm up connections and caches
                    samples[side][name].append((time.perf_counter() - start) * 1000)
    return {side: {name: statistics.median(values) for name, values in by_name.items()}
            for side, by_name in samples.items()}


def moto_alone_server() -> Any:
    """moto's own server application on 127.0.0.1, in the same werkzeug server the lab uses, without the gateway."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from labkit.sim.lab import _quiet_handler

    server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=True,
                         request_handler=_quiet_handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def clients(endpoint_url: str, **credentials: str) -> list[Any]:
    """s3, dynamodb and ssm clients for one endpoint."""
    return [boto3.client(service, region_name="us-east-1", endpoint_url=endpoint_url, **credentials)
            for service in ("s3", "dynamodb", "ssm")]


def role_session(lab: Lab) -> Any:
    """A role session allowed to make the measured calls (so each call is authorized by labkit.policy)."""
    from labkit.sim.sessions import Credentials

    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"AWS": f"arn:aws:iam::{lab.account_id}:root"}}]}
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
                                                       "Action": ["s3:GetObject", "dynamodb:GetItem", "ssm:GetParameter"]}]}
    iam = lab.client("iam")
    arn = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="bench", PolicyName="bench", PolicyDocument=json.dumps(policy))
    creds = lab.client("sts").assume_role(RoleArn=arn, RoleSessionName="bench")["Credentials"]
    return Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="measured calls per operation (default 200)")
    args = parser.parse_args()
    netguard.install()
    starts = []
    for _ in range(4):
        begin = time.perf_counter()
        with Lab(seed=0):
            starts.append(time.perf_counter() - begin)
    with Lab(seed=0) as lab:
        plain = moto_alone_server()
        try:
            moto = clients(f"http://127.0.0.1:{plain.server_port}", aws_access_key_id="AKIABENCHMARK0000000",
                           aws_secret_access_key="secret")
            admin = [lab.client(service) for service in ("s3", "dynamodb", "ssm")]
            prepare("bench-moto", *moto)  # moto's default account
            prepare("bench-lab", *admin)  # the lab's account
            session = role_session(lab)
            role = [lab.client(service, credentials=session) for service in ("s3", "dynamodb", "ssm")]
            result = interleaved({"moto": workload("bench-moto", *moto), "admin": workload("bench-lab", *admin),
                                 "role": workload("bench-lab", *role)},
                                 args.calls)
        finally:
            plain.shutdown()
            plain.server_close()
    print(f"Lab start: first {starts[0] * 1000:.0f} ms (includes importing moto), then "
          f"{statistics.median(starts[1:]) * 1000:.0f} ms (start + stop, median of {len(starts) - 1})")
    print(f"{'median per call':<20}{'moto alone':>12}{'lab admin':>12}{'lab role':>12}{'ratio admin':>13}{'ratio role':>12}")
    for name, moto_ms in result["moto"].items():
        admin_ms, role_ms = result["admin"][name], result["role"][name]
        print(f"{name:<20}{moto_ms:>10.2f}ms{admin_ms:>10.2f}ms{role_ms:>10.2f}ms"
              f"{admin_ms / moto_ms:>12.2f}x{role_ms / moto_ms:>11.2f}x")
    worst = max(result["role"][name] / result["moto"][name] for name in result["moto"])
    print(f"worst role-session ratio: {worst:.2f}x (goal: at most 1.5x)")


if __name__ == "__main__":
    main()
