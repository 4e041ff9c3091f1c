"""The course text's two stacks (section 5), corrected: see each module."""

from stacks.irsa import IrsaStack
from stacks.pod_identity import PodIdentityStack

__all__ = ["IrsaStack", "PodIdentityStack"]
