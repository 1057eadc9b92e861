"""The pytest plugin (entry point ``pytest11: cronharness = harness.pytest.plugin``)."""
