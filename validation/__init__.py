"""The validation laboratory: the data the agree label is measured on (data/) and the one-off
builders that made it (build/), run from the repository root as `python -m validation.build.X`.
The measurement itself is scoring/validation (`planb validate-agreement`)."""
