"""Section 5's CDK app (examples/cdk): the committed templates are a fresh synth, cfn-lint finds nothing, their
trust policies are labkit.policy's; the reflection plan's CDK snippets assemble into an app that synthesizes.

Synthesizing needs the optional extra (`make cdk` installs it); without it those tests skip, unless
LABKIT_REQUIRE_CDK=1 (CI) turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from labkit.decide import plan, reflection
from labkit.policy import irsa_trust_policy, pod_identity_trust_policy

ROOT = Path(__file__).resolve().parents[2]
CDK_APP = ROOT / "examples" / "cdk"
TEMPLATES = CDK_APP / "templates"
SYNTH_TIMEOUT = 300  # a cold aws-cdk-lib import plus synth is 10-20 s on two shared cores


def cdk_installed() -> bool:
    try:
        import aws_cdk  # noqa: F401
        import cfnlint  # noqa: F401
    except ImportError:
        return False
    return True


def require_cdk() -> None:
    """Skip (or fail, on CI) when the cdk extra is missing."""
    if cdk_installed():
        return
    message = "the cdk extra is not installed: run `make cdk` (pip install -e '.[cdk]'; needs Node.js)"
    if os.environ.get("LABKIT_REQUIRE_CDK") == "1":
        pytest.fail(message)
    pytest.skip(message)


def synthesize(app_dir: Path, outdir: Path, entry: str = "app.py") -> dict[str, dict[str, Any]]:
    """Run a CDK app with this Python (no CDK CLI needed); its templates by stack name."""
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    done = subprocess.run([sys.executable, entry], cwd=app_dir, env=env, capture_output=True, text=True,
                          timeout=SYNTH_TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return {p.name.removesuffix(".template.json"): json.loads(p.read_text()) for p in outdir.glob("*.template.json")}


def committed() -> dict[str, dict[str, Any]]:
    return {p.name.removesuffix(".template.json"): json.loads(p.read_text()) for p in TEMPLATES.glob("*.template.json")}


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in template["Resources"].items() if r["Type"] == kind}


def normalized(document: Any, refs: dict[str, str]) -> Any:
    """A policy as IAM compares it: no Sid, single-item lists as strings, lists sorted, Refs resolved."""
    if isinstance(document, dict):
        if set(document) == {"Ref"} and document["Ref"] in refs:
            return refs[document["Ref"]]
        return {k: normalized(v, refs) for k, v in document.items() if k != "Sid"}
    if isinstance(document, list):
        items = [normalized(v, refs) for v in document]
        return items[0] if len(items) == 1 else sorted(items, key=json.dumps)
    return document


def provider_refs(template: dict[str, Any], account: str) -> dict[str, str]:
    """Each OIDC provider's logical id -> the ARN IAM gives it."""
    return {name: f"arn:aws:iam::{account}:oidc-provider/{props['Url'].removeprefix('https://')}"
            for name, props in resources(template, "AWS::IAM::OIDCProvider").items()}


# -- what the committed templates say (no CDK needed) -------------------------------------------------------------------
def test_templates_are_committed_for_both_stacks():
    assert sorted(committed()) == ["CheckoutIrsa", "CheckoutPodIdentity"]


def test_irsa_trust_policies_are_labkit_policys():
    template = committed()["CheckoutIrsa"]
    account = json.loads((CDK_APP / "cdk.json").read_text())["context"]["account"]
    (issuer,) = [p["Url"] for p in resources(template, "AWS::IAM::OIDCProvider").values()]
    expected = {"CheckoutApiIRSARole": ("production", "checkout-api-sa"), "AmazonEKSVPCCNIRole": ("kube-system", "aws-node")}
    roles = {props["RoleName"]: props for props in resources(template, "AWS::IAM::Role").values()}
    assert sorted(roles) == sorted(expected)
    for name, (namespace, service_account) in expected.items():
        built = irsa_trust_policy(account, [(issuer, namespace, service_account)])
        synthesized = roles[name]["AssumeRolePolicyDocument"]
        assert normalized(synthesized, provider_refs(template, account)) == normalized(built, {}), name


def test_pod_identity_trust_is_labkit_policys_one_statement():
    template = committed()["CheckoutPodIdentity"]
    (role,) = resources(template, "AWS::IAM::Role").values()
    assert normalized(role["AssumeRolePolicyDocument"], {}) == normalized(pod_identity_trust_policy(), {})
    assert len(role["AssumeRolePolicyDocument"]["Statement"]) == 1  # with_session_tags(), not a second statement


