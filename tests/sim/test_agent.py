"""The Pod Identity agent over real HTTP: status codes and messages (spec B.2, B.3) and the cache (B.4)."""

from __future__ import annotations

import collections
import http.client
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
from botocore.credentials import ContainerProvider
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from botocore.utils import ContainerMetadataFetcher, MetadataRetrievalError

from labkit import netguard
from labkit.sim.agent import EKS_AUTH_CLIENT_CONFIG, AgentConfig, PodIdentityAgent
from labkit.sim.clock import LabClock

ARN = "arn:aws:sts::111122223333:assumed-role/s3-reader/eks-lab-web-1234"
LINK_LOCAL = "169.254.170.23"


class FakeEksAuth:
    """An EKS Auth double: answers with credentials living ``lifetime``, or with queued errors/replies."""

    def __init__(self, clock: LabClock, lifetime: timedelta = timedelta(hours=6)) -> None:
        self.clock, self.lifetime = clock, lifetime
        self.calls: list[tuple[str, str]] = []
        self.queue: collections.deque[Any] = collections.deque()
        self.gate: threading.Event | None = None

    def assume_role_for_pod_identity(self, *, clusterName: str, token: str) -> dict[str, Any]:  # noqa: N803
        self.calls.append((clusterName, token))
        if self.gate is not None:
            self.gate.wait(5)
        outcome = self.queue.popleft() if self.queue else None
        if isinstance(outcome, Exception):
            raise outcome
        return outcome if outcome is not None else self.reply(len(self.calls))

    def reply(self, serial: int, lifetime: timedelta | None = None) -> dict[str, Any]:
        expiration = self.clock.now() + (lifetime or self.lifetime)
        return {
            "subject": {"namespace": "default", "serviceAccount": "web"},
            "audience": "pods.eks.amazonaws.com",
            "podIdentityAssociation": {"associationArn": "arn:aws:eks:us-west-2:111122223333:podidentityassociation/lab/a-1",
                                       "associationId": "a-1"},
            "assumedRoleUser": {"arn": ARN, "assumeRoleId": "AROAEXAMPLE:eks-lab-web-1234"},
            "credentials": {"accessKeyId": f"ASIA{serial:016d}", "secretAccessKey": f"secret-{serial}",
                            "sessionToken": f"session-{serial}", "expiration": expiration},
        }


def client_error(code: str, status: int, message: str = "denied by the lab") -> ClientError:
    """A ClientError shaped as botocore raises it for an eks-auth error answer."""
    response = {"Error": {"Code": code, "Message": message},
                "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": status, "HTTPHeaders": {}}}
    return ClientError(response, "AssumeRoleForPodIdentity")  # type: ignore[arg-type]


@pytest.fixture
def clock() -> LabClock:
    return LabClock()


@pytest.fixture
def eks_auth(clock: LabClock) -> FakeEksAuth:
    return FakeEksAuth(clock)


@pytest.fixture
def agent(clock: LabClock, eks_auth: FakeEksAuth) -> Iterator[PodIdentityAgent]:
    with PodIdentityAgent("lab", eks_auth, clock) as running:
        yield running


def token_for(clock: LabClock, *, lifetime: int = 86400, not_before: int = 0, subject: str = "web") -> str:
    """A projected Pod Identity token as the kubelet writes it (the agent does not check the signature)."""
    now = int(clock.time())
    claims = {"iss": "https://oidc.eks.us-west-2.amazonaws.com/id/LAB", "sub": f"system:serviceaccount:default:{subject}",
              "aud": ["pods.eks.amazonaws.com"], "iat": now, "nbf": now + not_before, "exp": now + lifetime}
    return jwt.encode(claims, "kubelet-signing-key-for-the-lab-tests", algorithm="HS256")


