"""The suite uses the same plugin users get through the ``pytest11`` entry point."""

pytest_plugins = ["veo.testing"]
