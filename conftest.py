"""Every test run here is offline-guarded and free of the caller's AWS settings (see labkit.pytest_plugin)."""

pytest_plugins = ("labkit.pytest_plugin",)