def call(agent: PodIdentityAgent, authorization: str | None, *, host: str = LINK_LOCAL, method: str = "GET",
         path: str = "/v1/credentials", port: int | None = None) -> tuple[int, dict[str, str], str]:
    """One HTTP request to the agent's loopback port with the given Host header."""
    connection = http.client.HTTPConnection("127.0.0.1", port or agent.port, timeout=10)
    headers = {"Host": host}
    if authorization is not None:
        headers["Authorization"] = authorization
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


# --- B.3: /v1/credentials ----------------------------------------------------------------------------------------


def test_success_answers_the_agents_json(agent: PodIdentityAgent, clock: LabClock, eks_auth: FakeEksAuth) -> None:
    token = token_for(clock)
    status, headers, body = call(agent, token)
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert list(json.loads(body)) == ["AccessKeyId", "SecretAccessKey", "Token", "AccountId", "Expiration"]
    assert json.loads(body) == {"AccessKeyId": "ASIA0000000000000001", "SecretAccessKey": "secret-1",
                                "Token": "session-1", "AccountId": "111122223333", "Expiration": "2026-01-15T15:00:00Z"}
    assert eks_auth.calls == [("lab", token)]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_any_method_is_accepted(agent: PodIdentityAgent, clock: LabClock, method: str) -> None:
    assert call(agent, token_for(clock), method=method)[0] == 200


def test_query_string_does_not_change_the_route(agent: PodIdentityAgent, clock: LabClock) -> None:
    assert call(agent, token_for(clock), path="/v1/credentials?x=1")[0] == 200


def test_authorization_is_the_raw_header_without_bearer_stripping(agent: PodIdentityAgent, clock: LabClock,
                                                                    eks_auth: FakeEksAuth) -> None:
    status, _, body = call(agent, "Bearer " + token_for(clock))
    assert status == 400 and body.startswith("Service account token cannot be parsed: token is malformed")
    assert eks_auth.calls == []


@pytest.mark.parametrize("host", ["169.254.170.23", "169.254.170.23:80", "[fd00:ec2::23]", "[fd00:ec2::23]:80",
                                  "fd00:ec2::23"])
def test_host_check_accepts_the_two_link_local_addresses(agent: PodIdentityAgent, clock: LabClock, host: str) -> None:
    assert call(agent, token_for(clock), host=host)[0] == 200


@pytest.mark.parametrize(("host", "shown"), [("127.0.0.1:8080", "127.0.0.1"), ("169.254.170.2", "169.254.170.2"),
                                             ("localhost", "localhost"), ("[::1]:80", "::1")])
def test_host_check_refuses_any_other_address_with_403(agent: PodIdentityAgent, clock: LabClock, eks_auth: FakeEksAuth,
                                                        host: str, shown: str) -> None:
    status, headers, body = call(agent, token_for(clock), host=host)
    assert status == 403 and headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body == ("Access Denied. Called agent through invalid address, please use either "
                    f"[169.254.170.23 fd00:ec2::23] address not {shown}\n")
    assert eks_auth.calls == []


def test_host_is_checked_before_the_token(agent: PodIdentityAgent) -> None:
    assert call(agent, "", host="10.0.0.1")[0] == 403


def test_empty_token_is_400(agent: PodIdentityAgent) -> None:
    assert call(agent, None)[::2] == (400, "Service account token cannot be empty\n")
    assert call(agent, "")[::2] == (400, "Service account token cannot be empty\n")


@pytest.mark.parametrize(("token", "detail"), [
    ("not-a-jwt", "token is malformed: token contains an invalid number of segments"),
    ("a.b.c.d", "token is malformed: token contains an invalid number of segments"),
    ("e30=.e30.sig", "token is malformed: could not base64 decode header: illegal base64 data at input byte 3"),
    ("e30.e30.sig", "token is unverifiable: signing method (alg) is unspecified"),
    ("eyJhbGciOiJYWVoifQ.e30.sig", "token is unverifiable: signing method (alg) is unavailable"),
])
def test_unparseable_token_is_400(agent: PodIdentityAgent, token: str, detail: str) -> None:
    assert call(agent, token)[::2] == (400, f"Service account token cannot be parsed: {detail}\n")


