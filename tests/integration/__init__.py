"""End-to-end tests that need a real Pulumi CLI on PATH (skipped otherwise)."""
