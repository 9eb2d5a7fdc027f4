"""Writes of the third-party side: agreements (consent records), onboarding, applications."""