def test_expired_token_is_400_by_the_lab_clock(agent: PodIdentityAgent, clock: LabClock) -> None:
    token = token_for(clock, lifetime=600)
    assert call(agent, token)[0] == 200
    clock.advance(600)  # exp == now is already expired (now must be before exp)
    assert call(agent, token)[::2] == (400, "Service account token failed basic claim validations: token is expired\n")


def test_not_yet_valid_token_is_400(agent: PodIdentityAgent, clock: LabClock) -> None:
    token = token_for(clock, not_before=60)
    assert call(agent, token)[::2] == (400, "Service account token failed basic claim validations: token is not valid yet\n")
    clock.advance(60)
    assert call(agent, token)[0] == 200


def test_expired_and_not_yet_valid_are_both_reported(agent: PodIdentityAgent, clock: LabClock) -> None:
    now = int(clock.time())
    token = jwt.encode({"exp": now - 1, "nbf": now + 1}, "lab-signing-key-of-at-least-32-bytes", algorithm="HS256")
    assert call(agent, token)[2].endswith("token is expired, token is not valid yet\n")


def test_issued_at_in_the_future_is_not_checked(agent: PodIdentityAgent, clock: LabClock) -> None:
    # golang-jwt v5 only checks iat when asked to (WithIssuedAt); the agent does not ask.
    claims = {"iat": int(clock.time()) + 3600, "exp": int(clock.time()) + 7200}
    token = jwt.encode(claims, "lab-signing-key-of-at-least-32-bytes", algorithm="HS256")
    assert call(agent, token)[0] == 200


EKS_AUTH_ERRORS = [
    ("ThrottlingException", 429, "client"),
    ("InvalidRequestException", 400, "client"),
    ("AccessDeniedException", 400, "client"),
    ("InternalServerException", 500, "server"),
    ("InvalidTokenException", 400, "client"),
    ("InvalidParameterException", 400, "client"),
    ("ExpiredTokenException", 400, "client"),
    ("ResourceNotFoundException", 404, "client"),
    ("ServiceUnavailableException", 503, "server"),
]


@pytest.mark.parametrize(("code", "status", "fault"), EKS_AUTH_ERRORS)
def test_eks_auth_error_keeps_its_status_and_is_worded_like_the_go_sdk(
    agent: PodIdentityAgent, clock: LabClock, eks_auth: FakeEksAuth, code: str, status: int, fault: str
) -> None:
    eks_auth.queue.append(client_error(code, status))
    answer_status, headers, body = call(agent, token_for(clock))
    assert (answer_status, body) == (status, f"[req-1]: ({code}): denied by the lab, fault: {fault}\n")
    assert headers["Content-Type"] == "text/plain; charset=utf-8"


def test_transport_failure_is_500_with_the_wrapped_error(agent: PodIdentityAgent, clock: LabClock,
                                                          eks_auth: FakeEksAuth) -> None:
    eks_auth.queue.append(EndpointConnectionError(endpoint_url="http://127.0.0.1:9/eks-auth"))
    status, _, body = call(agent, token_for(clock))
    assert status == 500
    assert body == ("error getting credentials to cache: unable to fetch credentials from EKS Auth: "
                    'Could not connect to the endpoint URL: "http://127.0.0.1:9/eks-auth"\n')


def test_reply_without_credentials_is_500(agent: PodIdentityAgent, clock: LabClock, eks_auth: FakeEksAuth) -> None:
    eks_auth.queue.append({"subject": {}, "assumedRoleUser": {"arn": ARN}})
    status, _, body = call(agent, token_for(clock))
    assert status == 500 and "invalid response from server: credentials or assumed role empty" in body


