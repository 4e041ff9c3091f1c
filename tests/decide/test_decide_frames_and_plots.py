"""Plan.to_frame and the plots: pandas and matplotlib load only when asked, and draw what they say."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from labkit.decide import plan, plots, reflection, scaling  # noqa: E402
from labkit.facts import value  # noqa: E402


def test_to_frame_has_one_row_per_workload() -> None:
    frame = plan(reflection()).to_frame()
    assert list(frame["workload"]) == ["checkout-api", "analytics-processor", "admin-dashboard"]
    assert list(frame["mechanism"]) == ["pod-identity", "irsa", "pod-identity"]
    assert frame.loc[1, "facts"][0] == "eks.pod-identity-unsupported"


def test_scaling_rows_show_irsa_growing_and_pod_identity_flat() -> None:
    rows = scaling.service_account_rows(20, clusters=3)
    assert rows[0]["irsa_per-sa_roles_2048"] == 1 and rows[-1]["irsa_per-sa_roles_2048"] == 5
    assert rows[-1]["irsa_per-sa_characters"] > rows[-1]["irsa_per-cluster_characters"]
    assert {row["pod_identity_trust_characters"] for row in rows} == {rows[0]["pod_identity_trust_characters"]}
    oidc = scaling.oidc_provider_rows(120)
    assert oidc[101]["irsa_over_quota"] and not oidc[100]["irsa_over_quota"]


def test_plots_return_their_axes() -> None:
    figure, axes = plt.subplots(1, 3)
    assert plots.plot_roles(axes[0], max_service_accounts=12) is axes[0]
    assert len(axes[0].get_lines()) == 4  # three quotas and Pod Identity
    assert plots.plot_trust_policy_characters(axes[1], max_service_accounts=12) is axes[1]
    ax = plots.plot_oidc_providers(axes[2], max_clusters=120, plan=plan(reflection()))
    assert value("iam.oidc-providers-per-account") in [line.get_ydata()[0] for line in ax.get_lines()]
    new_ax = plots.plot_roles(max_service_accounts=4)
    assert new_ax.figure is not figure
    plt.close("all")
