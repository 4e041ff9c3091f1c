"""Deploy the identity parts of a CloudFormation template (e.g. a CDK synth) into the lab, through its APIs.

    result = deploy_template(lab, json.loads(Path("examples/cdk/templates/CheckoutIrsa.template.json").read_text()))
    result.physical_ids["CheckoutApiRole67135879"]     # 'CheckoutApiIRSARole'
    result.skipped                                      # (('ConfigBucket2112C5EC', 'AWS::S3::Bucket'), ...)

Deployed (each through the lab's IAM or EKS API, so the lab's IAM checks apply and a broken trust policy fails
with IAM's own error): AWS::IAM::Role (trust, inline Policies, ManagedPolicyArns, PermissionsBoundary,
MaxSessionDuration, Path, Description), AWS::IAM::Policy, AWS::IAM::ManagedPolicy, AWS::IAM::OIDCProvider,
AWS::EKS::PodIdentityAssociation. Every other type is listed in `skipped`, never dropped silently.

Intrinsics: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, and the pseudo-parameters AWS::AccountId, Region, Partition,
URLSuffix, StackName, NoValue. A skipped resource's Ref/Arn resolves only where its properties name it (an S3
bucket's or DynamoDB table's name); anything else raises LabError naming the logical id and the intrinsic.
Not modelled: rollback (a failed deploy leaves what it created, as `--disable-rollback` would), updates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labkit.errors import AwsError, LabError

if TYPE_CHECKING:
    from labkit.sim.lab import Lab

DEFAULT_STACK = "labkit-stack"
URL_SUFFIX = "amazonaws.com"
SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")


@dataclass(frozen=True)
class DeployResult:
    """What a deploy did: the physical id of each deployed resource, the skipped ones, the outputs."""

    stack_name: str
    account_id: str
    physical_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    skipped: tuple[tuple[str, str], ...] = ()
    outputs: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"<DeployResult {self.stack_name} in {self.account_id}: {len(self.physical_ids)} deployed, "
                f"{len(self.skipped)} skipped>")


class ResourceFailed(AwsError):
    """The lab's API refused a resource: IAM's or EKS's own error code and message, and which resource."""

    def __init__(self, logical_id: str, resource_type: str, code: str, message: str, status: int = 400) -> None:
        super().__init__(code, message, status)
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.args = (f"{logical_id} ({resource_type}): {code}: {message}",)