def test_the_association_waits_for_the_agent_add_on():
    template = committed()["CheckoutPodIdentity"]
    (name,) = resources(template, "AWS::EKS::PodIdentityAssociation")
    (addon,) = resources(template, "AWS::EKS::Addon")
    assert template["Resources"][name]["DependsOn"] == [addon]


# -- with the extra: a fresh synth, cfn-lint --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    require_cdk()
    return synthesize(CDK_APP, tmp_path_factory.mktemp("cdk.out"))


def at_head() -> dict[str, dict[str, Any]]:
    """The templates as committed (HEAD), not as `make cdk` may just have rewritten them in the work tree (CI)."""
    listing = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", "HEAD", f"{TEMPLATES.relative_to(ROOT)}/"],
                             capture_output=True, text=True, check=False)
    if listing.returncode != 0:  # not a git checkout (an sdist, a copy): the files are all there is
        return committed()
    texts = {Path(name).name: subprocess.run(["git", "-C", str(ROOT), "show", f"HEAD:{name}"], capture_output=True,
                                             text=True, check=True).stdout for name in listing.stdout.split()}
    return {name.removesuffix(".template.json"): json.loads(text) for name, text in texts.items()}


def test_committed_templates_equal_a_fresh_synth(fresh: dict[str, dict[str, Any]]):
    assert fresh == committed(), "examples/cdk/templates is stale: run `make cdk`"
    assert fresh == at_head(), "examples/cdk/templates differs from the committed copy: commit what `make cdk` wrote"


def cfn_lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    # cfn-lint has no __main__: call its console entry point with this interpreter.
    code = "import sys; from cfnlint.runner import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True,
                          timeout=SYNTH_TIMEOUT, check=False)


def test_cfn_lint_reports_nothing_on_the_templates():
    require_cdk()
    result = cfn_lint(*sorted(TEMPLATES.glob("*.json")))
    assert (result.returncode, result.stdout.strip()) == (0, "")


def test_cfn_lint_does_report_a_broken_template(tmp_path: Path):
    require_cdk()
    template = committed()["CheckoutPodIdentity"]
    role = next(r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role")
    role["Properties"]["MaxSessionDuration"] = 86400  # IAM's ceiling is 43200 (12 h)
    (tmp_path / "broken.json").write_text(json.dumps(template))
    result = cfn_lint(tmp_path / "broken.json")
    assert result.returncode != 0 and "E3034 86400 is greater than the maximum of 43200" in result.stdout


# -- the plan's CDK snippets, assembled --------------------------------------------------------------------------------
PLAN_APP = '''
import aws_cdk as cdk
from aws_cdk import Stack, aws_eks as eks, aws_iam as iam


class PlanStack(Stack):
    def __init__(self, scope, construct_id, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
{body}


app = cdk.App(context={{"aws:cdk:version-reporting": False, "aws:cdk:enable-path-metadata": False}})
PlanStack(app, "ReflectionPlan", env=cdk.Environment(account="111122223333", region="us-east-1"),
          synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False))
app.synth()
'''


def snippet_body(snippet: str) -> str:
    """The lines a snippet puts inside a Stack's __init__ (after its imports and marker comment)."""
    return snippet.split("# inside a Stack's __init__:\n", 1)[1]


def test_the_plans_cdk_snippets_assemble_into_an_app_that_synthesizes(tmp_path: Path):
    require_cdk()
    workloads = plan(reflection()).workloads
    body = "\n".join(textwrap.indent(snippet_body(w.artifacts.cdk_snippet), " " * 8) for w in workloads)
    (tmp_path / "app.py").write_text(PLAN_APP.format(body=body))
    template = synthesize(tmp_path, tmp_path / "cdk.out")["ReflectionPlan"]
    roles = {props["RoleName"]: props for props in resources(template, "AWS::IAM::Role").values()}
    assert sorted(roles) == sorted(w.role_name for w in workloads)
    for workload in workloads:
        synthesized = roles[workload.role_name]["AssumeRolePolicyDocument"]
        assert normalized(synthesized, {}) == normalized(workload.artifacts.trust_policy, {}), workload.workload.name
    associations = resources(template, "AWS::EKS::PodIdentityAssociation").values()
    assert sorted((a["Namespace"], a["ServiceAccount"]) for a in associations) == sorted(
        (w.workload.namespace, w.workload.service_account) for w in workloads if w.mechanism == "pod-identity")
    result = cfn_lint(tmp_path / "cdk.out" / "ReflectionPlan.template.json")
    assert (result.returncode, result.stdout.strip()) == (0, "")
