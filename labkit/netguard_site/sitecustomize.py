"""Started by every Python whose PYTHONPATH holds this folder: turns labkit's offline guard on."""

import os

if os.environ.get("LABKIT_NETGUARD") == "1":
    from labkit.netguard import install_from_environment

    install_from_environment()