def test_unparsable_role_arn_is_500(agent: PodIdentityAgent, clock: LabClock, eks_auth: FakeEksAuth) -> None:
    reply = eks_auth.reply(1)
    reply["assumedRoleUser"]["arn"] = "assumed-role/x"
    eks_auth.queue.append(reply)
    assert call(agent, token_for(clock))[::2] == (500, "error getting credentials to cache: unable to parse arn from "
                                                       "assumed role: arn: invalid prefix\n")


@pytest.mark.parametrize(("seconds", "status"), [(15, 500), (16, 200)])
def test_fetched_credentials_with_15_seconds_or_less_are_500(agent: PodIdentityAgent, clock: LabClock,
                                                              eks_auth: FakeEksAuth, seconds: int, status: int) -> None:
    eks_auth.queue.append(eks_auth.reply(1, lifetime=timedelta(seconds=seconds)))
    answer, _, body = call(agent, token_for(clock))
    assert answer == status
    if status == 500:
        assert body == "fetched credentials are expired or will expire within the next 15.00 seconds\n"


@pytest.mark.parametrize("path", ["/", "/v1/credentials/", "/v1", "/latest/meta-data/"])
def test_other_paths_are_404(agent: PodIdentityAgent, clock: LabClock, path: str) -> None:
    assert call(agent, token_for(clock), path=path)[::2] == (404, "404 page not found\n")


def test_expiration_is_rfc3339_nano_utc(agent: PodIdentityAgent, clock: LabClock, eks_auth: FakeEksAuth) -> None:
    reply = eks_auth.reply(1)
    reply["credentials"]["expiration"] = datetime(2026, 1, 15, 12, 30, 0, 250000, tzinfo=timezone(timedelta(hours=2)))
    eks_auth.queue.append(reply)
    assert json.loads(call(agent, token_for(clock))[2])["Expiration"] == "2026-01-15T10:30:00.25Z"


# --- B.2: rate limit and probes ---------------------------------------------------------------------------------


def test_each_route_allows_a_burst_of_500_then_429(clock: LabClock, eks_auth: FakeEksAuth) -> None:
    frozen = 100.0  # no real time passes for the limiter, so nothing refills
    with PodIdentityAgent("lab", eks_auth, clock, rate_clock=lambda: frozen) as agent:
        token = token_for(clock)
        connection = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=10)
        statuses = []
        for _ in range(501):
            connection.request("GET", "/v1/credentials", headers={"Host": LINK_LOCAL, "Authorization": token})
            response = connection.getresponse()
            statuses.append((response.status, response.read()))
        connection.close()
        assert statuses[:500] == [(200, statuses[0][1])] * 500
        assert statuses[500] == (429, b"Too Many Requests\n")
        assert call(agent, None, path="/healthz", port=_probe_port(agent))[0] == 200  # another route, its own bucket
        assert call(agent, token, path="/nope")[0] == 404  # unknown paths are not limited


def test_rate_limit_refills_at_the_configured_rate(clock: LabClock, eks_auth: FakeEksAuth) -> None:
    now = [0.0]
    config = AgentConfig(requests_per_second=4)  # burst 2
    with PodIdentityAgent("lab", eks_auth, clock, config=config, rate_clock=lambda: now[0]) as agent:
        token = token_for(clock)
        assert [call(agent, token)[0] for _ in range(3)] == [200, 200, 429]
        now[0] += 0.25  # one request's worth
        assert [call(agent, token)[0] for _ in range(2)] == [200, 429]


def _probe_port(agent: PodIdentityAgent) -> int:
    return int(agent.probe_url.rsplit(":", 1)[1])


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_pass_when_the_credential_server_answers_404_at_root(agent: PodIdentityAgent, path: str) -> None:
    assert call(agent, None, path=path, port=_probe_port(agent), host="localhost:2703")[::2] == (200, "")


