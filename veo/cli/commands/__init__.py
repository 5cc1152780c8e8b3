"""The ``veo`` commands, one module each; importing one registers it."""
