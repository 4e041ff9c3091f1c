"""Started by every Python whose PYTHONPATH holds this folder: turns labkit's offline guard on."""

import os

if os.environ.get("LABKIT_NETGUARD") == "1":
    from labkit.netguard import install_from_environment

    install_from_environment()
if os.environ.get("LABKIT_PATH_MAP"):  # a lab pod: its volume mounts (labkit.sim.mounts)
    from labkit.sim.mounts import install_from_environment as install_mounts

    install_mounts()
