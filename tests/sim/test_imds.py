"""The node's IMDS through botocore's own InstanceMetadataProvider: HttpTokens and the PUT hop limit."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.credentials import InstanceMetadataProvider
from botocore.exceptions import ClientError
from botocore.utils import InstanceMetadataFetcher

from labkit import netguard
from labkit.sim.clock import LabClock
from labkit.sim.imds import ImdsRequest, InstanceIdentity, InstanceMetadataService, MetadataOptions

NODE = InstanceIdentity(instance_id="i-0123456789abcdef0", account_id="111122223333", region="us-west-2")
HOST_NETWORK, POD = 1, 2
Node = Callable[..., InstanceMetadataService]


class NodeRole:
    """Stands in for the lab's AssumeRole of the node role: STS-shaped credentials, counted."""

    def __init__(self, clock: LabClock, lifetime: timedelta = timedelta(hours=6)) -> None:
        self.clock, self.lifetime, self.calls = clock, lifetime, 0
        self.error: ClientError | None = None

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return {"AccessKeyId": f"ASIANODEROLE{self.calls:08d}", "SecretAccessKey": "node-secret",
                "SessionToken": f"node-session-{self.calls}", "Expiration": self.clock.now() + self.lifetime}


@pytest.fixture
def clock() -> LabClock:
    # botocore judges credential expiry by wall time, so the lab clock starts now here.
    return LabClock(datetime.now(timezone.utc).replace(microsecond=0))


@pytest.fixture
def node_role(clock: LabClock) -> NodeRole:
    return NodeRole(clock)


@pytest.fixture
def node(clock: LabClock, node_role: NodeRole) -> Iterator[Callable[..., InstanceMetadataService]]:
    """Start an IMDS with the given options; stopped after the test."""
    started: list[InstanceMetadataService] = []

    def start(tokens: str = "optional", hop_limit: int = 1, **kwargs: Any) -> InstanceMetadataService:
        kwargs.setdefault("role_name", "eks-node-role")
        kwargs.setdefault("credentials", node_role)
        options = MetadataOptions(http_tokens=tokens, http_put_response_hop_limit=hop_limit)  # type: ignore[arg-type]
        service = InstanceMetadataService(NODE, clock, options=options, drop_hold=1.0, **kwargs).start()
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


def sdk_credentials(imds: InstanceMetadataService, hops: int) -> Any:
    """What botocore's default chain's IMDS step finds for a caller ``hops`` away (short timeout for speed)."""
    fetcher = InstanceMetadataFetcher(base_url=imds.url(hops), timeout=0.3, num_attempts=1, env={})
    return InstanceMetadataProvider(iam_role_fetcher=fetcher).load()


def get(imds: InstanceMetadataService, path: str, *, method: str = "GET", hops: int = HOST_NETWORK,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", imds.port(hops), timeout=5)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def token(imds: InstanceMetadataService, ttl: str = "21600") -> str:
    status, _, body = get(imds, "/latest/api/token", method="PUT",
                          headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl})
    assert status == 200
    return body


# --- the four cases that explain node-role hardening -------------------------------------------------------------


def test_hop_limit_2_with_tokens_required_gives_a_pod_the_node_role(node: Node) -> None:
    imds = node("required", 2)
    credentials = sdk_credentials(imds, POD)
    assert credentials.method == "iam-role"
    assert credentials.get_frozen_credentials().access_key == "ASIANODEROLE00000001"
    assert [r.status for r in imds.requests] == [200, 200, 200]  # IMDSv2: token, role name, credentials


def test_hop_limit_1_with_tokens_required_gives_a_pod_nothing(node: Node) -> None:
    imds = node("required", 1)
    assert sdk_credentials(imds, POD) is None
    assert imds.requests == [ImdsRequest(POD, "PUT", "/latest/api/token", None),
                             ImdsRequest(POD, "GET", "/latest/meta-data/iam/security-credentials/", 401)]


def test_hop_limit_1_with_tokens_optional_still_gives_a_pod_the_node_role_via_imdsv1(
    node: Node
) -> None:
    imds = node("optional", 1)
    credentials = sdk_credentials(imds, POD)
    assert credentials is not None and credentials.get_frozen_credentials().access_key == "ASIANODEROLE00000001"
    assert imds.requests[0].status is None  # the token never arrived; botocore fell back to IMDSv1 GETs
    assert [r.status for r in imds.requests[1:]] == [200, 200]


def test_host_network_with_hop_limit_1_gets_the_node_role(node: Node) -> None:
    imds = node("required", 1)
    assert sdk_credentials(imds, HOST_NETWORK).get_frozen_credentials().access_key == "ASIANODEROLE00000001"


def test_pod_reaches_the_listener_of_its_hop_distance_through_the_address_map(
    node: Node
) -> None:
    imds = node("required", 2)
    netguard.install(address_map=imds.address_map(POD))
    fetcher = InstanceMetadataFetcher(timeout=0.3, num_attempts=1, env={})  # the real 169.254.169.254 URL
    assert fetcher.retrieve_iam_role_credentials()["role_name"] == "eks-node-role"
    assert {request.hops for request in imds.requests} == {POD}


def test_dropped_token_response_makes_the_client_time_out(node: Node) -> None:
    imds = node("required", 1)
    with socket.create_connection(("127.0.0.1", imds.port(POD)), timeout=0.3) as raw:
        raw.sendall(b"PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n"
                    b"X-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 0\r\n\r\n")
        with pytest.raises(TimeoutError):
            raw.recv(1024)


def test_changing_metadata_options_takes_effect_at_once(node: Node) -> None:
    imds = node("optional", 2)
    assert sdk_credentials(imds, POD) is not None
    imds.set_options(MetadataOptions(http_tokens="required", http_put_response_hop_limit=1))
    assert sdk_credentials(imds, POD) is None


