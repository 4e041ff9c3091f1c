"""EKS Auth AssumeRoleForPodIdentity: pod token in, role session with the six session tags out.

The caller (a node's Pod Identity agent, with the node role) needs eks-auth:AssumeRoleForPodIdentity; the
gateway checks that. Here: the token must be signed by the cluster's issuer for audience
pods.eks.amazonaws.com and unexpired; the association for its service account is looked up (eventually
consistent); the role is assumed through its trust policy by the service principal pods.eks.amazonaws.com
(sts:AssumeRole, and sts:TagSession for the tags); a target role is chained when the association has one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import jwt

from labkit import facts
from labkit.errors import AwsError
from labkit.sim.auth import Principal
from labkit.sim.authorize import ALLOW, evaluate
from labkit.sim.aws_errors import (
    AccessDeniedException,
    ExpiredTokenException,
    InvalidParameterException,
    InvalidTokenException,
    ResourceNotFoundException,
)
from labkit.sim.eks import Eks, EksCluster, PodIdentityAssociation
from labkit.sim.iam import RoleView, get_role
from labkit.sim.ids import IdSource
from labkit.sim.operations import request_tag_context
from labkit.sim.sessions import Session
from labkit.sim.sts import SessionRequest, Sts
from labkit.sim.webidentity import audiences, epoch
from labkit.tokens import decode_unverified

AUDIENCE = facts.value("eks.pod-identity-audience")
SERVICE_PRINCIPAL = AUDIENCE
SESSION_TAG_KEYS = facts.value("eks.pod-identity-session-tags")
CACHE = facts.value("eks.pod-identity-agent-cache")
CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")
JWT_SHAPE = re.compile(r"^[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*$")

INVALID_TOKEN = "Failed to validate the token: {why}"
EXPIRED_TOKEN = "The token has expired: current time {now} is after its expiration {exp}"
NO_ASSOCIATION = "No Pod Identity Association found for service account {namespace}/{service_account} in cluster {cluster}"
TRUST_DENIED = "Unable to assume role {role}: its trust policy does not allow {principal} to perform {action}"
ROLE_GONE = "The role {role} of the Pod Identity Association does not exist"


class EksAuth:
    """AssumeRoleForPodIdentity over the lab's EKS state and STS."""

    def __init__(self, eks: Eks, sts: Sts, ids: IdSource) -> None:
        self.eks = eks
        self.sts = sts
        self.ids = ids

    def assume_role_for_pod_identity(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The EKS Auth answer for `params` (clusterName, token), or its errors as part D of the spec lists."""
        name = str(params.get("clusterName", ""))
        token = str(params.get("token", ""))
        if not CLUSTER_NAME.match(name):
            raise InvalidParameterException(f"Invalid cluster name: {name}")
        if not JWT_SHAPE.match(token):
            raise InvalidParameterException("The token is not a JSON Web Token")
        cluster = self.eks.cluster(account_id, region, name)
        claims = self._verified_claims(cluster, token)
        namespace, service_account, pod_name, pod_uid = _kubernetes_identity(claims)
        association = self.eks.association_for(cluster, namespace, service_account)
        if association is None:
            raise ResourceNotFoundException(NO_ASSOCIATION.format(
                namespace=namespace, service_account=service_account, cluster=name))
        tags = {} if association.disable_session_tags else _session_tags(cluster, namespace, service_account,
                                                                           pod_name, pod_uid)
        session = self._assume(cluster, association, tags, pod_name)
        return {
            "subject": {"namespace": namespace, "serviceAccount": service_account},
            "audience": AUDIENCE,
            "podIdentityAssociation": {"associationArn": association.association_arn,
                                       "associationId": association.association_id},
            "assumedRoleUser": {"arn": session.arn, "assumeRoleId": session.user_id},
            "credentials": {"sessionToken": session.credentials.session_token,
                            "secretAccessKey": session.credentials.secret_access_key,
                            "accessKeyId": session.credentials.access_key_id,
                            # Lab time: the caller is the lab's agent, which runs on the lab clock and
                            # converts to host time (Lab.host_time) where a real SDK reads it.
                            "expiration": session.expiration.timestamp()},
        }

    def _verified_claims(self, cluster: EksCluster, token: str) -> dict[str, Any]:
        try:
            header = decode_unverified(token).header
        except Exception:
            raise InvalidTokenException(INVALID_TOKEN.format(why="malformed")) from None
        key = cluster.issuer.key(str(header.get("kid", "")))
        if header.get("alg") != "RS256" or key is None:
            raise InvalidTokenException(INVALID_TOKEN.format(why="not signed by the cluster's issuer"))
        try:
            claims = jwt.decode(token, key.private_key.public_key(), algorithms=["RS256"],
                                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                                         "verify_aud": False, "verify_iss": False})
        except jwt.PyJWTError:
            raise InvalidTokenException(INVALID_TOKEN.format(why="bad signature")) from None
        if claims.get("iss") != cluster.issuer.url:
            raise InvalidTokenException(INVALID_TOKEN.format(why="issuer is not the cluster's issuer"))
        if AUDIENCE not in audiences(claims):
            raise InvalidTokenException(INVALID_TOKEN.format(why=f"audience is not {AUDIENCE}"))
        now = epoch(self.sts.clock.now())
        if not isinstance(claims.get("exp"), (int, float)) or now >= claims["exp"]:
            raise ExpiredTokenException(EXPIRED_TOKEN.format(now=now, exp=claims.get("exp")))
        if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > now:
            raise InvalidTokenException(INVALID_TOKEN.format(why="token not yet valid"))
        return claims

    def _assume(self, cluster: EksCluster, association: PodIdentityAssociation, tags: Mapping[str, str],
                pod_name: str) -> Session:
        role = get_role(association.role_arn)
        if role is None:
            raise AccessDeniedException(ROLE_GONE.format(role=association.role_arn))
        self._check_trust(cluster, role, tags)
        session_name = _session_name(cluster.name, pod_name, self.ids.uuid("pod-identity-session"))
        chained = association.target_role_arn is not None
        duration = CACHE["target-role"] if chained else CACHE["default"]
        session = self.sts.issue(SessionRequest(
            role=role, session_name=session_name, duration=duration, issued_by="AssumeRoleForPodIdentity",
            tags=tags, transitive_tag_keys=frozenset(tags), session_policy=_policy(association),
        ))
        if not chained:
            return session
        return self._chain(cluster, association, session, session_name, duration)

    def _check_trust(self, cluster: EksCluster, role: RoleView, tags: Mapping[str, str]) -> None:
        context: dict[str, Any] = {"aws:SourceAccount": cluster.account_id, "aws:SourceArn": cluster.arn}
        if tags:
            context.update(request_tag_context(tags))
        for action in ("sts:AssumeRole", "sts:TagSession") if tags else ("sts:AssumeRole",):
            request = {"action": action, "resource": role.arn, "context": context,
                       "principal": {"type": "Service", "id": SERVICE_PRINCIPAL}, "resource_account": role.account_id}
            if evaluate(request, resource_policy=role.trust_policy).effect != ALLOW:
                raise AccessDeniedException(TRUST_DENIED.format(role=role.arn, principal=SERVICE_PRINCIPAL, action=action))

    def _chain(self, cluster: EksCluster, association: PodIdentityAssociation, first: Session, session_name: str,
               duration: int) -> Session:
        """The second AssumeRole, from the Pod Identity role's session into the target role."""
        target_arn = association.target_role_arn or ""
        target = get_role(target_arn)
        if target is None:
            raise AccessDeniedException(ROLE_GONE.format(role=target_arn))
        external_id = association.external_id or ""
        if association.disable_session_tags:
            external_id = "/".join((cluster.region, cluster.account_id, cluster.name, association.namespace,
                                    association.service_account))
        caller = Principal(first.account_id, first.arn, first.user_id, first)
        params = {"RoleSessionName": session_name, "ExternalId": external_id}
        try:
            self.sts.authorize_assume_role(caller, target, target_arn, params, dict(first.tags), cluster.region)
        except AwsError as error:  # EKS Auth reports STS's refusal as its own AccessDeniedException
            raise AccessDeniedException(error.message) from None
        return self.sts.issue(SessionRequest(
            role=target, session_name=session_name, duration=duration, issued_by="AssumeRoleForPodIdentity",
            tags=dict(first.tags), transitive_tag_keys=first.transitive_tag_keys, chained=True,
        ))


def _kubernetes_identity(claims: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """namespace, service account, pod name and pod uid from the token's kubernetes.io claim."""
    k8s = claims.get("kubernetes.io") or {}
    try:
        return (str(k8s["namespace"]), str(k8s["serviceaccount"]["name"]), str(k8s["pod"]["name"]),
                str(k8s["pod"]["uid"]))
    except (KeyError, TypeError):
        raise InvalidTokenException(INVALID_TOKEN.format(why="no kubernetes.io pod binding")) from None


def _session_tags(cluster: EksCluster, namespace: str, service_account: str, pod_name: str, pod_uid: str) -> dict[str, str]:
    values = (cluster.arn, cluster.name, namespace, service_account, pod_name, pod_uid)
    return dict(zip(SESSION_TAG_KEYS, values, strict=True))


def _session_name(cluster: str, pod: str, unique: str) -> str:
    """`eks-<cluster>-<pod>-<uuid>`, shortened to the 64 characters a session name may have."""
    room = 64 - len("eks---") - len(unique)
    cluster_part = cluster[: max(room // 2, room - len(pod))]
    pod_part = pod[: room - len(cluster_part)]
    return f"eks-{cluster_part}-{pod_part}-{unique}"


def _policy(association: PodIdentityAssociation) -> dict[str, Any] | None:
    return json.loads(association.policy) if association.policy else None
