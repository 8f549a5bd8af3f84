"""Human side-by-side review: the seeded review sample (``sample``) and what verdicts mean (``labels``)."""
