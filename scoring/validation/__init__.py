"""The agreement validation set (built from Natural Questions, where the truth is known), the
fit of the agree rule's thresholds on it, and the report (docs/AGREEMENT_VALIDATION.md)."""
