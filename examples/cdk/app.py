"""Section 5 of the course text as a CDK v2 app: an IRSA stack and a Pod Identity stack for one EKS cluster.

    make cdk                      # synthesizes to cdk.out/ and copies the templates to templates/
    cdk synth -c oidcIssuer=...   # with the CDK CLI, for your own cluster

The cluster is an input (name and OIDC issuer from cdk.json's context), not an `eks.Cluster`: that construct
needs a kubectl Lambda (an asset) and would create a new cluster. Nothing here looks anything up or needs
the network; the default issuer is the course lab's `checkout-prod` (`Lab(seed=0)`), so the templates deploy
into the lab as they are.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from stacks import IrsaStack, PodIdentityStack

HERE = Path(__file__).resolve().parent


def context(app: cdk.App, key: str) -> str:
    """A context value (`-c key=value` overrides cdk.json); cdk.json is read here too when run without the CLI."""
    value = app.node.try_get_context(key)
    return str(value if value is not None else json.loads((HERE / "cdk.json").read_text())["context"][key])


def build(app: cdk.App) -> cdk.App:
    """Both stacks, in the account and region of the context, with templates free of CDK bootstrap rules."""
    env = cdk.Environment(account=context(app, "account"), region=context(app, "region"))
    cluster_name, issuer = context(app, "clusterName"), context(app, "oidcIssuer")
    IrsaStack(app, "CheckoutIrsa", cluster_name=cluster_name, oidc_issuer=issuer, env=env, synthesizer=synthesizer())
    PodIdentityStack(app, "CheckoutPodIdentity", cluster_name=cluster_name, env=env, synthesizer=synthesizer())
    return app


def synthesizer() -> cdk.DefaultStackSynthesizer:
    """The default synthesizer without the bootstrap-version rule (it reads an SSM parameter of a bootstrapped account)."""
    return cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False)


if __name__ == "__main__":
    settings = json.loads((HERE / "cdk.json").read_text())["context"]
    build(cdk.App(context={k: v for k, v in settings.items() if k.startswith("aws:cdk:")})).synth()