class _Stack:
    """One deploy: the template, the values known so far, and the lab clients of the account."""

    def __init__(self, lab: Lab, template: Mapping[str, Any], account_id: str, region: str, stack_name: str,
                 parameters: Mapping[str, str]) -> None:
        self.lab, self.account_id, self.region, self.stack_name = lab, account_id, region, stack_name
        self.resources: dict[str, dict[str, Any]] = dict(template.get("Resources") or {})
        self.parameters = _parameter_values(template.get("Parameters") or {}, parameters)
        self.refs: dict[str, str] = {}
        self.attributes: dict[str, dict[str, str]] = {}

    def client(self, service: str) -> Any:
        return self.lab.client(service, self.account_id, self.region)

    @property
    def partition(self) -> str:
        return "aws-cn" if self.region.startswith("cn-") else "aws-us-gov" if self.region.startswith("us-gov-") else "aws"

    def pseudo(self) -> dict[str, str]:
        return {"AWS::AccountId": self.account_id, "AWS::Region": self.region, "AWS::Partition": self.partition,
                "AWS::URLSuffix": URL_SUFFIX, "AWS::StackName": self.stack_name}

    # -- intrinsics ---------------------------------------------------------------------------------------------------
    def resolve(self, value: Any, where: str) -> Any:
        """`value` with every intrinsic replaced by what the lab knows; LabError naming `where` if it cannot."""
        if isinstance(value, list):
            return [item for item in (self.resolve(v, where) for v in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (name, argument), = value.items()
            if name == "Ref" or name.startswith("Fn::"):
                return self.intrinsic(name, argument, where)
        resolved = {k: self.resolve(v, where) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def intrinsic(self, name: str, argument: Any, where: str) -> Any:
        handler = _INTRINSICS.get(name)
        if handler is None:
            raise LabError(f"{where}: the lab does not resolve {name} ({json.dumps(argument)[:80]})")
        return handler(self, argument, where)

    def ref(self, name: str, where: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        known = {**self.pseudo(), **self.parameters, **self.refs}
        if name in known:
            return known[name]
        raise LabError(f"{where}: cannot resolve Ref {name} ({self._why_unknown(name)})")

    def get_att(self, logical_id: str, attribute: str, where: str) -> str:
        value = self.attributes.get(logical_id, {}).get(attribute)
        if value is None:
            raise LabError(f"{where}: cannot resolve Fn::GetAtt {logical_id}.{attribute} ({self._why_unknown(logical_id)})")
        return value

    def _why_unknown(self, name: str) -> str:
        resource = self.resources.get(name)
        if resource is None:
            return "no such parameter, pseudo-parameter or resource"
        if resource.get("Type") not in _DEPLOYERS:
            return f"{resource.get('Type')} is skipped by the lab and its properties do not name it"
        return "not deployed yet, or not an attribute of this type"

    # -- deployment ---------------------------------------------------------------------------------------------------
    def deploy(self, logical_id: str) -> None:
        resource = self.resources[logical_id]
        kind = resource["Type"]
        properties = self.resolve(resource.get("Properties") or {}, f"{logical_id} ({kind})")
        try:
            ref, attributes = _DEPLOYERS[kind](self, logical_id, properties)
        except Exception as error:  # botocore's ClientError: keep the service's own code and message
            response = getattr(error, "response", None)
            if not response:
                raise
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
            raise ResourceFailed(logical_id, kind, response["Error"]["Code"], response["Error"]["Message"],
                                 status) from error
        self.refs[logical_id], self.attributes[logical_id] = ref, attributes

    def name_for(self, logical_id: str, limit: int = 64) -> str:
        """The name CloudFormation would generate (stack-logical-SUFFIX), made deterministic for the lab."""
        return f"{self.stack_name}-{logical_id}"[:limit]


_NO_VALUE = object()  # AWS::NoValue: the property is removed


def _parameter_values(declared: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise LabError(f"parameters not declared by the template: {', '.join(unknown)}")
    values = {}
    for name, spec in declared.items():
        if name in given:
            values[name] = str(given[name])
        elif "Default" in spec:
            values[name] = str(spec["Default"])
        elif not name.startswith("BootstrapVersion"):
            raise LabError(f"parameter {name} has no Default: pass parameters={{'{name}': ...}}")
    return values


def _ref(stack: _Stack, argument: Any, where: str) -> Any:
    return stack.ref(str(argument), where)


def _get_att(stack: _Stack, argument: Any, where: str) -> str:
    logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
    return stack.get_att(logical_id, stack.resolve(attribute, where), where)


def _join(stack: _Stack, argument: Any, where: str) -> str:
    delimiter, items = argument
    values = stack.resolve(items, where)
    if not isinstance(values, list):
        raise LabError(f"{where}: Fn::Join needs a list of values")
    return str(delimiter).join(str(v) for v in values)


def _sub(stack: _Stack, argument: Any, where: str) -> str:
    text, variables = (argument, {}) if isinstance(argument, str) else argument
    local = {name: stack.resolve(value, where) for name, value in variables.items()}

    def replace(match: re.Match[str]) -> str:
        literal, name = match.groups()
        if literal:  # ${!Literal} is written as ${Literal}
            return "${" + name + "}"
        if name in local:
            return str(local[name])
        if "." in name and not name.startswith("AWS::"):
            logical_id, attribute = name.split(".", 1)
            return stack.get_att(logical_id, attribute, where)
        return str(stack.ref(name, where))

    return SUB_VARIABLE.sub(replace, text)


_INTRINSICS: dict[str, Callable[[_Stack, Any, str], Any]] = {
    "Ref": _ref, "Fn::GetAtt": _get_att, "Fn::Join": _join, "Fn::Sub": _sub,
}


# -- one function per resource type: (Ref value, attributes) ---------------------------------------------------------------
Deployed = tuple[str, dict[str, str]]


def _role(stack: _Stack, logical_id: str, p: dict[str, Any]) -> Deployed:
    iam = stack.client("iam")
    name = p.get("RoleName") or stack.name_for(logical_id)
    options = {k: p[k] for k in ("Path", "Description", "MaxSessionDuration", "PermissionsBoundary") if k in p}
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(p["AssumeRolePolicyDocument"]),
                           **options)["Role"]
    for policy in p.get("Policies") or []:
        iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"],
                            PolicyDocument=json.dumps(policy["PolicyDocument"]))
    for arn in p.get("ManagedPolicyArns") or []:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    return name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}


def _policy(stack: _Stack, logical_id: str, p: dict[str, Any]) -> Deployed:
    iam = stack.client("iam")
    name, document = p["PolicyName"], json.dumps(p["PolicyDocument"])
    for role in p.get("Roles") or []:
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)
    for user in p.get("Users") or []:
        iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=document)
    for group in p.get("Groups") or []:
        iam.put_group_policy(GroupName=group, PolicyName=name, PolicyDocument=document)
    return name, {}


def _managed_policy(stack: _Stack, logical_id: str, p: dict[str, Any]) -> Deployed:
    iam = stack.client("iam")
    options = {k: p[k] for k in ("Path", "Description") if k in p}
    policy = iam.create_policy(PolicyName=p.get("ManagedPolicyName") or stack.name_for(logical_id, 128),
                               PolicyDocument=json.dumps(p["PolicyDocument"]), **options)["Policy"]
    arn = policy["Arn"]
    for role in p.get("Roles") or []:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    for user in p.get("Users") or []:
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    for group in p.get("Groups") or []:
        iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    return arn, {"PolicyArn": arn, "PolicyId": policy["PolicyId"]}