# --- IMDSv2 token rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ttl", [None, "0", "21601", "soon"])
def test_token_put_needs_a_ttl_between_1_and_21600(node: Node, ttl: str | None) -> None:
    headers = {} if ttl is None else {"X-aws-ec2-metadata-token-ttl-seconds": ttl}
    assert get(node(), "/latest/api/token", method="PUT", headers=headers)[0] == 400


def test_token_answer_echoes_its_ttl(node: Node) -> None:
    status, headers, body = get(node(), "/latest/api/token", method="PUT",
                                headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    assert status == 200 and headers["X-aws-ec2-metadata-token-ttl-seconds"] == "60" and len(body) > 20


def test_token_path_only_accepts_put(node: Node) -> None:
    assert get(node(), "/latest/api/token")[0] == 405


def test_token_is_refused_through_a_proxy(node: Node) -> None:
    headers = {"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "10.0.0.9"}
    assert get(node(), "/latest/api/token", method="PUT", headers=headers)[0] == 403


def test_invalid_token_is_401_even_when_tokens_are_optional(node: Node) -> None:
    imds = node("optional")
    assert get(imds, "/latest/meta-data/instance-id", headers={"X-aws-ec2-metadata-token": "forged"})[0] == 401
    assert get(imds, "/latest/meta-data/instance-id")[0] == 200


def test_required_tokens_refuse_imdsv1(node: Node) -> None:
    imds = node("required")
    assert get(imds, "/latest/meta-data/instance-id")[0] == 401
    assert get(imds, "/latest/meta-data/instance-id", headers={"X-aws-ec2-metadata-token": token(imds)})[0] == 200


def test_token_expires_on_the_lab_clock(node: Node, clock: LabClock) -> None:
    imds = node("required")
    session = token(imds, ttl="60")
    clock.advance(59)
    assert get(imds, "/latest/meta-data/instance-id", headers={"X-aws-ec2-metadata-token": session})[0] == 200
    clock.advance(1)
    assert get(imds, "/latest/meta-data/instance-id", headers={"X-aws-ec2-metadata-token": session})[0] == 401


# --- what it serves ---------------------------------------------------------------------------------------------


def test_role_credentials_document_as_imds_writes_it(node: Node, clock: LabClock) -> None:
    imds = node()
    assert get(imds, "/latest/meta-data/iam/security-credentials/")[2] == "eks-node-role"
    status, headers, body = get(imds, "/latest/meta-data/iam/security-credentials/eks-node-role")
    document = json.loads(body)
    assert status == 200 and list(document) == ["Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey",
                                                "Token", "Expiration"]
    assert document["Code"] == "Success" and document["Type"] == "AWS-HMAC" and '"Code" : "Success"' in body
    expected_expiry = (clock.now() + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert document["Expiration"] == expected_expiry and document["Token"] == "node-session-1"


def test_other_role_names_are_404(node: Node) -> None:
    assert get(node(), "/latest/meta-data/iam/security-credentials/admin")[0] == 404


def test_instance_without_profile_has_no_credentials(node: Node) -> None:
    imds = node("optional", 2, role_name=None, credentials=None)
    assert get(imds, "/latest/meta-data/iam/security-credentials/")[0] == 404
    assert sdk_credentials(imds, POD) is None


def test_credentials_are_cached_and_refreshed_before_expiry_on_the_lab_clock(
    node: Node, clock: LabClock, node_role: NodeRole
) -> None:
    imds = node()
    path = "/latest/meta-data/iam/security-credentials/eks-node-role"
    first = json.loads(get(imds, path)[2])
    clock.advance(hours=5, minutes=44)
    assert json.loads(get(imds, path)[2]) == first and node_role.calls == 1
    clock.advance(minutes=2)  # fewer than 15 minutes left: the node role is assumed again
    assert json.loads(get(imds, path)[2])["AccessKeyId"] == "ASIANODEROLE00000002"


def test_role_that_cannot_be_assumed_gives_an_error_document(node: Node,
                                                             node_role: NodeRole) -> None:
    node_role.error = ClientError({"Error": {"Code": "AccessDenied", "Message": "not trusted by ec2"}}, "AssumeRole")
    imds = node()
    document = json.loads(get(imds, "/latest/meta-data/iam/security-credentials/eks-node-role")[2])
    assert document["Code"] == "AssumeRoleUnauthorizedAccess" and document["Message"] == "not trusted by ec2"
    assert sdk_credentials(imds, HOST_NETWORK) is None


def test_instance_facts(node: Node) -> None:
    imds = node()
    assert get(imds, "/latest/meta-data/instance-id")[2] == "i-0123456789abcdef0"
    assert get(imds, "/latest/meta-data/placement/region")[2] == "us-west-2"
    assert get(imds, "/latest/meta-data/placement/availability-zone")[2] == "us-west-2a"
    document = json.loads(get(imds, "/latest/dynamic/instance-identity/document")[2])
    assert (document["accountId"], document["instanceId"], document["region"]) == (
        "111122223333", "i-0123456789abcdef0", "us-west-2")
    assert "iam/" in get(imds, "/latest/meta-data/")[2].splitlines()


def test_unknown_paths_are_404_and_other_methods_405(node: Node) -> None:
    imds = node()
    assert get(imds, "/latest/meta-data/nothing-here")[0] == 404
    assert get(imds, "/latest/meta-data/instance-id", method="POST")[0] == 405


def test_options_are_validated() -> None:
    with pytest.raises(ValueError):
        MetadataOptions(http_tokens="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        MetadataOptions(http_put_response_hop_limit=0)