def test_probe_fails_with_500_when_the_credential_server_is_down(clock: LabClock, eks_auth: FakeEksAuth) -> None:
    with PodIdentityAgent("lab", eks_auth, clock) as agent:
        server = agent._credential_server  # white box: stop only the credential server (stop() is idempotent)
        server.shutdown()
        server.server_close()
        assert call(agent, None, path="/readyz", port=_probe_port(agent))[::2] == (500, "Internal Server Error occurred")


# --- B.4: the cache -----------------------------------------------------------------------------------------------


def test_cache_hit_makes_no_eks_auth_call(agent: PodIdentityAgent, clock: LabClock, eks_auth: FakeEksAuth) -> None:
    token = token_for(clock)
    first, second = call(agent, token)[2], call(agent, token)[2]
    assert first == second and len(eks_auth.calls) == 1


def test_cache_key_is_the_raw_token(agent: PodIdentityAgent, clock: LabClock, eks_auth: FakeEksAuth) -> None:
    call(agent, token_for(clock))
    clock.advance(1)
    rotated = token_for(clock)  # the kubelet's refreshed token is a new key
    call(agent, rotated)
    assert len(eks_auth.calls) == 2 and agent.cached_tokens()[-1] == rotated


@pytest.mark.parametrize(("lifetime", "refresh_after"), [(timedelta(hours=6), timedelta(hours=3)),
                                                         (timedelta(hours=1), timedelta(hours=1))])
def test_refresh_after_is_min_of_expiry_and_retention(agent: PodIdentityAgent, clock: LabClock, eks_auth: FakeEksAuth,
                                                      lifetime: timedelta, refresh_after: timedelta) -> None:
    eks_auth.lifetime = lifetime
    token = token_for(clock)
    call(agent, token)
    assert agent.cache_times(token) == (clock.now() + refresh_after, clock.now() + lifetime)


def test_errors_are_not_cached(agent: PodIdentityAgent, clock: LabClock, eks_auth: FakeEksAuth) -> None:
    eks_auth.queue.append(client_error("AccessDeniedException", 400))
    token = token_for(clock)
    assert call(agent, token)[0] == 400
    assert call(agent, token)[0] == 200 and len(eks_auth.calls) == 2


def test_hit_with_15_seconds_or_less_left_fetches_again(agent: PodIdentityAgent, clock: LabClock,
                                                        eks_auth: FakeEksAuth) -> None:
    eks_auth.lifetime = timedelta(hours=1)
    token = token_for(clock)
    call(agent, token)
    clock.advance(3600 - 15)
    assert json.loads(call(agent, token)[2])["AccessKeyId"] == "ASIA0000000000000002"
    assert len(eks_auth.calls) == 2


def test_janitor_renews_entries_past_refresh_after(agent: PodIdentityAgent, clock: LabClock,
                                                   eks_auth: FakeEksAuth) -> None:
    token = token_for(clock)
    call(agent, token)
    clock.advance(hours=3)
    agent.sweep()
    assert len(eks_auth.calls) == 1  # refresh-after is exclusive: due only once the clock is past it
    clock.advance(1)
    agent.sweep()
    assert eks_auth.calls == [("lab", token), ("lab", token)] and agent.metrics["cache_renewed"] == 1
    assert json.loads(call(agent, token)[2])["AccessKeyId"] == "ASIA0000000000000002" and len(eks_auth.calls) == 2


@pytest.mark.parametrize("code", ["ResourceNotFoundException", "ExpiredTokenException", "InvalidTokenException",
                                  "AccessDeniedException"])
def test_janitor_evicts_on_irrecoverable_errors(agent: PodIdentityAgent, clock: LabClock, eks_auth: FakeEksAuth,
                                                code: str) -> None:
    token = token_for(clock)
    call(agent, token)
    eks_auth.queue.append(client_error(code, 404 if code == "ResourceNotFoundException" else 400))
    clock.advance(hours=3, seconds=1)
    agent.sweep()
    assert agent.cached_tokens() == []


