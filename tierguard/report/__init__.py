"""Machine-readable reports shared by the offline preview and the audit."""
