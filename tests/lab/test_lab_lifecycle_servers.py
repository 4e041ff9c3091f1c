"""Stopping a lab stops what its clusters started: node metadata services, agents, the proxy."""

import socket

from labkit.sim import Lab


def test_stop_closes_the_node_servers():
    lab = Lab(seed=5).start()
    cluster = lab.create_cluster("stopping")
    group = cluster.add_nodegroup("workers", http_tokens="required", hop_limit=2)
    port = group.nodes[0].imds.port(1)
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    lab.stop()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