@pytest.mark.parametrize(("code", "status"), [("ThrottlingException", 429), ("InternalServerException", 500),
                                              ("InvalidParameterException", 400)])
def test_janitor_keeps_credentials_on_recoverable_errors_and_retries_within_two_minutes(
    agent: PodIdentityAgent, clock: LabClock, eks_auth: FakeEksAuth, code: str, status: int
) -> None:
    token = token_for(clock)
    call(agent, token)
    eks_auth.queue.append(client_error(code, status))
    clock.advance(hours=3, seconds=1)
    agent.sweep()
    times = agent.cache_times(token)
    assert times is not None
    assert timedelta(minutes=1) <= times[0] - clock.now() <= timedelta(minutes=2)
    assert call(agent, token)[0] == 200 and len(eks_auth.calls) == 2  # still served from the cache
    clock.advance(minutes=2)
    agent.sweep()
    assert len(eks_auth.calls) == 3 and json.loads(call(agent, token)[2])["AccessKeyId"] == "ASIA0000000000000003"


def test_janitor_lets_credentials_expire_when_renewal_fails_with_15_seconds_or_less_left(
    clock: LabClock, eks_auth: FakeEksAuth
) -> None:
    config = AgentConfig(max_credential_retention=timedelta(seconds=3590))
    with PodIdentityAgent("lab", eks_auth, clock, config=config) as agent:
        eks_auth.lifetime = timedelta(hours=1)
        token, start = token_for(clock), clock.now()
        agent.credentials(token)
        eks_auth.queue.extend([client_error("ThrottlingException", 429)] * 2)
        clock.advance(3591)  # due for renewal with 9 s left: the failed renewal does not keep the entry alive
        agent.sweep()
        assert agent.cache_times(token) == (start + timedelta(seconds=3590), start + timedelta(hours=1))
        clock.advance(10)  # past the hard expiry: evicted
        agent.sweep()
        assert agent.cached_tokens() == [] and len(eks_auth.calls) == 3


def test_renewals_are_limited_by_max_service_qps(clock: LabClock, eks_auth: FakeEksAuth) -> None:
    with PodIdentityAgent("lab", eks_auth, clock) as agent:
        tokens = [token_for(clock, subject=f"sa{i}") for i in range(5)]
        for token in tokens:
            agent.credentials(token)
        clock.advance(hours=3, seconds=1)
        agent.sweep()
        assert len(eks_auth.calls) == 5 + 3 and agent.metrics["cache_renewal_rate_limited"] == 2
        refresh = {token: times[0] - clock.now() for token in tokens if (times := agent.cache_times(token))}
        assert [refresh[token] for token in tokens[:3]] == [timedelta(hours=3)] * 3
        assert all(timedelta(minutes=1) <= refresh[token] <= timedelta(minutes=2) for token in tokens[3:])
        clock.advance(1)  # a lab second refills the bucket by max_service_qps


def test_cache_is_an_lru_of_max_cache_size(clock: LabClock, eks_auth: FakeEksAuth) -> None:
    with PodIdentityAgent("lab", eks_auth, clock, config=AgentConfig(max_cache_size=2)) as agent:
        tokens = [token_for(clock, subject=f"sa{i}") for i in range(3)]
        for token in tokens:
            agent.credentials(token)
        assert agent.cached_tokens() == tokens[1:]


def test_zero_retention_disables_the_cache(clock: LabClock, eks_auth: FakeEksAuth) -> None:
    config = AgentConfig(max_credential_retention=timedelta(0))
    with PodIdentityAgent("lab", eks_auth, clock, config=config) as agent:
        token = token_for(clock)
        eks_auth.queue.extend([eks_auth.reply(1, lifetime=timedelta(seconds=5)), None])
        assert call(agent, token)[0] == 200  # no 15 s rule without the cache
        call(agent, token)
        assert len(eks_auth.calls) == 2 and agent.cached_tokens() == []
        eks_auth.queue.append(EndpointConnectionError(endpoint_url="http://127.0.0.1:9/"))
        assert call(agent, token)[2].startswith("unable to fetch credentials from EKS Auth: ")  # not wrapped