def _oidc_provider(stack: _Stack, logical_id: str, p: dict[str, Any]) -> Deployed:
    options = {"ThumbprintList": p["ThumbprintList"]} if p.get("ThumbprintList") else {}
    arn = stack.client("iam").create_open_id_connect_provider(
        Url=p["Url"], ClientIDList=p.get("ClientIdList") or [], **options)["OpenIDConnectProviderArn"]
    return arn, {"Arn": arn}


def _pod_identity_association(stack: _Stack, logical_id: str, p: dict[str, Any]) -> Deployed:
    optional = {"targetRoleArn": p.get("TargetRoleArn"), "disableSessionTags": p.get("DisableSessionTags")}
    association = stack.client("eks").create_pod_identity_association(
        clusterName=p["ClusterName"], namespace=p["Namespace"], serviceAccount=p["ServiceAccount"],
        roleArn=p["RoleArn"], **{k: v for k, v in optional.items() if v is not None})["association"]
    arn = association["associationArn"]
    return arn, {"AssociationArn": arn, "AssociationId": association["associationId"]}


_DEPLOYERS: dict[str, Callable[[_Stack, str, dict[str, Any]], Deployed]] = {
    "AWS::IAM::Role": _role,
    "AWS::IAM::Policy": _policy,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::IAM::OIDCProvider": _oidc_provider,
    "AWS::EKS::PodIdentityAssociation": _pod_identity_association,
}


# Skipped types whose Ref and Arn follow from a name in their properties (no deployment needed to know them).
def _named(stack: _Stack, kind: str, p: Mapping[str, Any]) -> Deployed | None:
    if kind == "AWS::S3::Bucket" and isinstance(p.get("BucketName"), str):
        name = p["BucketName"]
        return name, {"Arn": f"arn:{stack.partition}:s3:::{name}"}
    if kind == "AWS::DynamoDB::Table" and isinstance(p.get("TableName"), str):
        name = p["TableName"]
        return name, {"Arn": f"arn:{stack.partition}:dynamodb:{stack.region}:{stack.account_id}:table/{name}"}
    return None


# -- order and the entry point -------------------------------------------------------------------------------------------
def _references(value: Any) -> set[str]:
    """Logical ids a property value refers to (Ref, Fn::GetAtt, and ${...} in Fn::Sub)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item.split(".", 1)[0] if isinstance(item, str) else item[0])
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else item[0]
                found |= {m.group(2).split(".", 1)[0] for m in SUB_VARIABLE.finditer(text) if not m.group(1)}
                found |= _references(item[1:]) if isinstance(item, list) else set()
            else:
                found |= _references(item)
    return found


def _order(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Resources in an order where each comes after what it refers to or DependsOn (CloudFormation's graph)."""
    def needs(logical_id: str) -> set[str]:
        resource = resources[logical_id]
        depends = resource.get("DependsOn") or []
        return (_references(resource.get("Properties") or {}) | set([depends] if isinstance(depends, str) else depends)) & set(resources)

    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in ordered:
            return
        if logical_id in visiting:
            raise LabError(f"circular dependency between resources, at {logical_id}")
        visiting.add(logical_id)
        for other in sorted(needs(logical_id)):
            visit(other)
        visiting.discard(logical_id)
        ordered.append(logical_id)

    for logical_id in resources:
        visit(logical_id)
    return ordered


def deploy_template(lab: Lab, template: Mapping[str, Any], *, account_id: str | None = None,
                    parameters: Mapping[str, str] | None = None, region: str = "us-east-1",
                    stack_name: str = DEFAULT_STACK) -> DeployResult:
    """Create the template's identity resources in the lab (as the account's admin); see the module docstring."""
    stack = _Stack(lab, template, account_id or lab.account_id, region, stack_name, parameters or {})
    skipped: list[tuple[str, str]] = []
    for logical_id in _order(stack.resources):
        resource = stack.resources[logical_id]
        kind = resource.get("Type", "")
        if kind in _DEPLOYERS:
            stack.deploy(logical_id)
            continue
        skipped.append((logical_id, kind))
        named = _named(stack, kind, resource.get("Properties") or {})
        if named is not None:
            stack.refs[logical_id], stack.attributes[logical_id] = named
    outputs = {name: str(stack.resolve(output["Value"], f"output {name}"))
               for name, output in (template.get("Outputs") or {}).items()}
    deployed = [logical_id for logical_id in stack.refs if stack.resources[logical_id].get("Type") in _DEPLOYERS]
    return DeployResult(stack_name, stack.account_id, {k: stack.refs[k] for k in deployed},
                        {k: stack.attributes[k] for k in deployed}, tuple(skipped), outputs)