def test_concurrent_requests_for_one_token_share_one_eks_auth_call(clock: LabClock, eks_auth: FakeEksAuth) -> None:
    config = AgentConfig(in_flight_wait=0.05)
    with PodIdentityAgent("lab", eks_auth, clock, config=config) as agent:
        token = token_for(clock)
        eks_auth.gate = threading.Event()
        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.append(call(agent, token)[0])) for _ in range(2)]
        threads[0].start()
        while not eks_auth.calls:
            threading.Event().wait(0.01)
        threads[1].start()
        threading.Event().wait(0.1)
        eks_auth.gate.set()
        for thread in threads:
            thread.join(10)
        assert results == [200, 200] and len(eks_auth.calls) == 1


# --- through botocore's own container provider ----------------------------------------------------------------


@pytest.mark.parametrize("full_uri", ["http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1/credentials"])
def test_botocore_container_provider_through_the_address_map(eks_auth: FakeEksAuth, tmp_path: Path,
                                                             full_uri: str) -> None:
    # botocore judges expiry by wall time, so this lab clock starts now (a lab must keep pod-facing times real).
    clock = eks_auth.clock = LabClock(datetime.now(timezone.utc).replace(microsecond=0))
    agent = PodIdentityAgent("lab", eks_auth, clock).start()
    netguard.install(address_map=agent.address_map())
    token_file = tmp_path / "eks-pod-identity-token"
    token_file.write_text(token_for(clock))  # no trailing newline, as the kubelet writes it
    provider = ContainerProvider(environ={"AWS_CONTAINER_CREDENTIALS_FULL_URI": full_uri,
                                          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file)})
    credentials = provider.load()
    assert credentials is not None and credentials.get_frozen_credentials().access_key == "ASIA0000000000000001"
    seen = agent.requests[-1]
    agent.stop()
    assert seen.authorization == token_file.read_text() and seen.host == full_uri.split("/")[2]


def test_botocore_calling_the_loopback_port_directly_is_refused(agent: PodIdentityAgent, clock: LabClock) -> None:
    fetcher = ContainerMetadataFetcher(sleep=lambda seconds: None)
    with pytest.raises(MetadataRetrievalError):
        fetcher.retrieve_full_uri(agent.url, headers={"Authorization": token_for(clock)})
    assert {request.status for request in agent.requests} == {403}


def test_real_eks_auth_client_shapes(clock: LabClock) -> None:
    """A real botocore eks-auth client (stubbed, no network): its reply and error shapes are what the agent reads."""
    client = boto3.session.Session().client("eks-auth", region_name="us-west-2", aws_access_key_id="AKIDLAB",
                                            aws_secret_access_key="lab", config=EKS_AUTH_CLIENT_CONFIG)
    reply = FakeEksAuth(clock).reply(7)
    reply["credentials"]["expiration"] = clock.now() + timedelta(hours=6)
    token = token_for(clock)
    with Stubber(client) as stubber, PodIdentityAgent("lab", client, clock) as agent:
        stubber.add_response("assume_role_for_pod_identity", reply, {"clusterName": "lab", "token": token})
        stubber.add_client_error("assume_role_for_pod_identity", "ResourceNotFoundException", "no association",
                                 http_status_code=404, response_meta={"RequestId": "r-404"})
        assert json.loads(call(agent, token)[2])["AccessKeyId"] == "ASIA0000000000000007"
        assert call(agent, token_for(clock, subject="other"))[::2] == (
            404, "[r-404]: (ResourceNotFoundException): no association, fault: client\n")
